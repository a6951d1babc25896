"""HTTP ingest benchmark: the API on loopback against in-process ingest, same run, same machine.

    python bench/bench_http_ingest.py                      # 100 batches of 1,000, 500 single posts
    python bench/bench_http_ingest.py --batches 10 --singles 200 --seconds 20

Three measurements on a fresh DuckDB store, each bounded by a count and by --seconds:
  in-process  `ingest_records` on batches of 1,000 touches, queueing their visits for the live
              rules as the API does (the reference); and, for comparison, followed at once by
              the live rules (`live.rules.on_events`) on each batch
  http batch  POST /api/v1/touches/batch with 1,000 touches each, by a device token,
              to `peakend serve` started as a separate process on 127.0.0.1; then the time until
              the server's live worker has run the rules on all of them (GET /api/v1/live/backlog);
              once from one client posting batch after batch, once from --clients devices at once
              (the server ingests posts that arrive together as one: `ingest.group_commit`)
  http single POST /api/v1/touches one touch at a time: p50 and p99 latency, from one client
              and from --clients devices at once (with the posts/s the server answered)
Every batch has fresh ids (nothing is a duplicate) and every answer is checked (all stored).
Prints touches/s, the ratio http/in-process, and the targets; appends to bench/results/http_ingest.csv.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.live.rules import on_events
from peakend.service import Workspace
from peakend.store.db import connect

BATCH = 1000
VISIT_TOUCHES = 5
TARGET_RATE = 20_000
TARGET_RATIO = 0.5


def touches(tag: str, n: int, moments: list[str]) -> list[dict[str, object]]:
    """N touches of N/5 visits in hall H1, rated 1-5, with waits: fresh ids under `tag`."""
    out: list[dict[str, object]] = []
    for i in range(n):
        v, s = divmod(i, VISIT_TOUCHES)
        out.append({"touch_id": f"{tag}-{v}-{s}", "visit_id": f"{tag}-{v}", "hall_id": "H1",
                    "moment_id": moments[s % len(moments)], "seq": s, "start_at": f"2026-11-02 10:{s:02d}",
                    "rating": 1 + (v + s) % 5, "rating_scale": "1-5", "wait_min": float(s)})
    return out


def together(step: Callable[[int], None], count: int, clients: int, seconds: float) -> tuple[int, float]:
    """Run step(0..count-1) from `clients` threads at once until done or out of time; return steps done, seconds."""
    lock, done, next_i = threading.Lock(), [0], [0]
    start = time.perf_counter()

    def client() -> None:
        while time.perf_counter() - start < seconds:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= count:
                return
            step(i)
            with lock:
                done[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0], time.perf_counter() - start


def in_process(db: Path, batches: int, seconds: float, moments: list[str], rules: bool) -> float:
    """Touches/s through `ingest_records` in batches of 1,000, queued for the live rules as the API queues
    them; with `rules`, each batch followed at once by the live rules."""
    bp = load_blueprint()
    ready = [touches(f"p{rules:d}-{b}", BATCH, moments) for b in range(batches)]
    with connect(db) as store:
        ingest_records(store, touches(f"warm{rules:d}", BATCH, moments), "touch", Context(bp), "bench")

        def step(b: int) -> None:
            assert ingest_records(store, ready[b], "touch", Context(bp), "bench", live=not rules).stored == BATCH
            if rules:
                on_events(store, bp, [str(t["visit_id"]) for t in ready[b]], datetime.now())

        done, took = together(step, batches, 1, seconds)
    return done * BATCH / took


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path | str, port: int, *more: str, env: dict[str, str] | None = None,
                 wait: float = 60) -> subprocess.Popen[bytes]:
    """`peakend serve` (with options `more`) on loopback, waited for until it answers (at most `wait` seconds)."""
    cmd = [sys.executable, "-m", "peakend", "serve", "--db", str(db), "--port", str(port), *more]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise SystemExit(f"server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
    proc.kill()
    raise SystemExit(f"server did not answer within {wait:.0f} s")


def until_drained(device: httpx.Client, port: int, seconds: float) -> float:
    """Seconds until the server's live worker has no visit left queued (an admin asks GET /api/v1/live/backlog)."""
    t0 = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as admin:
        admin.post("/api/v1/login", json={"username": "bench-admin", "password": "bench-password"}).raise_for_status()
        while admin.get("/api/v1/live/backlog").json()["pending"] and time.perf_counter() - t0 < seconds:
            time.sleep(0.01)
    return time.perf_counter() - t0


