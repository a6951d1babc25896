"""Follow-up cases: inboxes, comments, reassignment, resolution, and the figures a hall page shows.

Every change appends to the case's audit trail (`case_events`).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from peakend import settings
from peakend.errors import CaseClosed, CaseError, CaseNotFound
from peakend.ingest.privacy import key_text, mask_phones_in
from peakend.live.outbox import case_context, emit
from peakend.live.timers import case_event
from peakend.store.db import Store


def inbox(store: Store, *, owner: str | None = None, halls: list[str] | None = None,
          status: str | None = "open") -> pd.DataFrame:
    """Cases owned by `owner` and/or in `halls` (None: any), by deadline."""
    where, params = ["1 = 1"], []
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    if halls is not None:
        if not halls:
            return store.query("SELECT * FROM cases WHERE 1 = 0")
        where.append("hall_id IN (" + ", ".join("?" * len(halls)) + ")")
        params += halls
    if status:
        where.append("status = ?")
        params.append(status)
    return store.query(f"SELECT * FROM cases WHERE {' AND '.join(where)} ORDER BY deadline, case_id", params)


def get(store: Store, case_id: str) -> dict[str, object]:
    """One case (CaseError if unknown)."""
    cols, rows = store.fetch("SELECT * FROM cases WHERE case_id = ?", [case_id])
    if not rows:
        raise CaseNotFound(case=case_id)
    return dict(zip(cols, rows[0], strict=True))


def trail(store: Store, case_id: str) -> pd.DataFrame:
    """A case's audit trail, oldest first."""
    return store.query("SELECT seq, happened_at, actor, action, detail FROM case_events WHERE case_id = ? ORDER BY seq",
                       [case_id])


def _open(store: Store, case_id: str) -> dict[str, object]:
    case = get(store, case_id)
    if case["status"] != "open":
        raise CaseClosed(case=case_id)
    return case


def comment(store: Store, case_id: str, actor: str, text: str, at: datetime) -> None:
    """Add a comment to a case (phone numbers in it masked)."""
    text = _clean(text, "case_empty_comment")
    with store.transaction():
        get(store, case_id)
        case_event(store, case_id, at, actor, "comment", text)


def reassign(store: Store, case_id: str, actor: str, to: str, at: datetime) -> None:
    """Give an open case to another owner (a staff id: a phone number in it is keyed, as ingest keys staff ids)."""
    to = key_text(store, _clean(to, "case_empty_owner", settings.get("max_id_chars"))) or ""
    with store.transaction():
        case = _open(store, case_id)
        store.execute("UPDATE cases SET owner = ? WHERE case_id = ?", [to, case_id])
        case_event(store, case_id, at, actor, "reassign", f"{case['owner'] or '-'} → {to}")


def resolve(store: Store, case_id: str, actor: str, note: str, at: datetime) -> None:
    """Close an open case with a resolution note (its pending reminder and escalation then do nothing)."""
    note = _clean(note, "case_empty_note")
    with store.transaction():
        case = _open(store, case_id)
        store.execute("UPDATE cases SET status = 'resolved', resolved_at = ?, resolution = ? WHERE case_id = ?",
                      [at, note, case_id])
        case_event(store, case_id, at, actor, "resolve", note)
        emit(store, "case.closed", case_id, str(case["hall_id"]), at, {
            **case_context(store, case_id), "case_id": case_id, "hall_id": case["hall_id"], "kind": case["kind"],
            "closed_by": actor, "in_time": bool(case["deadline"] is None or at <= case["deadline"]),  # type: ignore[operator]
            "link": f"/cases/{case_id}"})


def _clean(text: str, empty: str, most: int | None = None) -> str:
    """A note as stored: stripped, phones masked; CaseError if empty, too long or holding control characters."""
    most = most or settings.get("max_text_chars")
    text = text.strip()
    if not text:
        raise CaseError(empty)
    if len(text) > most:
        raise CaseError("case_too_long", most=most, got=len(text))
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise CaseError("case_control")
    return mask_phones_in(text) or ""


def figures(store: Store, hall: str, day_start: datetime, now: datetime) -> dict[str, int]:
    """A hall's live-loop figures: alerts and cases opened since `day_start`, resolved in time, overdue now."""
    def count(sql: str, params: list[object]) -> int:
        return int(store.scalar(sql, params) or 0)

    return {
        "alerts": count("SELECT count(*) FROM alerts WHERE hall_id = ? AND fired_at >= ?", [hall, day_start]),
        "advice": count("SELECT count(*) FROM advice WHERE hall_id = ? AND advised_at >= ?", [hall, day_start]),
        "cases_opened": count("SELECT count(*) FROM cases WHERE hall_id = ? AND opened_at >= ?", [hall, day_start]),
        "resolved_in_time": count("SELECT count(*) FROM cases WHERE hall_id = ? AND status = 'resolved' "
                                  "AND resolved_at <= deadline AND opened_at >= ?", [hall, day_start]),
        "overdue": count("SELECT count(*) FROM cases WHERE hall_id = ? AND status = 'open' AND deadline < ?",
                         [hall, now]),
    }
