"""A hall configuration fitted from the hall's own ingested visits (`fit`), checked on held-out days.

The estimators are in `simulate.estimate` (one plain estimator per figure), the capacity calibration in
`simulate.capacity`, the reading of the store and the split into a training window and held-out days in
`simulate.observed`, and the check in `simulate.check`; this module puts them together and re-exports them.

A base configuration (`like`) supplies what visits cannot show: which moments share a station, balking,
diversion, survey share, and the character of moments nobody rates. Fit on the training days and `check` on
the held-out ones (`split`, by default the last quarter of the days), so the capacity tuned to the training
waits is not scored on those same waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from peakend.blueprint.model import Blueprint
from peakend.errors import FitError
from peakend.i18n import say
from peakend.simulate.capacity import Capacity, effective_servers
from peakend.simulate.check import FIGURES, Agreement, agreement, check, class_check, hourly_waits, simulated_runs
from peakend.simulate.config import HallConfig
from peakend.simulate.estimate import (
    CHOOSE_FROM,
    Patience,
    _arrivals,
    _felt,
    _kept,
    _outcomes,
    _patience,
    _priorities,
    _routes,
    _service,
    _shares,
    _stations,
    fit_patience,
    holidays,
    servers_by_hour,
    service_dist,
    weekday_factors,
    weekend_days,
)
from peakend.simulate.observed import (
    TOUCH_COLUMNS,
    VISIT_COLUMNS,
    Observed,
    hall_visits,
    infer_routes,
    latest_day,
    observed,
    split,
)

__all__ = ["CHOOSE_FROM", "FIGURES", "TOUCH_COLUMNS", "VISIT_COLUMNS", "Agreement", "Capacity", "FitError", "Fitted",
           "Observed", "Patience", "agreement", "check", "class_check", "effective_servers", "fit", "fit_patience",
           "hall_visits", "holidays", "hourly_waits", "infer_routes", "latest_day", "observed", "servers_by_hour",
           "service_dist", "simulated_runs", "split", "weekday_factors", "weekend_days"]


@dataclass(frozen=True)
class Fitted:
    """A fitted configuration and notes on what could not be estimated from the data."""

    cfg: HallConfig
    visits: int
    days: int
    notes: list[str] = field(default_factory=list)
    capacity: Capacity | None = None


def fit(obs: Observed, bp: Blueprint, like: HallConfig | None = None, calibrate: bool = True, reps: int = 3,
        seed: int = 0) -> Fitted:
    """A hall configuration estimated from `obs` (structure and policies from `like` where given).

    With `calibrate`, the servers of the station customers queue for are the effective ones
    (`effective_servers`), the raw concurrency kept beside them in `Fitted.capacity`.
    """
    base = like or HallConfig(hall_id=obs.hall_id, arrivals={9: 1.0}, routes={bp.routes[0].id: 1.0})
    notes: list[str] = []
    weekend_days_ = weekend_days(obs.visits, notes)
    off = holidays(obs.visits, weekend_days_, notes)
    opens, closes, arrivals, weekend = _arrivals(obs.visits, weekend_days_, off, notes)
    routes = _shares(_routes(obs, bp, notes), {r.id for r in bp.routes}, "route", notes) or _kept(like, "routes")
    segments = _shares(obs.visits["segment"], None, "segment", notes) or base.segments
    last = obs.touches["visit_id"].ne(obs.touches["visit_id"].shift(-1))
    queue = [m for m in dict.fromkeys([*base.queue_moments, bp.live.diversion.queue_moment])  # where people wait:
             if m in bp.moment_ids()]  # not a station (the blueprint's queue moment, whatever its id)
    known = set(bp.moment_ids())
    touches = obs.touches[obs.touches["moment_id"].isin(known)]
    if len(touches) < len(obs.touches):
        notes.append(say("fit_unknown_moments", n=len(obs.touches) - len(touches)))
    stations = _stations(touches, queue, like, opens, closes, notes)
    update = {
        "hall_id": obs.hall_id, "opens": opens, "closes": closes, "arrivals": arrivals, "weekend_factor": weekend,
        "weekend": weekend_days_,
        "holidays": off,
        "weekday_factors": weekday_factors(obs.visits, weekend_days_, off),
        "routes": routes, "segments": segments, "stations": stations, "queue_moments": queue,
        "service": {**base.service, **_service(touches, queue)},
        "outcomes": {**base.outcomes, **_outcomes(touches[~last.reindex(touches.index)])},
        "patience": _patience(touches, notes) or base.patience,
    }
    priority = _priorities(obs, notes)
    if priority:
        update["priority"] = priority
    ratings, character = _felt(touches, bp)
    if ratings:
        update.update(ratings={**base.ratings, **ratings}, character={**base.character, **character})
    else:
        notes.append(say("fit_no_rating"))
    cfg = HallConfig.model_validate({**base.model_dump(), **{k: _plain(v) for k, v in update.items()}})
    capacity = None
    if calibrate and touches["wait_min"].notna().any():
        cfg, capacity = effective_servers(cfg, bp, obs, reps, seed)
        if capacity is not None:
            t = capacity.table
            notes.append(say("fit_calibrated", station=capacity.station, n=int((t["effective"] < t["raw"]).sum()),
                             of=len(t)))
    return Fitted(cfg, len(obs.visits), len(obs.dates()), notes, capacity)


def _plain(value: object) -> object:
    """Pydantic models inside a value as dicts, so that the whole configuration is validated afresh."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.model_dump() if hasattr(value, "model_dump") else value
