"""The live loop as use cases (`ws.cases`): case inboxes, a case and its trail, changes to a case (comment,
reassign, resolve), the live worker's backlog and parked visits, and customers' SMS replies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from peakend.ingest.privacy import key_text
from peakend.ingest.validate import time_window
from peakend.live import cases, pending
from peakend.live.sms import ReplyResult, handle_reply

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

ACTIONS = ("comment", "reassign", "resolve")


class Cases:
    """The cases, alerts and SMS replies of a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def inbox(self, owner: str | None = None, halls: list[str] | None = None,
              status: str | None = "open") -> pd.DataFrame:
        """Cases by deadline: of `owner` (staff's own), of `halls` (None: all), of `status` (None: every one)."""
        return cases.inbox(self.ws.store, owner=owner, halls=halls, status=status)

    def get(self, case_id: str) -> dict[str, Any]:
        """One case (CaseNotFound, 404)."""
        return dict(cases.get(self.ws.store, case_id))

    def trail(self, case_id: str) -> pd.DataFrame:
        """Every change made to a case."""
        return cases.trail(self.ws.store, case_id)

    def change(self, action: str, case_id: str, who: str, text: str) -> None:
        """Comment on, reassign (text: the new owner) or resolve (text: the note) a case now; a refused change is
        a CaseError with its status."""
        {"comment": cases.comment, "reassign": cases.reassign, "resolve": cases.resolve}[action](
            self.ws.store, case_id, who, text, self.ws.clock())
        self.ws.webhooks.wake.set()  # a resolved case's `case.closed` event: delivered now, not at the next poll
        if action == "reassign":  # who now handles a customer's case: in the activity log (a phone as its key)
            self.ws.activity.record(who, "case_reassigned", case_id, {"to": key_text(self.ws.store, text) or text})

    def backlog(self) -> dict[str, int]:
        """Visits waiting for the live rules, and visits parked because their rules failed."""
        store = self.ws.store
        return {"pending": pending.pending(store), "parked": int(store.scalar("SELECT count(*) FROM live_parked"))}

    def parked(self) -> pd.DataFrame:
        """Visits the live worker set aside, with why."""
        return pending.parked(self.ws.store)

    @staticmethod
    def reply_window() -> tuple[datetime, datetime]:
        """The times a reply may carry (settings `past_days`, `future_days`)."""
        return time_window()

    def sms_reply(self, sender: str, text: str, at: datetime | None, halls: list[str] | None) -> ReplyResult:
        """Record a customer's SMS reply (at `at`, default now): a survey answer to a visit of `halls` (None: any
        hall) or an opt-out."""
        result = handle_reply(self.ws.store, self.ws.blueprint, sender, text, at or self.ws.clock(), halls)
        self.ws.webhooks.wake.set()  # a negative answer's `survey.negative` event: delivered now
        return result
