"""The estimators of a fitted hall, one plain estimator per figure, so a manager can follow where a number came from.

- opening hours: the first and the last clock hour in which anybody arrived;
- arrivals per clock hour: the mean count in that hour over the weekdays observed (the Poisson maximum-likelihood
  rate); weekend weekdays and holidays told by the data; a factor per weekday;
- route and segment mix: shares among the visits that name one (a route otherwise inferred from the moments);
- time spent at each moment (`service_dist`): with at least `CHOOSE_FROM` times, the distribution of lowest AIC
  among the candidates fitted by maximum likelihood; fewer, a gamma of their mean and coefficient of variation;
- stations: a moment whose touches record a wait, or that follows a queue moment, is served by a station of its
  own; its servers per hour are the 90th percentile over days of the most customers served at once in that hour;
- patience (`fit_patience`): exponential, lognormal and Weibull fitted by maximum likelihood with censoring
  (those served only show their patience was longer), the lowest AIC kept; reported by its median with a 95%
  interval — the mean only with a warning when it lies beyond every observed wait;
- priorities: a segment surely served sooner after waiting is a priority class;
- outcomes at a moment and rating pads: shares among its touches; the hall's character there: mean e as rated
  minus e as inferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast, get_args

import numpy as np
import pandas as pd
from scipy import stats

from peakend.blueprint.model import OUTCOMES, Blueprint
from peakend.errors import FitError
from peakend.i18n import say
from peakend.simulate.check import _segment_waits
from peakend.simulate.config import Dist, HallConfig, Rating, Station
from peakend.simulate.experience import touch_e
from peakend.simulate.observed import Observed, infer_routes

RATING_SCALES = get_args(Rating.model_fields["scale"].annotation)  # the scales a simulated rating pad offers


BUSY_QUANTILE = 0.9  # of the days' peak concurrency in an hour: the servers open then


ROUNDING_S = 2  # seconds an interval is trimmed at its start: timestamps are kept to the second


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
            notes.append(say("fit_priority", segment=seg, mine=mine["wait"].mean(), rest=rest.mean(), p=p))
    return out


def _routes(obs: Observed, bp: Blueprint, notes: list[str]) -> pd.Series:
    """Each visit's route: as sent, else inferred from the moments it touched (`infer_routes`)."""
    missing = obs.visits["route"].isna()
    if not missing.any():
        return obs.visits["route"]
    inferred = obs.visits.loc[missing, "visit_id"].map(infer_routes(obs.touches, bp))
    notes.append(say("fit_routes_inferred", n=int(inferred.notna().sum())))
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
        notes.append(say("fit_weekend_days", days=names, means=", ".join(f"{v:.0f}" for v in mean.to_numpy())))
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
        notes.append(say("fit_holidays", days=", ".join(map(str, sorted(out)))))
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
        notes.append(say("fit_no_working_day"))
    hour = visits["arrival"].dt.hour
    opens, closes = int(hour.min()), int(hour.max()) + 1
    counts = hour[basis].value_counts().reindex(range(opens, closes), fill_value=0)
    per_hour = {int(h): round(float(c) / day[basis].nunique(), 3) for h, c in counts.items()}
    factor = 1.0
    if n_weekdays and n_weekend:
        factor = round((weekend.sum() / n_weekend) / ((~weekend).sum() / n_weekdays), 3)
    elif n_weekdays:
        notes.append(say("fit_no_weekend"))
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
            notes.append(say("fit_unknown_mix", n=len(unknown), what=what, value=", ".join(sorted(set(unknown))[:3])))
        named = named[named.isin(allowed)]
    if len(named) < len(values):
        notes.append(say("fit_unnamed_mix", n=len(values) - len(named), of=len(values), what=what))
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
            notes.append(say("fit_station_untimed", station=name))
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


@dataclass(frozen=True)
class Patience:
    """Patience fitted from censored waits: the chosen distribution, and each candidate's AIC."""

    dist: Dist
    aic: dict[str, float]
    left: int
    waited: int
    low: float = float("nan")  # 95% interval of the mean patience
    high: float = float("nan")
    median: float = float("nan")  # the median patience, with its 95% interval: the figure reported
    median_low: float = float("nan")
    median_high: float = float("nan")
    longest: float = float("nan")  # the longest wait observed (minutes)

    @property
    def beyond(self) -> bool:
        """Whether the mean patience lies beyond every observed wait: an extrapolation of the fitted tail."""
        return self.dist.mean > self.longest


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
    (low, high), (m_low, m_high), median = _patience_interval(best, events, censored, mean_exp)
    return Patience(dists[best], aic, int(left.sum()), len(waits), low, high, median, m_low, m_high,
                    float(waits.max()))


Pair = tuple[float, float]


def _patience_interval(kind: str, events: np.ndarray, censored: np.ndarray, mean: float) -> tuple[Pair, Pair, float]:
    """95% intervals of the mean and the median patience, and the median: exact for the exponential
    (2·exposure / χ² with 2·left degrees of freedom; the median is ln 2 times the mean), else a percentile
    bootstrap of the censored fit (100 resamples)."""
    if kind == "exponential":
        exposure, d = mean * len(events), len(events)
        lo, hi = 2 * exposure / stats.chi2.ppf(0.975, 2 * d), 2 * exposure / stats.chi2.ppf(0.025, 2 * d)
        ln2 = np.log(2)
        return (round(lo, 3), round(hi, 3)), (round(ln2 * lo, 3), round(ln2 * hi, 3)), round(ln2 * mean, 3)
    family = stats.lognorm if kind == "lognormal" else stats.weibull_min
    shape0, _, scale0 = family.fit(stats.CensoredData(uncensored=events, right=censored), floc=0)
    median = round(float(family.median(shape0, 0, scale0)), 3)
    rng, means, medians = np.random.default_rng(0), [], []
    for _ in range(100):
        e, c = events[rng.integers(0, len(events), len(events))], censored[rng.integers(0, len(censored),
                                                                                          len(censored))]
        try:
            shape, _, scale = family.fit(stats.CensoredData(uncensored=e, right=c), floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
            continue
        means.append(float(family.mean(shape, 0, scale)))
        medians.append(float(family.median(shape, 0, scale)))
    lo, hi = np.nanpercentile(means, [2.5, 97.5]) if means else (np.nan, np.nan)
    m_lo, m_hi = np.nanpercentile(medians, [2.5, 97.5]) if medians else (np.nan, np.nan)
    return (round(float(lo), 3), round(float(hi), 3)), (round(float(m_lo), 3), round(float(m_hi), 3)), median


def _patience(touches: pd.DataFrame, notes: list[str]) -> Dist | None:
    """Patience from every recorded wait (`fit_patience`), with a note of the distributions compared."""
    waits = touches[touches["wait_min"].notna()]
    found = fit_patience(waits["wait_min"].to_numpy(float), (waits["outcome"] == "abandoned").to_numpy())
    if found is None:
        notes.append(say("fit_no_patience"))
        return None
    compared = ", ".join(f"{k} {v:.1f}" for k, v in sorted(found.aic.items(), key=lambda kv: kv[1]))
    mean = say("fit_mean_beyond" if found.beyond else "fit_mean", mean=found.dist.mean, low=found.low,
               high=found.high, longest=found.longest)
    notes.append(say("fit_patience", kind=found.dist.kind, median=found.median, low=found.median_low,
                     high=found.median_high, mean=mean, cv=found.dist.cv, left=found.left, waited=found.waited,
                     aic=compared))
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
