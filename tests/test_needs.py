"""Servers needed from a forecast: the planner on the hall given the forecast's arrivals, Erlang-A beside it, and a
station whose own servers cannot meet whole-visit targets capped at Erlang-A's answer."""

from __future__ import annotations

from datetime import date

import pandas as pd

from peakend.demo.generate import HALLS
from peakend.simulate.erlang import staffing
from peakend.simulate.needs import cap, day_config, needs
from peakend.simulate.plan import Targets

DAY = date(2026, 12, 7)


def test_needs_follow_the_forecast_and_erlang_a_stands_beside(bp):
    cfg = HALLS[0].config()
    forecast = pd.DataFrame({"day": DAY, "hour": [9, 10, 11], "mean": [10.0, 40.0, 10.0], "upper": [14.0, 52.0, 14.0]})
    targets = Targets(10, 0.8, 0.0, None)
    mean = needs(cfg, bp, forecast, ["counter"], targets, "mean", reps=3)
    upper = needs(cfg, bp, forecast, ["counter"], targets, "upper", reps=3)
    assert mean["servers"].tolist()[1] > mean["servers"].tolist()[0]  # four times the arrivals at 10:00
    # the upper quantile needs as many server-hours at least (hour by hour a queue carried over may differ)
    assert upper["servers"].sum() >= mean["servers"].sum() and upper["servers"].max() >= mean["servers"].max()
    one = day_config(cfg, {9: 10.0, 10: 40.0, 11: 10.0})
    assert (one.opens, one.closes, one.day_factor(DAY)) == (9, 12, 1.0)
    # Erlang-A computed directly: counter arrivals are the share of routes through counter_handling
    through = {r.id for r in bp.routes if "counter_handling" in r.moments}
    share = sum(v for r, v in cfg.routes.items() if r in through) / sum(cfg.routes.values())
    expected = staffing(40.0 * share / 60, cfg.service["counter_handling"].mean, cfg.patience.mean, 10, 0.8)
    assert mean.loc[mean["hour"] == 10, "erlang_a"].item() == expected


def test_the_search_is_capped_by_erlang_a():
    assert cap({9: 2, 10: 5, 11: None}) == 10
    assert cap({9: 1}) == 4 and cap({}) == 4
