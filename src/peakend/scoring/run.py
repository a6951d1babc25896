"""Run the scoring on a store and write its tables.

Tables written: `touch_scores` (e per touch), `visit_scores`, `moment_scores` (hall ×
moment), `hall_scores`, and a row in `score_runs`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import ibis.expr.types as ir
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.errors import NoData, NotScored
from peakend.scoring.experience import touch_experience
from peakend.scoring.halls import finish_halls, hall_aggregates
from peakend.scoring.moments import moment_scores
from peakend.scoring.visits import visit_scores
from peakend.store.db import Store, redacted_url

# Columns the pages look score tables up by: the server store (PostgreSQL) indexes them.
LOOKED_UP_BY = {"touch_scores": ("visit_id",), "visit_scores": ("visit_id", "hall_id")}






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


@dataclass(frozen=True)
class Sink:
    """Where a scoring run reads its event tables and writes its score tables (a store, or a lake on an engine)."""

    read: Callable[[str], ir.Table]
    write: Callable[[str, ir.Table], ir.Table]  # materialize; the table written (or the expression) to go on with
    write_frame: Callable[[str, pd.DataFrame], None]
    name: str = "the store"  # what messages call it


def run_scoring(sink: Sink, bp: Blueprint, step: Callable[[str], None] = lambda _: None) -> ScoreResult:
    """Score every visit by the peak-end rule: touch, visit, hall × moment and hall tables, in that order."""
    started = time.perf_counter()
    touches = sink.read("touches")
    if not touches.count().execute():
        raise NoData(value=sink.name)
    w = bp.weights
    step("touch_scores")
    te = sink.write("touch_scores", touch_experience(touches, bp))
    step("visit_scores")
    vs = sink.write("visit_scores", visit_scores(te, sink.read("visits"), w))
    step("moment_scores")
    sink.write("moment_scores", moment_scores(te, vs, w))
    step("hall_scores")
    halls = finish_halls(hall_aggregates(vs, sink.read("surveys"), sink.read("audits")).to_pandas(), bp)
    sink.write_frame("hall_scores", halls)
    return ScoreResult(len(halls), int(halls.visits.sum()), int(te.count().execute()), time.perf_counter() - started)


def store_sink(store: Store) -> Sink:
    """The store's own tables (call under the store's lock)."""
    def write(name: str, expr: ir.Table) -> ir.Table:
        store.materialize(name, expr, LOOKED_UP_BY.get(name, ()))
        return store.table(name)

    return Sink(store.table, write, store.write_frame, redacted_url(store.url))


def score(store: Store, bp: Blueprint, step: Callable[[str], None] = lambda _: None) -> ScoreResult:
    """Score every visit in the store by the peak-end rule and write the score tables."""
    with store.lock:
        result = run_scoring(store_sink(store), bp, step)
        w = bp.weights
        store.execute(
            "INSERT INTO score_runs (blueprint, version, weights, halls, visits, touches, seconds) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [bp.id, bp.version, json.dumps(w.model_dump()), result.halls, result.visits, result.touches,
             result.seconds],
        )
        store.execute("DELETE FROM rescore")  # every corrected visit is scored again now
    return result
