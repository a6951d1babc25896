"""Run the scoring on a store and write its tables.

Tables written: `touch_scores` (e per touch), `visit_scores`, `moment_scores` (hall ×
moment), `hall_scores`, and a row in `score_runs`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import ibis

from peakend.blueprint.model import Blueprint
from peakend.scoring.experience import touch_experience
from peakend.scoring.halls import finish_halls, hall_aggregates
from peakend.scoring.moments import moment_scores
from peakend.scoring.visits import visit_scores
from peakend.store.db import materialize, scalar


class NoData(RuntimeError):
    """The store holds nothing to score."""


@dataclass
class ScoreResult:
    """Counts and time of one scoring run."""

    halls: int
    visits: int
    touches: int
    seconds: float


def score(con: duckdb.DuckDBPyConnection, bp: Blueprint, step: Callable[[str], None] = lambda _: None) -> ScoreResult:
    """Score every visit in the store by the peak-end rule and write the score tables."""
    started = time.perf_counter()
    if not scalar(con, "SELECT count(*) FROM touches"):
        raise NoData
    db = ibis.duckdb.from_connection(con)
    w = bp.weights
    step("touch_scores")
    materialize(db, "touch_scores", touch_experience(db.table("touches"), bp))
    te = db.table("touch_scores")
    step("visit_scores")
    materialize(db, "visit_scores", visit_scores(te, db.table("visits"), w))
    vs = db.table("visit_scores")
    step("moment_scores")
    materialize(db, "moment_scores", moment_scores(te, vs, w))
    step("hall_scores")
    halls = finish_halls(hall_aggregates(vs, db.table("surveys"), db.table("audits")).to_pandas(), bp)
    db.create_table("hall_scores", halls, overwrite=True)
    result = ScoreResult(
        len(halls),
        int(halls.visits.sum()),
        int(scalar(con, "SELECT count(*) FROM touch_scores")),  # type: ignore[arg-type]
        time.perf_counter() - started,
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS score_runs (run_at TIMESTAMP DEFAULT current_timestamp, "
        "blueprint VARCHAR, version VARCHAR, weights VARCHAR, halls BIGINT, visits BIGINT, "
        "touches BIGINT, seconds DOUBLE)"
    )
    con.execute(
        "INSERT INTO score_runs (blueprint, version, weights, halls, visits, touches, seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [bp.id, bp.version, json.dumps(w.model_dump()), result.halls, result.visits, result.touches, result.seconds],
    )
    return result
