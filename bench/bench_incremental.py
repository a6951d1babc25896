"""Incremental scoring: one new day scored into a store of many days, against a full re-score, same run.

    python bench/bench_incremental.py                      # 200 days of 10,000 touches in 6 halls (2M), DuckDB
    python bench/bench_incremental.py --per-day 90000 --halls 50   # a city: 50 halls, 18M touches

A DuckDB store holds DAYS days of touches (the data of bench_scoring.py, spread over the days) and is scored in
full; then one more day arrives (ingested as events are, so it carries its own ingest time) and is scored
incrementally — the first such run after a start compiles its SQL, so a second new day is timed as the server's
scheduled runs go; then the same store is scored in full again. Prints both times and their ratio (issue 22's
target: the new day within 1/20 of the full re-score) and how the incremental time splits between re-scoring
the new visits and recomputing the hall × moment and hall tables; appends to bench/results/incremental.csv.
"""

from __future__ import annotations

import argparse
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


def add_days(con, first: int, days: int, per_day: int, moments: list[str], halls: int = 6) -> None:
    """`days` days from day `first` (of 2026-01-01) of `per_day` touches each, visits of six touches."""
    ids = ", ".join(f"'{m}'" for m in moments)
    per = per_day // PER_VISIT  # visits a day
    visits = days * per
    v0 = first * per
    con.execute(f"""
        INSERT INTO visits (visit_id, hall_id, arrival, departure)
        SELECT 'v' || i, 'H' || (i % {halls}), TIMESTAMP '2026-01-01 09:00' + to_days((i // {per})::INT)
               + to_minutes((i % {per}) % 600), TIMESTAMP '2026-01-01 09:40' + to_days((i // {per})::INT)
               + to_minutes((i % {per}) % 600)
        FROM range({v0}, {v0 + visits}) r(i)""")
    con.execute(f"""
        INSERT INTO touches (touch_id, visit_id, moment_id, seq, start_at, rating, rating_scale, wait_min,
                             service_min, outcome)
        SELECT 'v' || v || '-' || s, 'v' || v, ([{ids}])[1 + (hash(v * 7 + s) % {len(moments)})::INT], s,
               TIMESTAMP '2026-01-01 09:00' + to_days((v // {per})::INT) + to_minutes((v % {per}) % 600 + 5 * s),
               CASE WHEN random() < 0.4 THEN 1 + floor(random() * 5) END, '1-5', round(random() * 30, 1),
               round(random() * 25, 1),
               (['resolved', 'unresolved', 'complaint', NULL, NULL])[1 + floor(random() * 5)::INT]
        FROM range({v0}, {v0 + visits}) r(v), range(1, {PER_VISIT + 1}) q(s)""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--per-day", type=int, default=10_000, help="touches per day")
    parser.add_argument("--halls", type=int, default=6, help="halls the visits spread over (~280 visits a hall a day)")
    args = parser.parse_args()
    bp = load_blueprint()
    print(f"machine: {machine()}; {args.days} days of {args.per_day:,} touches in {args.halls} halls, "
          "then one more day")
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as tmp:
        store = connect(Path(tmp) / "history.duckdb")
        add_days(store.stage, 0, args.days, args.per_day, bp.moment_ids(), args.halls)
        t0 = time.perf_counter()
        score(store, bp, full=True)
        first = time.perf_counter() - t0
        time.sleep(0.01)  # the new day's ingest time after the run's watermark
        add_days(store.stage, args.days, 1, args.per_day, bp.moment_ids(), args.halls)
        t0 = time.perf_counter()
        score(store, bp)  # the first incremental run after a start compiles its SQL
        cold = time.perf_counter() - t0
        time.sleep(0.01)
        add_days(store.stage, args.days + 1, 1, args.per_day, bp.moment_ids(), args.halls)
        steps: dict[str, float] = {}
        mark = [time.perf_counter(), "start"]

        def step(name: str) -> None:
            now = time.perf_counter()
            steps[str(mark[1])] = now - float(mark[0])
            mark[0], mark[1] = now, name.split(":")[0]

        t0 = time.perf_counter()
        inc = score(store, bp, step)
        incremental = time.perf_counter() - t0
        step("end")
        t0 = time.perf_counter()
        score(store, bp, full=True)
        full = time.perf_counter() - t0
        store.close()
    ratio = incremental / full
    print(f"full score (first): {first:.2f} s; one new day incremental: {incremental:.3f} s "
          f"({inc.rescored:,} visits scored again; the first after a start, compiling its SQL: {cold:.2f} s); "
          f"full re-score: {full:.2f} s; ratio {ratio:.3f} (target ≤ 0.05)")
    print("incremental steps: " + ", ".join(f"{k} {v:.3f} s" for k, v in steps.items()))
    append_result("incremental", {
        "days": args.days, "per_day": args.per_day, "halls": args.halls, "incremental_s": round(incremental, 3),
        "cold_s": round(cold, 2), "full_s": round(full, 2), "ratio": round(ratio, 3), "rescored": inc.rescored,
        **{f"{k}_s": round(v, 3) for k, v in steps.items()}})


if __name__ == "__main__":
    main()
