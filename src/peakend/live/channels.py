"""What is sent to each kind of endpoint, and how it is signed: a Standard Webhooks request (`webhook`), or a chat
robot's message (`wecom` 企业微信群机器人, `dingtalk` 钉钉自定义机器人, `feishu` 飞书自定义机器人) telling a batch
of events in the endpoint's language.

- webhook: the event's JSON as stored, with `webhook-id` (the event id), `webhook-timestamp` (Unix seconds) and
  `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the `whsec_` secret), signed by the
  `standardwebhooks` package.
- wecom: a `markdown` message (content ≤ 4096 bytes); the on-duty staff are mentioned by a short `text` message
  with `mentioned_mobile_list` (WeCom's markdown cannot mention by phone).
- dingtalk: a `markdown` message with `at.atMobiles` (and `@phone` in its text, which DingTalk needs to show the
  mention); signed by `timestamp` (ms) and `sign` = urlencode(base64(HMAC-SHA256(secret, timestamp + "\\n" +
  secret))) in the query.
- feishu: a `post` message signed in its body: `timestamp` (s) and `sign` = base64(HMAC-SHA256 keyed by
  timestamp + "\\n" + secret, of nothing).
Each robot allows about 20 messages a minute (Feishu 100): `RATE` is what a sender keeps to, by batching.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from standardwebhooks import Webhook

from peakend.i18n import Lang, say

CHANNELS = ("webhook", "wecom", "dingtalk", "feishu")
ROBOTS = ("wecom", "dingtalk", "feishu")
RATE = {"wecom": 20, "dingtalk": 20, "feishu": 100}  # messages a robot takes per minute
LIMIT_BYTES = {"wecom": 4096, "dingtalk": 18_000, "feishu": 18_000}  # the message text, at most
WECOM_TEXT_BYTES = 2048
BATCH = 10  # events told in one robot message at most
RATE_CODES = {"wecom": {45009}, "dingtalk": {130101, 410100}, "feishu": {9499, 11232}}  # "too fast" answers


@dataclass(frozen=True)
class Endpoint:
    """Where events go: a channel, its URL and secret, its language and whom a robot mentions."""

    endpoint_id: str
    channel: str
    url: str
    secret: str | None
    lang: Lang
    mention: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """One HTTP POST to make."""

    url: str
    headers: dict[str, str]
    body: bytes


def new_secret() -> str:
    """A fresh Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signed_webhook(ep: Endpoint, event_id: str, body: str, epoch: float) -> Request:
    """A Standard Webhooks request of one event."""
    if not ep.secret:
        raise ValueError(f"webhook {ep.endpoint_id} has no signing secret: never sent unsigned")
    stamp = datetime.fromtimestamp(int(epoch), UTC)
    signature = Webhook(ep.secret).sign(event_id, stamp, body)
    return Request(ep.url, {"webhook-id": event_id, "webhook-timestamp": str(int(epoch)),
                            "webhook-signature": signature, "User-Agent": "peakend-webhooks"}, body.encode())


