"""A hall configuration fitted from the hall's own ingested visits, and a check of how well it reproduces them.

Each figure has one plain estimator, so a manager can follow where a number came from:

- opening hours: the first and the last clock hour in which anybody arrived;
- arrivals per clock hour: the mean count in that hour over the weekdays observed (the Poisson
  maximum-likelihood rate); the weekend factor: mean weekend-day visits over mean weekday visits;
- route and segment mix: shares among the visits that name one;
- time spent at each moment: mean and coefficient of variation (method of moments, a gamma
  distribution), from `service_min` where recorded, else from the touch's start and end less its wait;
- stations: a moment whose touches record a wait, or that follows a queue moment, is served by a
  station of its own; its servers per hour are the 90th percentile over days of the most customers
  served at once in that hour (while customers queue every open server is busy, so the peak count
  is the count open);
- patience: exponential, by maximum likelihood with censoring: all minutes waited (by those who
  were served as well as by those who left) over the number who left a queue;
- outcomes at a moment: shares among its touches that record one (a visit's last touch excluded:
  the visit's own result is drawn by the simulator);
- rating pads: per moment, the share of touches rated and the usual scale; the hall's character
  there: mean e as rated minus e as inferred.

A base configuration (`like`) supplies what visits cannot show: which moments share a station,
balking, diversion, survey share, and the character of moments nobody rates. `check` simulates the fitted hall on
the observed dates and sets observed and simulated waits side by side, hour by hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import get_args

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from peakend.blueprint.model import OUTCOMES, Blueprint
from peakend.errors import FitError
from peakend.simulate.config import Dist, HallConfig, Rating, Station
from peakend.simulate.experience import touch_e
from peakend.simulate.plan import half_width
from peakend.simulate.run import simulate
from peakend.store.db import Store

VISIT_COLUMNS = ["visit_id", "route", "segment", "arrival"]
TOUCH_COLUMNS = ["touch_id", "visit_id", "moment_id", "seq", "start_at", "end_at", "staff_id", "rating", "rating_scale",
                 "wait_min", "service_min", "outcome"]
RATING_SCALES = get_args(Rating.model_fields["scale"].annotation)  # the scales a simulated rating pad offers
BUSY_QUANTILE = 0.9  # of the days' peak concurrency in an hour: the servers open then
ROUNDING_S = 2  # seconds an interval is trimmed at its start: timestamps are kept to the second




@dataclass(frozen=True)
class Observed:
    """A hall's ingested visits and touches: what is fitted, and what the fit is checked against."""

    hall_id: str
    visits: pd.DataFrame  # VISIT_COLUMNS, arrival not null
    touches: pd.DataFrame  # TOUCH_COLUMNS, sorted by visit and sequence

    def dates(self) -> list[date]:
        """The days with at least one visit."""
        return sorted(set(self.visits["arrival"].dt.date))


@dataclass(frozen=True)
class Fitted:
    """A fitted configuration and notes on what could not be estimated from the data."""

    cfg: HallConfig
    visits: int
    days: int
    notes: list[str] = field(default_factory=list)


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


def latest_day(store: Store, hall_id: str) -> date | None:
    """The hall's most recent day with a visit."""
    with store.lock:
        last = hall_visits(store, hall_id).arrival.max().execute()
    return None if last is None or pd.isna(last) else pd.Timestamp(last).date()


def infer_routes(touches: pd.DataFrame, bp: Blueprint) -> pd.Series:
    """Per visit (index), the shortest blueprint route holding every moment it touched, in order; else None."""
    routes = sorted(bp.routes, key=lambda r: len(r.moments))

    def route_of(moments: list[str]) -> str | None:
        for r in routes:
            where = [r.moments.index(m) if m in r.moments else -1 for m in moments]
            if min(where, default=0) >= 0 and where == sorted(where):
                return r.id
        return None

    return touches.groupby("visit_id", sort=False)["moment_id"].agg(lambda m: route_of(list(m)))


