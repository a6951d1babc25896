"""What if the hall opened more counters, steered queues to self-service, or closed earlier?

The hall as it runs now is its configuration fitted from its own recent visits (`fit`); a
change is applied to that configuration and both are simulated on the same day with the same
random numbers, so the difference is the change's and not chance's. Beside them stand the
figures observed on that day, computed the same way from the hall's real visits.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.simulate.config import Diversion, HallConfig
from peakend.simulate.fit import Observed, fit, latest_day, observed
from peakend.simulate.plan import Targets, hourly, per_visit, summary, visit_figures
from peakend.store.db import Store

N = TypeVar("N", int, float)

FIT_DAYS = 28  # the hall as it runs now: fitted from its last four weeks
MOST_ADDED = 20
SERIES = ("today", "now", "whatif")  # observed on the day; fitted model; fitted model changed
WAIT_FIGURES = ("wait", "wait_ci", "within", "within_ci")  # what rests on measured waiting times


@dataclass(frozen=True)
class Change:
    """Servers added (negative: removed, one always stays) per station in every hour, a diversion, a closing hour."""

    servers: dict[str, int] = field(default_factory=dict)
    divert_at: float | None = None  # waiting per counter at which suited business is steered to self-service
    closes: int | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str], cfg: HallConfig) -> Change:
        """Read `add.<station>`, `divert_at` and `closes` from a page's query; ValueError names a bad one."""
        servers = {}
        for name in cfg.stations:
            raw = params.get(f"add.{name}", "").strip()
            if raw:
                servers[name] = _number(f"add.{name}", raw, int, -MOST_ADDED, MOST_ADDED)
        divert = params.get("divert_at", "").strip()
        closes = params.get("closes", "").strip()
        return cls(servers, _number("divert_at", divert, float, 0.5, 50) if divert else None,
                   _number("closes", closes, int, cfg.opens + 1, 24) if closes else None)

    def query(self) -> dict[str, str]:
        """The change as page query parameters (the inverse of `from_query`)."""
        out = {f"add.{k}": str(v) for k, v in self.servers.items() if v}
        if self.divert_at is not None:
            out["divert_at"] = f"{self.divert_at:g}"
        if self.closes is not None:
            out["closes"] = str(self.closes)
        return out


class BadNumber(ValueError):
    """A change's field that is not a number (`lo`, `hi` None) or is outside `lo`–`hi`; `whole`: it takes whole
    numbers. Callers say it in the reader's language; str() is for logs."""

    def __init__(self, name: str, raw: str, whole: bool, lo: float | None = None, hi: float | None = None):
        self.name, self.raw, self.whole, self.lo, self.hi = name, raw, whole, lo, hi
        super().__init__(f"{name}: '{raw}' is " + (f"outside {lo:g}–{hi:g}" if lo is not None and hi is not None
                                                   else "not a whole number" if whole else "not a number"))


def _number(name: str, raw: str, kind: Callable[[str], N], lo: float, hi: float) -> N:
    try:
        value = kind(raw)
    except ValueError:
        raise BadNumber(name, raw, kind is int) from None
    if not lo <= value <= hi:
        raise BadNumber(name, raw, kind is int, lo, hi)
    return value


def number(name: str, raw: str, whole: bool, lo: float, hi: float) -> int | float:
    """`raw` read as a whole number (`whole`) or a number within `lo`–`hi` (BadNumber otherwise)."""
    return _number(name, raw, int, lo, hi) if whole else _number(name, raw, float, lo, hi)


def diversion(cfg: HallConfig, bp: Blueprint, at: float) -> Diversion | None:
    """Steer routes queueing for the counter to a route that continues from the queue to another station.

    The queue and counter moments are the blueprint's diversion rule's; None when the blueprint
    has no such second route or the configuration no counter station.
    """
    rule = bp.live.diversion
    station = next((cfg.station_of()[m] for m in rule.counter_moments if m in cfg.station_of()), None)
    if station is None:
        return None
    where = cfg.station_of()
    queued, to = [], None
    for r in bp.routes:
        if rule.queue_moment not in r.moments[:-1]:
            continue
        after = r.moments[r.moments.index(rule.queue_moment) + 1]
        if after in rule.counter_moments and r.id in cfg.routes:
            queued.append(r.id)
        elif after not in rule.counter_moments and after in where and to is None:
            to = r.id
    if not queued or to is None:
        return None
    return Diversion(station=station, waiting_per_server=at, routes=queued, to_route=to)


def changed(cfg: HallConfig, change: Change, bp: Blueprint) -> HallConfig:
    """The configuration with the change applied."""
    stations = {}
    for name, s in cfg.stations.items():
        add = change.servers.get(name, 0)
        hours = range(cfg.opens, cfg.closes)
        stations[name] = s.model_copy(update={"servers": {h: max(1, n + add)
                                                          for h, n in zip(hours, s.schedule(cfg.opens, cfg.closes),
                                                                          strict=True)}})
    update: dict[str, object] = {"stations": stations}
    if change.divert_at is not None:
        update["diversion"] = diversion(cfg, bp, change.divert_at)
    if change.closes is not None:
        update["closes"] = change.closes
    return cfg.model_copy(update=update)


