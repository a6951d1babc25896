"""Run the scoring on a store and write its tables.

Tables written: `touch_scores` (e per touch), `visit_scores`, `moment_scores` (hall ×
moment), `hall_scores`, and a row in `score_runs`.

A run is incremental when it can be: the last run kept the latest ingest time it had seen (its
watermark) and the blueprint it scored with; if the blueprint is the same, only the visits whose
touches or visit row arrived since (or that a correction queued in `rescore`) are scored again —
their rows of `touch_scores` and `visit_scores` replaced — and the hall × moment and hall tables
are recomputed from the score tables. The result equals a full re-score (tested over random
sequences of ingests, corrections and scorings on both stores); `full=True` re-scores everything.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    rescored: int | None = None  # visits scored again by an incremental run (None: a full run)


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


def blueprint_hash(bp: Blueprint) -> str:
    """A fingerprint of everything in the blueprint (a changed rule, weight or moment: a full re-score)."""
    return hashlib.sha256(bp.model_dump_json().encode("utf-8")).hexdigest()[:32]


def watermark(store: Store) -> Any:
    """The latest ingest time of any event or visit row (None in an empty store)."""
    return store.scalar("SELECT max(t) FROM (SELECT max(ingested_at) AS t FROM touches UNION ALL SELECT "
                        "max(ingested_at) FROM visits UNION ALL SELECT max(ingested_at) FROM surveys UNION ALL "
                        "SELECT max(ingested_at) FROM audits) m")


def _since(store: Store, bp: Blueprint) -> Any:
    """The watermark of the last run if it scored with this blueprint and its tables are there, else None."""
    if not store.has_table("hall_scores") or not store.has_table("touch_scores"):
        return None
    rows = store.rows("SELECT watermark, blueprint_hash FROM score_runs ORDER BY run_at DESC LIMIT 1")
    return rows[0][0] if rows and rows[0][1] == blueprint_hash(bp) else None


def stale(store: Store, bp: Blueprint) -> bool:
    """Whether a scoring run would change anything: events arrived or were corrected since the last run, or it
    scored with another blueprint, or the store was never scored (and holds touches)."""
    if not store.scalar("SELECT count(*) FROM (SELECT 1 FROM touches LIMIT 1) t"):
        return False
    since = _since(store, bp)
    if since is None:
        return True
    mark = watermark(store)
    return bool(mark is not None and mark > since) or bool(store.scalar("SELECT count(*) FROM rescore"))


CHANGED = "score_changed"  # the visits an incremental run scores again


def rescore(store: Store, bp: Blueprint, since: Any, step: Callable[[str], None]) -> tuple[ScoreResult, int]:
    """Score again the visits whose touches or visit row arrived after `since` (or that were corrected), then the
    hall × moment and hall tables from the score tables; the result and how many visits.

    Every event stored at or before `since` was scored by the run that saw it: scoring and ingest take the store's
    lock in turn, so nothing arrives during a run (one process writes a store: see the README on serving)."""
    started = time.perf_counter()
    store.execute(f"DROP TABLE IF EXISTS {CHANGED}")
    store.execute(f"CREATE TABLE {CHANGED} AS SELECT DISTINCT visit_id FROM (SELECT visit_id FROM touches WHERE "
                  f"ingested_at > ? UNION ALL SELECT visit_id FROM visits WHERE ingested_at > ? UNION ALL "
                  f"SELECT visit_id FROM rescore) c", [since, since])
    n = int(store.scalar(f"SELECT count(*) FROM {CHANGED}"))
    if n:
        step(f"touch_scores, visit_scores: {n:,} visits")
        changed = store.table(CHANGED)
        for table in ("touch_scores", "visit_scores"):
            store.execute(f"DELETE FROM {table} WHERE visit_id IN (SELECT visit_id FROM {CHANGED})")
        te = touch_experience(store.table("touches").semi_join(changed, "visit_id"), bp)
        store.db.insert("touch_scores", te.select(*store.table("touch_scores").columns))
        vs = visit_scores(store.table("touch_scores").semi_join(changed, "visit_id"),
                          store.table("visits").semi_join(changed, "visit_id"), bp.weights)
        store.db.insert("visit_scores", vs.select(*store.table("visit_scores").columns))
    store.execute(f"DROP TABLE IF EXISTS {CHANGED}")
    te_all, vs_all = store.table("touch_scores"), store.table("visit_scores")
    step("moment_scores")
    store.materialize("moment_scores", moment_scores(te_all, vs_all, bp.weights))
    step("hall_scores")
    halls = finish_halls(hall_aggregates(vs_all, store.table("surveys"), store.table("audits")).to_pandas(), bp)
    store.write_frame("hall_scores", halls)
    result = ScoreResult(len(halls), int(halls.visits.sum()), int(te_all.count().execute()),
                         time.perf_counter() - started)
    return result, n


def score(store: Store, bp: Blueprint, step: Callable[[str], None] = lambda _: None, full: bool = False
          ) -> ScoreResult:
    """Score the store by the peak-end rule and write the score tables: only what changed since the last run
    when it can (see the module), everything when `full`, the first time or with another blueprint."""
    with store.lock:
        mark = watermark(store)
        since = None if full else _since(store, bp)
        if since is None:
            result, rescored = run_scoring(store_sink(store), bp, step), None
        else:
            result, rescored = rescore(store, bp, since, step)
        store.execute(
            "INSERT INTO score_runs (blueprint, version, weights, halls, visits, touches, seconds, watermark, "
            "blueprint_hash, rescored) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [bp.id, bp.version, json.dumps(bp.weights.model_dump()), result.halls, result.visits, result.touches,
             result.seconds, mark, blueprint_hash(bp), rescored],
        )
        store.execute("DELETE FROM rescore")  # every corrected visit is scored again now
    result.rescored = rescored
    return result