def dingtalk_sign(secret: str, millis: int) -> str:
    """DingTalk's `sign`: urlencode(base64(HMAC-SHA256(secret, millis + "\\n" + secret)))."""
    digest = hmac.new(secret.encode(), f"{millis}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, seconds: int) -> str:
    """Feishu's `sign`: base64(HMAC-SHA256 keyed by seconds + "\\n" + secret, of an empty message)."""
    return base64.b64encode(hmac.new(f"{seconds}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def _num(value: Any) -> str:
    return "–" if value is None else f"{float(value):+.2f}"


def block(event: dict[str, Any], lang: Lang, base_url: str, hall_name: str) -> tuple[str, list[str], str]:
    """One event told to people: a title, its lines, and the link to act on it."""
    kind, d = str(event.get("type")), event.get("data", {})
    title = say(f"hook_title_{kind.replace('.', '_')}", lang, hall=hall_name)
    lines = []
    if d.get(f"message_{lang}"):
        lines.append(str(d[f"message_{lang}"]))
    elif d.get("case_id"):
        lines.append(say("hook_case_line", lang, case=d["case_id"], kind=d.get("kind", ""),
                         deadline=str(d.get("deadline") or "")[:16]))
    if d.get("score") is not None:
        lines.append(say("hook_score_line", lang, score=d["score"], comment=d.get("comment") or ""))
    if d.get("peak") is not None or d.get("end") is not None:
        lines.append(say("hook_peak_end", lang, peak=_num(d.get("peak")), end=_num(d.get("end"))))
    if d.get(f"moment_{lang}"):
        lines.append(say("hook_guideline", lang, moment=d[f"moment_{lang}"], guideline=d.get(f"guideline_{lang}", "")))
    if d.get("state"):
        lines.append(say("hook_state", lang, state=d["state"]))
    return title, lines, base_url.rstrip("/") + str(d.get("link") or "/")


def _cut(text: str, most: int) -> str:
    """`text` cut to at most `most` UTF-8 bytes."""
    raw = text.encode()
    return text if len(raw) <= most else raw[:most - 3].decode(errors="ignore") + "…"


def markdown(blocks: list[tuple[str, list[str], str]], lang: Lang, most: int, mention: tuple[str, ...] = ()) -> str:
    """The blocks as one markdown text of at most `most` bytes (later blocks dropped, with a count, if needed)."""
    open_word = say("hook_open", lang)
    parts = [f"### {t}\n" + "".join(f"> {x}\n" for x in lines) + f"[{open_word}]({link})\n"
             for t, lines, link in blocks]
    tail = ("\n" + " ".join(f"@{m}" for m in mention)) if mention else ""
    text = ""
    for i, part in enumerate(parts):
        more = say("hook_more", lang, count=len(parts) - i) if i + 1 < len(parts) else ""
        if len((text + part + more + tail).encode()) > most:
            return _cut(text + say("hook_more", lang, count=len(parts) - i) + tail, most)
        text += part
    return _cut(text + tail, most)


def robot_requests(ep: Endpoint, blocks: list[tuple[str, list[str], str]], epoch: float) -> list[Request]:
    """The robot messages telling `blocks` (a batch of events), signed as the robot's vendor documents."""
    lang, json_header = ep.lang, {"User-Agent": "peakend-robots"}
    title = blocks[0][0] if len(blocks) == 1 else say("hook_batch_title", lang, count=len(blocks))
    if ep.channel == "wecom":
        out = [_json(ep.url, {"msgtype": "markdown",
                              "markdown": {"content": markdown(blocks, lang, LIMIT_BYTES["wecom"])}})]
        if ep.mention:
            text = _cut(say("hook_mention", lang, count=len(blocks), title=title), WECOM_TEXT_BYTES)
            out.append(_json(ep.url, {"msgtype": "text",
                                      "text": {"content": text, "mentioned_mobile_list": list(ep.mention)}}))
        return out
    if ep.channel == "dingtalk":
        url = ep.url
        if ep.secret:
            millis = int(epoch * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={millis}&sign={dingtalk_sign(ep.secret, millis)}"
        ding = {"msgtype": "markdown",
                "markdown": {"title": title, "text": markdown(blocks, lang, LIMIT_BYTES["dingtalk"], ep.mention)},
                "at": {"atMobiles": list(ep.mention), "isAtAll": False}}
        return [_json(url, ding, json_header)]
    if ep.channel == "feishu":
        rows: list[list[dict[str, str]]] = []
        for t, lines, link in blocks:
            rows.append([{"tag": "text", "text": f"【{t}】"}])
            rows += [[{"tag": "text", "text": x}] for x in lines]
            rows.append([{"tag": "a", "text": say("hook_open", lang), "href": link}])
        post = {"zh_cn" if lang == "zh" else "en_us": {"title": title, "content": rows}}
        body: dict[str, Any] = {"msg_type": "post", "content": {"post": post}}
        if ep.secret:
            seconds = int(epoch)
            body = {"timestamp": str(seconds), "sign": feishu_sign(ep.secret, seconds), **body}
        return [_json(ep.url, body, json_header)]
    raise ValueError(f"not a robot channel: {ep.channel}")


def _json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Request:
    return Request(url, headers or {"User-Agent": "peakend-robots"},
                   json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def robot_answer(channel: str, body: bytes) -> tuple[bool, bool, str]:
    """What a robot's 200 answer says: (accepted, too fast, its error text)."""
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return False, False, body[:200].decode(errors="replace")
    if not isinstance(answer, dict):
        return False, False, str(answer)[:200]
    said = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    try:
        code = int(str(said))
    except (TypeError, ValueError):
        code = -1
    message = str(answer.get("errmsg", answer.get("msg", answer.get("StatusMessage", ""))))[:200]
    return code == 0, code in RATE_CODES.get(channel, set()), f"{code} {message}".strip()
