"""Live-rules benchmark: a generated day of ≥100,000 events replayed through ingest and the rules.

    python bench/bench_live.py                    # 100,000 touches, batches of 500
    python bench/bench_live.py --events 2e5 --batch 1000

Events (5 touches per visit, 40 halls, some long waits, bad counters, complaints, unresolved
ends, phone numbers for surveys) are sent in time order in batches, as the API receives them.
For each batch it times ingest (`ingest_records`, queueing the visits as the API does) and a pass
of the server's live worker over the queue (`live.pending.run_pending`), and runs the timers due
by the batch's last event. Prints:
  rules throughput   events / seconds spent in the rules
  ingest → alert     per batch, from the start of its ingest to its alerts being stored, plus the
                     worker's gathering window (`live.worker.GATHER_S`) (p50, p99)
  single event       the same delay for one event sent alone (p50, p99 of --singles posts)
and what fired. Appends to bench/results/live.csv.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.live.pending import run_pending
from peakend.live.rules import Fired
from peakend.live.sms import FileGateway
from peakend.live.timers import tick
from peakend.service.background import GATHER_S as LIVE_GATHER_S
from peakend.store.db import connect

DAY = datetime(2026, 11, 2, 8, 30)
HALLS = 40


def visit_events(rng: random.Random, v: int) -> list[dict[str, object]]:
    """One visit's five touches, each stamped with the time it is sent."""
    hall = f"H{v % HALLS:02d}"
    start = DAY + timedelta(minutes=rng.uniform(0, 12 * 60))
    wait = rng.expovariate(1 / 8)
    bad = rng.random() < 0.1
    outcome = rng.choices(["resolved", "unresolved", "complaint"], [0.9, 0.07, 0.03])[0]
    serve = start + timedelta(minutes=1 + wait)
    leave = serve + timedelta(minutes=10)
    vid = f"v{v}"
    base = {"visit_id": vid}
    return [
        {**base, "at": start, "touch_id": f"{vid}-1", "hall_id": hall, "moment_id": "entering", "seq": 1,
         "start_at": start, "customer_key": f"139{v:08d}", "staff_id": f"G{v % 7}", "arrival": start},
        {**base, "at": start + timedelta(minutes=1), "touch_id": f"{vid}-2", "moment_id": "waiting", "seq": 2,
         "start_at": start + timedelta(minutes=1)},
        {**base, "at": serve, "touch_id": f"{vid}-3", "moment_id": "waiting", "seq": 3, "start_at": serve,
         "wait_min": round(wait, 1)},
        {**base, "at": leave - timedelta(minutes=1), "touch_id": f"{vid}-4", "moment_id": "counter_handling",
         "seq": 4, "start_at": serve, "staff_id": f"S{v % 11}", "service_min": 9.0, "outcome": outcome,
         "rating": 1 if bad else 5, "rating_scale": "1-5"},
        {**base, "at": leave, "touch_id": f"{vid}-5", "moment_id": "leaving", "seq": 5, "start_at": leave,
         "departure": leave},
    ]


def day_of(n: int, seed: int = 7) -> list[dict[str, object]]:
    """About n events of one day, in the order they are sent."""
    rng = random.Random(seed)
    events = [e for v in range(n // 5) for e in visit_events(rng, v)]
    events.sort(key=lambda e: e["at"])  # type: ignore[arg-type, return-value]
    return events


def records(batch: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: (str(v) if isinstance(v, datetime) else v) for k, v in e.items() if k != "at"} for e in batch]


def q(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=float, default=1e5)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--singles", type=int, default=200)
    args = parser.parse_args()
    bp = load_blueprint()
    events = day_of(int(args.events))
    fired, in_rules, delays = Fired(), 0.0, []
    with tempfile.TemporaryDirectory() as tmp, connect(Path(tmp) / "live.duckdb") as store:
        gateway = FileGateway(Path(tmp) / "sms.jsonl")
        started = time.perf_counter()
        for i in range(0, len(events), args.batch):
            batch = events[i:i + args.batch]
            now = batch[-1]["at"]
            t0 = time.perf_counter()
            ingest_records(store, records(batch), "touch", Context(bp), "bench", live=True)
            t1 = time.perf_counter()
            fired += run_pending(store, bp, now)  # type: ignore[arg-type]
            t2 = time.perf_counter()
            in_rules += t2 - t1
            delays.append(t2 - t0 + LIVE_GATHER_S)
            tick(store, bp, now, gateway)  # type: ignore[arg-type]
            done = i + len(batch)
            print(f"\r{done:,}/{len(events):,} events", end="", file=sys.stderr, flush=True)
        total = time.perf_counter() - started
        print(file=sys.stderr)
        singles = []
        for j, e in enumerate(day_of(args.singles * 5, seed=99)[: args.singles]):
            e = {**e, "visit_id": f"s{j}-{e['visit_id']}", "touch_id": f"s{j}-{e['touch_id']}", "hall_id": "H00"}
            t0 = time.perf_counter()
            ingest_records(store, records([e]), "touch", Context(bp), "bench", live=True)
            run_pending(store, bp, e["at"])  # type: ignore[arg-type]
            singles.append(time.perf_counter() - t0 + LIVE_GATHER_S)
        alerts = store.scalar("SELECT count(*) FROM alerts")
    n = len(events)
    print(f"machine: {machine()}")
    print(f"events replayed        : {n:,} in batches of {args.batch} ({total:.1f} s with ingest and timers)")
    print(f"rules throughput       : {n / in_rules:,.0f} events/s through the rules ({in_rules:.1f} s in rules)")
    print(f"end to end             : {n / total:,.0f} events/s (ingest + rules + timers)")
    print(f"ingest → alert, batch  : p50 {q(delays, 50) * 1000:.0f} ms, p99 {q(delays, 99) * 1000:.0f} ms")
    print(f"ingest → alert, single : p50 {q(singles, 50) * 1000:.0f} ms, p99 {q(singles, 99) * 1000:.0f} ms")
    print(f"fired: {fired.alerts:,} alerts ({alerts:,} stored), {fired.cases:,} cases, {fired.surveys:,} surveys, "
          f"{fired.advice:,} advice")
    print("target: every event through the rules within one second of ingest (p99 single < 1,000 ms)")
    append_result("live", {"events": n, "batch": args.batch,
           "rules_events_per_s": round(n / in_rules), "end_to_end_per_s": round(n / total),
           "batch_p50_ms": round(q(delays, 50) * 1000), "batch_p99_ms": round(q(delays, 99) * 1000),
           "single_p50_ms": round(q(singles, 50) * 1000), "single_p99_ms": round(q(singles, 99) * 1000),
           "alerts": fired.alerts, "cases": fired.cases, "surveys": fired.surveys, "advice": fired.advice})


if __name__ == "__main__":
    main()
