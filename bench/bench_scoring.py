"""A whole `peakend score` on a DuckDB store: touch, visit, hall × moment (with lift) and hall tables.

    python bench/bench_scoring.py                 # 1M and 10M touches
    python bench/bench_scoring.py --touches 1e6   # one size

For each N it generates N touches (6 per visit, 200 halls, 40% rated, waits, outcomes) into a
DuckDB store and times the whole scoring (median of --repeat runs). Target: < 30 s at 10M.
The engines side by side (the hand-written SQL reference, pandas, Spark) are bench_engines.py's,
which uses this file's data. Results are appended to bench/results/scoring.csv.
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

from peakend.blueprint.load import load_blueprint
from peakend.scoring.run import score
from peakend.store.db import connect

PER_VISIT = 6


def generate(con, n: int, moments: list[str], in_time_order: bool = False) -> None:
    """N touches of N/6 visits with ties, missing ratings, waits and outcomes, over 30 days (`in_time_order`: the
    visits stored in the order they arrive, as a live store holds them; else cycling through the 30 days)."""
    visits = n // PER_VISIT
    ids = ", ".join(f"'{m}'" for m in moments)
    minute = f"(i * 43200) // {visits}" if in_time_order else "i % 43200"
    con.execute(f"""
        INSERT INTO visits (visit_id, hall_id, arrival, departure)
        SELECT 'v' || i, 'H' || (i % 200), TIMESTAMP '2026-10-01 09:00' + to_minutes({minute}),
               TIMESTAMP '2026-10-01 09:40' + to_minutes({minute})
        FROM range({visits}) r(i)""")
    con.execute(f"""
        INSERT INTO touches (touch_id, visit_id, moment_id, seq, start_at, rating, rating_scale,
                             wait_min, service_min, outcome)
        SELECT 'v' || v || '-' || s, 'v' || v, ([{ids}])[1 + (hash(v * 7 + s) % {len(moments)})::INT], s,
               TIMESTAMP '2026-10-01 09:00' + to_minutes({minute.replace("i", "v")} + 5 * s),
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
    t0 = time.perf_counter()
    generate(store.stage, n, bp.moment_ids())
    gen = time.perf_counter() - t0
    full_s = timed(lambda: score(store, bp, full=True), repeat)
    store.close()
    return {"touches": n, "visits": n // PER_VISIT, "generate_s": round(gen, 2), "full_score_s": round(full_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--touches", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"{'touches':>12} {'full score s':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.touches):
            r = run(n, args.repeat, Path(tmp))
            print(f"{r['touches']:>12,} {r['full_score_s']:>13}", flush=True)
            append_result("scoring", r)
    print("target: a whole score of 10M touches < 30 s")


if __name__ == "__main__":
    main()
