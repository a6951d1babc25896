"""PostgreSQL scored off its own executor: the events read as Arrow, scored in process by DuckDB, written back.

PostgreSQL's row-store executor ran the analytic plan of a full score 7.8× slower than DuckDB (scale round 2).
Here the event tables are streamed out of PostgreSQL in its binary format as Arrow (ADBC), loaded into a
private in-memory DuckDB store — given a memory limit and a spill folder, so a store larger than memory is
scored out of core — and scored there by the very statements a DuckDB store runs (`run.run_scoring` on
`run.store_sink`). The score tables go back in bulk (ADBC ingest: binary COPY) beside the old ones and are
swapped in in one transaction (`PostgresStore.write_arrow`): readers never see half a run.

An incremental run goes the same way over what it needs: the changed visits' events and scores, the scores
of the other visits of their hall days, the parts, and what the hall figures count (surveys, audits). The
scratch store runs `run.rescore`'s steps on them; the changed rows go back in one transaction.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from peakend.blueprint.model import Blueprint
from peakend.scoring.engines import memory_limit, out_of_core
from peakend.scoring.moments import NO_DAY
from peakend.scoring.run import (
    CHANGED,
    DAYS,
    LOOKED_UP_BY,
    ScoreResult,
    mark_changed,
    mark_days,
    rescore_parts,
    rescore_totals,
    rescore_visits,
    run_scoring,
    store_sink,
)
from peakend.store.db import DuckDBStore, PostgresStore

EVENTS = ("touches", "visits", "surveys", "audits")
SCORES = ("touch_scores", "visit_scores", "moment_parts", "hall_parts", "moment_scores", "hall_scores")
UNSCORED = frozenset({"source", "ingested_at", "customer_key"})  # event columns a full run need not read
BATCH_ROWS = 122_880  # rows per Arrow batch written back (DuckDB's row group)


@contextmanager
def scratch() -> Iterator[DuckDBStore]:
    """A private in-memory DuckDB store that spills to a temporary folder past its memory limit."""
    folder = Path(tempfile.mkdtemp(prefix="peakend-scoring-"))
    duck = DuckDBStore(":memory:")
    try:
        out_of_core(duck.stage.execute, folder / "spill")
        duck.stage.execute("SET enable_progress_bar = false")  # a long statement would draw one on the terminal
        yield duck
    finally:
        duck.close()
        shutil.rmtree(folder, ignore_errors=True)


def load(duck: DuckDBStore, store: PostgresStore, name: str, sql: str, keep: bool = False) -> None:
    """Table `name` of the scratch store made from a query on PostgreSQL, streamed batch by batch into DuckDB's
    storage (which spills past its memory limit); with `keep`, held as the Arrow table read (no copy, for a
    table that fits in memory: `fits`). Either way a view or table DuckDB reads by that name."""
    with store.read_arrow(sql) as reader:
        if keep:
            duck.stage.register(name, reader.read_all())
            return
        duck.stage.register("_peakend_arrow", reader)
        try:
            duck.stage.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _peakend_arrow')
        finally:
            duck.stage.unregister("_peakend_arrow")


def fits(store: PostgresStore, table: str) -> bool:
    """Whether a table's rows may be held in memory as Arrow: PostgreSQL's size of it (about the Arrow size)
    within a quarter of DuckDB's memory limit (the rest is the run's)."""
    size = int(store.scalar(f"SELECT pg_table_size('{table}')") or 0)
    return size <= limit_bytes(memory_limit()) // 4


def limit_bytes(limit: str) -> int:
    """A DuckDB memory limit ('4GB', '500 MiB') in bytes; a quarter of physical memory if it cannot be read."""
    found = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)I?B?\s*", limit.upper())
    if not found:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    return int(float(found[1]) * 1024 ** "_KMGT".index(found[2] or "_"))


def needed(store: PostgresStore, table: str) -> str:
    """The columns of an event table that scoring reads (not where a row came from or when it was stored)."""
    return ", ".join(f'"{c}"' for c in store.columns(table) if c not in UNSCORED)


def append(duck: DuckDBStore, store: PostgresStore, name: str, sql: str, unless: str = "FALSE") -> None:
    """Rows of a query on PostgreSQL added to scratch table `name` (by column name), but those `unless` keeps out
    (a condition on the scratch store)."""
    with store.read_arrow(sql) as reader:
        duck.stage.register("_peakend_arrow", reader)
        try:
            duck.stage.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _peakend_arrow WHERE NOT ({unless})')
        finally:
            duck.stage.unregister("_peakend_arrow")


def rows_of(duck: DuckDBStore, sql: str) -> Callable[[], pa.RecordBatchReader]:
    """A query on the scratch store, to be streamed as Arrow when called."""
    return lambda: duck.stage.sql(sql).to_arrow_reader(BATCH_ROWS)


def score_full(store: PostgresStore, bp: Blueprint, step: Callable[[str], None] = lambda _: None) -> ScoreResult:
    """Score every visit of a PostgreSQL store in DuckDB and replace its score tables (see the module)."""
    started = time.perf_counter()
    with scratch() as duck:
        step("read_arrow")
        for table in EVENTS:
            load(duck, store, table, f"SELECT {needed(store, table)} FROM {table}", fits(store, table))
        result = run_scoring(store_sink(duck), bp, step)
        step("write_arrow")
        store.write_arrow(replace={t: rows_of(duck, f'SELECT * FROM "{t}"') for t in SCORES}, index=LOOKED_UP_BY)
    result.seconds = time.perf_counter() - started
    return result


def score_changed(store: PostgresStore, bp: Blueprint, since: object,
                  step: Callable[[str], None] = lambda _: None) -> tuple[ScoreResult, int]:
    """`run.rescore` for a PostgreSQL store, in DuckDB (see the module); the result and how many visits."""
    started = time.perf_counter()
    mark_changed(store, since)
    changed = f"(SELECT visit_id FROM {CHANGED})"
    try:
        with scratch() as duck:
            step("read_arrow")
            load(duck, store, CHANGED, f"SELECT * FROM {CHANGED}")
            for table in ("touches", "visits", "touch_scores", "visit_scores"):
                load(duck, store, table, f"SELECT * FROM {table} WHERE visit_id IN {changed}")
            for table in ("moment_parts", "hall_parts", "moment_scores", "surveys", "audits"):
                load(duck, store, table, f"SELECT * FROM {table}")
            mark_days(duck)
            n = rescore_visits(duck, bp, step)
            if n:
                _other_visits_of_the_days(duck, store)
                rescore_parts(duck, bp, step)
            append(duck, store, "visit_scores", "SELECT * FROM visit_scores WHERE visit_id IN "  # hall_scores'
                   "(SELECT visit_id FROM surveys)", f"visit_id IN (SELECT visit_id FROM visit_scores) OR "  # surveys
                   f"visit_id IN (SELECT visit_id FROM {CHANGED})")
            halls = rescore_totals(duck, bp, step)
            duck.write_frame("hall_scores", halls)
            step("write_arrow")
            _write_changes(store, duck, n)
    finally:
        for table in (CHANGED, DAYS):
            store.execute(f"DROP TABLE IF EXISTS {table}")
    touches = int(store.scalar("SELECT count(*) FROM touch_scores"))
    return ScoreResult(len(halls), int(halls.visits.sum()), touches, time.perf_counter() - started), n


def _other_visits_of_the_days(duck: DuckDBStore, store: PostgresStore) -> None:
    """The scratch store's DAYS copied to PostgreSQL, and the scores of their visits not in CHANGED (and their
    touches' scores) copied to the scratch store: what the parts of those days are added up from."""
    days = duck.rows(f"SELECT DISTINCT hall_id, day FROM {DAYS}")
    store.execute(f"DROP TABLE IF EXISTS {DAYS}")
    store.execute(f"CREATE TABLE {DAYS} (hall_id text, day date)")
    store.executemany(f"INSERT INTO {DAYS} (hall_id, day) VALUES (?, ?)", days)
    others = (f"SELECT v.* FROM visit_scores v WHERE v.visit_id NOT IN (SELECT visit_id FROM {CHANGED}) AND EXISTS "
              f"(SELECT 1 FROM {DAYS} d WHERE d.hall_id = v.hall_id AND d.day = coalesce(v.day, DATE "
              f"'{NO_DAY.isoformat()}'))")
    append(duck, store, "visit_scores", others)
    append(duck, store, "touch_scores", f"SELECT t.* FROM touch_scores t WHERE t.visit_id IN "
                                        f"(SELECT visit_id FROM ({others}) o)")


def _write_changes(store: PostgresStore, duck: DuckDBStore, n: int) -> None:
    """In one transaction: the changed visits' scores and their days' parts replaced, the totals swapped in."""
    in_days = f"EXISTS (SELECT 1 FROM {DAYS} d WHERE d.hall_id = p.hall_id AND d.day = p.day)"
    before, rows = [], {}
    if n:
        for table in ("touch_scores", "visit_scores"):
            before.append(f"DELETE FROM {table} WHERE visit_id IN (SELECT visit_id FROM {CHANGED})")
            rows[table] = rows_of(duck, f"SELECT * FROM {table} WHERE visit_id IN (SELECT visit_id FROM {CHANGED})")
        for table in ("moment_parts", "hall_parts"):
            before.append(f"DELETE FROM {table} p WHERE {in_days}")
            rows[table] = rows_of(duck, f"SELECT * FROM {table} p WHERE {in_days}")
    totals = {t: rows_of(duck, f'SELECT * FROM "{t}"') for t in ("moment_scores", "hall_scores")}
    store.write_arrow(before, rows, totals)
