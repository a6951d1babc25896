"""Arrival forecasts per day × hour for the coming weeks, and their rolling-origin backtest.

The model is a Poisson GLM (statsmodels) of visits per day × clock hour: log μ = hour + weekday + trend, with
the hour profile and weekday level multiplicative (as `HallConfig` simulates them), and the trend kept only when
the data span four weeks and it stands clear of noise (|z| ≥ 2). Extra-Poisson spread (the Pearson dispersion
φ) widens the intervals: the predictive distribution draws the coefficients from their estimated normal and the
counts from a Poisson (φ ≤ 1.1) or a negative binomial of variance φμ. Holidays (a setting's dates, and past
working days that were almost empty) are left out of the fit; a future holiday is forecast as the past holidays'
share of their weekday's visits, or as a Sunday when none was seen (a holiday has weekend arrivals, as in the
simulator). statsforecast was the first choice; it pins pandas below 3 (the project's pandas is 3.1), so the
GLM of statsmodels, already a dependency, carries the forecast.

The backtest refits at each of the last `folds` week starts and forecasts the next week; MASE is the mean
absolute error over the in-sample mean absolute error of the seasonal-naive forecast (the same weekday and hour a
week earlier), so < 1 beats that forecast on its own training data; the seasonal-naive's own out-of-sample MASE
is printed beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

HOLIDAY_SHARE = 0.4  # a working day with fewer visits than this share of its weekday's median counts as a holiday
TREND_DAYS = 28  # a trend is considered only on at least this many days of data
TREND_Z = 2.0
DRAWS = 4000


@dataclass(frozen=True)
class Series:
    """Visits per day × hour over every day from the first to the last with a visit (a missing hour counts 0)."""

    counts: pd.DataFrame  # day (date), hour (int), count (int), holiday (bool)
    opens: int
    closes: int

    def days(self) -> list[date]:
        """The days of the series, in order."""
        return sorted(set(self.counts["day"]))


def hourly_series(arrivals: pd.Series, holidays: list[date] | None = None) -> Series:
    """The hourly series of arrival times; `holidays` (dates) and days with no visit or almost none marked."""
    when = pd.to_datetime(arrivals)
    if when.empty:
        raise ValueError("no arrivals to forecast from")
    opens, closes = int(when.dt.hour.min()), int(when.dt.hour.max()) + 1
    first, last = when.min().date(), when.max().date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    grid = pd.MultiIndex.from_product([days, range(opens, closes)], names=["day", "hour"])
    seen = pd.DataFrame({"day": when.dt.date, "hour": when.dt.hour}).value_counts()
    counts = seen.reindex(grid, fill_value=0).rename("count").reset_index()
    counts["holiday"] = counts["day"].isin(set(holidays or []) | _quiet_days(counts))
    return Series(counts, opens, closes)


def _quiet_days(counts: pd.DataFrame) -> set[date]:
    """Days with fewer visits than `HOLIDAY_SHARE` of their weekday's median (no visit at all included)."""
    per_day = counts.groupby("day")["count"].sum()
    weekday = pd.Series([d.weekday() for d in per_day.index], index=per_day.index)
    median = per_day.groupby(weekday).transform("median")
    return set(per_day.index[per_day < HOLIDAY_SHARE * median])


def _design(days: pd.Series, hours: pd.Series, opens: int, closes: int, origin: date,
            trend: bool) -> np.ndarray:
    """Columns: intercept, hour dummies (not the first), weekday dummies (not Monday), weeks since `origin`."""
    cols = [np.ones(len(days))]
    cols += [(hours == h).to_numpy(float) for h in range(opens + 1, closes)]
    weekday = days.map(lambda d: d.weekday())
    cols += [(weekday == w).to_numpy(float) for w in range(1, 7)]
    if trend:
        cols.append(days.map(lambda d: (d - origin).days / 7.0).to_numpy(float))
    return np.column_stack(cols)


@dataclass
class Model:
    """A fitted arrival model: what `predict` needs."""

    params: np.ndarray
    cov: np.ndarray
    dispersion: float
    opens: int
    closes: int
    origin: date
    trend: bool
    holiday_share: dict[int, float]  # weekday → past holidays' visits over the weekday's (empty: none seen)
    notes: list[str] = field(default_factory=list)


