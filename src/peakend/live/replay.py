"""Replay a recorded day: events in time order through ingest and the live rules, the clock ticking.

Each event goes the way an API post goes: ingest queues its visit, the live rules run on the
queue (at the event's time, as the server's live worker would at once).

A recorded day is a JSON Lines file, one event per line: `{"at": time, "kind": touch | visit |
survey | reply, ...fields}`. Events are taken in `at` order; before each, the timers due by
then run; after the last, the clock runs on to `until` (default: the end of the last day +
2 days) so reminders, escalations and survey sends of the day all fire.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from peakend.blueprint.model import Blueprint
from peakend.contract import Kind
from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.live.pending import PASS_VISITS, run_pending
from peakend.live.rules import Fired
from peakend.live.sms import Gateway, handle_reply
from peakend.live.timers import due, tick
from peakend.store.db import Store

KINDS = ("touch", "visit", "survey", "audit")


@dataclass
class ReplayResult:
    """What a replay did."""

    events: int = 0
    stored: int = 0
    rejected: int = 0
    fired: Fired = field(default_factory=Fired)
    timers: int = 0


def read_day(path: Path) -> list[dict[str, object]]:
    """The events of a recorded day, in time order (file order breaks ties)."""
    events = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return sorted(events, key=lambda e: str(e["at"]))


def replay(store: Store, bp: Blueprint, events: list[dict[str, object]], gateway: Gateway,
           until: datetime | None = None, progress: Callable[[int], None] | None = None) -> ReplayResult:
    """Feed events through ingest and the live rules at their own times, running timers in between."""
    result = ReplayResult()
    for i, event in enumerate(events):
        at = datetime.fromisoformat(str(event["at"]))
        result.timers += _run_timers(store, bp, at, gateway)
        kind = str(event["kind"])
        record = {k: v for k, v in event.items() if k not in ("at", "kind")}
        if kind == "reply":
            handle_reply(store, bp, str(record["sender"]), str(record["text"]), at)
        elif kind in KINDS:
            done = ingest_records(store, [record], cast("Kind", kind), Context(bp), "replay", [i], live=True)
            result.stored += done.stored
            result.rejected += len(done.problems)
            result.fired += run_pending(store, bp, at)  # as the server's live worker would, at the event's time
        result.events += 1
        if progress:
            progress(i + 1)
    if events:
        last = datetime.fromisoformat(str(events[-1]["at"]))
        end = until or datetime.combine(last.date() + timedelta(days=2), datetime.min.time())
        result.timers += _run_timers(store, bp, end, gateway)
    return result


def replay_slices(store: Store, bp: Blueprint, slices: list[tuple[datetime, dict[Kind, list[dict[str, object]]]]],
                  gateway: Gateway, source: str = "replay") -> ReplayResult:
    """Feed records a slice of time at once (each slice's records of each kind stored together, then the live rules
    and the timers run at the slice's end), as a server's live worker passing every few minutes would."""
    result = ReplayResult()
    for at, kinds in slices:
        result.timers += _run_timers(store, bp, at, gateway)
        for kind, records in kinds.items():
            done = ingest_records(store, records, kind, Context(bp), source, live=True)
            result.stored += done.stored
            result.rejected += len(done.problems)
            result.events += len(records)
        for _ in range(1 + sum(map(len, kinds.values())) // PASS_VISITS):  # every visit the slice queued
            result.fired += run_pending(store, bp, at)
    if slices:
        result.timers += _run_timers(store, bp, slices[-1][0], gateway)
    return result


def _run_timers(store: Store, bp: Blueprint, now: datetime, gateway: Gateway) -> int:
    """Run due timers, each at its own due time, up to `now`."""
    ran = 0
    while due(store, now):
        first = store.scalar("SELECT min(due_at) FROM timers WHERE done_at IS NULL AND due_at <= ?", [now])
        ran += tick(store, bp, first, gateway)
    return ran
