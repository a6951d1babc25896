"""Run the scoring on a store and write its tables.

Tables written: `touch_scores` (e per touch), `visit_scores`, `moment_scores` (hall ×
moment), `hall_scores`, and a row in `score_runs`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from peakend.blueprint.model import Blueprint
from peakend.scoring.experience import touch_experience
from peakend.scoring.halls import finish_halls, hall_aggregates
from peakend.scoring.moments import moment_scores
from peakend.scoring.visits import visit_scores
from peakend.store.db import Store


class NoData(RuntimeError):
    """The store holds nothing to score."""


class NotScored(LookupError):
    """The store has no score tables yet: run `peakend score`."""


def require_scores(store: Store) -> None:
    """Raise NotScored unless the store holds score tables."""
    if not store.has_table("hall_scores"):
        raise NotScored


@dataclass
class ScoreResult:
    """Counts and time of one scoring run."""

    halls: int
    visits: int
    touches: int
    seconds: float


def score(store: Store, bp: Blueprint, step: Callable[[str], None] = lambda _: None) -> ScoreResult:
    """Score every visit in the store by the peak-end rule and write the score tables."""
    started = time.perf_counter()
    with store.lock:
        if not store.table("touches").count().execute():
            raise NoData
        w = bp.weights
        step("touch_scores")
        store.materialize("touch_scores", touch_experience(store.table("touches"), bp))
        te = store.table("touch_scores")
        step("visit_scores")
        store.materialize("visit_scores", visit_scores(te, store.table("visits"), w))
        vs = store.table("visit_scores")
        step("moment_scores")
        store.materialize("moment_scores", moment_scores(te, vs, w))
        step("hall_scores")
        halls = finish_halls(hall_aggregates(vs, store.table("surveys"), store.table("audits")).to_pandas(), bp)
        store.write_frame("hall_scores", halls)
        result = ScoreResult(
            len(halls), int(halls.visits.sum()), int(te.count().execute()), time.perf_counter() - started
        )
        store.execute(
            "INSERT INTO score_runs (blueprint, version, weights, halls, visits, touches, seconds) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [bp.id, bp.version, json.dumps(w.model_dump()), result.halls, result.visits, result.touches,
             result.seconds],
        )
    return result