def fit(series: Series) -> Model:
    """The Poisson GLM of a series (holidays left out); the trend kept when the data earn it."""
    import statsmodels.api as sm

    data = series.counts[~series.counts["holiday"]]
    if data.empty:
        raise ValueError("every day of the series is a holiday")
    origin, notes = min(data["day"]), []
    span = (max(data["day"]) - origin).days + 1

    def glm(trend: bool):
        x = _design(data["day"], data["hour"], series.opens, series.closes, origin, trend)
        return sm.GLM(data["count"].to_numpy(float), x, family=sm.families.Poisson()).fit()

    trend = span >= TREND_DAYS
    res = glm(trend)
    if trend and abs(res.params[-1] / max(res.bse[-1], 1e-12)) < TREND_Z:
        trend, res = False, glm(False)
    phi = max(1.0, float(res.pearson_chi2 / max(res.df_resid, 1)))
    if trend:
        notes.append(f"trend: ×{np.exp(res.params[-1]):.3f} a week")
    return Model(np.asarray(res.params), np.asarray(res.cov_params()) * phi, phi, series.opens, series.closes,
                 origin, trend, _holiday_share(series), notes)


def _holiday_share(series: Series) -> dict[int, float]:
    """Per weekday of past holidays, their mean visits over the mean of that weekday's other days."""
    per_day = series.counts.groupby("day").agg(count=("count", "sum"), holiday=("holiday", "first"))
    weekday = pd.Series([d.weekday() for d in per_day.index], index=per_day.index)
    out = {}
    for w, days in per_day.groupby(weekday):
        usual = days.loc[~days["holiday"], "count"].mean()
        if days["holiday"].any() and usual > 0:
            out[int(w)] = float(days.loc[days["holiday"], "count"].mean() / usual)
    return out


def future_days(after: date, weeks: int) -> list[date]:
    """The days of the `weeks` weeks after `after`."""
    return [after + timedelta(days=i) for i in range(1, 7 * weeks + 1)]


def predict(model: Model, days: list[date], holidays: list[date] | None = None, level: float = 0.9,
            upper: float = 0.9, seed: int = 0) -> pd.DataFrame:
    """Per day × hour: the mean forecast, the `level` prediction interval (lo, hi), the `upper` quantile, and the
    day's own interval of its total (day_lo, day_hi: not the sum of the hours' bounds)."""
    grid = pd.DataFrame([(d, h) for d in days for h in range(model.opens, model.closes)], columns=["day", "hour"])
    off = set(holidays or [])
    as_day = grid["day"].map(lambda d: _stand_in(d) if d in off and d.weekday() not in model.holiday_share else d)
    x = _design(as_day, grid["hour"], model.opens, model.closes, model.origin, model.trend)
    share = grid["day"].map(lambda d: model.holiday_share.get(d.weekday(), 1.0) if d in off else 1.0).to_numpy()
    rng = np.random.default_rng(seed)
    beta = rng.multivariate_normal(model.params, model.cov, size=DRAWS, method="svd")
    mu = np.exp(x @ beta.T) * share[:, None]  # rows: cells; columns: draws
    counts = _draw(rng, mu, model.dispersion)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    out = grid.assign(mean=np.exp(x @ model.params) * share, lo=np.quantile(counts, lo, axis=1),
                      hi=np.quantile(counts, hi, axis=1), upper=np.quantile(counts, upper, axis=1),
                      holiday=grid["day"].isin(off))
    per_day = pd.DataFrame(counts).groupby(grid["day"].to_numpy()).sum()  # a day's draws: its hours' summed
    out["day_lo"] = grid["day"].map(per_day.quantile(lo, axis=1))
    out["day_hi"] = grid["day"].map(per_day.quantile(hi, axis=1))
    return out


def _stand_in(day: date) -> date:
    """A holiday with no past holiday on its weekday is forecast as the Sunday of its week."""
    return day + timedelta(days=6 - day.weekday())


def _draw(rng: np.random.Generator, mu: np.ndarray, phi: float) -> np.ndarray:
    """Counts around means `mu`: Poisson, or negative binomial with variance φμ when φ > 1.1."""
    if phi <= 1.1:
        return rng.poisson(mu)
    size = mu / (phi - 1)
    return rng.negative_binomial(np.maximum(size, 1e-9), size / (size + mu))


