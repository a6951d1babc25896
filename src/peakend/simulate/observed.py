"""A hall's ingested visits and touches as the fit reads them (`observed`), and their split into a training
window and held-out days (`split`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from peakend.blueprint.model import Blueprint, Route
from peakend.errors import FitError
from peakend.store.db import Store

VISIT_COLUMNS = ["visit_id", "route", "segment", "arrival"]


TOUCH_COLUMNS = ["touch_id", "visit_id", "moment_id", "seq", "start_at", "end_at", "staff_id", "rating", "rating_scale",
                 "wait_min", "service_min", "outcome"]


@dataclass(frozen=True)
class Observed:
    """A hall's ingested visits and touches: what is fitted, and what the fit is checked against."""

    hall_id: str
    visits: pd.DataFrame  # VISIT_COLUMNS, arrival not null
    touches: pd.DataFrame  # TOUCH_COLUMNS, sorted by visit and sequence

    def dates(self) -> list[date]:
        """The days with at least one visit."""
        return sorted(set(self.visits["arrival"].dt.date))


def observed(store: Store, hall_id: str, since: date | None = None, until: date | None = None) -> Observed:
    """The hall's visits (from `since` to `until`, both days included) and their touches.

    A visit without an arrival time arrived at its first touch; one with neither is left out.
    """
    v = hall_visits(store, hall_id)
    t = store.table("touches")
    if since:
        v = v.filter(v.arrival >= datetime.combine(since, time()))
    if until:
        v = v.filter(v.arrival < datetime.combine(until + timedelta(days=1), time()))
    t = t.join(v.select("visit_id"), "visit_id").select(TOUCH_COLUMNS)
    with store.lock:
        visits = v.to_pandas()
        touches = t.to_pandas()
    if visits.empty:
        between = f" ({since or '…'} – {until or '…'})" if since or until else ""
        raise FitError("fit_no_visits", hall=hall_id, between=between)
    for frame, cols in ((visits, ["arrival"]), (touches, ["start_at", "end_at"])):
        for col in cols:
            frame[col] = pd.to_datetime(frame[col])
    touches = touches.sort_values(["visit_id", "seq", "start_at"], kind="stable", ignore_index=True)
    return Observed(hall_id, visits, touches)


def hall_visits(store: Store, hall_id: str) -> ir.Table:
    """The hall's visits (id, route, segment, arrival) that have an arrival time, or else a touch time."""
    v = store.table("visits")
    v = v.filter(v.hall_id == hall_id)
    t = store.table("touches")
    mine = t.join(v.select("visit_id"), "visit_id")
    first = mine.group_by("visit_id").agg(first_touch=mine.start_at.min())
    j = v.left_join(first, "visit_id")
    v = j.select("visit_id", "route", "segment", arrival=ibis.coalesce(j.arrival, j.first_touch))
    return v.filter(v.arrival.notnull())


def latest_day(store: Store, hall_id: str, today: date | None = None) -> date | None:
    """The hall's most recent day with a visit — before `today` when it has one (today is not over: its visits so
    far are not a day to fit or compare with), else today."""
    with store.lock:
        v = hall_visits(store, hall_id)
        last = v.arrival.max().execute()
        if today is not None and last is not None and not pd.isna(last) and pd.Timestamp(last).date() >= today:
            before = v.filter(v.arrival < datetime.combine(today, time())).arrival.max().execute()
            last = last if before is None or pd.isna(before) else before
    return None if last is None or pd.isna(last) else pd.Timestamp(last).date()


def infer_routes(touches: pd.DataFrame, bp: Blueprint) -> pd.Series:
    """Per visit (index), the blueprint route it took, told by the moments it touched; else None.

    A visit that was served takes the shortest route holding every moment it touched, in order. One
    that left a queue stays in the queue it left: of the routes holding its moments up to the one it
    left, the route most served visits took (then the shortest) — never another route that merely
    passes the same queue (an abandoned wait is not a visit to self-service).
    """
    routes = sorted(bp.routes, key=lambda r: len(r.moments))

    def holds(r: Route, moments: list[str]) -> bool:
        where = [r.moments.index(m) if m in r.moments else -1 for m in moments]
        return min(where, default=0) >= 0 and where == sorted(where)

    grouped = touches.groupby("visit_id", sort=False)
    moments = grouped["moment_id"].agg(list)
    left_at = touches[touches.get("outcome", pd.Series(index=touches.index, dtype=object)) == "abandoned"]
    left_at = left_at.groupby("visit_id", sort=False)["moment_id"].first()
    served = moments[~moments.index.isin(left_at.index)].map(
        lambda ms: next((r.id for r in routes if holds(r, ms)), None))
    taken = served.value_counts()

    def stayed(visit: str) -> str | None:
        ms = moments[visit]
        upto = ms[: ms.index(left_at[visit]) + 1]
        fits = [r for r in routes if holds(r, upto)]
        fits.sort(key=lambda r: (-int(taken.get(r.id, 0)), len(r.moments)))
        return fits[0].id if fits else None

    out = served.reindex(moments.index).astype(object)
    for visit in left_at.index:
        out[visit] = stayed(visit)
    return out.where(out.notna(), None)


HOLDOUT = 0.25  # share of the days held out for the check: the last quarter


@dataclass(frozen=True)
class Split:
    """A training window and held-out days of one hall's observations."""

    train: Observed
    test: Observed

    def describe(self) -> dict[str, object]:
        """The two windows (first and last day, days) — for a sentence saying which days fitted and which checked."""
        a, b = self.train.dates(), self.test.dates()
        return {"train_from": a[0], "train_to": a[-1], "train_days": len(a), "test_from": b[0], "test_to": b[-1],
                "test_days": len(b)}


def split(obs: Observed, holdout: float = HOLDOUT) -> Split:
    """The days with visits split in time: the last `holdout` share of them (at least one) held out for the check,
    the rest (at least one) for the fit. Raise FitError when there are fewer than two days."""
    days = obs.dates()
    if len(days) < 2 or not 0 < holdout < 1:
        raise FitError("fit_holdout", days=len(days), holdout=holdout)
    kept = min(len(days) - 1, max(1, round(len(days) * holdout)))
    test_days = set(days[-kept:])
    on = obs.visits["arrival"].dt.date.isin(test_days)
    return Split(_part(obs, obs.visits[~on]), _part(obs, obs.visits[on]))


def _part(obs: Observed, visits: pd.DataFrame) -> Observed:
    touches = obs.touches[obs.touches["visit_id"].isin(visits["visit_id"])]
    return Observed(obs.hall_id, visits.reset_index(drop=True), touches.reset_index(drop=True))