@dataclass(frozen=True)
class WhatIf:
    """Figures of the day observed, the fitted hall now, and the hall changed: per hour and for the day."""

    day: date
    now: HallConfig
    whatif: HallConfig
    hours: pd.DataFrame  # hour × series: visits, wait, within, rei (± ci for the simulated)
    day_figures: pd.DataFrame  # one row per series
    can_divert: bool
    waits: bool = True  # the hall's data hold waiting times (else every wait figure is NaN: nothing measured)


def observed_figures(store: Store, obs: Observed, day: date) -> pd.DataFrame:
    """Per visit of the hall on `day`: arrival hour, wait, whether it left a queue, and its scored REI if any."""
    visits = obs.visits[obs.visits["arrival"].dt.date == day]
    touches = obs.touches[obs.touches["visit_id"].isin(visits["visit_id"])]
    vs = store.table("visit_scores") if store.has_table("visit_scores") else None
    rei = pd.DataFrame({"visit_id": [], "rei": []})
    if vs is not None:
        with store.lock:
            rei = vs.filter(vs.visit_id.isin(visits["visit_id"].tolist())).select("visit_id", "rei").to_pandas()
    out = visits[["visit_id", "arrival"]].merge(per_visit(touches), on="visit_id", how="left").merge(
        rei, on="visit_id", how="left")
    return out.assign(rep=0, hour=out["arrival"].dt.hour, wait=out["wait"].fillna(0.0),
                      abandoned=out["abandoned"].fillna(False).astype(bool))


@dataclass(frozen=True)
class Now:
    """The hall as it runs now: its latest day with visits, the visits fitted, and the fitted configuration."""

    day: date
    obs: Observed
    cfg: HallConfig


_fitted: weakref.WeakKeyDictionary[Store, dict[tuple[str, date, int, int, int], HallConfig]] = (
    weakref.WeakKeyDictionary())


def fitted_now(store: Store, bp: Blueprint, hall_id: str, today: date | None = None) -> Now:
    """Fit the hall on its last FIT_DAYS days of visits up to its latest day before `today` (`latest_day`;
    FitError when it has none).

    The fit (its effective capacity calibrated by simulation: seconds) is kept per store until the hall's
    visits or touches in those days, or the blueprint, change.
    """
    day = latest_day(store, hall_id, today)
    obs = observed(store, hall_id, day - timedelta(days=FIT_DAYS - 1) if day else None, day)
    assert day is not None  # observed() raised FitError otherwise
    key = (hall_id, day, len(obs.visits), len(obs.touches), hash(bp.model_dump_json()))
    kept = _fitted.setdefault(store, {})
    if key not in kept:
        kept[key] = fit(obs, bp).cfg
    return Now(day, obs, kept[key])


def what_if(store: Store, bp: Blueprint, now: Now, change: Change, targets: Targets | None = None, reps: int = 5,
            seed: int = 0) -> WhatIf:
    """The day as it happened, the fitted hall and the changed hall simulated on that day, per hour and whole."""
    targets = targets or Targets()
    later = changed(now.cfg, change, bp)
    figures = {"today": observed_figures(store, now.obs, now.day),
               "now": visit_figures(now.cfg, bp, now.day, reps, seed, rated=True),
               "whatif": visit_figures(later, bp, now.day, reps, seed, rated=True)}
    hours = pd.concat([hourly(f, targets).assign(series=k) for k, f in figures.items()], ignore_index=True)
    days = pd.DataFrame([{"series": k, **summary(f, targets)} for k, f in figures.items()])
    waits = bool(now.obs.touches["wait_min"].notna().any())
    if not waits:  # no wait was measured: the observed 0 is missing data, the fitted one has nothing to rest on
        hours, days = unmeasured(hours), unmeasured(days)
    return WhatIf(now.day, now.cfg, later, hours, days, diversion(now.cfg, bp, 1.0) is not None, waits)


def unmeasured(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its wait figures (mean wait, its interval, the share within the target) unknown (NaN)."""
    return frame.assign(**{c: float("nan") for c in WAIT_FIGURES if c in frame})


def by_hour(result: WhatIf) -> pd.DataFrame:
    """One row per hour: visits, mean wait (± CI), share within the target and REI of each series side by side."""
    wide = result.hours.pivot(index="hour", columns="series",
                              values=["visits", "wait", "wait_ci", "within", "rei"])
    wide.columns = [f"{value}_{series}" for value, series in wide.columns]
    keep = [f"{v}_{s}" for v in ("visits", "wait", "within", "rei") for s in SERIES if f"{v}_{s}" in wide]
    keep += [f"wait_ci_{s}" for s in SERIES[1:] if f"wait_ci_{s}" in wide]
    return wide[keep].reset_index()
