"""Arrival forecasts: intervals that cover generated truth at about their level, MASE below 1 where the seasonality
is known, a backtest worked out by hand, holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from peakend.simulate import forecast as fc

HOURS = np.arange(9, 21)
PROFILE = np.array([0.6, 1.2, 1.4, 1.0, 0.7, 0.9, 1.2, 1.3, 1.0, 0.8, 0.6, 0.4])
WEEKDAY = np.array([1.0, 0.9, 0.95, 1.0, 1.1, 1.3, 1.2])
MONDAY = date(2026, 9, 7)


def rate(day: date, scale: float = 20.0) -> np.ndarray:
    """The true mean arrivals per hour of `day`: weekly × hourly, multiplicative."""
    return scale * PROFILE * WEEKDAY[day.weekday()]


def arrivals(rng: np.random.Generator, first: date, days: int) -> pd.Series:
    """Arrival times drawn from the true Poisson rates, uniform within each hour."""
    out = []
    for i in range(days):
        d = first + timedelta(days=i)
        for h, n in zip(HOURS, rng.poisson(rate(d)), strict=True):
            out += [datetime(d.year, d.month, d.day, int(h), int(m)) for m in rng.integers(0, 60, n)]
    return pd.Series(out)


def test_intervals_cover_fresh_counts_at_about_their_level():
    rng = np.random.default_rng(11)
    inside, inside_day, cells, days_seen = 0, 0, 0, 0
    for rep in range(12):
        model = fc.fit(fc.hourly_series(arrivals(rng, MONDAY, 28)))
        ahead = fc.future_days(MONDAY + timedelta(days=27), 1)
        p = fc.predict(model, ahead, level=0.8, seed=rep)
        truth = np.concatenate([rng.poisson(rate(d)) for d in ahead])
        inside += int(((p["lo"] <= truth) & (truth <= p["hi"])).sum())
        cells += len(truth)
        per_day = truth.reshape(7, -1).sum(axis=1)
        firsts = p.groupby("day").first()
        inside_day += int(((firsts["day_lo"].to_numpy() <= per_day) & (per_day <= firsts["day_hi"].to_numpy())).sum())
        days_seen += 7
    coverage = inside / cells
    print(f"coverage {coverage:.3f} of {cells} cells, days {inside_day / days_seen:.3f}")
    assert 0.76 <= coverage <= 0.90, coverage  # 1008 cells; counts are whole numbers, so a little above 0.8
    assert 0.65 <= inside_day / days_seen <= 0.95, inside_day / days_seen  # 84 days


def test_the_mean_forecast_is_near_the_truth_and_the_backtest_beats_seasonal_naive():
    rng = np.random.default_rng(5)
    series = fc.hourly_series(arrivals(rng, MONDAY, 42))
    model = fc.fit(series)
    ahead = fc.future_days(MONDAY + timedelta(days=41), 1)
    mean = fc.predict(model, ahead)["mean"].to_numpy()
    truth = np.concatenate([rate(d) for d in ahead])
    assert np.abs(mean / truth - 1).max() < 0.15
    test = fc.backtest(series)
    assert len(test.folds) == 4
    assert test.mase < 0.9 < test.naive_mase  # Poisson noise: about 1/√2 of the naive's error


def tiny(counts: list[int]) -> fc.Series:
    """One open hour a day (9–10), a count a day from Monday `MONDAY`."""
    days = [MONDAY + timedelta(days=i) for i in range(len(counts))]
    return fc.Series(pd.DataFrame({"day": days, "hour": 9, "count": counts, "holiday": False}), 9, 10)


def test_the_backtest_by_hand():
    week1, week2, week3 = [1, 2, 3, 4, 5, 6, 7], [3, 2, 3, 4, 5, 6, 9], [4] * 7
    series = tiny(week1 + week2 + week3)

    def mean_of_training(train: fc.Series, days: list[date]) -> np.ndarray:
        return np.full(len(days), train.counts["count"].mean())

    test = fc.backtest(series, mean_of_training)
    (row,) = test.folds.itertuples()
    assert row.origin == MONDAY + timedelta(days=14)
    assert row.scale == pytest.approx(4 / 7)  # |3−1| + |9−7| over 7 seasonal-naive errors in sample
    assert row.mae == pytest.approx(2 / 7)  # the training mean 60/14 = 30/7 against 4 every day
    assert row.mase == pytest.approx(0.5)
    assert row.naive_mae == pytest.approx(12 / 7)  # week 2 against 4: 1+2+1+0+1+2+5
    assert row.naive_mase == pytest.approx(3.0)


def test_seasonal_naive_repeats_the_last_week_however_far_ahead():
    series = tiny([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    ahead = fc.future_days(MONDAY + timedelta(days=13), 2)
    assert fc.seasonal_naive(series, ahead).tolist() == [8, 9, 10, 11, 12, 13, 14] * 2


def test_a_holiday_is_left_out_of_the_fit_and_forecast_as_past_holidays_were():
    rng = np.random.default_rng(3)
    times = arrivals(rng, MONDAY, 28)
    wednesday = MONDAY + timedelta(days=9)
    quiet = (times.dt.date == wednesday) & (rng.random(len(times)) < 0.8)  # a holiday: 20% of a usual day
    series = fc.hourly_series(times[~quiet], holidays=[])
    assert series.counts.loc[series.counts["day"] == wednesday, "holiday"].all()  # told by the data
    model = fc.fit(series)
    assert model.holiday_share[2] == pytest.approx(0.2, abs=0.07)
    next_wednesday, next_thursday = MONDAY + timedelta(days=30), MONDAY + timedelta(days=31)
    p = fc.predict(model, [next_wednesday, next_thursday], holidays=[next_wednesday, next_thursday])
    usual = fc.predict(model, [next_wednesday, next_thursday + timedelta(days=3)])
    wed = p[p["day"] == next_wednesday]["mean"].sum() / usual[usual["day"] == next_wednesday]["mean"].sum()
    assert wed == pytest.approx(model.holiday_share[2])
    # no Thursday holiday seen: the Thursday holiday is forecast as that week's Sunday
    sunday = usual[usual["day"] == next_thursday + timedelta(days=3)]["mean"].to_numpy()
    assert p[p["day"] == next_thursday]["mean"].to_numpy() == pytest.approx(sunday)


def test_weeks_without_data_are_neither_scored_nor_a_season_to_copy():
    """Visits stop for two weeks, then one day comes in (a served demo's today): the empty days are holidays of
    the series, the backtest scores only usual days and seasonal-naive copies the last usual week."""
    rng = np.random.default_rng(8)
    times = arrivals(rng, MONDAY, 42)
    day = times.dt.date
    gap = (day >= MONDAY + timedelta(days=28)) & (day < MONDAY + timedelta(days=41))
    series = fc.hourly_series(times[~gap])
    test = fc.backtest(series)
    assert test.mase < 0.9 < test.naive_mase
    assert test.folds["cells"].sum() % 12 == 0 and test.folds["cells"].min() >= 12