def fit(obs: Observed, bp: Blueprint, like: HallConfig | None = None) -> Fitted:
    """A hall configuration estimated from `obs` (structure and policies from `like` where given)."""
    base = like or HallConfig(hall_id=obs.hall_id, arrivals={9: 1.0}, routes={bp.routes[0].id: 1.0})
    notes: list[str] = []
    opens, closes, arrivals, weekend = _arrivals(obs.visits, notes)
    routes = _shares(_routes(obs, bp, notes), {r.id for r in bp.routes}, "route", notes) or _kept(like, "routes")
    segments = _shares(obs.visits["segment"], None, "segment", notes) or base.segments
    last = obs.touches["visit_id"].ne(obs.touches["visit_id"].shift(-1))
    queue = [m for m in base.queue_moments if m in bp.moment_ids()]
    known = set(bp.moment_ids())
    touches = obs.touches[obs.touches["moment_id"].isin(known)]
    if len(touches) < len(obs.touches):
        notes.append(f"{len(obs.touches) - len(touches)} touches at moments the blueprint does not know were left out")
    stations = _stations(touches, queue, like, opens, closes, notes)
    update = {
        "hall_id": obs.hall_id, "opens": opens, "closes": closes, "arrivals": arrivals, "weekend_factor": weekend,
        "routes": routes, "segments": segments, "stations": stations, "queue_moments": queue,
        "service": {**base.service, **_service(touches, queue)},
        "outcomes": {**base.outcomes, **_outcomes(touches[~last.reindex(touches.index)])},
        "patience": _patience(touches, notes) or base.patience,
    }
    ratings, character = _felt(touches, bp)
    if ratings:
        update.update(ratings={**base.ratings, **ratings}, character={**base.character, **character})
    else:
        notes.append("no touch carries a rating: rating pads and the hall's character not estimated")
    cfg = HallConfig.model_validate({**base.model_dump(), **{k: _plain(v) for k, v in update.items()}})
    return Fitted(cfg, len(obs.visits), len(obs.dates()), notes)


def _plain(value: object) -> object:
    """Pydantic models inside a value as dicts, so that the whole configuration is validated afresh."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.model_dump() if hasattr(value, "model_dump") else value


def _routes(obs: Observed, bp: Blueprint, notes: list[str]) -> pd.Series:
    """Each visit's route: as sent, else inferred from the moments it touched (`infer_routes`)."""
    missing = obs.visits["route"].isna()
    if not missing.any():
        return obs.visits["route"]
    inferred = obs.visits.loc[missing, "visit_id"].map(infer_routes(obs.touches, bp))
    notes.append(f"{int(inferred.notna().sum())} visits name no route: inferred from the moments they touched")
    return obs.visits["route"].fillna(inferred)


def _kept(like: HallConfig | None, what: str) -> dict[str, float]:
    if like is None:
        raise FitError("fit_no_names", what=what[:-1], whats=what)
    return dict(getattr(like, what))


def _arrivals(visits: pd.DataFrame, notes: list[str]) -> tuple[int, int, dict[int, float], float]:
    """Opening hours, mean arrivals per clock hour on a weekday, and the weekend factor."""
    day = visits["arrival"].dt.normalize()
    weekend = day.dt.weekday >= 5
    n_weekdays, n_weekend = day[~weekend].nunique(), day[weekend].nunique()
    basis = ~weekend if n_weekdays else weekend
    if not n_weekdays:
        notes.append("no weekday observed: arrivals are those of weekend days, weekend factor 1")
    hour = visits["arrival"].dt.hour
    opens, closes = int(hour.min()), int(hour.max()) + 1
    counts = hour[basis].value_counts().reindex(range(opens, closes), fill_value=0)
    per_hour = {int(h): round(float(c) / day[basis].nunique(), 3) for h, c in counts.items()}
    factor = 1.0
    if n_weekdays and n_weekend:
        factor = round((weekend.sum() / n_weekend) / ((~weekend).sum() / n_weekdays), 3)
    elif n_weekdays:
        notes.append("no weekend day observed: weekend factor 1")
    return opens, closes, per_hour, factor


def _shares(values: pd.Series, allowed: set[str] | None, what: str, notes: list[str]) -> dict[str, float]:
    """Shares of each value among those named (and, if `allowed` is given, known)."""
    named = values.dropna()
    if allowed is not None:
        unknown = named[~named.isin(allowed)]
        if len(unknown):
            notes.append(f"{len(unknown)} visits name a {what} the blueprint does not know "
                         f"({', '.join(sorted(set(unknown))[:3])}): left out of the {what} mix")
        named = named[named.isin(allowed)]
    if len(named) < len(values):
        notes.append(f"{len(values) - len(named)} of {len(values)} visits name no {what}")
    return {str(k): round(float(v), 4) for k, v in named.value_counts(normalize=True).sort_index().items()}


