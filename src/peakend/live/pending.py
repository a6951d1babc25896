"""The live rules' backlog: visits with new events, waiting for `rules.on_events`.

API ingest queues the visits of the events it stores, in the same transaction
(`store.backlog.queue_visits`), and answers at once; the live worker of `peakend serve` runs the
rules on everything queued (`run_pending`), many requests' visits in one pass. The queue is a store table, so visits
queued before a crash are taken up after the restart, and a visit queued again while its rules
ran stays queued for the next pass. A pass claims its visits first (`claim`), so that workers in several
processes never run one visit's rules at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.ingest.privacy import mask_phones_in
from peakend.live.rules import Fired, on_events
from peakend.store.db import Store

PASS_VISITS = 20_000  # visits per pass of the rules at most (the rest wait for the next pass)


def _isolated(store: Store, bp: Blueprint, ids: list[str], now: datetime) -> Fired:
    """The rules on `ids`; if they fail, on each half again, so that a visit whose rules fail is parked
    alone (`live_parked`, with the reason) and the others run. Raises if the store itself is gone."""
    try:
        return on_events(store, bp, ids, now)
    except Exception as exc:
        store.scalar("SELECT 1")  # the store gone: raise that, and the queue stays as it is
        if len(ids) == 1:
            park(store, ids[0], f"{type(exc).__name__}: {exc}", now)
            return Fired()
        fired = Fired()
        for part in (ids[: len(ids) // 2], ids[len(ids) // 2:]):
            fired += _isolated(store, bp, part, now)
        return fired


def park(store: Store, visit_id: str, reason: str, now: datetime) -> None:
    """Set a visit aside whose rules failed, with the reason (first line, short) for admins to see."""
    logging.getLogger("peakend.live").error("live rules failed on visit %s; parked: %s", visit_id, reason)
    short = mask_phones_in((reason.splitlines() or [""])[0][:500]) or ""
    store.execute("INSERT INTO live_parked (visit_id, reason, parked_at) VALUES (?, ?, ?) ON CONFLICT (visit_id) "
                  "DO UPDATE SET reason = excluded.reason, parked_at = excluded.parked_at",
                  [visit_id, short, now.replace(microsecond=0)])


def parked(store: Store) -> pd.DataFrame:
    """Visits set aside by the live worker, newest first, with their hall and reason."""
    return store.query("SELECT p.visit_id, v.hall_id, p.reason, p.parked_at FROM live_parked p "
                       "LEFT JOIN visits v USING (visit_id) ORDER BY p.parked_at DESC, p.visit_id LIMIT 500")


def pending(store: Store) -> int:
    """How many visits wait for the live rules."""
    return int(store.scalar("SELECT count(*) FROM live_pending"))


def run_pending(store: Store, bp: Blueprint, now: datetime, limit: int = PASS_VISITS) -> Fired:
    """Run the live rules as of `now` on the visits queued first (up to `limit`) that no other worker holds;
    return what fired."""
    rows = claim(store, limit)
    if not rows:
        return Fired()
    ids = [str(r[0]) for r in rows]
    fired = _isolated(store, bp, ids, now)
    with store.transaction():
        store.execute(  # only as read: a visit queued again meanwhile has a new stamp and stays, let go
            "DELETE FROM live_pending USING (SELECT unnest(?::VARCHAR[]) AS visit_id, unnest(?::BIGINT[]) AS "
            "queued_ns) AS taken WHERE live_pending.visit_id = taken.visit_id AND live_pending.queued_ns = "
            "taken.queued_ns", [ids, [int(r[1]) for r in rows]])
        store.execute("UPDATE live_pending SET claimed_until = NULL WHERE visit_id IN (SELECT unnest(?::VARCHAR[]))",
                      [ids])
    return fired


def claim(store: Store, limit: int) -> list[tuple[Any, ...]]:
    """Take up to `limit` queued visits, first queued first, that no worker holds (or whose worker's lease ran out:
    it died), for `live_lease_seconds`; their (visit_id, queued_ns). On PostgreSQL the rows are locked as they are
    taken and locked ones skipped, so two workers never take the same visit."""
    lease = timedelta(seconds=settings.get("live_lease_seconds"))
    now = datetime.now()
    skip = " FOR UPDATE SKIP LOCKED" if store.backend == "postgres" else ""  # DuckDB: one process, one worker
    return store.rows(
        "UPDATE live_pending SET claimed_until = ? WHERE visit_id IN (SELECT visit_id FROM live_pending WHERE "
        f"claimed_until IS NULL OR claimed_until < ? ORDER BY queued_ns LIMIT ?{skip}) RETURNING visit_id, queued_ns",
        [now + lease, now, limit])
