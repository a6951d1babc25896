"""A province's peak hour replayed against the server: 500 halls, arrivals from the simulator, rules on.

    python bench/bench_province.py --db postgresql://…/postgres             # 500 halls, serve --workers 2
    python bench/bench_province.py --db … --halls 100 --workers 1 --seconds 120

Each hall is one of the demo's eight hall characters (busy city halls to a quiet county one), simulated for one
day with its own seed; the hour with the most touches across the province is its peak hour. Its touches are
moved in time so that the hour ends as the replay starts, grouped per hall and 10 seconds of their time (what a
hall's queue system or pad sends at once), and posted in time order by --clients threads, one device token per
hall, as fast as the server takes them, until all are sent or --seconds pass. Then the bench waits for the live
worker to run the rules on everything queued. Prints the province's real peak rate (events/s in the hour), the
rate the server sustained (events/s until the rules had run on all), how many times the peak that is, and
ingest → alert delays (p50, p99: an alert stored after the touch that raised it was, from the store's clocks).
Appends to bench/results/province.csv.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_processes import free_port, fresh, serve
from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.demo.generate import HALLS
from peakend.service import Workspace
from peakend.simulate.run import simulate, touch_rows
from peakend.store.db import connect

WINDOW_S = 10


def province(halls: int, day: date) -> pd.DataFrame:
    """One simulated day of `halls` halls, as touch rows (the long format), hall ids P0001…"""
    bp = load_blueprint()
    frames = []
    for k in range(halls):
        template = HALLS[k % len(HALLS)]
        rows = touch_rows(simulate(template.config(), bp, day, seed=1000 + k, prefix=f"P{k:04d}-"))
        frames.append(rows.assign(hall_id=f"P{k:04d}"))
        if (k + 1) % 50 == 0:
            print(f"simulated {k + 1}/{halls} halls", file=sys.stderr, flush=True)
    return pd.concat(frames, ignore_index=True)


def peak_hour(rows: pd.DataFrame, now: datetime) -> tuple[list[tuple[datetime, str, list[dict]]], int]:
    """The touches of the busiest hour, moved to end at `now`, as (time, hall, batch) in time order; and how
    many touches."""
    start = pd.to_datetime(rows["start_at"])
    hour = start.dt.floor("h").value_counts().idxmax()
    peak = rows[(start >= hour) & (start < hour + pd.Timedelta(hours=1))].copy()
    shift = pd.Timestamp(now) - (hour + pd.Timedelta(hours=1))
    for col in ("arrival", "departure", "start_at", "end_at"):
        t = pd.to_datetime(peak[col].replace("", None)) + shift
        t = t.where(t <= pd.Timestamp(now))  # a departure after the hour: not known yet
        peak[col] = t.dt.strftime("%Y-%m-%d %H:%M:%S").where(t.notna(), None)
    batches: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for r in peak.to_dict("records"):
        at = datetime.fromisoformat(r["start_at"])
        r = {k: v for k, v in r.items() if v not in ("", None) and not (isinstance(v, float) and math.isnan(v))}
        batches[(int(at.timestamp()) // WINDOW_S, r["hall_id"])].append(r)
    ordered = sorted(batches.items())
    return [(datetime.fromtimestamp(w * WINDOW_S), h, b) for (w, h), b in ordered], len(peak)


def replay(port: int, tokens: dict[str, str], batches: list[tuple[datetime, str, list[dict]]], clients: int,
           seconds: float) -> tuple[int, float]:
    """Post the batches in order from `clients` threads; touches stored and seconds taken."""
    lock, nxt, stored = threading.Lock(), [0], [0]
    t0 = time.perf_counter()

    def client() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:
            while time.perf_counter() - t0 < seconds:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= len(batches):
                    return
                _, hall, batch = batches[i]
                r = c.post("/api/v1/touches/batch", json=batch, headers={"Authorization": f"Bearer {tokens[hall]}"})
                r.raise_for_status()
                with lock:
                    stored[0] += r.json()["stored"]

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stored[0], time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("PEAKEND_TEST_PG"), help="a PostgreSQL URL (its server)")
    parser.add_argument("--halls", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="web processes (2 or more: and a live worker)")
    parser.add_argument("--clients", type=int, default=16, help="devices posting at once")
    parser.add_argument("--seconds", type=float, default=300, help="time bound of the replay")
    args = parser.parse_args()
    if not args.db:
        parser.error("give --db postgresql://… (or set PEAKEND_TEST_PG)")
    rows = province(args.halls, date.today())
    url = fresh(args.db)
    halls = sorted(rows["hall_id"].unique())
    with connect(url) as store:
        store.migrate()
        tokens = {h: Workspace(store).people.add_token(h, "bench") for h in halls}
    port = free_port()
    proc = serve(url, port, args.workers)
    try:
        batches, touches = peak_hour(rows, datetime.now().replace(microsecond=0))
        stored, took = replay(port, tokens, batches, args.clients, args.seconds)
        t0 = time.perf_counter()
        with connect(url) as store:
            while store.scalar("SELECT count(*) FROM live_pending") and time.perf_counter() - t0 < args.seconds:
                time.sleep(0.1)
            drained = took + time.perf_counter() - t0
            delays = store.query(
                "SELECT EXTRACT(EPOCH FROM a.fired_at - t.ingested_at) AS s FROM alerts a JOIN touches t "
                "ON a.alert_id = t.touch_id || ':' || a.kind")["s"].astype(float)
    finally:
        proc.terminate()
        proc.wait(60)
    peak_rate = touches / 3600
    sustained = stored / drained
    p50, p99 = (delays.quantile(q) * 1000 if len(delays) else float("nan") for q in (0.5, 0.99))
    print(f"machine: {machine()}; {args.halls} halls, serve --workers {args.workers}, {args.clients} devices")
    print(f"peak hour: {touches:,} touches in {len(batches):,} posts = {peak_rate:,.1f} events/s")
    print(f"replayed: {stored:,} stored in {took:.1f} s, the rules on all after {drained:.1f} s: "
          f"{sustained:,.0f} events/s sustained = {sustained / peak_rate:.1f}× the peak")
    print(f"ingest → alert: {len(delays):,} alerts, p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    append_result("province", {"halls": args.halls, "workers": args.workers, "clients": args.clients,
                                "peak_touches": touches, "peak_rate": round(peak_rate, 1), "stored": stored,
                                "sustained": round(sustained), "headroom": round(sustained / peak_rate, 1),
                                "alerts": len(delays), "alert_p50_ms": round(p50), "alert_p99_ms": round(p99)})


if __name__ == "__main__":
    main()
