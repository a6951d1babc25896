"""Engines side by side: the same per-visit peak-end scoring by five implementations, same data, same run.

    python bench/bench_engines.py               # 1M and 10M touches
    python bench/bench_engines.py --huge        # and 100M (DuckDB only), plus a whole lake scored at 100M
    python bench/bench_engines.py --touches 1e6 # one size

For each N it writes N touches (6 per visit, 200 halls, 40% rated, waits, outcomes; the data of
bench_scoring.py) as Parquet, then runs each implementation in its own process, from reading the
Parquet files to writing the per-visit table as Parquet:

  sql       the hand-written DuckDB SQL of reference_sql.py (the reference)
  peakend   peakend's Ibis scoring on DuckDB (the engine `peakend score --lake` uses)
  pandas    a straightforward pandas implementation, as an analyst would write it
  polars    the same in Polars' lazy API, the dataframe library an analyst would pick today
  spark     peakend's Ibis scoring on PySpark in local mode (session start-up not counted)

It prints seconds, the peak memory of the process (and its children: Spark's JVM), the ratio to
the SQL reference, and checks every result against the reference's (same visits, REI equal).
Targets at 10M: peakend ≤ 1.3× the SQL reference; at 100M a whole lake scored by DuckDB within 5
minutes under 8 GiB (the 20× pandas target was withdrawn by issue 22: pandas and Polars stay as references).
Results go to bench/results/engines.csv.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_scoring import generate
from common import append_result, machine
from reference_sql import load_rules, reference_sql

from peakend.blueprint.load import load_blueprint
from peakend.blueprint.model import OUTCOMES, Blueprint
from peakend.contract import SCALES
from peakend.scoring.engines import duckdb_engine, memory_limit, score_lake, spark_session
from peakend.scoring.experience import TIE_DIGITS, rules_arrow, touch_experience
from peakend.scoring.visits import visit_scores
from peakend.store.db import connect

ENGINES = ("sql", "peakend", "pandas", "polars", "spark")
HUGE = 100_000_000


# -- the data --------------------------------------------------------------------------------
def write_data(n: int, folder: Path) -> float:
    """N touches and their visits as Parquet files (and as a lake for whole-lake scoring); seconds taken."""
    t0 = time.perf_counter()
    bp = load_blueprint()
    store = connect(folder / "gen.duckdb")
    generate(store.stage, n, bp.moment_ids())
    for table in ("touches", "visits"):
        store.stage.execute(f"COPY (SELECT * EXCLUDE (ingested_at) FROM {table}) TO '{folder / table}.parquet' "
                            "(FORMAT parquet)")
    store.close()
    (folder / "gen.duckdb").unlink()
    return time.perf_counter() - t0


# -- the four implementations (each run in a child process) ----------------------------------
def run_sql(data: Path, out: Path, bp: Blueprint) -> None:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    for table in ("touches", "visits"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{data / table}.parquet')")
    load_rules(con, bp)
    con.execute(f"COPY ({reference_sql(bp)}) TO '{out}' (FORMAT parquet)")


def run_peakend(data: Path, out: Path, bp: Blueprint) -> None:
    con = duckdb_engine(out.parent / "spill")
    t, v = (con.read_parquet(str(data / f"{x}.parquet")) for x in ("touches", "visits"))
    con.to_parquet(visit_scores(touch_experience(t, bp), v, bp.weights), out)


def run_pandas(data: Path, out: Path, bp: Blueprint) -> None:
    """Per-visit scores the way an analyst would write them in pandas: merge, vectorised e, sort, group."""
    t = pd.read_parquet(data / "touches.parquet")
    v = pd.read_parquet(data / "visits.parquet")
    t = t.merge(rules_arrow(bp).to_pandas(), on="moment_id", how="left")
    d = bp.default_rule
    start = t["base"].fillna(d.base)
    for o in OUTCOMES:
        start = start.where(t["outcome"] != o, t[f"o_{o}"].fillna(d.outcome.get(o, d.base)))

    def ramp(x: pd.Series, kind: str) -> pd.Series:
        return (((x - t[f"{kind}_tol"]) / (t[f"{kind}_worst"] - t[f"{kind}_tol"])).clip(0, 1)
                * t[f"{kind}_weight"]).fillna(0.0)

    inferred = (start - ramp(t["wait_min"], "w") - ramp(t["service_min"], "s")).clip(-1, 1)
    rated = pd.Series(np.nan, index=t.index)
    for scale, (lo, hi) in SCALES.items():
        mask = t["rating_scale"] == scale
        rated[mask] = 2 * (t.loc[mask, "rating"] - lo) / (hi - lo) - 1
    t["e"] = rated.fillna(inferred)
    t["ts"] = t["start_at"].fillna(pd.Timestamp(0))
    t["sq"] = t["seq"].fillna(0)
    t["a"] = t["e"].abs().round(TIE_DIGITS)  # touches equally far from neutral tie (as peakend reads them)
    t["last"] = t["end_at"].fillna(t["start_at"])
    in_order = t.sort_values(["visit_id", "ts", "sq", "touch_id"])
    end = in_order.groupby("visit_id").tail(1).set_index("visit_id")[["e", "moment_id"]]
    peak = t.sort_values(["visit_id", "a", "ts", "sq", "touch_id"]).groupby("visit_id").tail(1).set_index(
        "visit_id")[["e", "moment_id"]]
    agg = t.groupby("visit_id").agg(touches=("e", "size"), best=("e", "max"), worst=("e", "min"),
                                    mean=("e", "mean"), first_start=("start_at", "min"), last_end=("last", "max"))
    agg = agg.join(peak.rename(columns={"e": "peak", "moment_id": "peak_moment"}))
    agg = agg.join(end.rename(columns={"e": "end", "moment_id": "end_moment"}))
    j = agg.reset_index().merge(v[["visit_id", "hall_id", "segment", "route", "arrival", "departure"]], on="visit_id")
    span_start = j["arrival"].fillna(j["first_start"])
    j["duration_min"] = (j["departure"].fillna(j["last_end"]) - span_start).dt.total_seconds() / 60
    w = bp.weights
    j["remembered"] = w.peak * j["peak"] + w.end * j["end"] + w.mean * j["mean"]
    j["rei"] = 50 * (1 + j["remembered"])
    j["arrival"], j["day"] = span_start, span_start.dt.date
    j.drop(columns=["first_start", "last_end", "departure"]).to_parquet(out, index=False)


def run_polars(data: Path, out: Path, bp: Blueprint) -> None:
    """The pandas implementation's steps in Polars' lazy API: join, expressions for e, per-visit picks by sort_by."""
    import polars as pl

    t = pl.scan_parquet(data / "touches.parquet").join(pl.from_arrow(rules_arrow(bp)).lazy(), on="moment_id",
                                                          how="left")
    v = pl.scan_parquet(data / "visits.parquet")
    d = bp.default_rule
    start = pl.col("base").fill_null(d.base)
    for o in OUTCOMES:
        start = pl.when(pl.col("outcome") == o).then(pl.col(f"o_{o}").fill_null(d.outcome.get(o, d.base))) \
            .otherwise(start)

    def ramp(x: str, kind: str) -> pl.Expr:
        tol, worst, weight = (pl.col(f"{kind}_{k}") for k in ("tol", "worst", "weight"))
        return (((pl.col(x) - tol) / (worst - tol)).clip(0, 1) * weight).fill_null(0.0)

    inferred = (start - ramp("wait_min", "w") - ramp("service_min", "s")).clip(-1, 1)
    rated = pl.lit(None, dtype=pl.Float64)
    for scale, (lo, hi) in SCALES.items():
        rated = pl.when(pl.col("rating_scale") == scale).then(2 * (pl.col("rating") - lo) / (hi - lo) - 1) \
            .otherwise(rated)
    t = t.with_columns(e=rated.fill_null(inferred)).with_columns(
        ts=pl.col("start_at").fill_null(pl.datetime(1970, 1, 1)), sq=pl.col("seq").fill_null(0),
        a=pl.col("e").abs().round(TIE_DIGITS), last=pl.col("end_at").fill_null(pl.col("start_at")))
    order, peak_order = ["ts", "sq", "touch_id"], ["a", "ts", "sq", "touch_id"]
    agg = t.group_by("visit_id").agg(
        touches=pl.len(), best=pl.col("e").max(), worst=pl.col("e").min(), mean=pl.col("e").mean(),
        first_start=pl.col("start_at").min(), last_end=pl.col("last").max(),
        peak=pl.col("e").sort_by(peak_order).last(), peak_moment=pl.col("moment_id").sort_by(peak_order).last(),
        end=pl.col("e").sort_by(order).last(), end_moment=pl.col("moment_id").sort_by(order).last())
    j = agg.join(v.select("visit_id", "hall_id", "segment", "route", "arrival", "departure"), on="visit_id")
    span_start = pl.col("arrival").fill_null(pl.col("first_start"))
    w = bp.weights
    j = j.with_columns(
        duration_min=(pl.col("departure").fill_null(pl.col("last_end")) - span_start).dt.total_seconds() / 60,
        remembered=w.peak * pl.col("peak") + w.end * pl.col("end") + w.mean * pl.col("mean"),
        arrival=span_start, day=span_start.dt.date(),
    ).with_columns(rei=50 * (1 + pl.col("remembered"))).drop("first_start", "last_end", "departure")
    j.sink_parquet(out)


def run_spark(data: Path, out: Path, bp: Blueprint) -> float:
    """Returns the seconds the session took to start (not counted in the engine's time)."""
    import ibis

    t0 = time.perf_counter()
    spark = spark_session()
    startup = time.perf_counter() - t0
    con = ibis.pyspark.connect(spark)
    t, v = (con.read_parquet(str(data / f"{x}.parquet"), table_name=x) for x in ("touches", "visits"))
    con.to_parquet(visit_scores(touch_experience(t, bp), v, bp.weights), str(out), mode="overwrite")
    spark.stop()
    return startup


def child(engine: str, data: Path, out: Path) -> None:
    """Run one implementation and print its time as JSON (the parent measures the memory)."""
    bp = load_blueprint()
    if engine == "spark":
        t0 = time.perf_counter()
        startup = run_spark(data, out, bp)
        print(json.dumps({"seconds": time.perf_counter() - t0 - startup, "startup_s": startup}))
        return
    if engine == "lake":
        t0 = time.perf_counter()
        result = score_lake("duckdb", data, bp, out)
        print(json.dumps({"seconds": time.perf_counter() - t0, "visits": result.visits}))
        return
    t0 = time.perf_counter()
    {"sql": run_sql, "peakend": run_peakend, "pandas": run_pandas, "polars": run_polars}[engine](data, out, bp)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


# -- the parent: processes, memory, checks ---------------------------------------------------
def measured(engine: str, data: Path, out: Path) -> dict[str, float]:
    """Run `engine` in a child process; its time, and the peak memory of its process tree (MiB)."""
    proc = psutil.Popen([sys.executable, __file__, "--child", engine, str(data), str(out)], stdout=subprocess.PIPE,
                        text=True)
    peak, done = 0, threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                tree = [proc, *proc.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            done.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stdout, _ = proc.communicate()
    done.set()
    watcher.join()
    if proc.returncode:
        raise RuntimeError(f"{engine} failed (exit {proc.returncode})")
    return {**json.loads(stdout.strip().splitlines()[-1]), "peak_mib": peak / 2**20}


def check(reference: Path, result: Path) -> str:
    """Whether a result has the reference's visits with equal REI, peak and end moments."""
    con = duckdb.connect()
    glob = f"{result}/*.parquet" if result.is_dir() else str(result)
    n, diff, moments = con.execute(
        f"SELECT count(*), max(abs(a.rei - b.rei)), sum(CASE WHEN a.peak_moment = b.peak_moment AND "
        f"a.end_moment = b.end_moment THEN 0 ELSE 1 END) FROM read_parquet('{reference}') a "
        f"JOIN read_parquet('{glob}') b USING (visit_id)").fetchone()
    total = con.execute(f"SELECT count(*) FROM read_parquet('{reference}')").fetchone()[0]
    return "ok" if n == total and diff is not None and diff < 1e-9 and moments == 0 else \
        f"MISMATCH ({n}/{total} visits, max REI diff {diff}, {moments} moments differ)"


def bench(n: int, folder: Path, engines: tuple[str, ...]) -> list[dict[str, object]]:
    gen = write_data(n, folder)
    print(f"\n{n:,} touches ({n // 6:,} visits) written as Parquet in {gen:.1f} s", flush=True)
    rows: list[dict[str, object]] = []
    reference = folder / "out-sql.parquet"
    for engine in engines:
        out = folder / (f"out-{engine}" + ("" if engine == "spark" else ".parquet"))
        r = measured(engine, folder, out)
        ok = "reference" if engine == "sql" else check(reference, out)
        rows.append({"touches": n, "engine": engine, "seconds": round(r["seconds"], 2),
                     "peak_mib": round(r["peak_mib"]), "check": ok, "ratio_to_sql": None,
                     "startup_s": round(r["startup_s"], 1) if "startup_s" in r else None})
        print(f"{engine:>8} {r['seconds']:>9.2f} s {r['peak_mib']:>9,.0f} MiB  {ok}", flush=True)
    sql = next(float(r["seconds"]) for r in rows if r["engine"] == "sql")  # type: ignore[arg-type]
    for r in rows:
        r["ratio_to_sql"] = round(float(r["seconds"]) / sql, 2)  # type: ignore[arg-type]
    return rows


def whole_lake(n: int, folder: Path) -> dict[str, object]:
    """A whole `peakend score --lake` (touch, visit, moment, hall tables) by DuckDB on `n` touches."""
    lake = folder / "lake"
    for table in ("touches", "visits"):
        (lake / table).mkdir(parents=True, exist_ok=True)
        (folder / f"{table}.parquet").rename(lake / table / "part-0.parquet")
    empty = connect(":memory:")  # no surveys or audits: one empty file each, with the store's types
    for table in ("surveys", "audits"):
        (lake / table).mkdir(parents=True, exist_ok=True)
        empty.stage.execute(f"COPY (SELECT * EXCLUDE (ingested_at) FROM {table}) TO "
                            f"'{lake / table / 'empty.parquet'}' (FORMAT parquet)")
    empty.close()
    r = measured("lake", lake, folder / "scores")
    row = {"touches": n, "engine": "peakend lake (all tables)", "seconds": round(r["seconds"], 1),
           "peak_mib": round(r["peak_mib"]), "check": f"{int(r['visits']):,} visits", "ratio_to_sql": None,
           "startup_s": None}
    print(f"whole lake: {r['seconds']:.1f} s, peak {r['peak_mib']:,.0f} MiB  (targets: < 300 s, < 8,192 MiB)")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--touches", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--huge", action="store_true", help="also 100M touches (DuckDB engines only)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    print(f"machine: {machine()}, {psutil.virtual_memory().total / 2**30:.0f} GiB; DuckDB memory limit "
          f"{memory_limit()}")
    print(f"{'engine':>8} {'time':>11} {'peak memory':>13}  check")
    rows = []
    sizes = [int(x) for x in args.touches] + ([HUGE] if args.huge else [])
    for n in sizes:
        with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as tmp:
            engines = ENGINES if n < HUGE else ("sql", "peakend")
            rows += bench(n, Path(tmp), engines)
            if n >= HUGE:
                rows.append(whole_lake(n, Path(tmp)))
    for r in rows:
        append_result("engines", r)
    table = pd.DataFrame(rows)
    print("\n" + table.to_string(index=False))
    print("targets at 10M: peakend ≤ 1.3× sql; 100M whole lake < 300 s, < 8 GiB (pandas and Polars: references)")


if __name__ == "__main__":
    main()