def _minutes(t: pd.DataFrame) -> pd.Series:
    """Minutes each touch spent being served: `service_min`, else end − start − wait."""
    spent = (t["end_at"] - t["start_at"]).dt.total_seconds() / 60 - t["wait_min"].fillna(0)
    return t["service_min"].fillna(spent)


def _service(touches: pd.DataFrame, queue: list[str]) -> dict[str, Dist]:
    """Per moment outside the queues with two or more timed touches: a gamma of that mean and cv."""
    out: dict[str, Dist] = {}
    spent = _minutes(touches)
    for moment, x in spent[spent >= 0].groupby(touches["moment_id"]):
        if moment in queue or len(x) < 2 or x.mean() <= 0:
            continue
        cv = float(x.std() / x.mean())
        out[str(moment)] = Dist(kind="fixed", mean=round(float(x.mean()), 3)) if cv < 0.01 else \
            Dist(kind="gamma", mean=round(float(x.mean()), 3), cv=round(cv, 3))
    return out


def _station_moments(touches: pd.DataFrame, queue: list[str]) -> list[str]:
    """Moments served by a station: those whose touches record a wait, or that follow a queue moment."""
    before = touches.shift(1)
    after_queue = (before["moment_id"].isin(queue) & before["visit_id"].eq(touches["visit_id"])
                   & before["outcome"].ne("abandoned"))  # one who left the queue went to the exit, not a station
    waited = touches["wait_min"].fillna(0) > 0
    found = touches.loc[(after_queue | waited) & ~touches["moment_id"].isin(queue), "moment_id"]
    return sorted(set(found))


def _stations(touches: pd.DataFrame, queue: list[str], like: HallConfig | None, opens: int, closes: int,
              notes: list[str]) -> dict[str, Station]:
    """The stations (the base's, or one per station moment found) with servers per hour from concurrency."""
    if like and like.stations:
        layout = {name: s.moments for name, s in like.stations.items()}
    else:
        layout = {m: [m] for m in _station_moments(touches, queue)}
    out: dict[str, Station] = {}
    for name, moments in layout.items():
        served = touches[touches["moment_id"].isin(moments)]
        schedule = servers_by_hour(*_service_interval(served), opens, closes)
        if not schedule:
            notes.append(f"station '{name}': no timed service observed; servers kept from the base")
            out[name] = like.stations[name] if like and name in like.stations else Station(moments=moments)
            continue
        out[name] = Station(moments=moments, servers=schedule)
    return out


