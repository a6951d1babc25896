"""Arrival forecasts, the servers they need, and rosters of named staff as use cases (`ws.rosters`).

`forecast` reads a hall's stored visits and forecasts arrivals per day × hour with a backtest beside it;
`needs` turns a forecast into servers per hour and station through the planner (and Erlang-A); `roster` assigns
the hall's staff to shifts and stations (CP-SAT). A roster is a job (`roster`): the page shows the last one and
the progress of the next, never solves inline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from peakend import settings
from peakend.errors import ConfigError, FitError, PeakendError
from peakend.i18n import WORDS, Lang, say
from peakend.simulate import forecast as fc

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace
    from peakend.simulate.config import HallConfig
    from peakend.simulate.plan import Targets


@dataclass(frozen=True)
class Needed:
    """Servers needed per day × hour × station from a forecast (`upper`: its upper quantile), and the targets."""

    hall: str
    forecast: Forecasted
    table: pd.DataFrame
    targets: Targets
    upper: bool


@dataclass(frozen=True)
class Forecasted:
    """A hall's forecast: per day × hour (mean, lo, hi, upper), its backtest (None: too few days) and notes."""

    hall: str
    table: pd.DataFrame
    level: float
    backtest: fc.Backtest | None
    notes: list[str]
    days_seen: int


def holidays() -> list[date]:
    """The holidays of setting `holidays`."""
    text = settings.get("holidays") or ""
    return [date.fromisoformat(p.strip()) for p in text.split(",") if p.strip()]


def iso_week(text: str) -> list[date]:
    """The seven days of ISO week `YYYY-Www` (ValueError for anything else)."""
    try:
        year, week = text.strip().upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise PeakendError("fc_bad_week", why=f"'{text}' is not a week YYYY-Www (e.g. 2026-W50)") from None
    return [monday + timedelta(days=i) for i in range(7)]


class Rosters:
    """Forecasts, needs and rosters on a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def series(self, hall: str) -> fc.Series:
        """The hall's visits per day × hour (FitError when it has none)."""
        from peakend.simulate.observed import hall_visits

        store = self.ws.store
        with store.lock:
            arrivals = hall_visits(store, hall).select("arrival").to_pandas()["arrival"]
        if arrivals.empty:
            raise FitError("fit_no_visits", hall=hall, between="")
        return fc.hourly_series(arrivals, holidays())

    def forecast(self, hall: str, days: list[date] | None = None, weeks: int = 2, level: float = 0.9,
                 upper: float = 0.9, folds: int = 4) -> Forecasted:
        """Arrivals of `hall` per day × hour on `days` (default: the `weeks` weeks from tomorrow, or from the
        day after its last visit if that is later), with the rolling-origin backtest when there are days enough."""
        series = self.series(hall)
        model = fc.fit(series)
        if days is None:
            start = max(self.ws.clock().date(), series.days()[-1])
            days = fc.future_days(start, weeks)
        table = fc.predict(model, days, holidays(), level, upper)
        try:
            test = fc.backtest(series, folds=folds)
        except ValueError:
            test = None
        return Forecasted(hall, table, level, test, model.notes, len(series.days()))

    def fitted(self, hall: str) -> HallConfig:
        """The hall fitted on its last weeks of visits (kept per store until they change)."""
        from peakend.simulate.whatif import fitted_now

        return fitted_now(self.ws.store, self.ws.blueprint, hall).cfg

    def needs(self, hall: str, days: list[date], targets: Targets, upper: bool = False, reps: int = 5,
              seed: int = 0, stations: list[str] | None = None,
              step: Callable[[date, str], None] = lambda _d, _s: None) -> Needed:
        """Servers per day × hour × station for `days` from the forecast (its `upper` quantile if asked), the
        simulation plan against `targets` with Erlang-A beside it; `stations` default to every fitted one."""
        from peakend.simulate.needs import needs

        cfg = self.fitted(hall)
        wanted = stations or list(cfg.stations)
        unknown = [s for s in wanted if s not in cfg.stations]
        if unknown:
            raise ConfigError(hall, [say("no_station", value=", ".join(unknown), expected=", ".join(cfg.stations))])
        f = self.forecast(hall, days)
        table = needs(cfg, self.ws.blueprint, f.table, wanted, targets, "upper" if upper else "mean", reps, seed, step)
        return Needed(hall, f, table, targets, upper)


def forecast_shown(f: Forecasted, lang: Lang) -> list[str | tuple[str, pd.DataFrame]]:
    """A forecast as the CLI shows it: title, notes, the backtest, per day, and per hour of the first week."""
    t = f.table
    shown: list[str | tuple[str, pd.DataFrame]] = [
        say("fc_title", lang, hall=f.hall, first=t["day"].min(), last=t["day"].max(), level=f.level),
        *(say("fc_note", lang, note=n) for n in f.notes)]
    if f.backtest is None:
        shown.append(say("fc_no_backtest", lang, days=f.days_seen))
    else:
        b = f.backtest
        shown.append(say("fc_backtest", lang, folds=len(b.folds), mase=b.mase, naive=b.naive_mase))
        shown.append(("", b.folds.drop(columns="cells").round(3).rename(columns={
            "origin": word("fc_fold", lang), "mae": word("fc_mae", lang), "naive_mae": word("fc_naive_mae", lang),
            "scale": word("fc_scale", lang)})))
        if b.mase >= 1:
            shown.append(say("fc_backtest_worse", lang, mase=b.mase))
    days = t.groupby("day").agg(mean=("mean", "sum"), lo=("day_lo", "first"), hi=("day_hi", "first"),
                                holiday=("holiday", "first"))
    days = days.reset_index().round(0)
    shown.append((say("fc_days", lang), days.rename(columns=_columns(lang))))
    week = t[t["day"] < t["day"].min() + timedelta(days=7)]
    wide = week.pivot(index="hour", columns="day", values="mean").round(1)
    wide.columns = [f"{d:%m-%d %a}" for d in wide.columns]
    shown.append((say("fc_hours", lang), wide.reset_index().rename(columns={"hour": word("fc_hour", lang)})))
    return shown


def _columns(lang: Lang) -> dict[str, str]:
    return {k: word(f"fc_{k}", lang) for k in ("day", "hour", "mean", "lo", "hi", "holiday")}


def word(key: str, lang: Lang) -> str:
    """A word of the catalogue in `lang`."""
    return WORDS[key][lang]
