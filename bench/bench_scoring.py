"""Scoring benchmark: Ibis peak-end scoring against hand-written DuckDB SQL, same run, same data.

    python bench/bench_scoring.py                 # 1M and 10M touches
    python bench/bench_scoring.py --touches 1e6   # one size

For each N it generates N touches (6 per visit, 200 halls, 40% rated, waits, outcomes) into
a DuckDB file, then times (median of --repeat runs):
  ibis      per-visit scores from raw touches through peakend's Ibis expressions
  sql       the same per-visit result from the hand-written SQL in reference_sql.py
  full      a whole `peakend score` (touch, visit, hall × moment with lift, hall tables)
and prints the ratio ibis/sql (target ≤ 1.3 at 10M) and whether full scoring beats 30 s.
Results are appended to bench/results/scoring.csv with the machine's description.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import append_result, machine
from reference_sql import load_rules, reference_sql

from peakend.blueprint.load import load_blueprint
from peakend.scoring.experience import touch_experience
from peakend.scoring.run import score
from peakend.scoring.visits import visit_scores
from peakend.store.db import connect

PER_VISIT = 6


def generate(con, n: int, moments: list[str]) -> None:
    """N touches of N/6 visits with ties, missing ratings, waits and outcomes."""
    visits = n // PER_VISIT
    ids = ", ".join(f"'{m}'" for m in moments)
    con.execute(f"""
        INSERT INTO visits (visit_id, hall_id, arrival, departure)
        SELECT 'v' || i, 'H' || (i % 200), TIMESTAMP '2026-10-01 09:00' + to_minutes(i % 43200),
               TIMESTAMP '2026-10-01 09:40' + to_minutes(i % 43200)
        FROM range({visits}) r(i)""")
    con.execute(f"""
        INSERT INTO touches (touch_id, visit_id, moment_id, seq, start_at, rating, rating_scale,
                             wait_min, service_min, outcome)
        SELECT 'v' || v || '-' || s, 'v' || v, ([{ids}])[1 + (hash(v * 7 + s) % {len(moments)})::INT], s,
               TIMESTAMP '2026-10-01 09:00' + to_minutes(v % 43200 + 5 * s),
               CASE WHEN random() < 0.4 THEN 1 + floor(random() * 5) END,
               '1-5', round(random() * 30, 1), round(random() * 25, 1),
               (['resolved', 'unresolved', 'complaint', NULL, NULL])[1 + floor(random() * 5)::INT]
        FROM range({visits}) r(v), range(1, {PER_VISIT + 1}) q(s)""")


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(n: int, repeat: int, folder: Path) -> dict[str, object]:
    bp = load_blueprint()
    store = connect(folder / f"bench_{n}.duckdb")
    con = store.stage
    t0 = time.perf_counter()
    generate(con, n, bp.moment_ids())
    gen = time.perf_counter() - t0
    load_rules(con, bp)
    db = store.db
    expr = visit_scores(touch_experience(db.table("touches"), bp), db.table("visits"), bp.weights)
    sql = reference_sql(bp)
    ibis_s = timed(lambda: store.materialize("bench_ibis", expr), repeat)
    sql_s = timed(lambda: con.execute(f"CREATE OR REPLACE TABLE bench_sql AS {sql}"), repeat)
    diff = con.execute(
        "SELECT count(*), max(abs(a.rei - b.rei) + abs(a.duration_min - b.duration_min)) "
        "+ max(CASE WHEN a.peak_moment = b.peak_moment AND a.end_moment = b.end_moment THEN 0 ELSE 1 END) "
        "FROM bench_ibis a JOIN bench_sql b USING (visit_id)").fetchall()[0]
    full_s = timed(lambda: score(store, bp), 1)
    store.close()
    return {"touches": n, "visits": n // PER_VISIT, "generate_s": round(gen, 2), "ibis_s": round(ibis_s, 3),
            "sql_s": round(sql_s, 3), "ratio": round(ibis_s / sql_s, 3), "full_score_s": round(full_s, 2),
            "rows_compared": diff[0], "max_rei_diff": diff[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--touches", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"{'touches':>12} {'ibis s':>8} {'sql s':>8} {'ratio':>6} {'full s':>8}  check")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.touches):
            r = run(n, args.repeat, Path(tmp))
            ok = "ok" if r["max_rei_diff"] is not None and r["max_rei_diff"] < 1e-9 else "MISMATCH"
            print(f"{r['touches']:>12,} {r['ibis_s']:>8} {r['sql_s']:>8} {r['ratio']:>6} {r['full_score_s']:>8}  "
                  f"{ok} ({r['rows_compared']:,} visits equal)", flush=True)
            append_result("scoring", r)
    print("targets: ratio ≤ 1.3 at 10M touches; full score of 10M touches < 30 s")


if __name__ == "__main__":
    main()
