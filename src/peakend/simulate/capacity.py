"""Effective servers per hour at the queued station, calibrated by simulation to the observed waits and
abandonment of the training days (`effective_servers`)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.simulate.check import _observed_intervals, hourly_waits, simulated_runs
from peakend.simulate.config import HallConfig, Station
from peakend.simulate.observed import Observed

SHIFTS = (-2, -1, 0, 1, 2)  # server counts tried around the current one, per hour, each coarse round


FINE = (-0.5, -0.25, 0, 0.25, 0.5)  # then fractions of a server: staff on duty part of the hour


@dataclass(frozen=True)
class Capacity:
    """Servers per hour at the station customers queue for: raw concurrency, and the effective count
    calibrated by simulation, with the counts consistent with the data (`low`–`high`)."""

    station: str
    table: pd.DataFrame  # hour, raw, effective, low, high, observed_mean, simulated_mean, observed_abandon, ...


def _scale(seen: pd.DataFrame, own: pd.DataFrame, f: str, floor: float) -> pd.Series:
    """The observation's standard error of figure `f` per hour (the days resampled), at least `floor`."""
    se = own[f"{f}_se"].reindex(seen.index)
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
    asked: dict[tuple[tuple[int, float], ...], pd.DataFrame] = {}  # the same counts (a shift of 0) are simulated once

    def ask(servers: dict[int, float]) -> pd.DataFrame:
        key = tuple(sorted(servers.items()))
        if key not in asked:
            asked[key] = _hourly(cfg, bp, obs, name, servers, reps=reps, seed=seed)
        return asked[key]

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
