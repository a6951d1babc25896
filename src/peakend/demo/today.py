"""The demo's live side: today's traffic of the demo halls, simulated up to now and fed through the live loop.

The demo's history ends on its last day; a served demo would show its live panels (alerts, cases in the inbox,
overdue cases, live counters) at zero. `feed_today` simulates today in every demo hall with the demo's own model,
keeps what happened by now — when the halls are closed now, the day is moved so that they opened `OPEN_HOURS` ago
(at midnight, if that was yesterday: a day never spills into the one before) —
and feeds it through ingest and the live rules a quarter of an hour at a time (`live.replay.replay_slices`): the
alerts, cases, SMS surveys and timers that fire are the ones real events would fire. Run once a day (its ids hold
the date: a second run stores nothing twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.contract import Kind
from peakend.demo.generate import HALLS, coached_on
from peakend.live.replay import ReplayResult, replay_slices
from peakend.live.sms import Gateway
from peakend.simulate.run import simulate, touch_rows
from peakend.store.db import Store

OPEN_HOURS = 3  # closed now: the day is shown as if the halls had opened this many hours ago
SLICE = "15min"
PREFIX = "D"  # today's visits: D01-1-YYMMDD-0000 (the history's are V01-…)
TIMES = ("arrival", "departure", "start_at", "end_at")


@dataclass(frozen=True)
class DemoMark:
    """What made a demo store: its days and seed."""

    days: int
    seed: int


def mark(store: Store, days: int, seed: int) -> None:
    """Record that `store` holds the demo (so a server on it feeds today's traffic)."""
    with store.transaction():
        store.execute("DELETE FROM demo_mark")
        store.execute("INSERT INTO demo_mark (days, seed, made_at) VALUES (?, ?, ?)", [days, seed, datetime.now()])


def marked(store: Store) -> DemoMark | None:
    """The demo's mark on `store`, or None for a store that is not the demo."""
    found = store.rows("SELECT days, seed FROM demo_mark")
    return DemoMark(int(found[0][0]), int(found[0][1])) if found else None


def fed_today(store: Store, now: datetime) -> bool:
    """Whether today's demo traffic is in the store already."""
    return bool(store.scalar("SELECT count(*) FROM (SELECT 1 FROM visits WHERE visit_id LIKE ? LIMIT 1) t",
                             [f"{PREFIX}%-{now:%y%m%d}-%"]))


def today_rows(bp: Blueprint, demo: DemoMark, now: datetime) -> pd.DataFrame:
    """Today's touches of every demo hall by `now` (one row per touch with its visit's fields, times as text)."""
    frames = []
    for index, hall in enumerate(HALLS, start=1):
        sim = simulate(hall.config(coached_on(demo.days)), bp, now.date(), 1, seed=demo.seed + 1, replication=index,
                       prefix=f"{PREFIX}{index:02d}-")
        frames.append(touch_rows(sim))
    rows = pd.concat(frames, ignore_index=True)
    times = {c: pd.to_datetime(rows[c], errors="coerce") for c in TIMES if c in rows}
    start = times["start_at"]
    shift = timedelta(0)
    if not start.min() + timedelta(hours=1) <= now <= start.max():  # closed now: opened OPEN_HOURS ago, today
        opened = max(now - timedelta(hours=OPEN_HOURS), datetime.combine(now.date(), datetime.min.time()))
        shift = opened - start.min()
    for c, t in times.items():
        rows[c] = (t + shift).dt.strftime("%Y-%m-%d %H:%M:%S").where(t.notna(), None)
    return rows[(start + shift) <= now].sort_values("start_at", ignore_index=True)


def feed_today(store: Store, bp: Blueprint, gateway: Gateway, now: datetime) -> ReplayResult:
    """Simulate today's demo traffic up to `now` and feed it through the live loop, a quarter of an hour at a time:
    each touch in the slice it starts in (its visit's departure left out), each departure in the slice it happens in
    (so that the live rules see customers still in the hall)."""
    demo = marked(store)
    if demo is None:
        return ReplayResult()
    rows = today_rows(bp, demo, now)
    touch_at = pd.to_datetime(rows["start_at"]).dt.ceil(SLICE)
    left = rows.drop_duplicates("visit_id").dropna(subset=["departure"])
    left = left[pd.to_datetime(left["departure"]) <= now]
    left_at = pd.to_datetime(left["departure"]).dt.ceil(SLICE)
    slices: dict[pd.Timestamp, dict[Kind, list[dict[str, object]]]] = {}
    for t, part in rows.drop(columns=["departure"]).groupby(touch_at):
        slices.setdefault(t, {})["touch"] = _records(part)
    for t, part in left[["visit_id", "hall_id", "departure"]].groupby(left_at):
        slices.setdefault(t, {})["visit"] = _records(part)
    ordered = [(t.to_pydatetime(), slices[t]) for t in sorted(slices)]
    return replay_slices(store, bp, ordered, gateway, _source(now.date()))


def _records(part: pd.DataFrame) -> list[dict[str, object]]:
    """A slice's rows as records, a missing value left out."""
    return [{k: v for k, v in r.items() if v is not None and not (isinstance(v, float) and pd.isna(v))}
            for r in part.to_dict("records")]


def _source(day: date) -> str:
    return f"demo-today-{day:%Y-%m-%d}"
