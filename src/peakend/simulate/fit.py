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

import functools
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast, get_args

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from peakend.blueprint.model import OUTCOMES, Blueprint, Route
from peakend.errors import FitError
from peakend.simulate.config import Dist, HallConfig, Rating, Station
from peakend.simulate.experience import touch_e
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
    capacity: Capacity | None = None


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


def fit(obs: Observed, bp: Blueprint, like: HallConfig | None = None, calibrate: bool = True, reps: int = 3,
        seed: int = 0) -> Fitted:
    """A hall configuration estimated from `obs` (structure and policies from `like` where given).

    With `calibrate`, the servers of the station customers queue for are the effective ones
    (`effective_servers`), the raw concurrency kept beside them in `Fitted.capacity`.
    """
    base = like or HallConfig(hall_id=obs.hall_id, arrivals={9: 1.0}, routes={bp.routes[0].id: 1.0})
    notes: list[str] = []
    weekend_days_ = weekend_days(obs.visits, notes)
    off = holidays(obs.visits, weekend_days_, notes)
    opens, closes, arrivals, weekend = _arrivals(obs.visits, weekend_days_, off, notes)
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
        "weekend": weekend_days_,
        "holidays": off,
        "weekday_factors": weekday_factors(obs.visits, weekend_days_, off),
        "routes": routes, "segments": segments, "stations": stations, "queue_moments": queue,
        "service": {**base.service, **_service(touches, queue)},
        "outcomes": {**base.outcomes, **_outcomes(touches[~last.reindex(touches.index)])},
        "patience": _patience(touches, notes) or base.patience,
    }
    priority = _priorities(obs, notes)
    if priority:
        update["priority"] = priority
    ratings, character = _felt(touches, bp)
    if ratings:
        update.update(ratings={**base.ratings, **ratings}, character={**base.character, **character})
    else:
        notes.append("no touch carries a rating: rating pads and the hall's character not estimated")
    cfg = HallConfig.model_validate({**base.model_dump(), **{k: _plain(v) for k, v in update.items()}})
    capacity = None
    if calibrate and touches["wait_min"].notna().any():
        cfg, capacity = effective_servers(cfg, bp, obs, reps, seed)
        if capacity is not None:
            t = capacity.table
            notes.append(f"station '{capacity.station}': effective servers calibrated by simulation to the observed "
                         f"waits and abandonment; {int((t['effective'] < t['raw']).sum())} of {len(t)} hours below "
                         f"the raw concurrency (which counts everyone who ever served)")
    return Fitted(cfg, len(obs.visits), len(obs.dates()), notes, capacity)


def _segment_waits(obs: Observed) -> pd.DataFrame:
    """Every recorded wait with its visit's segment and day."""
    w = _waits(obs.touches)
    seg = obs.touches.loc[w.index, "visit_id"].map(obs.visits.set_index("visit_id")["segment"])
    return w.assign(segment=seg.to_numpy())


def _priorities(obs: Observed, notes: list[str]) -> dict[str, int]:
    """Segments served ahead of the others, told by the waits of those served after waiting at all (where a
    priority acts): surely shorter (Welch's t-test p < 0.001, at least 30 such waits, a mean under 80% of the
    others') — a non-preemptive priority class 1 (the others 0)."""
    w = _segment_waits(obs).dropna(subset=["segment"])
    w = w[(w["wait"] > 0) & ~w["left"]]
    if w["segment"].nunique() < 2:
        return {}
    out = {}
    for seg, mine in w.groupby("segment"):
        rest = w.loc[w["segment"] != seg, "wait"]
        if len(mine) < 30 or len(rest) < 30 or rest.mean() <= 0:
            continue
        p = float(stats.ttest_ind(mine["wait"], rest, equal_var=False).pvalue)
        if p < 0.001 and mine["wait"].mean() < 0.8 * rest.mean():
            out[str(seg)] = 1
            notes.append(f"segment '{seg}': served after waiting {mine['wait'].mean():.2f} min against "
                         f"{rest.mean():.2f} for the others (Welch p = {p:.1e}): served ahead, priority class 1")
    return out


