"""Servers each hour needs per station, from an arrival forecast: the fitted hall with the forecast's arrivals
(its mean or an upper quantile) planned hour by hour by simulation against the targets (`plan.staff`), with
Erlang-A's answer beside it (`plan.erlang_a_servers`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.simulate import plan as planner
from peakend.simulate.config import HallConfig
from peakend.simulate.plan import Targets


def day_config(cfg: HallConfig, rates: dict[int, float]) -> HallConfig:
    """The hall with one day's forecast arrivals per hour (`rates`), open those hours, every day factor 1."""
    opens, closes = min(rates), max(rates) + 1
    return cfg.model_copy(update={"arrivals": {h: float(max(r, 0.0)) for h, r in rates.items()}, "opens": opens,
                                  "closes": closes, "weekday_factors": {}, "weekend_factor": 1.0, "holidays": []})


def cap(erlang: dict[int, int | None]) -> int:
    """The most servers the simulation plan tries at a station: twice Erlang-A's busiest hour, and at least 4.

    The plan's targets are over a whole visit (its waits at every station), so a station that is not where
    customers wait cannot meet them by itself; searching up to 20 servers there only finds the cap."""
    return max(4, 2 * max((n for n in erlang.values() if n), default=2))


def needs(cfg: HallConfig, bp: Blueprint, forecast: pd.DataFrame, stations: list[str], targets: Targets,
          column: str = "mean", reps: int = 5, seed: int = 0,
          step: Callable[[date, str], None] = lambda _d, _s: None) -> pd.DataFrame:
    """Per day × hour × station: forecast arrivals (`column`: mean or upper), the servers the simulation plan
    needs, Erlang-A's, whether the plan meets the targets and, where no staffing can, why."""
    rows = []
    for day, f in forecast.groupby("day", sort=True):
        rates = {int(h): float(x) for h, x in zip(f["hour"], f[column], strict=True)}
        one = day_config(cfg, rates)
        for station in stations:
            step(day, station)
            if sum(rates.values()) <= 0:
                rows += [{"day": day, "hour": h, "station": station, "arrivals": 0.0, "servers": 0, "erlang_a": 0,
                          "meets": True, "unreachable": ""} for h in rates]
                continue
            erlang = planner.erlang_a_servers(one, bp, station, targets, day)
            most = cap(erlang)
            _, table = planner.staff(one, bp, station, targets, day, reps, seed, most=most)
            for row in table.itertuples(index=False):
                hour, servers, why = int(row.hour), math.ceil(row.servers), row.unreachable
                if servers >= most and not row.meets:  # the station's servers do not reach the targets
                    servers = erlang.get(hour) or most
                    why = why or f"no staffing of {station} up to {most} met the targets: Erlang-A's {servers} used"
                rows.append({"day": day, "hour": hour, "station": station, "arrivals": rates[hour], "servers": servers,
                             "erlang_a": erlang.get(hour), "meets": bool(row.meets), "unreachable": why})
    return pd.DataFrame(rows, columns=["day", "hour", "station", "arrivals", "servers", "erlang_a", "meets",
                                       "unreachable"])
