"""Customers' rights over their data (China's PIPL, like the GDPR) (`ws.rights`): one customer's data exported on
request, or erased — their key, comments, SMS replies and the notes of their cases removed or anonymised, while
scores and aggregates stay — and personal fields kept no longer than the retention settings say.

A customer is named by their phone number (hashed as ingest hashes it) or by their customer key. An erasure is
logged in the activity log with how many visits it touched, never with the phone or the key.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peakend import settings
from peakend.ingest.privacy import customer_key

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

ERASED = "[erased]"


@dataclass(frozen=True)
class Erased:
    """What an erasure changed: visits anonymised, comments, SMS replies and case notes removed."""

    visits: int
    comments: int
    replies: int
    notes: int


class Rights:
    """Data-subject requests and retention on a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def key_of(self, phone_or_key: str) -> str:
        """The stored key of a customer named by phone (hashed as ingest does) or by key."""
        return customer_key(self.ws.store, phone_or_key.strip()) or phone_or_key.strip()

    def _visits(self, key: str) -> list[str]:
        return [str(r[0]) for r in self.ws.store.rows("SELECT visit_id FROM visits WHERE customer_key = ?", [key])]

    def export(self, phone_or_key: str) -> dict[str, Any]:
        """Everything the store holds about one customer: their visits with touches, surveys, SMS and cases."""
        store, key = self.ws.store, self.key_of(phone_or_key)
        visits = self._visits(key)
        marks = ", ".join("?" * len(visits)) or "NULL"

        def rows(sql: str) -> list[dict[str, Any]]:
            return store.query(sql.format(marks), visits).to_dict("records")

        return {"customer_key": key,
                "visits": rows("SELECT * FROM visits WHERE visit_id IN ({})"),
                "touches": rows("SELECT * FROM touches WHERE visit_id IN ({})"),
                "surveys": rows("SELECT * FROM surveys WHERE visit_id IN ({})"),
                "sms": rows("SELECT visit_id, triggered_at, sent_at, status, reply, replied_at FROM sms_surveys "
                            "WHERE visit_id IN ({})"),
                "cases": rows("SELECT * FROM cases WHERE visit_id IN ({})"),
                "case_events": rows("SELECT * FROM case_events WHERE case_id IN (SELECT case_id FROM cases "
                                    "WHERE visit_id IN ({}))")}

    def export_file(self, phone_or_key: str, out: Path, who: str) -> int:
        """Write everything held about one customer to `out` as JSON, logged as an export by `who`; their visits."""
        found = self.export(phone_or_key)
        self.ws.activity.record(who, "customer_export", None, {"visits": len(found["visits"])})
        out.write_text(json.dumps(found, ensure_ascii=False, indent=1, default=str), "utf-8")
        return len(found["visits"])

    def forget(self, phone_or_key: str, who: str, address: str | None = None) -> Erased:
        """Erase one customer: their key replaced by a random one (their visits no longer join), their comments,
        SMS replies and case notes removed; scores and figures stay. Logged without the phone or the key."""
        store, key = self.ws.store, self.key_of(phone_or_key)
        visits = self._visits(key)
        marks = ", ".join("?" * len(visits)) or "NULL"
        with store.transaction():
            comments = store.execute(f"UPDATE surveys SET comment = NULL WHERE comment IS NOT NULL AND visit_id IN "
                                     f"({marks})", visits)
            replies = store.execute(f"UPDATE sms_surveys SET reply = NULL, customer_key = ? WHERE visit_id IN "
                                    f"({marks}) OR customer_key = ?", [ERASED, *visits, key])
            notes = store.execute(f"UPDATE case_events SET detail = ? WHERE action IN ('comment', 'resolve') AND "
                                  f"case_id IN (SELECT case_id FROM cases WHERE visit_id IN ({marks}))",
                                  [ERASED, *visits])
            store.execute(f"UPDATE cases SET resolution = ? WHERE resolution IS NOT NULL AND visit_id IN ({marks})",
                          [ERASED, *visits])
            store.execute("UPDATE visits SET customer_key = ?, customer_mask = NULL WHERE customer_key = ?",
                          ["forgotten:" + secrets.token_hex(8), key])
        done = Erased(len(visits), comments, replies, notes)
        self.ws.activity.record(who, "erasure", None, {"visits": done.visits, "comments": done.comments,
                                                       "replies": done.replies, "notes": done.notes}, address)
        return done

    def apply_retention(self, now: datetime | None = None) -> dict[str, int]:
        """Remove personal fields older than their retention setting (0: kept): comments, customer keys, SMS
        replies. How many of each were removed."""
        now, store, done = now or datetime.now(), self.ws.store, {}
        for name, sql in (("comments", "UPDATE surveys SET comment = NULL WHERE comment IS NOT NULL AND "
                                       "answered_at < ?"),
                          ("customer_keys", "UPDATE visits SET customer_key = NULL, customer_mask = NULL WHERE "
                                            "customer_key IS NOT NULL AND arrival < ?"),
                          ("sms_replies", "UPDATE sms_surveys SET reply = NULL WHERE reply IS NOT NULL AND "
                                          "replied_at < ?")):
            days = settings.get(f"keep_{name}_days")
            done[name] = store.execute(sql, [now - timedelta(days=days)]) if days > 0 else 0
        if any(done.values()):
            self.ws.activity.record("retention", "retention", None, done)
        return done
