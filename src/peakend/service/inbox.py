"""The frontline inbox (`ws.inbox`): a hall's recovery alerts of the last hours and its open cases, newest first,
and an alert claimed by the staff member who goes to the customer (once: the first claim wins)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from peakend.errors import BadOption

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

ALERT_HOURS = 12  # alerts older than this are no longer the floor's
MOST = 200


class Inbox:
    """Open alerts and cases of the halls a person works in."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def _scope(self, halls: set[str] | None) -> tuple[str, list[Any]]:
        if halls is None:
            return "", []
        return " AND hall_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(halls)]

    def alerts(self, halls: set[str] | None, now: datetime | None = None) -> list[dict[str, Any]]:
        """Alerts of `halls` (None: every hall) fired in the last ALERT_HOURS, newest first."""
        where, params = self._scope(halls)
        since = (now or datetime.now()) - timedelta(hours=ALERT_HOURS)
        cols, rows = self.ws.store.fetch(
            "SELECT alert_id, hall_id, ticket, kind, moment_id, message_zh, message_en, fired_at, claimed_by, "
            f"claimed_at FROM alerts WHERE fired_at >= ?{where} ORDER BY fired_at DESC, alert_id LIMIT ?",
            [since, *params, MOST])
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def cases(self, halls: set[str] | None) -> list[dict[str, Any]]:
        """Open cases of `halls`, newest first."""
        where, params = self._scope(halls)
        cols, rows = self.ws.store.fetch(
            f"SELECT case_id, hall_id, kind, owner, opened_at, deadline FROM cases WHERE status = 'open'{where} "
            "ORDER BY opened_at DESC, case_id LIMIT ?", [*params, MOST])
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def claim(self, alert_id: str, who: str, halls: set[str] | None) -> bool:
        """Claim an alert of `halls` for `who`; False if someone else had (BadOption if unknown or not theirs)."""
        where, params = self._scope(halls)
        if not self.ws.store.rows(f"SELECT 1 FROM alerts WHERE alert_id = ?{where}", [alert_id, *params]):
            raise BadOption("hook_no_alert", value=alert_id[:120])
        return bool(self.ws.store.execute(
            "UPDATE alerts SET claimed_by = ?, claimed_at = ? WHERE alert_id = ? AND claimed_by IS NULL",
            [who, datetime.now(), alert_id]))