def _service_interval(t: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """When each touch's service began (after its own wait, else `service_min` before its end) and ended."""
    begin = (t["start_at"] + pd.to_timedelta(t["wait_min"].fillna(0), unit="min")).fillna(
        t["end_at"] - pd.to_timedelta(t["service_min"], unit="min"))
    keep = begin.notna() & t["end_at"].notna()
    return begin[keep].dt.round("s"), t["end_at"][keep]


def servers_by_hour(begin: pd.Series, end: pd.Series, opens: int, closes: int) -> dict[int, int]:
    """Servers per clock hour: the BUSY_QUANTILE over days of the most services begun in the hour under way at once.

    Only services begun in the same hour count, since a service carried over from a busier hour
    may be finishing on a server that is no longer on duty. An hour in which no service began is
    left out (the schedule keeps the hour before's count). Starts are taken ROUNDING_S late, as
    timestamps kept to the second can make a service seem to begin just before the last one ended.
    """
    keep = end > begin
    if not keep.any():
        return {}
    begin, end = begin[keep], end[keep]
    key = pd.concat([begin.dt.floor("h")] * 2, ignore_index=True)
    at = pd.concat([begin + pd.Timedelta(seconds=ROUNDING_S), end], ignore_index=True)
    step = np.r_[np.ones(len(begin)), -np.ones(len(begin))]
    ev = pd.DataFrame({"key": key, "at": at, "step": step}).sort_values(["key", "at", "step"], kind="stable")
    ev["level"] = ev.groupby("key")["step"].cumsum()
    peak = ev[ev["step"] > 0].groupby("key")["level"].max()
    by_hour = peak.groupby(peak.index.hour).quantile(BUSY_QUANTILE, interpolation="higher")
    return {int(h): max(1, int(n)) for h, n in by_hour.items() if opens <= h < closes}


def _patience(touches: pd.DataFrame, notes: list[str]) -> Dist | None:
    """Exponential patience: minutes waited by all who waited over the number who left (censored MLE)."""
    waits = touches[touches["wait_min"].notna()]
    left = int((waits["outcome"] == "abandoned").sum())
    if not left:
        notes.append("nobody left a queue: patience not estimated")
        return None
    return Dist(kind="exponential", mean=round(float(waits["wait_min"].sum()) / left, 3))


def _felt(touches: pd.DataFrame, bp: Blueprint) -> tuple[dict[str, Rating], dict[str, float]]:
    """Rating pads per moment (share of touches rated, usual scale) and the hall's character there.

    The character is the mean of e as rated minus e as inferred over the moment's rated touches:
    the simulator's felt experience is the inferred one shifted by it, and pads record the felt one.
    """
    rated = touches[touches["rating"].notna() & touches["rating_scale"].isin(RATING_SCALES)]
    if rated.empty:
        return {}, {}
    as_rated = touch_e(rated, bp).set_index("touch_id")["e"]
    as_inferred = touch_e(rated.assign(rating=np.nan, rating_scale=None), bp).set_index("touch_id")["e"]
    shift = (as_rated - as_inferred.reindex(as_rated.index)).groupby(rated.set_index("touch_id")["moment_id"]).mean()
    share = rated.groupby("moment_id").size() / touches.groupby("moment_id").size().reindex(shift.index)
    scale = rated.groupby("moment_id")["rating_scale"].agg(lambda x: x.mode().iloc[0])
    ratings = {str(m): Rating(share=round(min(float(share[m]), 1.0), 3), scale=scale[m]) for m in shift.index}
    return ratings, {str(m): round(float(v), 3) for m, v in shift.items()}


def _outcomes(touches: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per moment where at least half the touches record an outcome: the shares of outcomes."""
    out: dict[str, dict[str, float]] = {}
    for moment, o in touches.groupby("moment_id")["outcome"]:
        named = o[o.isin(OUTCOMES) & (o != "abandoned")]
        if len(named) and len(named) >= 0.5 * len(o):
            out[str(moment)] = {str(k): round(float(v), 4) for k, v in named.value_counts(normalize=True).items()}
    return out


def hourly_waits(touches: pd.DataFrame) -> pd.DataFrame:
    """Per clock hour in which waits began: number of waits, mean and 90th percentile (minutes)."""
    w = touches[touches["wait_min"].notna()]
    g = w.groupby(w["start_at"].dt.hour.rename("hour"))["wait_min"]
    return pd.DataFrame({"waits": g.size(), "mean": g.mean(), "p90": g.quantile(0.9)})


def check(cfg: HallConfig, bp: Blueprint, obs: Observed, reps: int = 5, seed: int = 0) -> pd.DataFrame:
    """Per hour: observed waits (per day, mean, p90) beside the fitted model's on the same dates (± 95% CI).

    Each replication simulates every day from the first observed date to the last and keeps the
    observed dates, so the weekday/weekend mix is the data's.
    """
    dates = obs.dates()
    seen = hourly_waits(obs.touches)
    runs = []
    for r in range(reps):
        sim = simulate(cfg, bp, dates[0], (dates[-1] - dates[0]).days + 1, seed, replication=r + 1, rated=False)
        kept = sim.visits.loc[sim.visits["arrival"].dt.date.isin(dates), "visit_id"]
        runs.append(hourly_waits(sim.touches[sim.touches["visit_id"].isin(kept)]).assign(rep=r))
    sims = pd.concat(runs).reset_index()
    g = sims.groupby("hour")
    out = pd.DataFrame({
        "observed_per_day": seen["waits"] / len(dates), "simulated_per_day": g["waits"].sum() / reps / len(dates),
        "observed_mean": seen["mean"], "simulated_mean": g["mean"].mean(),
        "simulated_mean_ci": [half_width(s, n) for s, n in zip(g["mean"].std(), g.size(), strict=True)],
        "observed_p90": seen["p90"], "simulated_p90": g["p90"].mean(),
        "simulated_p90_ci": [half_width(s, n) for s, n in zip(g["p90"].std(), g.size(), strict=True)],
    })
    return out.rename_axis("hour").reset_index()