def class_check(cfg: HallConfig, bp: Blueprint, obs: Observed, reps: int = 10, seed: int = 0) -> pd.DataFrame:
    """Per segment (priority class): observed mean wait with its day-bootstrap interval beside the simulated
    one with a prediction interval for one replication, and whether it lies inside (`ok`)."""
    dates = obs.dates()
    seen = _segment_waits(obs).dropna(subset=["segment"])
    rng = np.random.default_rng(seed)
    rows = []
    sims = []
    for r in range(reps):
        sim = simulate(cfg, bp, dates[0], (dates[-1] - dates[0]).days + 1, seed, replication=r + 1, rated=False)
        kept = sim.visits[sim.visits["arrival"].dt.date.isin(dates)]
        one = Observed(obs.hall_id, kept[["visit_id", "route", "segment", "arrival"]],
                       sim.touches[sim.touches["visit_id"].isin(kept["visit_id"])])
        sims.append(_segment_waits(one).groupby("segment")["wait"].mean().rename(r))
    by_rep = pd.concat(sims, axis=1)
    t = stats.t.ppf(0.975, max(reps - 1, 1))
    for seg, mine in seen.groupby("segment"):
        days = [d["wait"].to_numpy() for _, d in mine.groupby("day")]
        draws = [np.concatenate([days[i] for i in rng.integers(0, len(days), len(days))]).mean() for _ in range(BOOT)]
        lo, hi = np.percentile(draws, [2.5, 97.5])
        sim = by_rep.loc[seg] if seg in by_rep.index else pd.Series(dtype=float)
        mean, spread = float(sim.mean()), float(t * sim.std() * np.sqrt(1 + 1 / reps))
        observed_mean = float(mine["wait"].mean())
        rows.append({"segment": seg, "priority": cfg.priority.get(str(seg), 0), "waits": len(mine),
                     "observed_mean": observed_mean, "observed_lo": lo, "observed_hi": hi, "simulated_mean": mean,
                     "simulated_plo": max(mean - spread, 0.0), "simulated_phi": mean + spread,
                     "ok": mean - spread - 1e-9 <= observed_mean <= mean + spread + 1e-9})
    return pd.DataFrame(rows)


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


WEEKEND_GAP, WEEKEND_Z = 0.25, 3.0  # a weekend weekday differs from the median weekday by this share, surely


def weekend_days(visits: pd.DataFrame, notes: list[str]) -> list[int]:
    """The hall's weekend weekdays (Monday 0), told by the data when every weekday was seen at least twice:
    those whose mean visits per day differ from the median weekday's by more than `WEEKEND_GAP` (fewer, as
    at a centre closed to most on its weekend, or more, as at a hall busiest on Saturday) and by more than
    `WEEKEND_Z` standard errors. Else Saturday and Sunday."""
    per_day = visits["arrival"].dt.normalize().value_counts()
    by_weekday = per_day.groupby(per_day.index.weekday)
    if by_weekday.ngroups < 7 or by_weekday.size().min() < 2:
        return [5, 6]
    mean, size = by_weekday.mean(), by_weekday.size()
    spread = float(np.sqrt((by_weekday.var(ddof=1) * (size - 1)).sum() / (size - 1).sum()))  # pooled day-to-day sd
    median = float(mean.median())
    odd = [int(d) for d in mean.index if abs(mean[d] / median - 1) > WEEKEND_GAP
           and abs(mean[d] - median) > WEEKEND_Z * max(spread, 1.0) / np.sqrt(size[d])]
    if odd != [5, 6]:
        names = ", ".join(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d] for d in odd) or "none"
        notes.append(f"weekend days told by the data: {names} (mean visits per weekday "
                     f"{', '.join(f'{v:.0f}' for v in mean.to_numpy())})")
    return sorted(odd)


HOLIDAY_SHARE = 0.4  # a working day with fewer visits than this share of its weekday's median is a holiday


def holidays(visits: pd.DataFrame, weekend: list[int], notes: list[str]) -> list[date]:
    """Working days that were almost empty: fewer visits than `HOLIDAY_SHARE` of the median of the same weekday
    (at least three of it seen). They get weekend arrivals in the model, and are left out of working days'."""
    per_day = visits["arrival"].dt.normalize().value_counts()
    out = []
    for _, days in per_day.groupby(per_day.index.weekday):
        if len(days) < 3 or days.index[0].weekday() in weekend:
            continue
        out += [d.date() for d, n in days.items() if n < HOLIDAY_SHARE * days.median()]
    if out:
        notes.append(f"holidays told by the data (a working day almost empty): {', '.join(map(str, sorted(out)))}")
    return sorted(out)


