"""Chat robots as channels: local fake WeCom, DingTalk and Feishu robots check each message as the vendors document
it — the signature computed here independently (DingTalk: urlencode(base64(HMAC-SHA256(secret, ts + "\\n" +
secret))) in the query, ms; Feishu: base64(HMAC-SHA256 keyed by ts + "\\n" + secret, of nothing) in the body, s),
the message type and its fields, WeCom's 4096-byte markdown and 2048-byte text, and the 20 messages a minute a
robot takes (answered 45009 / 130101 past it, as the vendors do).

The events are the recorded day's (test_webhooks.py): three alerts and two overdue cases in 天河北厅.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from peakend.live.outbox import emit
from peakend.service import Workspace
from tests.receivers import Got, receiver
from tests.test_webhooks import T0, A, _close_days, _day, _fresh  # noqa: F401  (the module's day, closed at its end)

SECRET = "SEC0123456789abcdef"
OK = 200, {}, json.dumps({"errcode": 0, "errmsg": "ok"}).encode()


def _answer(code: int, message: str, key: str = "errcode") -> tuple[int, dict[str, str], bytes]:
    return 200, {}, json.dumps({key: code, "errmsg" if key == "errcode" else "msg": message}).encode()


class Robot:
    """A fake robot: it checks each message, keeps what it accepted, and refuses past 20 messages in 60 s of
    `clock` (the time the sender lives in)."""

    def __init__(self, clock: Callable[[], datetime], check: Callable[[Got], str | None], rate: int = 20,
                 too_fast: int = 45009, key: str = "errcode"):
        self.clock, self.check, self.rate, self.too_fast, self.key = clock, check, rate, too_fast, key
        self.accepted: list[dict] = []
        self.problems: list[str] = []
        self.times: list[datetime] = []

    def __call__(self, got: Got) -> tuple[int, dict[str, str], bytes]:
        now = self.clock()
        if len([t for t in self.times if t > now - timedelta(seconds=60)]) >= self.rate:
            self.problems.append("rate")
            return _answer(self.too_fast, "too many messages", self.key)
        problem = self.check(got)
        if problem:
            self.problems.append(problem)
            return _answer(310000, problem, self.key)
        self.times.append(now)
        self.accepted.append(json.loads(got.body))
        return _answer(0, "ok", self.key)


def wecom_check(got: Got) -> str | None:
    body = json.loads(got.body)
    if "key=" not in got.path:
        return "no key"
    if body.get("msgtype") == "markdown":
        if set(body["markdown"]) != {"content"} or len(body["markdown"]["content"].encode()) > 4096:
            return "markdown content missing or over 4096 bytes"
        return None
    if body.get("msgtype") == "text":
        text = body["text"]
        if len(text["content"].encode()) > 2048 or not all(m.isdigit() for m in text.get("mentioned_mobile_list", [])):
            return "text over 2048 bytes or a mobile that is not one"
        return None
    return "unknown msgtype"


def dingtalk_check(got: Got) -> str | None:
    query = parse_qs(urlsplit(got.path).query)
    ts, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
    want = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()).decode()
    if not ts or sign != want:  # parse_qs undid the urlencoding
        return "sign mismatch"
    if abs(int(ts) / 1000 - datetime.now().timestamp()) > 3600:
        return "timestamp over an hour off"
    body = json.loads(got.body)
    if body.get("msgtype") != "markdown" or not body["markdown"].get("title") or not body["markdown"].get("text"):
        return "markdown needs title and text"
    if any(f"@{m}" not in body["markdown"]["text"] for m in body.get("at", {}).get("atMobiles", [])):
        return "an atMobiles number not @-named in the text"
    return None


def feishu_check(got: Got) -> str | None:
    body = json.loads(got.body)
    ts = body.get("timestamp", "")
    want = base64.b64encode(hmac.new(f"{ts}\n{SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
    if body.get("sign") != want:
        return "sign match fail"
    if abs(int(ts) - datetime.now().timestamp()) > 3600:
        return "timestamp is not within one hour"
    post = body.get("content", {}).get("post", {})
    if body.get("msg_type") != "post" or len(post) != 1 or not set(post) <= {"zh_cn", "en_us"}:
        return "post needs one language"
    [lang] = post.values()
    rows = lang["content"]
    if not lang.get("title") or not all(isinstance(r, list) and all(x["tag"] in ("text", "a") for x in r)
                                         for r in rows):
        return "post content must be rows of text and a tags"
    return None


@pytest.fixture
def ws(bp, tmp_path, monkeypatch) -> Workspace:
    monkeypatch.setenv("PEAKEND_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("PEAKEND_PUBLIC_URL", "https://peakend.example.cn")
    w = _fresh(_day("duckdb", bp, tmp_path))
    w.store.execute("DELETE FROM robot_sends")
    return w


EVENTS = ["alert.raised", "case.overdue"]


def test_a_wecom_robot_gets_markdown_and_the_on_duty_staff_mentioned(ws):
    robot = Robot(ws.webhooks.now, wecom_check)
    with receiver("/cgi-bin/webhook/send?key=abc") as rcv:
        rcv.answer = robot
        ws.webhooks.add("wecom", rcv.url, EVENTS, [A], "admin", lang="zh", mention=["13800001111"])
        assert ws.webhooks.pump() == 5
    assert robot.problems == []
    [md, text] = robot.accepted  # five events in one batch, then the mention
    content = md["markdown"]["content"]
    assert content.count("### ") == 5 and "补救提醒" in content and "工单已超时" in content
    assert "峰值 -1.00，终值 -1.00" in content  # V2-3 and V3's peak and end
    assert "https://peakend.example.cn/cases/V3" in content
    assert text["text"]["mentioned_mobile_list"] == ["13800001111"]
    assert {r["state"] for r in ws.webhooks.log()} == {"sent"}


def test_a_dingtalk_robot_gets_a_signed_markdown_with_at_mobiles_in_english(ws):
    robot = Robot(ws.webhooks.now, dingtalk_check, too_fast=130101)
    with receiver("/robot/send?access_token=tok") as rcv:
        rcv.answer = robot
        ws.webhooks.add("dingtalk", rcv.url, EVENTS, [A], "admin", lang="en", secret=SECRET,
                        mention=["13800002222"])
        assert ws.webhooks.pump() == 5
    assert robot.problems == []
    [msg] = robot.accepted
    assert msg["at"] == {"atMobiles": ["13800002222"], "isAtAll": False}
    assert "Recovery alert" in msg["markdown"]["text"] and "Case overdue" in msg["markdown"]["text"]
    assert "peak -1.00, end -1.00" in msg["markdown"]["text"]


def test_a_wrong_secret_is_refused_by_the_robot_and_retried(ws):
    robot = Robot(ws.webhooks.now, dingtalk_check, too_fast=130101)
    with receiver("/robot/send?access_token=tok") as rcv:
        rcv.answer = robot
        ws.webhooks.add("dingtalk", rcv.url, EVENTS, [A], "admin", secret="SECwrong")
        ws.webhooks.pump()
    assert robot.problems == ["sign mismatch"] and robot.accepted == []
    assert {(r["state"], r["last_error"]) for r in ws.webhooks.log()} == {("pending", "310000 sign mismatch")}


def test_a_feishu_robot_gets_a_signed_post_with_a_link_to_the_case(ws):
    robot = Robot(ws.webhooks.now, feishu_check, rate=100, too_fast=9499, key="code")
    with receiver("/open-apis/bot/v2/hook/xyz") as rcv:
        rcv.answer = robot
        ws.webhooks.add("feishu", rcv.url, ["case.overdue"], [A], "admin", lang="zh", secret=SECRET)
        assert ws.webhooks.pump() == 2
    assert robot.problems == []
    [msg] = robot.accepted
    rows = msg["content"]["post"]["zh_cn"]["content"]
    links = [x["href"] for row in rows for x in row if x["tag"] == "a"]
    assert sorted(links) == ["https://peakend.example.cn/cases/V2", "https://peakend.example.cn/cases/V3"]


def test_a_burst_is_batched_and_kept_to_20_messages_a_minute(ws):
    hooks = ws.webhooks
    with ws.store.transaction():
        for i in range(300):  # a burst of alerts: 300 + the day's 3 = 31 batches of at most 10, 62 messages
            emit(ws.store, "alert.raised", f"burst-{i}", A, T0, {"alert_id": f"burst-{i}", "hall_id": A,
                                                                   "message_zh": f"第 {i} 条", "link": f"/halls/{A}"})
    clock = {"now": T0}
    hooks.now = lambda: clock["now"]
    robot = Robot(hooks.now, wecom_check)
    with receiver("/cgi-bin/webhook/send?key=abc") as rcv:
        rcv.answer = robot
        hooks.add("wecom", rcv.url, ["alert.raised"], [A], "admin", mention=["13800001111"])
        for second in range(0, 240, 7):  # the loop runs every few seconds for four minutes
            clock["now"] = T0 + timedelta(seconds=second)
            while hooks.pump():
                pass
    assert robot.problems == []  # never past the rate
    assert len(robot.accepted) == 62  # everything went out, in batches
    told = sum(m["markdown"]["content"].count("### ") for m in robot.accepted if m["msgtype"] == "markdown")
    assert told == 303
    assert {r["state"] for r in hooks.log(limit=1000)} == {"sent"}
    ws.store.execute("DELETE FROM outbox WHERE event_id IN (SELECT event_id FROM outbox WHERE payload LIKE '%burst-%')")
