"""Webhook latency benchmark: a device's complaint posted to `peakend serve` → its signed event verified at a
registered receiver (issue 35: p50 within 5 s).

    python bench/bench_webhook_latency.py                 # 30 posts, 1.5 s apart (~1 minute)
    python bench/bench_webhook_latency.py --posts 60 --gap 1 --workers 2 --db postgresql://…/postgres

A scratch store gets a device token of hall H1 and a webhook endpoint (events `alert.raised`, hall H1) to a plain
HTTP receiver on 127.0.0.1 in this process (setting `webhook_allow_private` on for loopback). `peakend serve` is
started on it as a separate process; then --posts complaints (one touch each: counter handling rated 1 of 5,
outcome complaint) are posted one at a time by the device (Bearer token), --gap seconds apart. Each delivery is
verified with the `standardwebhooks` package (`webhook-id`, `-timestamp`, `-signature`) and matched to its post by
the visit id in its data. Prints p50/p90/max seconds from the start of the post to the verified delivery (and the
post's own answer time), how many arrived, and the 1-minute load average before and after; appends to
bench/results/webhook_latency.csv.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import os
import random
import secrets
import statistics
import string
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
from common import append_result, machine
from standardwebhooks import Webhook

sys.path.insert(0, str(Path(__file__).parent))
from bench_http_ingest import free_port, start_server

from peakend.live.outbox import event_id
from peakend.service import Workspace
from peakend.store.db import connect

HALL = "H1"
TARGET_P50_S = 5.0


@contextmanager
def receiver(secret: str, arrived: dict[str, float], bad: list[str]) -> Iterator[str]:
    """A receiver on 127.0.0.1 that verifies each POST and records when each visit's first event arrived."""
    hook, lock = Webhook(secret), threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                event = hook.verify(body, {k.lower(): v for k, v in self.headers.items()})
                visit = str(event["data"]["visit_id"])
                with lock:
                    arrived.setdefault(visit, time.perf_counter())
            except Exception as exc:  # a delivery that does not verify is counted, never matched
                bad.append(f"{type(exc).__name__}: {exc}"[:200])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def complaint(i: int, tag: str) -> dict[str, object]:
    """One touch of a new visit: counter handling rated 1 of 5 with a complaint, now (it raises an alert)."""
    return {"touch_id": f"{tag}-{i}-1", "visit_id": f"{tag}-{i}", "hall_id": HALL, "moment_id": "counter_handling",
            "seq": 1, "start_at": datetime.now().isoformat(timespec="seconds"), "ticket": f"A{i:03d}",
            "staff_id": "S1", "rating": 1, "rating_scale": "1-5", "outcome": "complaint"}


