"""Behavioural loyalty from the visits themselves: who came back, and which regulars stopped coming.

A known customer (a customer key) returns when they visit again, at any hall of the network. A visit's time
to return is right-censored at the last day the store has seen: a customer whose window is still open is
not a non-returner. The share back within N days is 1 − S(N) of the Kaplan–Meier curve (statsmodels'
`SurvfuncRight`) with a log(−log) interval. Its standard error is clustered by customer (the infinitesimal
jackknife of Lin & Wei 1989 / Williams 1995, "Product-limit survival functions with correlated survival times"):
one customer's visits are not independent — a frequent customer returns soon after each of them — and Greenwood's
error, which takes every visit for independent, covered 81–87% instead of 95% (tests/test_interval_coverage.py).
For models, a visit's "returned within N days" is known only when they did, or when N days have passed since it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.scoring.halls import Z95

DAY = pd.Timedelta(days=1)


def next_visits(who: pd.DataFrame, scores: pd.DataFrame, last: datetime | None,
                halls: set[str] | None = None) -> pd.DataFrame:
    """`who` (visit_id, customer_key, arrival) joined to `scores`, with `gap_days` to the customer's next
    visit anywhere and `seen_days` from the visit to `last`."""
    who = who.dropna(subset=["arrival"]).sort_values(["customer_key", "arrival", "visit_id"])
    nxt = who.groupby("customer_key")["arrival"].shift(-1)
    who = who.assign(gap_days=(nxt - who["arrival"]) / DAY, seen_days=(pd.Timestamp(last) - who["arrival"]) / DAY)
    out = scores.merge(who, on="visit_id")
    return out[out["hall_id"].isin(sorted(halls))] if halls is not None else out


def horizon(frame: pd.DataFrame, days: int) -> int:
    """The return window the data can speak to: `days`, or half the span they cover when that is shorter
    (so that at least half the visits' windows have closed), at least one day."""
    seen = frame["seen_days"].max() if len(frame) else np.nan
    return max(1, int(min(days, seen / 2))) if np.isfinite(seen) else days


def returned_within(frame: pd.DataFrame, days: int) -> pd.Series:
    """1.0 if the visit's customer came back within `days`, 0.0 if not; NaN while the window is still open
    (censored: neither a non-returner nor, lest early returns be over-counted, a returner yet)."""
    back = frame["gap_days"] <= days
    closed = frame["seen_days"] >= days
    return pd.Series(np.where(closed, back.astype(float), np.nan), index=frame.index)


@dataclass(frozen=True)
class ReturnShare:
    """Share back within `days` by Kaplan–Meier, with its 95% interval."""

    visits: int
    returned: int
    days: int
    share: float
    low: float
    high: float


def return_share(frame: pd.DataFrame, days: int) -> ReturnShare:
    """1 − S(days) of the time to return, censored at the store's last day."""
    event = frame["gap_days"].notna().to_numpy()
    time = np.where(event, frame["gap_days"], frame["seen_days"]).astype(float)
    if not len(time) or not event.any():
        return ReturnShare(len(time), 0, days, 0.0 if len(time) else np.nan, np.nan, np.nan)
    time = np.maximum(time, 1e-6)  # a same-instant return still counts as a return
    from statsmodels.duration.survfunc import SurvfuncRight  # (loads in seconds: only when asked)

    sf = SurvfuncRight(time, event.astype(int))
    at = np.searchsorted(sf.surv_times, days, side="right") - 1
    if at < 0:
        return ReturnShare(len(time), int(event.sum()), days, 0.0, 0.0, 0.0)
    s = float(sf.surv_prob[at])
    who = frame["customer_key"].to_numpy() if "customer_key" in frame else np.arange(len(time))
    se = clustered_se(time, event, who, days, s)
    if s <= 0 or s >= 1 or not np.isfinite(se):
        return ReturnShare(len(time), int(event.sum()), days, 1 - s, np.nan, np.nan)
    # log(−log S) interval (Kalbfleisch–Prentice), then turned into a share back
    half = Z95 * se / (s * abs(np.log(s)))
    lo_s, hi_s = s ** np.exp(half), s ** np.exp(-half)
    return ReturnShare(len(time), int(event.sum()), days, 1 - s, 1 - hi_s, 1 - lo_s)


def clustered_se(time: np.ndarray, event: np.ndarray, cluster: np.ndarray, days: float, s: float) -> float:
    """Standard error of the Kaplan–Meier S(days) = `s` with observations correlated within `cluster`: each
    observation's influence −S·(δ·1[T ≤ t]/Y(T) − Σ_{tⱼ ≤ min(T, t)} dⱼ/Y(tⱼ)²), summed per cluster, squared, added."""
    order = np.sort(time)
    at_risk = len(time) - np.searchsorted(order, time, side="left")  # Y(Tᵢ): observations still at risk at Tᵢ
    times, deaths = np.unique(time[event & (time <= days)], return_counts=True)
    y = len(time) - np.searchsorted(order, times, side="left")
    cum = np.concatenate([[0.0], np.cumsum(deaths / y.astype(float) ** 2)])
    upto = np.searchsorted(times, np.minimum(time, days), side="right")  # event times tⱼ ≤ min(Tᵢ, t)
    influence = -s * (np.where(event & (time <= days), 1 / at_risk, 0.0) - cum[upto])
    per = pd.Series(influence).groupby(pd.Series(cluster).to_numpy(), dropna=False).sum().to_numpy()
    return float(np.sqrt((per ** 2).sum()))


@dataclass(frozen=True)
class Lapses:
    """Regulars (at least `regular_visits` visits) and those gone for longer than their usual gaps allow."""

    regulars: int
    lapsed: int
    share: float


def lapses(frame: pd.DataFrame, bp: Blueprint) -> Lapses:
    """A regular has lapsed when the time since their last visit passes both `lapse_factor` × their median gap
    and `lapse_min_days`; one whose silence is shorter is still active, whatever comes next."""
    rule = bp.loyalty
    per = frame.groupby("customer_key").agg(visits=("visit_id", "size"), gap=("gap_days", "median"),
                                            silent=("seen_days", "min"))
    regular = per[per["visits"] >= rule.regular_visits]
    gone = regular["silent"] > np.maximum(rule.lapse_factor * regular["gap"], rule.lapse_min_days)
    return Lapses(len(regular), int(gone.sum()), float(gone.mean()) if len(regular) else np.nan)
