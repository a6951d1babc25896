"""SMS surveys: gateways that send them, and replies parsed into survey answers or opt-outs.

Surveys are addressed by customer key (a phone's keyed hash, see ingest/privacy.py): the
operator's SMS platform, which knows its subscribers, resolves it. The default gateway
appends each message to a JSON Lines file; `HttpGateway` posts it to a provider's URL.
Message ids are the visit ids, so a provider can drop a message sent twice after a crash.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.ingest.pipeline import ingest_records
from peakend.ingest.privacy import customer_key, mask_phones_in
from peakend.ingest.validate import Context
from peakend.live.outbox import emit
from peakend.store.db import Store

FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
OPT_OUT_WORDS = {"td", "t", "退订", "退定", "unsubscribe", "stop", "qx", "取消"}
CHINESE_SCORES = {"十": 10, "九": 9, "八": 8, "七": 7, "六": 6, "五": 5, "四": 4, "三": 3, "二": 2, "两": 2, "一": 1}
SCORE = re.compile(
    r"^\s*(10|[1-9]|十|九|八|七|六|五|四|三|二|两|一)\s*(?:分|points?|/\s*10)?(?![0-9])[\s,，。.!！:：;；-]*(.*)$",
    re.DOTALL | re.IGNORECASE,
)


@dataclass(frozen=True)
class SmsMessage:
    """One survey message to one customer."""

    message_id: str
    customer_key: str
    hall_id: str
    text: str


class Gateway(Protocol):
    """Sends SMS messages; raises on failure (the send is then retried at the next tick)."""

    def send(self, message: SmsMessage) -> None:
        """Send one message."""


class FileGateway:
    """Appends each message as a JSON line to a file (the default, and for tests)."""

    def __init__(self, path: Path):
        self.path = path

    def send(self, message: SmsMessage) -> None:
        """Append the message to the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")


class HttpGateway:
    """Posts each message as JSON to a provider's URL, with an optional bearer token."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10):
        self.url, self.timeout = url, timeout
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def send(self, message: SmsMessage) -> None:
        """POST the message; a non-2xx answer raises."""
        httpx.post(self.url, json=asdict(message), headers=self.headers, timeout=self.timeout).raise_for_status()


def gateway_from(spec: str | None, default: Path) -> Gateway:
    """A gateway from a spec: an http(s):// URL (bearer token from env PEAKEND_SMS_TOKEN), `file:PATH`,
    or None for a file at `default`."""
    if spec and spec.startswith(("http://", "https://")):
        return HttpGateway(spec, settings.get("sms_token"))
    if spec and spec.startswith("file:"):
        return FileGateway(Path(spec[5:]))
    return FileGateway(default)


@dataclass(frozen=True)
class Reply:
    """What a customer's SMS reply says: an opt-out, a 1–10 score, free text."""

    opt_out: bool
    score: int | None
    comment: str | None


NEGATIVE_REPLY = 6  # an SMS reply scoring 1–6 of 10 (a detractor) is a negative reply: an event (`live.outbox`)


def parse_reply(text: str) -> Reply:
    """Read a reply: "TD"/"退订" opts out; a leading 1–10 (also 十, "8分", "９") is the score; the rest is comment."""
    clean = (text or "").translate(FULLWIDTH_DIGITS).strip()
    if clean.lower().rstrip("。.!！") in OPT_OUT_WORDS:
        return Reply(True, None, None)
    m = SCORE.match(clean)
    if m:
        raw = m.group(1)
        score = CHINESE_SCORES.get(raw) or int(raw)
        return Reply(False, score, m.group(2).strip() or None)
    return Reply(False, None, clean or None)


@dataclass(frozen=True)
class ReplyResult:
    """What handling a reply did: opted_out | answered | unmatched, and the visit it answered."""

    status: str
    visit_id: str | None = None


def handle_reply(store: Store, bp: Blueprint, sender: str, text: str, at: datetime,
                 halls: list[str] | None = None) -> ReplyResult:
    """Record a reply from `sender` (a phone or customer key): an opt-out, or the answer to their last survey
    sent (to a visit of `halls`; None: any hall)."""
    key = customer_key(store, sender) or sender
    reply = parse_reply(text)
    if reply.opt_out:
        with store.transaction():
            store.execute("INSERT INTO sms_optouts (customer_key, opted_out_at, via) VALUES (?, ?, 'sms') "
                          "ON CONFLICT DO NOTHING", [key, at])
            store.execute("UPDATE sms_surveys SET status = 'skipped_optout' WHERE customer_key = ? "
                          "AND status = 'scheduled'", [key])
        return ReplyResult("opted_out")
    scope = "" if halls is None else " AND hall_id IN (SELECT unnest(?::VARCHAR[]))"
    found = store.rows(
        "SELECT visit_id FROM sms_surveys WHERE customer_key = ? AND status IN ('sent', 'answered') AND sent_at <= ?"
        f"{scope} ORDER BY sent_at DESC LIMIT 1", [key, at] + ([] if halls is None else [halls]))
    if not found:
        return ReplyResult("unmatched")
    visit_id = str(found[0][0])
    record: dict[str, object] = {"survey_id": f"sms:{visit_id}", "visit_id": visit_id, "answered_at": at,
                                 "overall": reply.score, "overall_scale": "1-10" if reply.score else None,
                                 "comment": mask_phones_in(reply.comment), "source": "sms"}
    ingest_records(store, [{k: v for k, v in record.items() if v is not None}], "survey", Context(bp), "sms")
    with store.transaction():
        store.execute("UPDATE sms_surveys SET status = 'answered', reply = ?, replied_at = ? WHERE visit_id = ?",
                      [mask_phones_in(text), at, visit_id])
        if reply.score is not None and reply.score <= NEGATIVE_REPLY:
            hall = store.scalar("SELECT hall_id FROM sms_surveys WHERE visit_id = ?", [visit_id])
            emit(store, "survey.negative", visit_id, None if hall is None else str(hall), at, {
                "visit_id": visit_id, "hall_id": hall, "score": reply.score, "scale": "1-10",
                "comment": record["comment"], "link": f"/halls/{hall}"})
    return ReplyResult("answered", visit_id)
