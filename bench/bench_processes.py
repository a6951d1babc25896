"""HTTP ingest with the live rules on: `peakend serve` as one process against `peakend serve --workers 2` (two web
processes and a live worker process), on PostgreSQL, same run.

    python bench/bench_processes.py --db postgresql://…/postgres        # 8 devices, 60 batches of 1,000
    python bench/bench_processes.py --db … --batches 30 --clients 4
    python bench/bench_processes.py --db … --size 2 --batches 600   # posts of 2 touches, as a hall's queue sends

For each way of serving, a fresh database `peakend_bench_serve` on the given server; --clients devices post
batches of 1,000 touches (fresh ids) at once, and the clock stops when the live worker has run the rules on all
of them (the live queue empty). Prints touches/s for each and the ratio (issue 22's target: ≥ 1.5).

Touches/s depend on how loaded the machine is; the cost per core does not: the CPU seconds the server's processes
used meanwhile (psutil: the server, its web workers and live worker, children included) give touches ingested, with
the rules run on them, per CPU-second of the server — what a busy core of a bigger machine takes. PostgreSQL's CPU
seconds (its postmaster and backends, when the server is on this machine) are counted apart.
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
from dataclasses import dataclass
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
                        env={**os.environ, "PEAKEND_SCORE_MINUTES": "0", "PEAKEND_SMS_GATEWAY": f"file:{outbox}"},
                        wait=300)  # a loaded 2-core machine took 95 s to start two workers


def cpu_seconds(root: psutil.Process | None, only: str = "") -> float:
    """User + system CPU seconds of a process and its descendants, living or ended and waited for (0: none);
    `only`: of those whose command line has these words (`live work`: the live worker)."""
    if root is None:
        return 0.0
    total = 0.0
    try:
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for proc in family:
        try:
            t = proc.cpu_times()
            if only and only not in " ".join(proc.cmdline()):
                continue
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def postmaster(url: str) -> psutil.Process | None:
    """PostgreSQL's postmaster when it runs on this machine (its data directory readable), else None."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    pid_file = Path(str(row[0] if row else "")) / "postmaster.pid"
    try:
        return psutil.Process(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


@dataclass(frozen=True)
class Run:
    """One way of serving: touches/s, how busy the cores were (%), touches, CPU seconds of the server (of which its
    live worker process's, when it has one) and of PostgreSQL."""

    rate: float
    busy: float
    touches: int
    server_cpu: float
    live_cpu: float
    pg_cpu: float | None

    def per_cpu(self, cpu: float | None) -> float | None:
        return self.touches / cpu if cpu else None


def rate(server_url: str, workers: int, batches: int, clients: int, seconds: float, size: int = BATCH) -> Run:
    """Touches/s from the first post until the live rules have run on every posted touch, how busy the
    machine's cores were meanwhile (%, all processes: server, PostgreSQL and the devices), and the CPU seconds
    the server's processes and PostgreSQL's used meanwhile."""
    url = fresh(server_url)
    with connect(url) as store:
        store.migrate()
        token = Workspace(store).people.add_token("H1", "bench")
    port = free_port()
    proc = serve(url, port, workers)
    server, pg = psutil.Process(proc.pid), postmaster(url)
    moments = load_blueprint().moment_ids()
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                                   headers={"Authorization": f"Bearer {token}"})
        return local.c

    try:
        client().post("/api/v1/touches/batch", json=touches("warm", BATCH, moments)).raise_for_status()
        ready = [touches(f"w{workers}b{b}", size, moments) for b in range(batches)]

        def post(b: int) -> None:
            r = client().post("/api/v1/touches/batch", json=ready[b])
            assert r.status_code == 200 and r.json()["stored"] == size, r.text[:300]

        t0, cpu0, pg0 = time.perf_counter(), cpu_seconds(server), cpu_seconds(pg)
        live0 = cpu_seconds(server, "live work")
        psutil.cpu_percent()
        done, _ = together(post, batches, clients, seconds)
        with connect(url) as store:
            while store.scalar("SELECT count(*) FROM live_pending") and time.perf_counter() - t0 < 2 * seconds:
                time.sleep(0.05)
        wall, busy = time.perf_counter() - t0, psutil.cpu_percent()
        cpu, live, pg_cpu = cpu_seconds(server) - cpu0, cpu_seconds(server, "live work") - live0, cpu_seconds(pg) - pg0
        return Run(done * size / wall, busy, done * size, cpu, live, pg_cpu if pg else None)
    finally:
        proc.terminate()
        proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("PEAKEND_TEST_PG"), help="a PostgreSQL URL (its server)")
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--size", type=int, default=BATCH, help="touches a post (a hall's queue system: 1–2)")
    args = parser.parse_args()
    if not args.db:
        parser.error("give --db postgresql://… (or set PEAKEND_TEST_PG)")
    a = rate(args.db, 1, args.batches, args.clients, args.seconds, args.size)
    b = rate(args.db, 2, args.batches, args.clients, args.seconds, args.size)
    print(f"machine: {machine()}; {args.clients} devices, {args.batches} posts of {args.size:,} touches, rules on")
    print(f"serve (one process)          : {a.rate:>8,.0f} touches/s until the rules had run on all; cores "
          f"{a.busy:.0f}% busy")
    print(f"serve --workers 2 + live work: {b.rate:>8,.0f} touches/s; cores {b.busy:.0f}% busy; ratio "
          f"{b.rate / a.rate:.2f} (target ≥ 1.5)")
    for name, r in (("serve (one process)", a), ("serve --workers 2", b)):
        live = f", the live worker {r.live_cpu:.1f} s" if r.live_cpu else ""
        pg = f", {r.per_cpu(r.pg_cpu) or 0:,.0f} per CPU-second of PostgreSQL ({r.pg_cpu:.1f} s)" if r.pg_cpu else ""
        print(f"{name:<29}: {r.per_cpu(r.server_cpu) or 0:>8,.0f} touches per CPU-second of the server "
              f"({r.server_cpu:.1f} s for {r.touches:,}{live}){pg}")
    append_result("processes", {"clients": args.clients, "batches": args.batches, "one_process": round(a.rate),
                                "two_workers": round(b.rate), "ratio": round(b.rate / a.rate, 2),
                                "busy_one_pct": round(a.busy), "busy_two_pct": round(b.busy),
                                "one_per_cpu_s": _round(a.per_cpu(a.server_cpu)),
                                "two_per_cpu_s": _round(b.per_cpu(b.server_cpu)),
                                "one_pg_per_cpu_s": _round(a.per_cpu(a.pg_cpu)),
                                "two_pg_per_cpu_s": _round(b.per_cpu(b.pg_cpu)), "post_size": args.size,
                                "two_live_cpu_share": round(b.live_cpu / b.server_cpu, 2) if b.server_cpu else ""})


def _round(x: float | None) -> int | str:
    return round(x) if x is not None else ""


if __name__ == "__main__":
    main()
