"""Every setting peakend reads from the environment, as one table: name, type, default, help.

`get(name)` reads a setting now (the environment may change between calls, as tests do);
`peakend settings` prints what is in force; the docs' settings page is generated from the table.
A value that cannot be read as its type is an error naming the setting and what it expects.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peakend.errors import SettingError
from peakend.i18n import read_lang


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, how to read it, its default, and what it does (en, zh)."""

    name: str
    read: Callable[[str], Any]
    default: Any
    en: str
    zh: str
    secret: bool = False

    @property
    def env(self) -> str:
        """The environment variable that holds it."""
        return "PEAKEND_" + self.name.upper()


def _positive(kind: type) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        value = kind(text)
        if not value > 0:
            raise ValueError("must be positive")
        return value

    read.__name__ = f"positive {kind.__name__}"
    return read


def _flag(text: str) -> bool:
    word = text.strip().lower()
    if word not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise ValueError("must be true or false")
    return word in ("1", "true", "yes", "on")


_flag.__name__ = "true or false"


def _dates(text: str) -> str:
    """Comma-separated YYYY-MM-DD dates, checked (kept as text; `holidays()` reads them)."""
    from datetime import date

    for part in filter(None, (p.strip() for p in text.split(","))):
        date.fromisoformat(part)
    return text