def _arrivals(visits: pd.DataFrame, days: list[int], off: list[date],
              notes: list[str]) -> tuple[int, int, dict[int, float], float]:
    """Opening hours, mean arrivals per clock hour on a working day and the weekend factor, given the weekend
    days and holidays."""
    day = visits["arrival"].dt.normalize()
    weekend = day.dt.weekday.isin(days) | day.dt.date.isin(off)
    n_weekdays, n_weekend = day[~weekend].nunique(), day[weekend].nunique()
    basis = ~weekend if n_weekdays else weekend
    if not n_weekdays:
        notes.append("no working day observed: arrivals are those of weekend days, weekend factor 1")
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


def weekday_factors(visits: pd.DataFrame, weekend: list[int], holiday: list[date]) -> dict[int, float]:
    """Each weekday's mean visits over a working day's (holidays left out), when every weekday was seen at
    least twice: arrivals per weekday and hour are the working day's hourly rates times this."""
    day = visits["arrival"].dt.normalize()
    per_day = day[~day.dt.date.isin(holiday)].value_counts()
    by_weekday = per_day.groupby(per_day.index.weekday)
    if by_weekday.ngroups < 7 or by_weekday.size().min() < 2:
        return {}
    working = per_day[~per_day.index.weekday.isin(weekend)]
    if working.empty:
        return {}
    return {int(d): round(float(m / working.mean()), 3) for d, m in by_weekday.mean().items()}


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


CHOOSE_FROM = 30  # times needed before a distribution is chosen by likelihood (fewer: a gamma of their mean and cv)


