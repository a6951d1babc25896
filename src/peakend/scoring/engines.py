"""The same Ibis scoring on a Parquet lake (`peakend export`), run by DuckDB or by Apache Spark.

The score tables are written as Parquet under `<lake>/scores/` (or another folder), one folder
per table, in the shape the store's own score tables have. DuckDB runs out of core: it is given
a memory limit (env `PEAKEND_MEMORY_LIMIT`, default a quarter of the machine's memory) and a
spill folder, so a lake larger than memory is scored without tuning. Spark runs in local mode
on this machine, or on a cluster given its `spark://` master.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.scoring.run import ScoreResult, Sink, run_scoring
from peakend.store.lake import read_table

LakeEngine = Literal["duckdb", "spark"]
# Tables the later steps recompute rather than read back: e per touch is a projection of the
# touches, cheaper to recompute than to read, and the touches keep their order (a lake's files
# hold a visit's touches together, which lets the per-visit aggregation run in less memory).
RECOMPUTED = frozenset({"touch_scores"})
SPARK_LOCAL = "local[*]"


def memory_limit() -> str:
    """DuckDB's memory limit for lake scoring: env PEAKEND_MEMORY_LIMIT, else a quarter of physical memory."""
    if settings.get("memory_limit"):
        return str(settings.get("memory_limit"))
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, total // 4 // 2**20)}MB"


def duckdb_engine(spill: Path) -> ibis.BaseBackend:
    """An in-memory DuckDB that spills to `spill` past its memory limit."""
    con = ibis.duckdb.connect()
    out_of_core(con.raw_sql, spill)
    return con


def out_of_core(run: Callable[[str], Any], spill: Path) -> None:
    """Settings (run by `run`) that let a DuckDB work on more data than memory: a memory limit, a spill folder."""
    spill.mkdir(parents=True, exist_ok=True)
    run(f"SET memory_limit = '{memory_limit()}'")
    run(f"SET temp_directory = '{spill}'")
    run("SET preserve_insertion_order = false")  # lets large writes stream instead of buffering


def spark_session(master: str | None = None) -> Any:
    """A SparkSession: local mode on this machine unless a `spark://` master is given."""
    from pyspark.sql import SparkSession

    if "UTF-8" not in (os.environ.get("LC_ALL") or os.environ.get("LANG") or "").upper():
        os.environ["LC_ALL"] = "C.UTF-8"  # the JVM decodes file names by the locale: hall folders are UTF-8

    builder = (SparkSession.builder.master(master or SPARK_LOCAL).appName("peakend")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")  # hall ids stay text
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false"))
    if not master:  # one machine: few shuffle partitions, and the driver is the executor
        builder = (builder.config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 2)))
                   .config("spark.driver.memory", settings.get("spark_memory")))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def lake_sink(con: ibis.BaseBackend, lake: Path, out: Path) -> Sink:
    """Read event tables from the lake on `con`; write score tables as Parquet folders under `out`."""
    def write(name: str, expr: ir.Table) -> ir.Table:
        path = _fresh(out / name)
        if con.name == "duckdb":
            con.to_parquet(expr, path / "part-0.parquet")
        else:
            con.to_parquet(expr, str(path), mode="overwrite")
        if name in RECOMPUTED:
            return expr
        glob = str(path / "*.parquet") if con.name == "duckdb" else str(path)
        return con.read_parquet(glob, table_name=f"score_{name}")

    def write_frame(name: str, frame: pd.DataFrame) -> None:
        frame.to_parquet(_fresh(out / name) / "part-0.parquet", index=False)

    return Sink(lambda t: read_table(con, lake, t), write, write_frame, str(lake))


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def score_lake(engine: LakeEngine, lake: Path, bp: Blueprint, out: Path | None = None, master: str | None = None,
               step: Callable[[str], None] = lambda _: None) -> ScoreResult:
    """Score the lake on `engine`; the score tables go to `out` (default `<lake>/scores`)."""
    out = out or lake / "scores"
    if engine == "duckdb":
        con = duckdb_engine(out / ".spill")
        try:
            return run_scoring(lake_sink(con, lake, out), bp, step)
        finally:
            con.disconnect()
            shutil.rmtree(out / ".spill", ignore_errors=True)
    spark = spark_session(master)
    try:
        return run_scoring(lake_sink(ibis.pyspark.connect(spark), lake, out), bp, step)
    finally:
        spark.stop()