_dates.__name__ = "dates YYYY-MM-DD, comma-separated"
DEFAULT_DB = "peakend.duckdb"
SETTINGS: tuple[Setting, ...] = (
    Setting("db", str, DEFAULT_DB, "the store: a DuckDB file or a postgresql:// URL",
            "存储：DuckDB 文件或 postgresql:// 地址"),
    Setting("lang", read_lang, "en", "language of CLI messages: zh or en (any case)",
            "命令行消息语言：zh 或 en（不分大小写）"),
    Setting("training", str, None, "a training library YAML to use instead of the shipped one",
            "替代内置培训库的 YAML 文件"),
    Setting("secret", str, None, "key that signs session cookies (default: random per start)",
            "签名会话 Cookie 的密钥（默认每次启动随机）", secret=True),
    Setting("phone_key", str, None, "HMAC key for phone numbers, used when a store is created (default: random)",
            "电话号码 HMAC 密钥，仅在新建存储时使用（默认随机）", secret=True),
    Setting("password", str, None, "password for `peakend user add` without a prompt",
            "`peakend user add` 免交互密码",
            secret=True),
    Setting("sms_gateway", str, None,
            "where SMS surveys go: https://… URL or file:PATH (default: a file beside the store)",
            "短信调查发送到：https://… 地址或 file:路径（默认存储旁的文件）"),
    Setting("sms_token", str, None, "bearer token for an https SMS gateway",
            "https 短信网关的 Bearer 令牌", secret=True),
    Setting("tick_seconds", _positive(float), 5.0, "how often the server runs due timers (s)",
            "服务器运行到期定时器的间隔（秒）"),
    Setting("memory_limit", str, None,
            "DuckDB memory limit when scoring a lake or a PostgreSQL store (default: a quarter of RAM)",
            "对数据湖或 PostgreSQL 存储评分时 DuckDB 内存上限（默认内存的四分之一）"),
    Setting("spark_memory", str, "4g", "Spark driver memory", "Spark 驱动内存"),
    Setting("request_deadline_s", _positive(float), 20.0,
            "a web request's work stops after this many seconds (503; long work runs as jobs)",
            "网页请求的处理超过此秒数即停止（返回 503；长时间工作以任务运行）"),
    Setting("max_body_bytes", _positive(int), 8 * 1024 * 1024,
            "largest request body the server reads (bytes; 413 above)",
            "服务器读取的最大请求体（字节；超出返回 413）"),
    Setting("background", _flag, True,
            "run the live rules, timers and scheduled scoring in the web process (serve --workers N: off)",
            "在网页进程中运行实时规则、定时器与定时评分（serve --workers N 时关闭）"),
    Setting("live_lease_seconds", _positive(float), 60.0,
            "a live worker's claim on queued visits lasts this long (after a crash, another takes them then)",
            "实时工作进程认领排队到访的时限（秒；崩溃后由其他进程接手）"),
    Setting("job_lease_seconds", _positive(float), 30.0,
            "a process's claim on a running job lasts this long unless renewed (after a crash, another takes it then)",
            "进程对运行中任务的认领时限（秒；未续期则由其他进程接手，例如崩溃后）"),
    Setting("ingest_max_rejected", float, 0.5, "`peakend ingest` exits 1 when more than this share of the rows is "
            "quarantined (1: never)",
            "隔离行的占比超过此值时，导入命令 peakend ingest 以退出码 1 结束（设为 1 则从不）"),
    Setting("blas_threads", _positive(int), 1, "threads numpy's linear algebra uses per process (small fits: more "
            "only contend)", "每个进程中 numpy 线性代数所用线程数（拟合矩阵小，线程多只会互相争抢）"),
    Setting("job_threads", _positive(int), 2, "jobs (scoring, verdicts, imports, what-ifs) run at once per process",
            "每个进程同时运行的任务数（评分、结论、导入、假设分析）"),
    Setting("job_keep_days", _positive(int), 30,
            "finished jobs and their stored tables are removed this many days after they finished, once a day, "
            "except the latest done one of each question (pages show it); queued and running ones never",
            "已结束的任务及其保存的表在结束后保留的天数，之后每天清理一次；每个问题最近一次完成的任务（页面显示它）"
            "以及排队中、运行中的任务永不删除"),
    Setting("keep_comments_days", int, 0, "survey comments are removed this many days after their answer (0: kept)",
            "调查评论在回答后保留的天数，之后删除（0：一直保留）"),
    Setting("keep_customer_keys_days", int, 0,
            "a visit's customer key (hashed phone) is removed this many days after the visit (0: kept)",
            "来访的客户标识（电话哈希）在来访后保留的天数，之后删除（0：一直保留）"),
    Setting("keep_sms_replies_days", int, 0, "SMS reply texts are removed this many days after arrival (0: kept)",
            "短信回复内容在收到后保留的天数，之后删除（0：一直保留）"),
    Setting("trusted_proxies", str, "",
            "proxies whose X-Forwarded-For names the client (comma-separated addresses; none by default)",
            "其 X-Forwarded-For 可信的代理（逗号分隔的地址；默认无）"),
    Setting("setup_code", str, None, "the first run's setup code (serve --workers N gives every process the same)",
            "首次运行的设置码（serve --workers N 时各进程相同）", secret=True),
    Setting("score_minutes", float, 5.0, "the server scores what changed this often (minutes; 0: never)",
            "服务器每隔多久对新数据增量评分（分钟；0 为不评分）"),
    Setting("chromium", str, None, "the Chromium that prints PDF reports (default: chromium on the PATH)",
            "打印 PDF 报告所用的 Chromium（默认 PATH 中的 chromium）"),
    Setting("smtp_host", str, "127.0.0.1", "SMTP server of the weekly digest", "周报所用的 SMTP 服务器"),
    Setting("smtp_port", _positive(int), 25, "its port", "其端口"),
    Setting("smtp_user", str, None, "SMTP login (none: no login)", "SMTP 登录名（空则不登录）"),
    Setting("smtp_password", str, None, "SMTP password", "SMTP 密码", secret=True),
    Setting("smtp_starttls", _flag, False, "switch to TLS (STARTTLS) before sending", "发送前切换到 TLS（STARTTLS）"),
    Setting("smtp_from", str, "peakend@localhost", "the digest's sender address", "周报的发件人地址"),
    Setting("max_upload_bytes", _positive(int), 2 * 1024**3,
            "largest file uploaded in the browser or to /api/v1/imports (bytes; 413 above)",
            "浏览器或 /api/v1/imports 上传文件的最大字节数（超出返回 413）"),
    Setting("uploads", str, None, "where uploaded files wait for their ingest (default: a folder in the temp dir)",
            "上传文件等待导入时存放的目录（默认临时目录下的文件夹）"),
    Setting("max_batch", _positive(int), 10_000, "most records in one API batch (413 above)",
            "一次 API 批量的最多记录数（超出 413）"),
    Setting("max_id_chars", _positive(int), 200, "longest id or short text field (ids, staff, ticket, segment…)",
            "标识及短文本字段（编号、员工、票号、客群…）的最大长度"),
    Setting("max_text_chars", _positive(int), 4000, "longest free text (comments, notes, replies, case notes)",
            "自由文本（评论、备注、短信回复、工单说明）的最大长度"),
    Setting("max_form_chars", _positive(int), 1_000_000, "longest form field (the blueprint editor's YAML)",
            "表单字段最大长度（蓝图编辑器的 YAML）"),
    Setting("past_days", _positive(int), 18_262, "oldest accepted event time, in days before now (default 50 years)",
            "可接受的最早事件时间，距今天数（默认 50 年）"),
    Setting("future_days", _positive(int), 400, "latest accepted event time, in days after now",
            "可接受的最晚事件时间，距今后天数"),
    Setting("session_hours", _positive(float), 12.0, "how long a login lasts (hours)", "登录有效时长（小时）"),
    Setting("login_attempts", _positive(int), 5, "failed logins per user name within the window before 429",
            "时间窗内同一用户名失败登录次数上限（超出 429）"),
    Setting("login_attempts_address", _positive(int), 20, "failed logins per client address within the window",
            "时间窗内同一客户端地址失败登录次数上限"),
    Setting("login_window_s", _positive(float), 900.0, "the window of the login limits (s)", "登录限制的时间窗（秒）"),
    Setting("origins", str, "", "other origins allowed to post forms (comma-separated, e.g. behind a proxy)",
            "允许提交表单的其他来源（逗号分隔，例如反向代理之后）"),
    # identity (issue 34): single sign-on by OIDC and LDAP; docs/en/identity.md has worked examples
    Setting("oidc_issuer", str, None, "OIDC issuer URL (its /.well-known/openid-configuration is read; none: no OIDC)",
            "OIDC 签发者地址（读取其 /.well-known/openid-configuration；空则不用 OIDC）"),
    Setting("oidc_client_id", str, None, "this app's OIDC client id", "本应用的 OIDC 客户端 ID"),
    Setting("oidc_client_secret", str, None, "this app's OIDC client secret", "本应用的 OIDC 客户端密钥", secret=True),
    Setting("oidc_scopes", str, "openid email profile", "OIDC scopes asked for (space-separated; with openid)",
            "请求的 OIDC 范围（空格分隔；须含 openid）"),
    Setting("oidc_username_claim", str, "preferred_username", "the claim that names the user here",
            "作为本系统用户名的声明"),
    Setting("oidc_groups_claim", str, "groups", "the claim listing the user's groups (roles and halls map from them)",
            "列出用户所属组的声明（角色与营业厅由组映射）"),
    Setting("oidc_halls_claim", str, None, "a claim listing hall ids directly (only halls this store knows count)",
            "直接列出营业厅编号的声明（只认本存储已知的营业厅）"),
    Setting("oidc_redirect_uri", str, None, "the callback URL the provider knows (default: this server's "
            "/sso/oidc/callback as the request named it)",
            "身份提供方登记的回调地址（默认按请求推出本服务器的 /sso/oidc/callback）"),
    Setting("sso_roles", str, "", "group → role, e.g. `peakend-admins=admin,peakend-managers=manager` (OIDC and "
            "LDAP; the highest role mapped wins; none mapped: refused)",
            "组到角色的对应（OIDC 与 LDAP 共用；取映射到的最高角色；无映射则拒绝），例如 "
            "`peakend-admins=admin,peakend-managers=manager`"),
    Setting("sso_halls", str, "", "group → halls, e.g. `hall-tianhe=天河北厅,hall-north=天河北厅 花都新华厅`",
            "组到营业厅的对应，例如 `hall-tianhe=天河北厅,hall-north=天河北厅 花都新华厅`"),
    Setting("ldap_url", str, None, "LDAP server, ldap://host:389 or ldaps://host:636 (none: no LDAP)",
            "LDAP 服务器，ldap://主机:389 或 ldaps://主机:636（空则不用 LDAP）"),
    Setting("ldap_starttls", _flag, False, "switch an ldap:// connection to TLS (StartTLS) before binding",
            "绑定前把 ldap:// 连接切换为 TLS（StartTLS）"),
    Setting("ldap_ca_file", str, None, "CA certificate file that signs the LDAP server's certificate (TLS)",
            "签发 LDAP 服务器证书的 CA 证书文件（TLS）"),
    Setting("ldap_user_dn", str, None,
            "bind as the user: DN template, e.g. `uid={username},ou=people,dc=example,dc=org`",
            "以用户身份绑定：DN 模板，例如 `uid={username},ou=people,dc=example,dc=org`"),
    Setting("ldap_bind_dn", str, None, "search then bind: the service account's DN", "先搜索后绑定：服务账户的 DN"),
    Setting("ldap_bind_password", str, None, "the service account's password", "服务账户的密码", secret=True),
    Setting("ldap_user_base", str, None, "search then bind: where users are searched", "先搜索后绑定：搜索用户的位置"),
    Setting("ldap_user_filter", str, "(uid={username})", "search then bind: the filter that finds the user",
            "先搜索后绑定：找到用户的过滤器"),
    Setting("ldap_group_base", str, None, "where groups are searched (none: the user's memberOf attribute)",
            "搜索组的位置（空则读用户的 memberOf 属性）"),
    Setting("ldap_group_filter", str, "(|(member={dn})(uniqueMember={dn})(memberUid={username}))",
            "the filter that finds the user's groups (their cn names them)",
            "找到用户所属组的过滤器（以组的 cn 为名）"),
    # integrations (webhooks, chat robots, metrics)
    Setting("webhook_allow_private", _flag, False,
            "let webhooks and robots call loopback, private and link-local addresses (tests, an intranet receiver)",
            "允许 Webhook 与机器人调用回环、私有与链路本地地址（测试或内网接收端）"),
    Setting("webhook_timeout_s", _positive(float), 10.0, "how long a webhook or robot send may take (s)",
            "一次 Webhook 或机器人发送的超时（秒）"),
    Setting("webhook_keep_days", _positive(int), 30,
            "sent and given-up deliveries and their events are removed from the outbox and the delivery log this "
            "many days after their last try (pending ones never)",
            "已送达或已放弃的投递及其事件在最后一次尝试后保留的天数，之后从发件箱与投递日志中删除（待投递的永不删除）"),
    Setting("public_url", str, "http://127.0.0.1:8000", "the server's address as links in robot messages begin",
            "机器人消息中链接所用的服务器地址"),
    Setting("metrics_token", str, None, "bearer token /metrics asks for (none: see metrics_open)",
            "/metrics 所需的 Bearer 令牌（为空时见 metrics_open）", secret=True),
    Setting("metrics_open", _flag, False, "serve /metrics without a token (behind a firewall only)",
            "无需令牌即可访问 /metrics（仅限防火墙之后）"),
    # rosters (forecast, roster)
    Setting("holidays", _dates, "", "holidays the arrival forecast knows (YYYY-MM-DD, comma-separated)",
            "到访预测所知的节假日（YYYY-MM-DD，逗号分隔）"),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}




def get(name: str) -> Any:
    """The value of setting `name` now: its environment variable read as its type, else its default."""
    s = BY_NAME[name]
    raw = os.environ.get(s.env)
    if raw is None or raw == "":
        return s.default
    try:
        return s.read(raw)
    except (TypeError, ValueError) as exc:
        raise SettingError(env=s.env, raw=raw, kind=getattr(s.read, "__name__", "value"), why=exc) from None


def in_force() -> list[tuple[Setting, str, bool]]:
    """Each setting with its value as shown (secrets hidden) and whether it was set in the environment."""
    out = []
    for s in SETTINGS:
        given = bool(os.environ.get(s.env))
        value = get(s.name)
        shown = ("***" if value else "") if s.secret else ("" if value is None else str(value))
        out.append((s, shown, given))
    return out
