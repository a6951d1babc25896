"""Run the scoring on a store and write its tables.

Tables written: `touch_scores` (e per touch), `visit_scores`, the sums per hall and day
`moment_parts` (× moment) and `hall_parts`, `moment_scores` (hall × moment) and `hall_scores`
added up from them, and a row in `score_runs`.

A run is incremental when it can be: the last run kept the latest ingest time it had seen (its
watermark) and the blueprint it scored with; if the blueprint is the same, only the visits whose
touches or visit row arrived since (or that a correction queued in `rescore`) are scored again —
their rows of `touch_scores` and `visit_scores` replaced — then the parts of the days those visits
fall on, and the hall × moment and hall tables are added up again from the parts. The result equals
a full re-score (tested over random sequences of ingests, corrections and scorings on both stores);
`full=True` re-scores everything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.errors import NoData, NotScored
from peakend.scoring.compiled import blueprint_hash, compiled_sql, stored_rules
from peakend.scoring.experience import touch_experience
from peakend.scoring.halls import finish_halls, hall_aggregates
from peakend.scoring.moments import NO_DAY, hall_parts, moment_parts, moment_scores, with_day
from peakend.scoring.visits import visit_scores
from peakend.store.db import PostgresStore, Store, redacted_url

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
    rules: Callable[[Blueprint], ir.Table] | None = None  # the blueprint's rules as a table of it (else in memory)


def run_scoring(sink: Sink, bp: Blueprint, step: Callable[[str], None] = lambda _: None) -> ScoreResult:
    """Score every visit by the peak-end rule: touch, visit, hall × moment and hall tables, in that order."""
    started = time.perf_counter()
    touches = sink.read("touches")
    if not touches.count().execute():
        raise NoData(value=sink.name)
    w = bp.weights
    step("touch_scores")
    te = sink.write("touch_scores", touch_experience(touches, bp, sink.rules(bp) if sink.rules else None))
    step("visit_scores")
    vs = sink.write("visit_scores", visit_scores(te, sink.read("visits"), w))
    step("moment_scores")
    mp = sink.write("moment_parts", moment_parts(te, vs, w))
    hp = sink.write("hall_parts", hall_parts(vs))
    sink.write("moment_scores", moment_scores(mp, hp))
    step("hall_scores")
    halls = finish_halls(hall_aggregates(hp, vs, sink.read("surveys"), sink.read("audits")).to_pandas(), bp)
    sink.write_frame("hall_scores", halls)
    return ScoreResult(len(halls), int(halls.visits.sum()), int(te.count().execute()), time.perf_counter() - started)


def store_sink(store: Store) -> Sink:
    """The store's own tables (call under the store's lock)."""
    def write(name: str, expr: ir.Table) -> ir.Table:
        store.materialize(name, expr, LOOKED_UP_BY.get(name, ()))
        return store.table(name)

    return Sink(store.table, write, store.write_frame, redacted_url(store.url), partial(stored_rules, store))


def watermark(store: Store) -> Any:
    """The latest ingest time of any event or visit row (None in an empty store)."""
    return store.scalar("SELECT max(t) FROM (SELECT max(ingested_at) AS t FROM touches UNION ALL SELECT "
                        "max(ingested_at) FROM visits UNION ALL SELECT max(ingested_at) FROM surveys UNION ALL "
                        "SELECT max(ingested_at) FROM audits) m")


def _since(store: Store, bp: Blueprint) -> Any:
    """The watermark of the last run if it scored with this blueprint and its tables are there, else None."""
    if not all(store.has_table(t) for t in ("hall_scores", "touch_scores", "moment_parts", "hall_parts")):
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


CHANGED, DAYS = "score_changed", "score_days"  # the visits an incremental run scores again, and their hall days


def rescore(store: Store, bp: Blueprint, since: Any, step: Callable[[str], None]) -> tuple[ScoreResult, int]:
    """Score again the visits whose touches or visit row arrived after `since` (or that were corrected), then the
    parts of their hall days, then the hall × moment and hall tables from the parts; the result and how many
    visits.

    Every event stored at or before `since` was scored by the run that saw it: scoring and ingest take the store's
    lock in turn, so nothing arrives during a run (one process writes a store: see docs/en/operator/workers.md)."""
    started = time.perf_counter()
    mark_changed(store, since)
    mark_days(store)
    incremental_sql(store, bp)  # compiled (once per store) while the tables it names are there
    n = rescore_visits(store, bp, step)
    if n:
        rescore_parts(store, bp, step)
    for table in (CHANGED, DAYS):
        store.execute(f"DROP TABLE {table}")
    halls = rescore_totals(store, bp, step)
    store.write_frame("hall_scores", halls)
    result = ScoreResult(len(halls), int(halls.visits.sum()), int(store.scalar("SELECT count(*) FROM touch_scores")),
                         time.perf_counter() - started)
    return result, n


def mark_changed(store: Store, since: Any) -> None:
    """Table CHANGED: the visits whose touches or visit row arrived after `since`, or that a correction queued."""
    store.execute(f"DROP TABLE IF EXISTS {CHANGED}")
    store.execute(f"CREATE TABLE {CHANGED} AS SELECT DISTINCT visit_id FROM (SELECT visit_id FROM touches WHERE "
                  f"ingested_at > ? UNION ALL SELECT visit_id FROM visits WHERE ingested_at > ? UNION ALL "
                  f"SELECT visit_id FROM rescore) c", [since, since])


def mark_days(store: Store) -> None:
    """Table DAYS: the hall days the visits in CHANGED fell on before this run."""
    store.execute(f"DROP TABLE IF EXISTS {DAYS}")
    store.execute(f"CREATE TABLE {DAYS} AS SELECT DISTINCT hall_id, coalesce(day, ?) AS day FROM visit_scores "
                  f"WHERE visit_id IN (SELECT visit_id FROM {CHANGED})", [NO_DAY])


def rescore_visits(store: Store, bp: Blueprint, step: Callable[[str], None]) -> int:
    """The touch and visit scores of the visits in CHANGED replaced, and the hall days they fall on now added to
    DAYS; how many visits."""
    n = int(store.scalar(f"SELECT count(*) FROM {CHANGED}"))
    if not n:
        return 0
    sql = incremental_sql(store, bp)
    step(f"touch_scores, visit_scores: {n:,} visits")
    scored_before = bool(store.scalar(f"SELECT count(*) FROM {DAYS}"))  # not only new visits
    with store.transaction():
        for table in ("touch_scores", "visit_scores") if scored_before else ():
            store.execute(f"DELETE FROM {table} WHERE visit_id IN (SELECT visit_id FROM {CHANGED})")
        store.execute(sql["touch_scores"])
        store.execute(sql["visit_scores"])
    store.execute(f"INSERT INTO {DAYS} SELECT DISTINCT hall_id, coalesce(day, ?) FROM visit_scores "
                  f"WHERE visit_id IN (SELECT visit_id FROM {CHANGED})", [NO_DAY])  # and after
    return n


def rescore_parts(store: Store, bp: Blueprint, step: Callable[[str], None]) -> None:
    """The moment and hall parts of the hall days in DAYS replaced."""
    sql = incremental_sql(store, bp)
    step("moment_scores")
    with store.transaction():
        for table in ("moment_parts", "hall_parts"):
            store.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {DAYS} d WHERE "
                          f"d.hall_id = {table}.hall_id AND d.day = {table}.day)")
        store.execute(sql["moment_parts"])
        store.execute(sql["hall_parts"])


def rescore_totals(store: Store, bp: Blueprint, step: Callable[[str], None]) -> pd.DataFrame:
    """moment_scores added up again from the parts; the hall figures (not yet written)."""
    sql = incremental_sql(store, bp)
    step("hall_scores")
    with store.transaction():
        store.execute("DELETE FROM moment_scores")
        store.execute(sql["moment_scores"])
    return finish_halls(store.query(sql["hall_scores"]), bp)


def incremental_sql(store: Store, bp: Blueprint) -> dict[str, str]:
    """The statements of an incremental run (compiled once per store and blueprint): INSERTs of the scores of the
    visits in CHANGED and of the parts of the hall days in DAYS, the INSERT of moment_scores and the SELECT of
    the hall figures."""
    def build() -> dict[str, str]:
        t = store.table
        changed, days = t(CHANGED), t(DAYS).distinct()
        vs_days = with_day(t("visit_scores")).join(days, ["hall_id", "day"])  # days are distinct: a semi join
        # (not written as one: PostgreSQL's Ibis compiler left it as LEFT SEMI JOIN inside the DISTINCT ON picks)
        hp = t("hall_parts")
        exprs = {
            "touch_scores": touch_experience(t("touches").semi_join(changed, "visit_id"), bp, stored_rules(store, bp)),
            "visit_scores": visit_scores(t("touch_scores").semi_join(changed, "visit_id"),
                                         t("visits").semi_join(changed, "visit_id"), bp.weights),
            "moment_parts": moment_parts(t("touch_scores").semi_join(vs_days.select("visit_id"), "visit_id"),
                                         vs_days, bp.weights),
            "hall_parts": hall_parts(vs_days),
            "moment_scores": moment_scores(t("moment_parts"), hp),
        }

        def insert(name: str, expr: ir.Table) -> str:
            columns = t(name).columns
            quoted = ", ".join(f'"{c}"' for c in columns)
            return f"INSERT INTO {name} ({quoted}) {store.db.compile(expr.select(*columns))}"

        sql = {name: insert(name, expr) for name, expr in exprs.items()}
        sql["hall_scores"] = str(store.db.compile(hall_aggregates(hp, t("visit_scores"), t("surveys"), t("audits"))))
        return sql

    return compiled_sql(store, bp, "incremental", build)


def _full(store: Store, bp: Blueprint, step: Callable[[str], None]) -> ScoreResult:
    """A full run: on the store's own engine, or for PostgreSQL in DuckDB off its executor (`offload`)."""
    if isinstance(store, PostgresStore):
        from peakend.scoring.offload import score_full  # it builds on this module

        return score_full(store, bp, step)
    return run_scoring(store_sink(store), bp, step)


def score(store: Store, bp: Blueprint, step: Callable[[str], None] = lambda _: None, full: bool = False
          ) -> ScoreResult:
    """Score the store by the peak-end rule and write the score tables: only what changed since the last run
    when it can (see the module), everything when `full`, the first time or with another blueprint."""
    with store.analytic():
        mark = watermark(store)
        since = None if full else _since(store, bp)
        if since is None:
            result, rescored = _full(store, bp, step), None
        elif isinstance(store, PostgresStore):
            from peakend.scoring.offload import score_changed

            result, rescored = score_changed(store, bp, since, step)
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
