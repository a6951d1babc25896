"""HTTP ingest with the live rules on: `peakend serve` as one process against `peakend serve --workers 2` (two web
processes and a live worker process), on PostgreSQL, same run.

    python bench/bench_processes.py --db postgresql://…/postgres        # 8 devices, 60 batches of 1,000
    python bench/bench_processes.py --db … --batches 30 --clients 4

For each way of serving, a fresh database `peakend_bench_serve` on the given server; --clients devices post
batches of 1,000 touches (fresh ids) at once, and the clock stops when the live worker has run the rules on all
of them (the live queue empty). Prints touches/s for each and the ratio (issue 22's target: ≥ 1.5).
Appends to bench/results/processes.csv.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_http_ingest import BATCH, start_server, together, touches
from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.service import Workspace
from peakend.store.db import connect

DATABASE = "peakend_bench_serve"


def fresh(url: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{DATABASE}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The server, its SMS surveys written to a temporary file (not beside the store: the working directory)."""
    outbox = Path(tempfile.gettempdir()) / "peakend-bench-sms.jsonl"
    return start_server(url, port, "--workers", str(workers),
                        env={**os.environ, "PEAKEND_SCORE_MINUTES": "0", "PEAKEND_SMS_GATEWAY": f"file:{outbox}"})


def rate(server_url: str, workers: int, batches: int, clients: int, seconds: float) -> tuple[float, float]:
    """Touches/s from the first post until the live rules have run on every posted touch, and how busy the
    machine's cores were meanwhile (%, all processes: server, PostgreSQL and the devices)."""
    url = fresh(server_url)
    with connect(url) as store:
        store.migrate()
        token = Workspace(store).people.add_token("H1", "bench")
    port = free_port()
    proc = serve(url, port, workers)
    moments = load_blueprint().moment_ids()
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                                   headers={"Authorization": f"Bearer {token}"})
        return local.c

    try:
        client().post("/api/v1/touches/batch", json=touches("warm", BATCH, moments)).raise_for_status()
        ready = [touches(f"w{workers}b{b}", BATCH, moments) for b in range(batches)]

        def post(b: int) -> None:
            r = client().post("/api/v1/touches/batch", json=ready[b])
            assert r.status_code == 200 and r.json()["stored"] == BATCH, r.text[:300]

        t0 = time.perf_counter()
        psutil.cpu_percent()
        done, _ = together(post, batches, clients, seconds)
        with connect(url) as store:
            while store.scalar("SELECT count(*) FROM live_pending") and time.perf_counter() - t0 < 2 * seconds:
                time.sleep(0.05)
        return done * BATCH / (time.perf_counter() - t0), psutil.cpu_percent()
    finally:
        proc.terminate()
        proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("PEAKEND_TEST_PG"), help="a PostgreSQL URL (its server)")
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    if not args.db:
        parser.error("give --db postgresql://… (or set PEAKEND_TEST_PG)")
    one, busy_one = rate(args.db, 1, args.batches, args.clients, args.seconds)
    two, busy_two = rate(args.db, 2, args.batches, args.clients, args.seconds)
    print(f"machine: {machine()}; {args.clients} devices, {args.batches} batches of {BATCH:,} touches, rules on")
    print(f"serve (one process)          : {one:>8,.0f} touches/s until the rules had run on all; cores "
          f"{busy_one:.0f}% busy")
    print(f"serve --workers 2 + live work: {two:>8,.0f} touches/s; cores {busy_two:.0f}% busy; ratio {two / one:.2f} "
          "(target ≥ 1.5)")
    append_result("processes", {"clients": args.clients, "batches": args.batches, "one_process": round(one),
                                "two_workers": round(two), "ratio": round(two / one, 2),
                                "busy_one_pct": round(busy_one), "busy_two_pct": round(busy_two)})


if __name__ == "__main__":
    main()
