"""A full `peakend score` on PostgreSQL against the same on DuckDB, same data, same run.

    python bench/bench_pg_scoring.py --db postgresql://…/postgres      # 2M touches
    python bench/bench_pg_scoring.py --db … --touches 5e5

The data of bench_scoring.py is generated into a DuckDB store, and copied (COPY) into database
`peakend_bench` on the given server, made afresh. Both are scored in full (median of --repeat) and the
ratio printed: issue 22's target is PostgreSQL within 3× DuckDB at 2M touches. With --steps, where the
PostgreSQL time goes, step by step; with --rss, the peak resident memory of a full PostgreSQL score run alone
in a fresh process; with --reuse, the database of an earlier run is scored again when it holds as many
touches. Appends to bench/results/pg_scoring.csv.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).parent))
from bench_scoring import PER_VISIT, generate, timed
from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.scoring.run import score
from peakend.store.db import Store, connect

DATABASE = "peakend_bench"
COLUMNS = {"visits": "visit_id, hall_id, arrival, departure",
           "touches": "touch_id, visit_id, moment_id, seq, start_at, rating, rating_scale, wait_min, service_min, "
                      "outcome"}


def fresh_database(url: str) -> str:
    """The URL of database DATABASE on the server of `url`, dropped and created again."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{DATABASE}"))


def copy_into(pg: Store, duck: Store, folder: Path) -> None:
    """The visits and touches of `duck` copied into `pg` (through Parquet and COPY)."""
    for table, cols in COLUMNS.items():
        path = folder / f"{table}.parquet"
        duck.execute(f"COPY (SELECT {cols} FROM {table}) TO '{path}' (FORMAT parquet)")
        pg.upload(f"bench_{table}", f"SELECT * FROM read_parquet('{path}')")
        pg.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM bench_{table}")
    pg.execute("ANALYZE")


def reused(url: str, n: int) -> str | None:
    """The URL of database DATABASE if it holds `n` touches (an earlier run's), else None."""
    import psycopg

    target = urlunsplit(urlsplit(url)._replace(path=f"/{DATABASE}"))
    try:
        with psycopg.connect(target, autocommit=True) as con:
            row = con.execute("SELECT count(*) FROM touches").fetchone()
    except psycopg.Error:
        return None
    return target if row and row[0] == n else None


def score_alone(url: str) -> None:
    """A full score of the PostgreSQL store at `url` (run in a fresh process, for its peak memory)."""
    with connect(url) as store:
        score(store, load_blueprint(), full=True)


def peak_rss_mb(url: str) -> float:
    """Peak resident memory (MB) of a fresh process that scores the store at `url` in full."""
    child = multiprocessing.get_context("spawn").Process(target=score_alone, args=(url,))
    child.start()
    child.join()
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: kB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("PEAKEND_TEST_PG"), help="a PostgreSQL URL (its server)")
    parser.add_argument("--touches", type=float, default=2e6)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--steps", action="store_true", help="print where PostgreSQL's time goes")
    parser.add_argument("--rss", action="store_true", help="measure the peak memory of a PostgreSQL score run")
    parser.add_argument("--reuse", action="store_true", help="score an earlier run's database again")
    args = parser.parse_args()
    if not args.db:
        parser.error("give --db postgresql://… (or set PEAKEND_TEST_PG)")
    n, bp = int(args.touches), load_blueprint()
    print(f"machine: {machine()}; {n:,} touches ({n // PER_VISIT:,} visits)")
    with tempfile.TemporaryDirectory() as tmp:
        duck = connect(Path(tmp) / "bench.duckdb")
        generate(duck.stage, n, bp.moment_ids())
        url = args.reuse and reused(args.db, int(duck.scalar("SELECT count(*) FROM touches")))
        pg = connect(url or fresh_database(args.db))
        if not url:
            t0 = time.perf_counter()
            copy_into(pg, duck, Path(tmp))
            print(f"copied into PostgreSQL in {time.perf_counter() - t0:.1f} s", flush=True)
        duck_s = timed(lambda: score(duck, bp, full=True), args.repeat)
        print(f"DuckDB full score: {duck_s:.2f} s", flush=True)
        last = [time.perf_counter()]

        def step(name: str) -> None:
            now = time.perf_counter()
            if args.steps:
                print(f"  {now - last[0]:6.2f} s, then {name}", flush=True)
            last[0] = now

        pg_s = timed(lambda: score(pg, bp, step, full=True), args.repeat)
        step("done")
        sums = [float(s.scalar("SELECT sum(rei) FROM visit_scores")) for s in (duck, pg)]
        same = abs(sums[0] - sums[1]) <= 1e-9 * abs(sums[0]) if not url else ""  # reused: other random draws
        duck.close()
        pg.close()
        rss = peak_rss_mb(pg.url) if args.rss else None
    ratio = pg_s / duck_s
    print(f"PostgreSQL full score: {pg_s:.2f} s; ratio {ratio:.2f} (target ≤ 3); same REI sum: {same}")
    if rss is not None:
        print(f"peak memory of a PostgreSQL score run alone: {rss:,.0f} MB")
    append_result("pg_scoring", {"touches": n, "duckdb_s": round(duck_s, 2), "postgres_s": round(pg_s, 2),
                                 "ratio": round(ratio, 2), "same": same, "load": round(os.getloadavg()[0], 1),
                                 "pg_peak_rss_mb": "" if rss is None else round(rss)})


if __name__ == "__main__":
    main()