Forecaster = Callable[[Series, list[date]], np.ndarray]  # a training series, days → mean per day × hour


def glm_forecaster(train: Series, days: list[date]) -> np.ndarray:
    """The GLM's mean forecast (no holiday ahead is known to the backtest: every day as usual)."""
    return predict(fit(train), days)["mean"].to_numpy()


def seasonal_naive(train: Series, days: list[date], season: int = 7) -> np.ndarray:
    """Each hour's count on the latest training day `season`, 2·`season`, … days before that is not a holiday (a
    day closed or without data says nothing of a usual day); 0 when there is none."""
    c = train.counts.set_index(["day", "hour"])["count"]
    usual = set(train.counts.loc[~train.counts["holiday"], "day"])
    last = max(train.days())
    out = []
    for d in days:
        back = d - timedelta(days=season * -(-(d - last).days // season))
        while back not in usual and back >= min(train.days()):
            back -= timedelta(days=season)
        out += [float(c.get((back, h), 0)) if back in usual else 0.0 for h in range(train.opens, train.closes)]
    return np.array(out)


def naive_scale(train: Series, season: int = 7) -> float:
    """The in-sample mean absolute error of the seasonal-naive forecast (MASE's denominator), over the days that
    are not holidays and whose day `season` days before is not one either."""
    wide = train.counts.pivot(index="day", columns="hour", values="count").sort_index()
    usual = set(train.counts.loc[~train.counts["holiday"], "day"])
    pairs = [(d, d - timedelta(days=season)) for d in wide.index if d in usual and d - timedelta(days=season) in usual]
    if not pairs:
        raise ValueError(f"at least {season + 1} usual days are needed to scale MASE")
    now, before = wide.loc[[a for a, _ in pairs]].to_numpy(float), wide.loc[[b for _, b in pairs]].to_numpy(float)
    return float(np.abs(now - before).mean())


@dataclass(frozen=True)
class Backtest:
    """Per fold (origin): MAE of the model and of the seasonal-naive forecast, the scale, the MASEs."""

    folds: pd.DataFrame  # origin, cells, mae, naive_mae, scale, mase, naive_mase

    @property
    def mase(self) -> float:
        """The mean MASE over folds."""
        return float(self.folds["mase"].mean())

    @property
    def naive_mase(self) -> float:
        """The seasonal-naive forecast's own mean out-of-sample MASE."""
        return float(self.folds["naive_mase"].mean())


def backtest(series: Series, forecaster: Forecaster = glm_forecaster, folds: int = 4, horizon: int = 7,
             min_train: int = 14) -> Backtest:
    """Rolling origin: at each of the last `folds` origins `horizon` days apart (with at least `min_train` usual
    days before it), fit on the days before and score the usual days (not holidays, closed or without data) of the
    next `horizon` days."""
    days = series.days()
    usual = set(series.counts.loc[~series.counts["holiday"], "day"])
    origins = [days[i] for i in range(len(days) - horizon, min_train - 1, -horizon)
               if any(d in usual for d in days[i:i + horizon]) and sum(d in usual for d in days[:i]) >= min_train]
    origins = origins[:folds][::-1]
    if not origins:
        raise ValueError(f"at least {min_train + horizon} usual days are needed for a backtest")
    rows = []
    for origin in origins:
        train = Series(series.counts[series.counts["day"] < origin], series.opens, series.closes)
        ahead = [d for d in days if origin <= d < origin + timedelta(days=horizon) and d in usual]
        actual = series.counts[series.counts["day"].isin(ahead)].sort_values(["day", "hour"])["count"].to_numpy(float)
        mae = float(np.abs(forecaster(train, ahead) - actual).mean())
        naive = float(np.abs(seasonal_naive(train, ahead) - actual).mean())
        scale = naive_scale(train)
        rows.append({"origin": origin, "cells": len(actual), "mae": mae, "naive_mae": naive, "scale": scale,
                     "mase": mae / scale, "naive_mase": naive / scale})
    return Backtest(pd.DataFrame(rows))