def over_http(db: Path, batches: int, singles: int, seconds: float, moments: list[str],
              clients: int) -> dict[str, float]:
    """Touches/s of batch posts, and p50/p99 ms of single posts, to a served store: from one client, then many."""
    with connect(db) as store:
        token = Workspace(store).people.add_token("H1", "bench")
        Workspace(store).people.add_user("bench-admin", "bench-password", "admin")
    port = free_port()
    server = start_server(db, port)
    out: dict[str, float] = {}
    try:
        headers = {"Authorization": f"Bearer {token}"}
        local = threading.local()

        def client() -> httpx.Client:  # one connection per thread
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120)
            return local.client

        client().post("/api/v1/touches/batch", json=touches("hwarm", BATCH, moments)).raise_for_status()
        for n, label in ((1, "one"), (clients, "many")):
            ready = [touches(f"h{label}{b}", BATCH, moments) for b in range(batches)]

            def batch(b: int, ready: list[list[dict[str, object]]] = ready) -> None:
                r = client().post("/api/v1/touches/batch", json=ready[b])
                assert r.status_code == 200 and r.json()["stored"] == BATCH, r.text[:300]

            done, took = together(batch, batches, n, seconds)
            drained = took + until_drained(client(), port, seconds)
            one = touches(f"s{label}", singles, moments)
            latencies: list[float] = []

            def single(i: int, one: list[dict[str, object]] = one, latencies: list[float] = latencies) -> None:
                t0 = time.perf_counter()
                r = client().post("/api/v1/touches", json=one[i])
                latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200 and r.json()["stored"] == 1, r.text[:300]

            posted, posting = together(single, singles, n, seconds)
            until_drained(client(), port, seconds)
            q = statistics.quantiles(latencies, n=100, method="inclusive")
            out |= {f"batch_rate_{label}": done * BATCH / took, f"drained_rate_{label}": done * BATCH / drained,
                    f"batches_{label}": done, f"singles_{label}": posted, f"single_rate_{label}": posted / posting,
                    f"p50_ms_{label}": q[49] * 1000, f"p99_ms_{label}": q[98] * 1000}
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=100,
                        help="batches of 1,000 touches, in-process and HTTP (8 clients: enough for a steady state)")
    parser.add_argument("--singles", type=int, default=500, help="single-touch posts for latency")
    parser.add_argument("--clients", type=int, default=8, help="devices posting at once in the concurrent runs")
    parser.add_argument("--seconds", type=float, default=60, help="time bound of each measurement")
    args = parser.parse_args()
    moments = load_blueprint().moment_ids()
    with tempfile.TemporaryDirectory() as tmp:
        bare = in_process(Path(tmp) / "bare.duckdb", args.batches, args.seconds, moments, rules=False)
        local = in_process(Path(tmp) / "local.duckdb", args.batches, args.seconds, moments, rules=True)
        http = over_http(Path(tmp) / "served.duckdb", args.batches, args.singles, args.seconds, moments, args.clients)
    print(f"machine: {machine()}")
    print(f"in-process ingest         : {bare:>10,.0f} touches/s (batches of {BATCH:,}; what the API does with one)")
    print(f"in-process ingest + rules : {local:>10,.0f} touches/s (the rules run at once on every batch)")
    for label, who in (("one", "1 client"), ("many", f"{args.clients} clients")):
        h = {k.removesuffix("_" + label): v for k, v in http.items() if k.endswith("_" + label)}
        print(f"HTTP batch posts, {who:<10}: {h['batch_rate']:>8,.0f} touches/s ({h['batches']:.0f} batches; "
              f"ratio to in-process {h['batch_rate'] / bare:.2f}), {h['drained_rate']:,.0f}/s until the live "
              "rules had run on all")
        print(f"HTTP single posts, {who:<9}: p50 {h['p50_ms']:.1f} ms, p99 {h['p99_ms']:.1f} ms, "
              f"{h['single_rate']:,.0f} posts/s ({h['singles']:.0f} posts)")
    for label, who in (("one", "1 client"), ("many", f"{args.clients} clients")):
        rate = http["batch_rate_" + label]
        ok_ratio = "met" if rate / bare >= TARGET_RATIO else "NOT met"
        ok_rate = "met" if rate >= TARGET_RATE else "NOT met"
        print(f"targets, {who}: HTTP batch ≥ {TARGET_RATIO} × in-process ({ok_ratio}); "
              f"≥ {TARGET_RATE:,} touches/s ({ok_rate})")
    append_result("http_ingest", {
        "in_process_ingest_only": round(bare), "in_process_rate": round(local),
        "http_batch_rate": round(http["batch_rate_one"]), "ratio": round(http["batch_rate_one"] / bare, 3),
        "http_drained_rate": round(http["drained_rate_one"]),
        "single_p50_ms": round(http["p50_ms_one"], 2), "single_p99_ms": round(http["p99_ms_one"], 2),
        "clients": args.clients, "http_batch_rate_clients": round(http["batch_rate_many"]),
        "ratio_clients": round(http["batch_rate_many"] / bare, 3),
        "http_drained_rate_clients": round(http["drained_rate_many"]),
        "single_posts_per_s_one": round(http["single_rate_one"], 1),
        "single_posts_per_s_clients": round(http["single_rate_many"], 1),
        "single_p50_ms_clients": round(http["p50_ms_many"], 2), "single_p99_ms_clients": round(http["p99_ms_many"], 2)})


if __name__ == "__main__":
    main()