def service_dist(x: np.ndarray) -> Dist:
    """The time spent at a moment: gamma, lognormal or Weibull by maximum likelihood, the lowest AIC kept
    (all have two parameters), each with the observed mean and cv; a fixed time when the times hardly vary."""
    mean = float(x.mean())
    cv = float(x.std(ddof=1) / mean) if len(x) > 1 else 0.0
    if cv < 0.01:
        return Dist(kind="fixed", mean=round(mean, 3))
    if len(x) < CHOOSE_FROM:
        return Dist(kind="gamma", mean=round(mean, 3), cv=round(cv, 3))
    x = np.maximum(x, 1e-3)  # a time kept to the second may read 0
    best, best_ll = Dist(kind="gamma", mean=round(mean, 3), cv=round(cv, 3)), -np.inf
    for kind, family in (("gamma", stats.gamma), ("lognormal", stats.lognorm), ("weibull", stats.weibull_min)):
        try:
            shape, _, scale = family.fit(x, floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
            continue
        ll = float(family.logpdf(x, shape, 0, scale).sum())
        if np.isfinite(ll) and ll > best_ll:
            best_ll, best = ll, Dist(kind=cast("Any", kind), mean=round(mean, 3), cv=round(cv, 3))
    return best


def _service(touches: pd.DataFrame, queue: list[str]) -> dict[str, Dist]:
    """Per moment outside the queues with two or more timed touches: its time's distribution (`service_dist`),
    with the observed mean and cv (a moment without timed touches keeps the base's, or the default)."""
    out: dict[str, Dist] = {}
    spent = _minutes(touches)
    for moment, x in spent[spent >= 0].groupby(touches["moment_id"]):
        if moment in queue or len(x) < 2 or x.mean() <= 0:
            continue
        out[str(moment)] = service_dist(x.to_numpy(float))
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
        out[name] = Station(moments=moments, servers=dict[int, float](schedule))
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


PATIENCE_KINDS = ("exponential", "lognormal", "weibull")


@dataclass(frozen=True)
class Patience:
    """Patience fitted from censored waits: the chosen distribution, and each candidate's AIC."""

    dist: Dist
    aic: dict[str, float]
    left: int
    waited: int
    low: float = float("nan")  # 95% interval of the mean patience
    high: float = float("nan")


def fit_patience(waits: np.ndarray, left: np.ndarray) -> Patience | None:
    """Patience from waits (minutes) and whether each waiter left: those who left show their patience, those
    served only that it was longer (right-censored). Exponential, lognormal and Weibull are fitted by
    maximum likelihood (scipy's censored fit) and the lowest AIC is kept. None when nobody left."""
    if not left.any():
        return None
    events = np.maximum(waits[left], 0.01)  # a wait kept to the second may read 0; patience is positive
    censored = waits[~left][waits[~left] > 0]  # served at once: patience > 0 says nothing
    data = stats.CensoredData(uncensored=events, right=censored)
    aic: dict[str, float] = {}
    dists: dict[str, Dist] = {}
    mean_exp = float((events.sum() + censored.sum()) / len(events))  # all minutes waited over those who left
    aic["exponential"] = 2 * 1 - 2 * float(stats.expon.logpdf(events, scale=mean_exp).sum()
                                           + stats.expon.logsf(censored, scale=mean_exp).sum())
    dists["exponential"] = Dist(kind="exponential", mean=round(mean_exp, 3))
    others = (("lognormal", stats.lognorm), ("weibull", stats.weibull_min)) if len(events) >= CHOOSE_FROM else ()
    for kind, family in others:
        try:
            shape, _, scale = family.fit(data, floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
            continue
        ll = float(family.logpdf(events, shape, 0, scale).sum() + family.logsf(censored, shape, 0, scale).sum())
        if not np.isfinite(ll):
            continue
        mean, var = (float(x) for x in family.stats(shape, 0, scale, moments="mv"))
        if not (np.isfinite(mean) and mean > 0 and np.isfinite(var)):
            continue
        aic[kind] = 2 * 2 - 2 * ll
        dists[kind] = Dist(kind=cast("Any", kind), mean=round(mean, 3), cv=round(var**0.5 / mean, 3))
    best = min(aic, key=lambda k: aic[k])
    low, high = _patience_interval(best, events, censored, mean_exp)
    return Patience(dists[best], aic, int(left.sum()), len(waits), low, high)


def _patience_interval(kind: str, events: np.ndarray, censored: np.ndarray, mean: float) -> tuple[float, float]:
    """95% interval of the mean patience: exact for the exponential (2·exposure / χ² with 2·left degrees of
    freedom), else a percentile bootstrap of the censored fit (100 resamples)."""
    if kind == "exponential":
        exposure, d = mean * len(events), len(events)
        return (round(2 * exposure / stats.chi2.ppf(0.975, 2 * d), 3),
                round(2 * exposure / stats.chi2.ppf(0.025, 2 * d), 3))
    family = stats.lognorm if kind == "lognormal" else stats.weibull_min
    rng, means = np.random.default_rng(0), []
    for _ in range(100):
        e, c = events[rng.integers(0, len(events), len(events))], censored[rng.integers(0, len(censored),
                                                                                          len(censored))]
        try:
            shape, _, scale = family.fit(stats.CensoredData(uncensored=e, right=c), floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
            continue
        means.append(float(family.mean(shape, 0, scale)))
    lo, hi = np.nanpercentile(means, [2.5, 97.5]) if means else (np.nan, np.nan)
    return round(float(lo), 3), round(float(hi), 3)


def _patience(touches: pd.DataFrame, notes: list[str]) -> Dist | None:
    """Patience from every recorded wait (`fit_patience`), with a note of the distributions compared."""
    waits = touches[touches["wait_min"].notna()]
    found = fit_patience(waits["wait_min"].to_numpy(float), (waits["outcome"] == "abandoned").to_numpy())
    if found is None:
        notes.append("nobody left a queue: patience not estimated")
        return None
    compared = ", ".join(f"{k} {v:.1f}" for k, v in sorted(found.aic.items(), key=lambda kv: kv[1]))
    notes.append(f"patience: {found.dist.kind} (mean {found.dist.mean} min, 95% {found.low}–{found.high}, "
                 f"cv {found.dist.cv}) from {found.left} "
                 f"who left of {found.waited} who waited, by likelihood with censoring (AIC {compared})")
    return found.dist


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


FIGURES = ("mean", "p90", "abandon")  # what the check compares per hour: mean wait, its 90th percentile, share left
BOOT = 200  # resamples of the observed days for the observation's own interval


def _waits(touches: pd.DataFrame) -> pd.DataFrame:
    """Every recorded wait: its day, clock hour, minutes, and whether the waiter left."""
    w = touches[touches["wait_min"].notna() & touches["start_at"].notna()]
    return pd.DataFrame({"day": w["start_at"].dt.normalize(), "hour": w["start_at"].dt.hour,
                         "wait": w["wait_min"].to_numpy(float), "left": (w["outcome"] == "abandoned").to_numpy()})


def hourly_waits(touches: pd.DataFrame) -> pd.DataFrame:
    """Per clock hour in which waits began: number of waits, mean and 90th percentile (minutes), share who left."""
    w = _waits(touches)
    g = w.groupby("hour")
    return pd.DataFrame({"waits": g.size(), "mean": g["wait"].mean(), "p90": g["wait"].quantile(0.9),
                         "abandon": g["left"].mean()})


def _observed_intervals(touches: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The observation's own 95% sampling interval of each hourly figure: the days resampled (a day's
    customers share its staffing and its queue, so the day is the unit that varies)."""
    w = _waits(touches)
    rng = np.random.default_rng(seed)
    rows = []
    for hour, mine in w.groupby("hour"):
        days = [d for _, d in mine.groupby("day")]
        if len(days) < 2:
            rows.append({"hour": hour, **{f"{f}_{e}": np.nan for f in FIGURES for e in ("lo", "hi")}})
            continue
        draws = []
        for _ in range(BOOT):
            pick = pd.concat([days[i] for i in rng.integers(0, len(days), len(days))])
            draws.append((pick["wait"].mean(), pick["wait"].quantile(0.9), pick["left"].mean()))
        lo, hi = np.percentile(np.array(draws), [2.5, 97.5], axis=0)
        rows.append({"hour": hour, **{f"{f}_lo": lo[i] for i, f in enumerate(FIGURES)},
                     **{f"{f}_hi": hi[i] for i, f in enumerate(FIGURES)}})
    return pd.DataFrame(rows).set_index("hour")


def simulated_runs(cfg: HallConfig, bp: Blueprint, obs: Observed, reps: int, seed: int) -> pd.DataFrame:
    """Each replication's hourly figures, the fitted hall simulated over the observed dates (so the weekday and
    weekend mix is the data's): columns hour, rep, waits, mean, p90, abandon."""
    dates = obs.dates()
    runs = []
    for r in range(reps):
        sim = simulate(cfg, bp, dates[0], (dates[-1] - dates[0]).days + 1, seed, replication=r + 1, rated=False)
        kept = sim.visits.loc[sim.visits["arrival"].dt.date.isin(dates), "visit_id"]
        runs.append(hourly_waits(sim.touches[sim.touches["visit_id"].isin(kept)]).assign(rep=r))
    return pd.concat(runs).rename_axis("hour").reset_index()


def check(cfg: HallConfig, bp: Blueprint, obs: Observed, reps: int = 10, seed: int = 0) -> pd.DataFrame:
    """Per hour, observed beside simulated: waits per day, mean wait, 90th-percentile wait and the share who left.

    Each observed figure has its own 95% sampling interval (`_lo`, `_hi`, the days resampled); each
    simulated one the mean over replications and a 95% prediction interval for one replication
    (`_plo`, `_phi`: mean ± t·sd·√(1 + 1/reps)). A replication covers the same dates as the data, so it
    carries the same sampling noise: the hour agrees (`_ok`) when the observed figure lies inside it.
    No fixed slack.
    """
    dates = obs.dates()
    seen = hourly_waits(obs.touches)
    own = _observed_intervals(obs.touches, seed)
    sims = simulated_runs(cfg, bp, obs, reps, seed)
    hours = sorted(set(seen.index) | set(sims["hour"]))
    g = sims.set_index(["hour", "rep"]).reindex(pd.MultiIndex.from_product([hours, range(reps)], names=["hour", "rep"]))
    g = g.assign(waits=g["waits"].fillna(0)).groupby("hour")
    out = pd.DataFrame(index=pd.Index(hours, name="hour"))
    out["observed_per_day"] = seen["waits"].reindex(out.index).fillna(0) / len(dates)
    out["simulated_per_day"] = g["waits"].mean() / len(dates)
    t = stats.t.ppf(0.975, max(reps - 1, 1))
    for f in FIGURES:
        out[f"observed_{f}"] = seen[f].reindex(out.index)
        out[f"observed_{f}_lo"], out[f"observed_{f}_hi"] = own[f"{f}_lo"].reindex(out.index), own[
            f"{f}_hi"].reindex(out.index)
        mean, sd = g[f].mean(), g[f].std().fillna(0)
        spread = t * sd * np.sqrt(1 + 1 / reps)
        out[f"simulated_{f}"] = mean
        out[f"simulated_{f}_plo"], out[f"simulated_{f}_phi"] = (mean - spread).clip(lower=0), mean + spread
        inside = (out[f"observed_{f}"] >= out[f"simulated_{f}_plo"] - 1e-9) & (
            out[f"observed_{f}"] <= out[f"simulated_{f}_phi"] + 1e-9)
        out[f"{f}_ok"] = inside.where(out[f"observed_{f}"].notna())
    return out.reset_index()


@dataclass(frozen=True)
class Agreement:
    """How well a check's hours agree, figure by figure: coverage, mean absolute error, hours that miss."""

    hours: int
    covered: dict[str, int]
    mae: dict[str, float]
    missed: dict[str, list[int]]
    abandon_observed: float
    abandon_simulated: float

    def reproduces(self, share: float = 0.8) -> bool:
        """Whether the observed mean wait lies inside the model's interval in at least `share` of the hours."""
        return self.hours > 0 and self.covered["mean"] >= share * self.hours


def agreement(table: pd.DataFrame, obs: Observed) -> Agreement:
    """Summarise a `check` table; hours without observed waits are not counted."""
    seen = table[table["observed_mean"].notna()]
    w = _waits(obs.touches)
    return Agreement(
        len(seen),
        {f: int(seen[f"{f}_ok"].fillna(False).astype(bool).sum()) for f in FIGURES},
        {f: float((seen[f"observed_{f}"] - seen[f"simulated_{f}"]).abs().mean()) for f in FIGURES},
        {f: [int(h) for h in seen.loc[~seen[f"{f}_ok"].fillna(False).astype(bool), "hour"]] for f in FIGURES},
        float(w["left"].mean()) if len(w) else 0.0,
        float((table["simulated_abandon"] * table["simulated_per_day"]).sum()
              / max(table["simulated_per_day"].sum(), 1e-12)),
    )


SHIFTS = (-2, -1, 0, 1, 2)  # server counts tried around the current one, per hour, each coarse round
FINE = (-0.5, -0.25, 0, 0.25, 0.5)  # then fractions of a server: staff on duty part of the hour


@dataclass(frozen=True)
class Capacity:
    """Servers per hour at the station customers queue for: raw concurrency, and the effective count
    calibrated by simulation, with the counts consistent with the data (`low`–`high`)."""

    station: str
    table: pd.DataFrame  # hour, raw, effective, low, high, observed_mean, simulated_mean, observed_abandon, ...


def _scale(seen: pd.DataFrame, own: pd.DataFrame, f: str, floor: float) -> pd.Series:
    """The observation's standard error of figure `f` per hour (from its bootstrap interval), at least `floor`."""
    se = (own[f"{f}_hi"] - own[f"{f}_lo"]).reindex(seen.index) / 3.92
    return se.fillna(floor).clip(lower=floor)


def effective_servers(cfg: HallConfig, bp: Blueprint, obs: Observed, reps: int = 3, seed: int = 0,
                      rounds: int = 4) -> tuple[HallConfig, Capacity | None]:
    """Servers per hour at the queued station, calibrated so that the model reproduces each hour's observed
    mean wait and share who left (a simulation-based fit: each round tries the counts around the current
    ones in every hour at once and keeps, hour by hour, the one closest to the data in standard errors).

    Raw concurrency counts everyone who ever served; the effective count is the capacity callers met, never
    above it.
    The interval is every count tried whose simulated figures lie within 1.96 combined standard errors
    (observation and simulation) of the observed ones.
    """
    name = cfg.queued_station(bp)
    if name is None or not obs.touches["wait_min"].notna().any():
        return cfg, None
    seen, own = hourly_waits(obs.touches), _observed_intervals(obs.touches, seed)
    se_m, se_a = _scale(seen, own, "mean", 0.05), _scale(seen, own, "abandon", 0.005)
    raw = dict(enumerate(cfg.stations[name].schedule(cfg.opens, cfg.closes), start=cfg.opens))
    current: dict[int, float] = dict(raw)
    tried: dict[int, dict[float, tuple[float, float, float, float]]] = {h: {} for h in raw}
    ask = functools.partial(_hourly, cfg, bp, obs, name, reps=reps, seed=seed)
    for shifts, most in ((SHIFTS, rounds), (FINE, 2)):
        for _ in range(most):
            moved = False
            for parity in (0, 1):  # every other hour at once: a neighbour's queue spills over, so neighbours stay
                mine = [h for h in raw if (h - cfg.opens) % 2 == parity and h in seen.index]
                results = {d: ask({h: _bounded(c + d, raw[h]) if h in mine else c for h, c in current.items()})
                           for d in shifts}
                for h in mine:
                    for d, r in results.items():
                        if h in r.index:
                            tried[h][_bounded(current[h] + d, raw[h])] = tuple(
                                r.loc[h, ["mean", "mean_se", "abandon", "abandon_se"]])
                    best = min(tried[h], key=lambda c: _loss(tried[h][c], seen.loc[h], se_m[h], se_a[h]))
                    moved |= best != current[h]
                    current[h] = best
            if not moved:
                break
    rows = []
    for h in raw:
        fits = _interval(tried[h], seen.loc[h], se_m[h], se_a[h]) if h in seen.index else []
        chosen = tried[h].get(current[h])
        rows.append({"hour": h, "raw": raw[h], "effective": current[h],
                     "low": min(fits) if fits else current[h], "high": max(fits) if fits else current[h],
                     "observed_mean": seen["mean"].get(h, np.nan), "simulated_mean": chosen[0] if chosen else np.nan,
                     "observed_abandon": seen["abandon"].get(h, np.nan),
                     "simulated_abandon": chosen[2] if chosen else np.nan})
    stations = {**cfg.stations, name: Station(moments=cfg.stations[name].moments, servers=current)}
    fitted = HallConfig.model_validate({**cfg.model_dump(), "stations": {k: v.model_dump() for k, v in
                                                                         stations.items()}})
    return fitted, Capacity(name, pd.DataFrame(rows))


def _bounded(count: float, raw: float) -> float:
    """A server count to try: at least one, and at most the raw concurrency — the capacity callers met is
    never more than the most who were seen serving at once (where waits are near zero, more would always
    fit a little better)."""
    return max(1, min(count, raw))


def _hourly(cfg: HallConfig, bp: Blueprint, obs: Observed, name: str, servers: dict[int, float], reps: int,
            seed: int) -> pd.DataFrame:
    """Mean wait and share who left per hour (with standard errors over replications) under these servers."""
    trial = cfg.model_copy(update={"stations": {**cfg.stations, name: Station(moments=cfg.stations[name].moments,
                                                                              servers=servers)}})
    runs = simulated_runs(trial, bp, obs, reps, seed)
    g = runs.groupby("hour")
    n = np.sqrt(g.size())
    return pd.DataFrame({"mean": g["mean"].mean(), "mean_se": g["mean"].std().fillna(0) / n,
                         "abandon": g["abandon"].mean(), "abandon_se": g["abandon"].std().fillna(0) / n})


def _loss(sim: tuple[float, float, float, float], seen: pd.Series, se_m: float, se_a: float) -> float:
    mean, mean_se, abandon, abandon_se = sim
    return float(((mean - seen["mean"]) ** 2 / (se_m**2 + mean_se**2))
                 + ((abandon - seen["abandon"]) ** 2 / (se_a**2 + abandon_se**2)))


def _interval(tried: dict[float, tuple[float, float, float, float]], seen: pd.Series, se_m: float,
              se_a: float) -> list[float]:
    """The server counts consistent with the data: within 1.96 combined standard errors, or two neighbouring
    counts tried (at most one server apart) whose simulated mean waits bracket the observed one (the capacity
    met lies between them)."""
    fits = [c for c, v in tried.items() if _consistent(v, seen, se_m, se_a)]
    for a, b in itertools.pairwise(sorted(tried)):
        if b - a <= 1 and (tried[a][0] - seen["mean"]) * (tried[b][0] - seen["mean"]) < 0:
            fits += [a, b]
    return fits


def _consistent(sim: tuple[float, float, float, float], seen: pd.Series, se_m: float, se_a: float) -> bool:
    mean, mean_se, abandon, abandon_se = sim
    return bool(abs(mean - seen["mean"]) <= 1.96 * np.hypot(se_m, mean_se)
                and abs(abandon - seen["abandon"]) <= 1.96 * np.hypot(se_a, abandon_se))
