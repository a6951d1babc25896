"""The outbox and the delivery log are trimmed after setting `webhook_keep_days` (sent, given-up and cancelled
deliveries, then events with none left), never a pending delivery, an event not yet fanned out or the opening of a
case still open; the delivery loop
trims at its start and then at most once an hour."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from peakend.live.outbox import event_id
from peakend.service import Workspace
from peakend.service import webhooks as hooks_module
from peakend.service.webhooks import TRIM_S, run_webhooks

NOW = datetime(2026, 12, 1, 12, 0)  # 30 days' keep: rows whose last try is before 2026-11-01 12:00 go
OLD, RECENT = datetime(2026, 10, 1, 9, 0), datetime(2026, 11, 20, 9, 0)

# event: (created, fanned) ; delivery: (event, state, created, last try)
EVENTS = {"sent_old": (OLD, OLD), "failed_old": (OLD, OLD), "pending_old": (OLD, OLD), "unfanned_old": (OLD, None),
          "nobody_old": (OLD, OLD), "sent_recent": (RECENT, RECENT), "mixed": (OLD, OLD),
          "cancelled_old": (OLD, OLD)}
DELIVERIES = {"d_sent_old": ("sent_old", "sent", OLD, OLD), "d_failed_old": ("failed_old", "failed", OLD, OLD),
              "d_pending_old": ("pending_old", "pending", OLD, OLD + timedelta(days=1)),
              "d_recent": ("sent_recent", "sent", RECENT, RECENT),
              "d_mixed_old": ("mixed", "sent", OLD, OLD),
              "d_mixed_replayed": ("mixed", "sent", OLD, datetime(2026, 11, 15, 9, 0)),  # replayed lately: kept
              "d_cancelled": ("cancelled_old", "cancelled", OLD, None)}


OPEN_CASE, CLOSED_CASE = event_id("case.opened", "V-open"), event_id("case.opened", "V-closed")


def _filled(store) -> Workspace:
    ws = Workspace(store)
    for case, status in (("V-open", "open"), ("V-closed", "resolved")):  # both opened long ago, no delivery left
        store.execute("INSERT INTO cases (case_id, visit_id, hall_id, kind, status, opened_at, deadline) "
                      "VALUES (?, ?, 'H1', 'complaint', ?, ?, ?)", [case, case, status, OLD, OLD])
        store.execute("INSERT INTO outbox (event_id, kind, hall_id, created_at, payload, fanned_at) "
                      "VALUES (?, 'case.opened', 'H1', ?, '{}', ?)", [event_id("case.opened", case), OLD, OLD])
    for ev, (created, fanned) in EVENTS.items():
        store.execute("INSERT INTO outbox (event_id, kind, hall_id, created_at, payload, fanned_at) "
                      "VALUES (?, 'alert.raised', 'H1', ?, '{}', ?)", [ev, created, fanned])
    for d, (ev, state, created, last) in DELIVERIES.items():
        store.execute("INSERT INTO deliveries (delivery_id, endpoint_id, event_id, state, created_at, last_at) "
                      "VALUES (?, 'ep_x', ?, ?, ?, ?)", [d, ev, state, created, last])
    ws.webhooks.now = lambda: NOW
    return ws


def _left(store) -> tuple[set[str], set[str]]:
    return ({str(r[0]) for r in store.rows("SELECT event_id FROM outbox")},
            {str(r[0]) for r in store.rows("SELECT delivery_id FROM deliveries")})


def test_trim_removes_what_is_done_and_old_and_keeps_the_rest(store, monkeypatch):
    monkeypatch.delenv("PEAKEND_WEBHOOK_KEEP_DAYS", raising=False)  # the default: 30 days
    ws = _filled(store)
    # d_sent_old, d_failed_old, d_mixed_old, d_cancelled; their 3 events, nobody_old and the closed case's opening
    assert ws.webhooks.trim() == (4, 5)
    assert _left(store) == ({"pending_old", "unfanned_old", "sent_recent", "mixed", OPEN_CASE},
                            {"d_pending_old", "d_recent", "d_mixed_replayed"})
    assert ws.webhooks.trim() == (0, 0)
    ws.webhooks.now = lambda: NOW + timedelta(days=20)  # keep until 2026-11-21 12:00: the November ones go too
    assert ws.webhooks.trim() == (2, 2)
    assert _left(store) == ({"pending_old", "unfanned_old", OPEN_CASE}, {"d_pending_old"})  # never pending, unfanned
    store.execute("UPDATE cases SET status = 'resolved' WHERE case_id = 'V-open'")
    assert ws.webhooks.trim() == (0, 1)  # the case closed: its opening goes too


def test_the_keep_setting_is_read(store, monkeypatch):
    monkeypatch.setenv("PEAKEND_WEBHOOK_KEEP_DAYS", "90")  # keep until 2026-09-02: nothing is that old
    ws = _filled(store)
    assert ws.webhooks.trim() == (0, 0)
    monkeypatch.setenv("PEAKEND_WEBHOOK_KEEP_DAYS", "10")  # keep until 2026-11-21 12:00
    assert ws.webhooks.trim() == (6, 7)
    assert _left(store) == ({"pending_old", "unfanned_old", OPEN_CASE}, {"d_pending_old"})


def test_the_delivery_loop_trims_at_start_and_then_at_most_hourly(monkeypatch):
    """The loop with a fake clock: passes at 0 s, 10 s, TRIM_S − 1 and TRIM_S + 5 trim at the first and last."""
    ticks = iter([0.0, 0.0, 10.0, TRIM_S - 1, TRIM_S + 5, TRIM_S + 5])
    monkeypatch.setattr(hooks_module, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    stop, done = threading.Event(), []
    pumps = iter(range(1, 5))

    def pump() -> int:
        if next(pumps) == 4:
            stop.set()
        done.append("pump")
        return 1  # busy: no wait between passes

    fake = SimpleNamespace(webhooks=SimpleNamespace(trim=lambda: done.append("trim"), pump=pump,
                                                    wake=threading.Event()))
    run_webhooks(fake, stop)
    assert done == ["trim", "pump", "pump", "pump", "trim", "pump"]


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_keep_setting_is_refused(value, monkeypatch):
    from peakend import settings
    from peakend.errors import SettingError

    monkeypatch.setenv("PEAKEND_WEBHOOK_KEEP_DAYS", value)
    with pytest.raises(SettingError, match="WEBHOOK_KEEP_DAYS"):
        settings.get("webhook_keep_days")
