"""The live pass as history grows: a pass of the live rules over 1,000 new touches with 2M and with 20M touches
stored, on DuckDB and on PostgreSQL, same run.

    python bench/bench_live_history.py --db postgresql://…/postgres      # 2M and 20M, both stores
    python bench/bench_live_history.py --sizes 1e6 1e7 --stores duckdb

History: visits of five touches in the 40 halls of bench_live.py over the months before its day (the data of
bench_scoring.py's shape), copied into PostgreSQL through Parquet and COPY. Then --passes batches of 1,000 events
of bench_live.py's day arrive, each ingested as the API does and then taken by one pass of the live worker
(`live.pending.run_pending`); the median pass is compared across sizes (issue 22's target: 20M within 1.2× of
2M). Appends to bench/results/live_history.csv.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_live import HALLS, day_of, records
from bench_pg_scoring import copy_into, fresh_database
from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.live.pending import run_pending
from peakend.store.db import Store, connect

PER_VISIT, BATCH = 5, 1000


def history(con, n: int, moments: list[str]) -> None:
    """N touches of N/5 visits in the halls of bench_live.py, spread over the 150 days before its day, stored in
    time order as they arrived (what lets DuckDB skip the row groups of other days: it keeps each one's min and
    max)."""
    visits = n // PER_VISIT
    ids = ", ".join(f"'{m}'" for m in moments)
    con.execute(f"""
        INSERT INTO visits (visit_id, hall_id, arrival, departure)
        SELECT 'old' || i, 'H' || lpad(CAST(i % {HALLS} AS VARCHAR), 2, '0'),
               TIMESTAMP '2026-06-01 09:00' + to_minutes((i * 216000) // {visits}),
               TIMESTAMP '2026-06-01 09:40' + to_minutes((i * 216000) // {visits})
        FROM range({visits}) r(i)""")
    con.execute(f"""
        INSERT INTO touches (touch_id, visit_id, moment_id, seq, start_at, rating, rating_scale, wait_min,
                             service_min, outcome)
        SELECT 'old' || v || '-' || s, 'old' || v, ([{ids}])[1 + (hash(v * 7 + s) % {len(moments)})::INT], s,
               TIMESTAMP '2026-06-01 09:00' + to_minutes((v * 216000) // {visits} + 5 * s),
               CASE WHEN random() < 0.4 THEN 1 + floor(random() * 5) END, '1-5', round(random() * 30, 1),
               round(random() * 25, 1),
               (['resolved', 'unresolved', 'complaint', NULL, NULL])[1 + floor(random() * 5)::INT]
        FROM range({visits}) r(v), range(1, {PER_VISIT + 1}) q(s) ORDER BY v, s""")
    con.execute("CHECKPOINT")  # written to the file, as a store that has been running is


def passes(store: Store, count: int) -> float:
    """The median seconds of `count` live passes, each over a fresh batch of 1,000 events."""
    bp = load_blueprint()
    events = day_of(BATCH * count)
    times = []
    for i in range(0, len(events), BATCH):
        batch = events[i:i + BATCH]
        ingest_records(store, records(batch), "touch", Context(bp), "bench", live=True)
        t0 = time.perf_counter()
        run_pending(store, bp, batch[-1]["at"])  # type: ignore[arg-type]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(kind: str, n: int, url: str | None, count: int, folder: Path) -> float:
    moments = load_blueprint().moment_ids()
    duck = connect(folder / f"history_{n}.duckdb")
    history(duck.stage, n, moments)
    if kind == "duckdb":
        with duck:
            return passes(duck, count)
    with connect(fresh_database(str(url))) as pg:
        copy_into(pg, duck, folder)
        duck.close()
        return passes(pg, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("PEAKEND_TEST_PG"), help="a PostgreSQL URL (its server)")
    parser.add_argument("--sizes", type=float, nargs=2, default=[2e6, 2e7])
    parser.add_argument("--stores", nargs="+", default=["duckdb", "postgres"], choices=["duckdb", "postgres"])
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()
    if "postgres" in args.stores and not args.db:
        parser.error("give --db postgresql://… (or set PEAKEND_TEST_PG), or --stores duckdb")
    small, large = (int(x) for x in args.sizes)
    print(f"machine: {machine()}")
    for kind in args.stores:
        with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as tmp:
            a = measure(kind, small, args.db, args.passes, Path(tmp))
            b = measure(kind, large, args.db, args.passes, Path(tmp))
        print(f"{kind:<9} live pass over {BATCH:,} new touches: {a * 1000:.0f} ms with {small:,} stored, "
              f"{b * 1000:.0f} ms with {large:,}; ratio {b / a:.2f} (target ≤ 1.2)", flush=True)
        append_result("live_history", {"store": kind, "small": small, "large": large, "small_ms": round(a * 1000),
                                       "large_ms": round(b * 1000), "ratio": round(b / a, 2)})


if __name__ == "__main__":
    main()
