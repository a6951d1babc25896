"""The frontline inbox (`ws.inbox`): a hall's recovery alerts of the last hours and its open cases, newest first,
and what the floor does with an alert — claim it (the first claim wins), hand it to a colleague of its hall, mark
it handled — each timed (who, when), scoped to the actor's halls and written to the activity log. `pulse` is the
small query the inbox's live stream asks every second: it changes whenever an alert or case appears or changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from peakend.errors import BadOption

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

ALERT_HOURS = 12  # alerts older than this are no longer the floor's
MOST = 200
COLLEAGUE_ROLES = ("staff", "manager")  # who an alert may be handed to: the hall's staff and managers
ALERT_COLUMNS = ("alert_id, hall_id, ticket, kind, moment_id, message_zh, message_en, fired_at, claimed_by, "
                 "claimed_at, handled_by, handled_at, handed_by, handed_at")


class Inbox:
    """Open alerts and cases of the halls a person works in, and the actions on an alert."""

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
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE fired_at >= ?{where} ORDER BY fired_at DESC, alert_id LIMIT ?",
            [since, *params, MOST])
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def cases(self, halls: set[str] | None) -> list[dict[str, Any]]:
        """Open cases of `halls`, newest first."""
        where, params = self._scope(halls)
        cols, rows = self.ws.store.fetch(
            f"SELECT case_id, hall_id, kind, owner, opened_at, deadline FROM cases WHERE status = 'open'{where} "
            "ORDER BY opened_at DESC, case_id LIMIT ?", [*params, MOST])
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def pulse(self, halls: set[str] | None, now: datetime | None = None) -> tuple[Any, ...]:
        """What changes when an alert or open case of `halls` appears, goes or changes (counts and latest times):
        one small query, asked by the live stream every second."""
        where, params = self._scope(halls)
        since = (now or datetime.now()) - timedelta(hours=ALERT_HOURS)
        return tuple(self.ws.store.rows(
            f"SELECT * FROM (SELECT count(*), max(fired_at), max(changed_at) FROM alerts WHERE fired_at >= ?{where}) a"
            f", (SELECT count(*), max(opened_at) FROM cases WHERE status = 'open'{where}) c"
            f", (SELECT max(happened_at) FROM case_events WHERE case_id IN (SELECT case_id FROM cases "
            f"WHERE status = 'open'{where})) e", [since, *params, *params, *params])[0])

    def colleagues(self, halls: set[str]) -> dict[str, list[str]]:
        """Hall id → the user names of its staff and managers (not disabled), sorted: who an alert may go to."""
        rows = self.ws.store.rows("SELECT username, halls FROM users WHERE role IN ('staff', 'manager') "
                                  "AND NOT coalesce(disabled, FALSE) ORDER BY username")
        found: dict[str, list[str]] = {h: [] for h in halls}
        for name, theirs in rows:
            for h in set((theirs or "").split(",")) & halls:
                found[h].append(str(name))
        return found

    def _alert_hall(self, alert_id: str, halls: set[str] | None) -> str:
        """The hall of alert `alert_id` if it is one of `halls` (BadOption if unknown or not theirs)."""
        where, params = self._scope(halls)
        found = self.ws.store.rows(f"SELECT hall_id FROM alerts WHERE alert_id = ?{where}", [alert_id, *params])
        if not found:
            raise BadOption("hook_no_alert", value=alert_id[:120])
        return str(found[0][0])

    def _did(self, who: str, action: str, alert_id: str, hall: str, address: str | None,
             changed: int, **detail: str) -> bool:
        if changed:
            self.ws.activity.record(who, action, alert_id, {"hall": hall, **detail}, address)
        return bool(changed)

    def claim(self, alert_id: str, who: str, halls: set[str] | None, address: str | None = None) -> bool:
        """Claim an alert of `halls` for `who`; False if someone had or it is handled (BadOption if unknown or not
        theirs)."""
        hall, now = self._alert_hall(alert_id, halls), datetime.now()
        return self._did(who, "inbox_claim", alert_id, hall, address, self.ws.store.execute(
            "UPDATE alerts SET claimed_by = ?, claimed_at = ?, changed_at = ? WHERE alert_id = ? "
            "AND claimed_by IS NULL AND handled_at IS NULL", [who, now, now, alert_id]))

    def handled(self, alert_id: str, who: str, halls: set[str] | None, address: str | None = None) -> bool:
        """Mark an alert of `halls` handled by `who` (also claimed by them if no one had); False if it was already."""
        hall, now = self._alert_hall(alert_id, halls), datetime.now()
        return self._did(who, "inbox_handled", alert_id, hall, address, self.ws.store.execute(
            "UPDATE alerts SET handled_by = ?, handled_at = ?, claimed_by = coalesce(claimed_by, ?), "
            "claimed_at = coalesce(claimed_at, ?), changed_at = ? WHERE alert_id = ? AND handled_at IS NULL",
            [who, now, who, now, now, alert_id]))

    def hand(self, alert_id: str, to: str, who: str, halls: set[str] | None, address: str | None = None) -> bool:
        """Hand an alert of `halls` to `to`, a colleague of its hall (BadOption else): it is theirs from now;
        False if it was handled already."""
        hall = self._alert_hall(alert_id, halls)
        if to not in self.colleagues({hall})[hall]:
            raise BadOption("inbox_not_colleague", value=to[:120], hall=hall)
        now = datetime.now()
        return self._did(who, "inbox_hand", alert_id, hall, address, self.ws.store.execute(
            "UPDATE alerts SET claimed_by = ?, claimed_at = ?, handed_by = ?, handed_at = ?, changed_at = ? "
            "WHERE alert_id = ? AND handled_at IS NULL", [to, now, who, now, now, alert_id]), to=to)
