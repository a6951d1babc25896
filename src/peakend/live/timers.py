"""Timers: case reminders, escalations and survey sends, kept in the store so a restart loses none.

`tick(store, bp, now, gateway)` runs every timer due by `now`, oldest first, each in one
transaction with its effect, so a timer fires once. (An SMS is sent before its timer is
marked done: a crash in between resends it, under the same message id.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from peakend.blueprint.model import Blueprint
from peakend.live.notices import case_text
from peakend.live.outbox import case_context, emit
from peakend.live.sms import Gateway, SmsMessage
from peakend.store.db import Store


def due(store: Store, now: datetime) -> list[tuple[str, str, str]]:
    """Timers due by `now` and not yet done, as (timer_id, kind, ref), oldest first."""
    return [(str(a), str(b), str(c)) for a, b, c in store.rows(
        "SELECT timer_id, kind, ref FROM timers WHERE done_at IS NULL AND due_at <= ? ORDER BY due_at, timer_id",
        [now])]


def tick(store: Store, bp: Blueprint, now: datetime, gateway: Gateway) -> int:
    """Run every timer due by `now`; return how many ran. A timer that fails (a send refused, odd data)
    is logged and stays due for the next tick; the others run all the same."""
    ran = 0
    for timer_id, kind, ref in due(store, now):
        try:
            ran += _run(store, bp, now, gateway, timer_id, kind, ref)
        except Exception:
            store.scalar("SELECT 1")  # the store itself gone: raise that, the caller retries the whole tick
            logging.getLogger("peakend.timers").exception("timer %s failed; it stays due", timer_id)
    return ran


def _run(store: Store, bp: Blueprint, now: datetime, gateway: Gateway, timer_id: str, kind: str, ref: str) -> int:
    """Run one due timer in one transaction with its effect; 1 if it ran, 0 if another process had."""
    with store.transaction():
        # Marked done first: on PostgreSQL the row stays locked until the commit, and another process's same
        # UPDATE waits for it, then finds the timer done and changes nothing.
        if not store.execute("UPDATE timers SET done_at = ? WHERE timer_id = ? AND done_at IS NULL", [now, timer_id]):
            return 0  # another process ran it meanwhile
        run = TIMER_KINDS.get(kind)
        outcome = run(store, bp, ref, now, gateway) if run else f"unknown timer kind {kind}"
        store.execute("UPDATE timers SET outcome = ? WHERE timer_id = ?", [outcome, timer_id])
    return 1


def _remind_timer(store: Store, bp: Blueprint, ref: str, now: datetime, gateway: Gateway) -> str:
    return _remind(store, ref, now)


def _escalate_timer(store: Store, bp: Blueprint, ref: str, now: datetime, gateway: Gateway) -> str:
    return _escalate(store, ref, now)


def _open_case(store: Store, case_id: str) -> tuple[str, str, str | None, object] | None:
    rows = store.rows("SELECT hall_id, kind, owner, deadline FROM cases WHERE case_id = ? AND status = 'open'",
                      [case_id])
    return rows[0] if rows else None


def case_event(store: Store, case_id: str, at: datetime, actor: str, action: str, detail: str | None) -> None:
    """Append one entry to a case's audit trail."""
    seq = int(store.scalar("SELECT coalesce(max(seq), 0) + 1 FROM case_events WHERE case_id = ?", [case_id]))
    store.execute("INSERT INTO case_events (case_id, seq, happened_at, actor, action, detail) "
                  "VALUES (?, ?, ?, ?, ?, ?)", [case_id, seq, at, actor, action, detail])


def notify(store: Store, notification_id: str, at: datetime, recipient: str | None, hall: str, kind: str, ref: str,
           text: tuple[str, str]) -> None:
    """Leave a message for a staff member (once per id)."""
    store.execute(
        "INSERT INTO notifications (notification_id, created_at, recipient, hall_id, kind, ref, message_zh, "
        "message_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [notification_id, at, recipient, hall, kind, ref, *text])


def _remind(store: Store, case_id: str, now: datetime) -> str:
    case = _open_case(store, case_id)
    if case is None:
        return "case closed"
    hall, kind, owner, deadline = case
    text = case_text("remind", case_id, kind, deadline)
    notify(store, f"remind:{case_id}", now, owner, hall, "remind", case_id, text)
    case_event(store, case_id, now, "system", "remind", owner)
    return "reminded"


def managers(store: Store, hall: str) -> list[str]:
    """The hall's managers (users with role manager whose halls include it)."""
    rows = store.rows("SELECT username, halls FROM users WHERE role = 'manager' ORDER BY username")
    return [str(u) for u, halls in rows if hall in str(halls or "").split(",")]


def _escalate(store: Store, case_id: str, now: datetime) -> str:
    case = _open_case(store, case_id)
    if case is None:
        return "case closed"
    hall, kind, _, deadline = case
    to = managers(store, hall)
    store.execute("UPDATE cases SET escalated_to = ? WHERE case_id = ?", [",".join(to) or None, case_id])
    text = case_text("escalate", case_id, kind, deadline)
    recipients: list[str | None] = [*to] or [None]
    for m in recipients:
        notify(store, f"escalate:{case_id}:{m or ''}", now, m, hall, "escalate", case_id, text)
    case_event(store, case_id, now, "system", "escalate", ",".join(to) or None)
    data = {**case_context(store, case_id), "case_id": case_id, "hall_id": hall, "kind": kind, "deadline": deadline,
            "link": f"/cases/{case_id}"}
    emit(store, "case.overdue", case_id, hall, now, data)
    emit(store, "case.escalated", case_id, hall, now, {**data, "escalated_to": to})
    return "escalated"


def _send_survey(store: Store, bp: Blueprint, visit_id: str, now: datetime, gateway: Gateway) -> str:
    rows = store.rows("SELECT s.customer_key, s.hall_id, s.status, o.customer_key, s.asked_moment FROM sms_surveys s "
                      "LEFT JOIN sms_optouts o ON o.customer_key = s.customer_key WHERE s.visit_id = ?", [visit_id])
    if not rows or rows[0][2] != "scheduled":
        return "not scheduled"
    key, hall, _, opted_out, asked = rows[0]
    if opted_out is not None:
        store.execute("UPDATE sms_surveys SET status = 'skipped_optout' WHERE visit_id = ?", [visit_id])
        return "opted out"
    text = bp.live.survey.text.zh.format(hall=hall)
    question = bp.moment(asked).peak_question if asked in bp.moment_ids() else None
    gateway.send(SmsMessage(visit_id, str(key), str(hall), f"{text}{question.zh}" if question else text))
    store.execute("UPDATE sms_surveys SET status = 'sent', sent_at = ? WHERE visit_id = ?", [now, visit_id])
    return "sent"


# What each kind of timer does when it comes due: (store, blueprint, ref, now, gateway) → its outcome.
TIMER_KINDS: dict[str, Callable[[Store, Blueprint, str, datetime, Gateway], str]] = {
    "remind": _remind_timer,
    "escalate": _escalate_timer,
    "survey": _send_survey,
}
