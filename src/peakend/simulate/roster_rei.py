"""A roster's predicted REI by simulation, against another roster of the same needs (the skill-blind one).

The simulator draws a staff member per visit; it does not know a roster. Here the staff effect is modelled as
each person's shrunk scorecard experience, centred on the people's mean (a person without a card: 0), added to
the felt experience of the touches they serve (`HallConfig.staff_character`). Who serves a touch: the people a
roster puts at the touch's station in its start hour (one of them, drawn by a number shared by both rosters); the
staffed touches that follow in the visit before its next station (counter_result after counter_handling) are
served by the same person, the blueprint's end moment is not. Each replication simulates the days once (its own
random stream, so replications are independent); all of them are rated and scored in one batch under each roster
with the same random numbers, so the difference is paired: its interval is the t-interval of the per-replication
differences of mean REI. Its coverage on simulated truth (tests/test_roster_rei.py, 3 replications of 28 visits):
93.7% for the 95% interval of the difference, 95.0% for a roster's mean REI. The figures are what the model
predicts, not what a roster causes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from peakend.blueprint.model import Blueprint
from peakend.simulate.config import HallConfig
from peakend.simulate.experience import rate, score
from peakend.simulate.hall import Day
from peakend.simulate.run import simulate

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean over replications with its t-interval."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, values: np.ndarray, level: float = LEVEL) -> Estimate:
        """The mean of `values` and its `level` t-interval (a point when fewer than two)."""
        if len(values) < 2:
            m = float(np.mean(values))
            return cls(m, m, m)
        mean, low, high = t_interval(values, level)
        return cls(float(mean), float(low), float(high))


def t_interval(values: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean and `level` t-interval along the last axis of `values` (at least two along it): one interval per
    row, so a coverage test can draw many at once."""
    n = values.shape[-1]
    m = values.mean(axis=-1)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(axis=-1, ddof=1) / np.sqrt(n)
    return m, m - half, m + half


@dataclass(frozen=True)
class Compared:
    """The predicted mean REI under each roster and the difference (peak-aware minus skill-blind)."""

    aware: Estimate
    blind: Estimate
    gain: Estimate
    reps: int
    visits: int  # simulated visits per replication, on average


def effects(scores: dict[str, float | None]) -> dict[str, float]:
    """Each person's staff effect: their shrunk scorecard experience less the mean of those with a card (0 without)."""
    known = [v for v in scores.values() if v is not None]
    centre = float(np.mean(known)) if known else 0.0
    return {k: (0.0 if v is None else float(v) - centre) for k, v in scores.items()}


def served_by(touches: pd.DataFrame, assigned: pd.DataFrame, station_of: dict[str, str], end: set[str],
              draw: np.ndarray) -> pd.Series:
    """Who serves each touch under a roster (`assigned`: staff_id, day, hour, station); None where nobody rostered
    does (outside stations before any, the end moment, customer-lane moments, an hour nobody is at the station)."""
    on = assigned.groupby(["day", "hour", "station"])["staff_id"].agg(lambda s: sorted(s)).to_dict()
    start = pd.to_datetime(touches["start_at"])
    station = touches["moment_id"].map(station_of)
    picked = []
    for d, h, s, u in zip(start.dt.date, start.dt.hour, station, draw, strict=True):
        who = on.get((d, h, s)) if isinstance(s, str) else None
        picked.append(who[int(u * len(who))] if who else ("" if isinstance(s, str) else np.nan))
    out = pd.Series(picked, index=touches.index, dtype=object)
    staffed = touches["staff_id"].notna() & ~touches["moment_id"].isin(end)
    filled = out.where(station.notna() | staffed).groupby(touches["visit_id"]).ffill()
    return filled.where(staffed & filled.notna() & (filled != ""), None)


def rei_of(day: Day, cfg: HallConfig, bp: Blueprint, staff: pd.Series, effect: dict[str, float],
           seed: list[int], rep: pd.Series) -> np.ndarray:
    """Per replication (`rep`: visit_id → replication 0…n−1) the mean REI of the day's visits when `staff` serve
    its touches with `effect`s (ratings drawn from `seed`)."""
    mine = cfg.model_copy(update={"staff_character": effect, "staff_change": {}})
    rated, _, _ = rate(Day(day.visits, day.touches.assign(staff_id=staff)), mine, bp, np.random.default_rng(seed))
    _, visits = score(rated, bp)
    rei = visits.set_index("visit_id")["rei"].astype(float)
    return rei.groupby(rep.reindex(rei.index)).mean().reindex(range(int(rep.max()) + 1)).to_numpy()


def replicate(days: list[tuple[date, HallConfig]], bp: Blueprint, aware: pd.DataFrame, blind: pd.DataFrame,
              effect: dict[str, float], reps: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """Per paired replication the mean REI of `days` (each simulated with its configuration) under the `aware` and
    the `blind` roster's assignments, and the simulated visits in all. Replications are independent (their own
    random streams); all of them are rated and scored in one batch, each visit's noise shared by both rosters."""
    end = {m.id for m in bp.moments if m.role == "end"}
    visits, touches, draws, rep = [], [], [], []
    for r in range(reps):
        frames = [simulate(cfg, bp, d, seed=seed, replication=r + 1, rated=False, prefix=f"R{i}-")
                  for i, (d, cfg) in enumerate(days)]
        visits += [f.visits for f in frames]
        touches += [f.touches for f in frames]
        draws.append(np.random.default_rng([seed, r, 7]).random(sum(len(f.touches) for f in frames)))
        rep.append(pd.Series(r, index=pd.concat([f.visits["visit_id"] for f in frames]).to_numpy()))
    day = Day(pd.concat(visits, ignore_index=True), pd.concat(touches, ignore_index=True))
    cfg, draw, of = days[0][1], np.concatenate(draws), pd.concat(rep)
    where = cfg.station_of()
    a = rei_of(day, cfg, bp, served_by(day.touches, aware, where, end, draw), effect, [seed, 11], of)
    b = rei_of(day, cfg, bp, served_by(day.touches, blind, where, end, draw), effect, [seed, 11], of)
    return a, b, len(day.visits)


def compare(days: list[tuple[date, HallConfig]], bp: Blueprint, aware: pd.DataFrame, blind: pd.DataFrame,
            effect: dict[str, float], reps: int = 5, seed: int = 0) -> Compared:
    """The predicted mean REI of `days` (each simulated with its configuration) under the `aware` and `blind`
    rosters' assignments, `reps` paired replications (`replicate`), with t-intervals over the replications."""
    a, b, n = replicate(days, bp, aware, blind, effect, reps, seed)
    return Compared(Estimate.of(a), Estimate.of(b), Estimate.of(a - b), reps, n // max(reps, 1))