def q(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def stages(db: str, wall: dict[str, datetime]) -> dict[str, float]:
    """Median seconds of each stage, from the rows the server stamped: post → the live pass that raised the alert
    (`alerts.fired_at`, the pass's clock at its start), → the event fanned out to the endpoint (the delivery row's
    `created_at`: the rules' own time plus the wait for the webhook loop), → sent (`sent_at`)."""
    with connect(db) as store:
        rows = store.rows("SELECT a.visit_id, a.alert_id, a.fired_at FROM alerts a")
        by_event = {event_id("alert.raised", str(alert)): (str(v), fired) for v, alert, fired in rows}
        sent = store.rows("SELECT event_id, created_at, sent_at FROM deliveries WHERE state = 'sent'")
    gaps: dict[str, list[float]] = {"to_pass_s": [], "to_fanned_s": [], "to_sent_s": []}
    for event, fanned, sent_at in sent:
        visit, fired = by_event.get(str(event), ("", None))
        if visit in wall and fired is not None:
            gaps["to_pass_s"].append((fired - wall[visit]).total_seconds())
            gaps["to_fanned_s"].append((fanned - fired).total_seconds())
            gaps["to_sent_s"].append((sent_at - fanned).total_seconds())
    return {k: statistics.median(v) if v else float("nan") for k, v in gaps.items()}


def run(db: str, posts: int, gap: float, wait: float, more: list[str]) -> dict[str, float]:
    """Post the complaints to a served store; seconds from each post to its verified delivery, and the rest."""
    os.environ["PEAKEND_WEBHOOK_ALLOW_PRIVATE"] = "true"  # for add() here and for the server it starts
    os.environ.setdefault("PEAKEND_SECRET", secrets.token_urlsafe(32))  # seals the endpoint's secret for both
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    arrived: dict[str, float] = {}
    bad: list[str] = []
    posted: dict[str, float] = {}
    answered: list[float] = []
    wall: dict[str, datetime] = {}  # each post's start on the clock the server stamps its rows with
    with receiver(secret, arrived, bad) as url:
        ws = Workspace(connect(db))
        try:
            token = ws.people.add_token(HALL, "bench")
            ws.webhooks.add("webhook", url, ["alert.raised"], [HALL], "bench", secret=secret)
        finally:
            ws.close()
        port = free_port()
        load_before = os.getloadavg()[0]
        server = start_server(db, port, *more)
        tag = "wh" + "".join(random.choices(string.ascii_lowercase, k=8))  # no digit runs (phone-like ids are hashed)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                              headers={"Authorization": f"Bearer {token}"}) as device:
                for i in range(posts):
                    wall[f"{tag}-{i}"] = datetime.now()
                    t0 = time.perf_counter()
                    r = device.post("/api/v1/touches", json=complaint(i, tag))
                    answered.append(time.perf_counter() - t0)
                    assert r.status_code == 200 and r.json()["stored"] == 1, r.text[:300]
                    posted[f"{tag}-{i}"] = t0
                    print(f"\r{i + 1}/{posts} posted, {len(arrived)} delivered", end="", file=sys.stderr, flush=True)
                    time.sleep(gap)
            deadline = time.perf_counter() + wait
            while len(arrived) < posts and time.perf_counter() < deadline:
                time.sleep(0.05)
            print(file=sys.stderr)
            missing = sorted(set(posted) - set(arrived))
            if missing:
                print(f"not delivered: {missing[:5]}; arrived unmatched: {sorted(set(arrived) - set(posted))[:5]}",
                      file=sys.stderr)
        finally:
            server.terminate()
            server.wait(timeout=30)
        load_after = os.getloadavg()[0]
    delays = [arrived[v] - t0 for v, t0 in posted.items() if v in arrived]
    if not delays:
        raise SystemExit(f"no delivery arrived (unverified: {bad[:3]})")
    return stages(db, wall) | {"posts": posts, "delivered": len(delays), "unverified": len(bad), "p50_s": q(delays, 50),
            "p90_s": q(delays, 90), "max_s": max(delays), "post_p50_ms": q(answered, 50) * 1000,
            "load_before": load_before, "load_after": load_after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=30, help="complaints posted, one at a time")
    parser.add_argument("--gap", type=float, default=1.5, help="seconds between posts")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the last deliveries")
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (default: a scratch DuckDB file)")
    parser.add_argument("--workers", type=int, default=0, help="`serve --workers N` (PostgreSQL only)")
    parser.add_argument("--note", default="", help="a word for the results file (e.g. the code measured)")
    args = parser.parse_args()
    more = ["--workers", str(args.workers)] if args.workers else []
    with tempfile.TemporaryDirectory() as tmp:
        out = run(args.db or str(Path(tmp) / "hooks.duckdb"), args.posts, args.gap, args.wait, more)
    store = "postgresql" if args.db else "duckdb"
    print(f"machine: {machine()}; store {store}, serve {' '.join(more) or '(one process)'}")
    print(f"load average (1 min)   : {out['load_before']:.2f} before, {out['load_after']:.2f} after")
    print(f"delivered and verified : {out['delivered']:.0f} of {out['posts']:.0f} ({out['unverified']:.0f} did not "
          "verify)")
    print(f"post → verified event  : p50 {out['p50_s']:.2f} s, p90 {out['p90_s']:.2f} s, max {out['max_s']:.2f} s "
          f"(the post itself: p50 {out['post_p50_ms']:.0f} ms)")
    print(f"stages (medians)       : post → live pass {out['to_pass_s']:.2f} s, → fanned out {out['to_fanned_s']:.2f} s"
          f", → sent {out['to_sent_s']:.2f} s")
    print(f"target: p50 within {TARGET_P50_S:.0f} s ({'met' if out['p50_s'] <= TARGET_P50_S else 'NOT met'})")
    append_result("webhook_latency", {"note": args.note, "store": store, "workers": args.workers, "posts": out["posts"],
                                      "gap_s": args.gap, "delivered": out["delivered"],
                                      "unverified": out["unverified"], "p50_s": round(out["p50_s"], 3),
                                      "p90_s": round(out["p90_s"], 3), "max_s": round(out["max_s"], 3),
                                      "post_p50_ms": round(out["post_p50_ms"], 1),
                                      "to_pass_s": round(out["to_pass_s"], 3),
                                      "to_fanned_s": round(out["to_fanned_s"], 3),
                                      "to_sent_s": round(out["to_sent_s"], 3),
                                      "load_before": round(out["load_before"], 2),
                                      "load_after": round(out["load_after"], 2)})


if __name__ == "__main__":
    main()
