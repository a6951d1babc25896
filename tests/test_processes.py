"""Serving beyond one interpreter: `peakend serve --workers 2` on PostgreSQL (two web processes behind one port
and a live worker process), under concurrent posts, with a web process and the live worker killed (kill -9)
while it works. Every acknowledged event is stored once, every queued visit's rules run, every timer fires
once; then two live workers on one queue never take the same visit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psutil
import pytest

from peakend.live.pending import claim
from peakend.store.db import connect
from tests.conftest import add_token, add_user

from .conftest import other_postgres

HALLS = ["P1", "P2"]
VISITS_PER_CLIENT = 60
TOUCHES = ["entering", "waiting", "counter_handling", "leaving"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def visit_touches(hall: str, client: int, v: int, start: datetime) -> list[dict[str, object]]:
    """One visit of four touches; every third ends in a complaint (a case: a reminder and an escalation), the
    others well (no case)."""
    vid = f"{hall}-c{client}-v{v}"
    at = start + timedelta(minutes=v)
    out = []
    for s, moment in enumerate(TOUCHES):
        last = s == len(TOUCHES) - 1
        out.append({"touch_id": f"{vid}-{s}", "visit_id": vid, "hall_id": hall, "moment_id": moment, "seq": s,
                    "start_at": (at + timedelta(minutes=5 * s)).strftime("%Y-%m-%d %H:%M"),
                    "rating": 5 if last else 1 + (v + s) % 5, "rating_scale": "1-5", "staff_id": f"{hall}-s1",
                    "outcome": "complaint" if last and v % 3 == 0 else ("resolved" if last else None)})
    return out


def start(url: str, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PEAKEND_TICK_SECONDS": "0.3", "PEAKEND_SCORE_MINUTES": "0",
           "PEAKEND_LIVE_LEASE_SECONDS": "3", "PEAKEND_SMS_GATEWAY": f"file:{tmp / 'outbox.jsonl'}",
           "PEAKEND_JOB_LEASE_SECONDS": "2", "PEAKEND_UPLOADS": str(tmp / "uploads")}
    cmd = [sys.executable, "-m", "peakend", "serve", "--db", url, "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=(tmp / "serve.log").open("wb"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"the server did not start: {(tmp / 'serve.log').read_text()}")


def children(proc: subprocess.Popen[bytes]) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """The server's web processes and its live worker."""
    kids = psutil.Process(proc.pid).children(recursive=True)
    live = [k for k in kids if "live" in k.cmdline() and "work" in k.cmdline()]
    web = [k for k in kids if k not in live and "spawn_main" in " ".join(k.cmdline())]
    return web, live


def post_until_acknowledged(port: int, token: str, batch: list[dict[str, object]], acked: list[str]) -> None:
    """Post a visit's touches until the server acknowledges them (a killed process drops the connection: the
    client sends again, as a device does; the ids make it idempotent)."""
    for _ in range(100):
        try:
            r = httpx.post(f"http://127.0.0.1:{port}/api/v1/touches/batch", json=batch, timeout=30,
                           headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 200:
                acked.extend(str(t["touch_id"]) for t in batch)
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"never acknowledged: {batch[0]['visit_id']}")


def test_two_web_processes_and_a_live_worker_killed_mid_work_lose_and_repeat_nothing(tmp_path):
    url = other_postgres("peakend_test_processes")
    with connect(url) as store:
        store.migrate()
        tokens = {h: add_token(store, h, "test") for h in HALLS}
        add_user(store, "procs-admin", "procs-password", "admin")
    port = free_port()
    server = start(url, port, tmp_path)
    start_day = datetime.now().replace(microsecond=0) - timedelta(days=3)  # every case past its deadline
    acked: list[str] = []
    try:
        web, live = children(server)
        assert len(web) == 2 and len(live) == 1, (web, live)

        def client(n: int) -> None:
            hall = HALLS[n % 2]
            for v in range(VISITS_PER_CLIENT):
                post_until_acknowledged(port, tokens[hall], visit_touches(hall, n, v, start_day), acked)

        posting = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in posting:
            t.start()
        time.sleep(1.5)
        os.kill(web[0].pid, signal.SIGKILL)  # a web process dies mid-request; uvicorn starts another
        time.sleep(1.0)
        os.kill(live[0].pid, signal.SIGKILL)  # the live worker dies mid-pass; serve starts another
        for t in posting:
            t.join(120)
        with connect(url) as store:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and (
                    store.scalar("SELECT count(*) FROM live_pending")
                    or store.scalar("SELECT count(*) FROM timers WHERE done_at IS NULL AND due_at <= ?",
                                    [datetime.now()])):
                time.sleep(0.5)
            stored = dict(store.rows("SELECT touch_id, count(*) FROM touches GROUP BY touch_id"))
            complaints = {f"{HALLS[n % 2]}-c{n}-v{v}" for n in range(4) for v in range(0, VISITS_PER_CLIENT, 3)}
            cases = {str(r[0]) for r in store.rows("SELECT case_id FROM cases")}
            timers = store.rows("SELECT kind, count(*), count(done_at) FROM timers GROUP BY kind ORDER BY kind")
            effects = store.rows("SELECT action, count(*), count(DISTINCT case_id) FROM case_events "
                                 "GROUP BY action ORDER BY action")
            pending = store.scalar("SELECT count(*) FROM live_pending")
        _, live_after = children(server)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    assert len(acked) == VISITS_PER_CLIENT * 4 * len(TOUCHES)
    assert set(acked) <= set(stored) and set(stored.values()) == {1}  # every acknowledged touch, once
    assert pending == 0 and cases == complaints  # every queued visit's rules ran: its case opened
    n = len(complaints)
    assert timers == [("escalate", n, n), ("remind", n, n)]  # every timer fired
    assert effects == [("escalate", n, n), ("opened", n, n), ("remind", n, n)]  # and each effect happened once
    assert len(live_after) == 1 and live_after[0].pid != live[0].pid  # the live worker was started again


IMPORT_ROWS = 60_000


def test_an_import_is_followed_from_every_process_and_survives_its_worker_killed(tmp_path):
    """An upload answered by one web process is mapped, run, followed and finished through whichever process
    answers (fresh connections: the two share nothing but the store); the live worker running it is killed
    (kill -9) mid-import, and the job is taken again once its lease runs out: every row stored once."""
    url = other_postgres("peakend_test_import_jobs")
    with connect(url) as store:
        store.migrate()
        add_user(store, "imp-admin", "imp-password", "admin")
    rows = "\n".join(f"t{i},v{i // 4},P1,{TOUCHES[i % 4]},{1 + i % 5}" for i in range(IMPORT_ROWS))
    upload = ("touch_id,visit_id,hall_id,moment_id,rating\n" + rows + "\n").encode()
    port = free_port()
    server = start(url, port, tmp_path)
    base = f"http://127.0.0.1:{port}"

    @contextlib.contextmanager
    def fresh() -> Iterator[httpx.Client]:  # a new connection: either web process may answer it
        with httpx.Client(base_url=base, headers={"Origin": base}, timeout=60) as c:
            login = c.post("/api/v1/login", json={"username": "imp-admin", "password": "imp-password"})
            assert login.status_code == 200, login.text
            yield c

    try:
        with fresh() as c:
            token = c.post("/api/v1/imports", files={"file": ("pad.csv", upload, "text/csv")}).json()["token"]
        with fresh() as c:
            ran = c.post(f"/api/v1/imports/{token}/run", json={"kind": "touch", "rating_scale": "1-5", "columns": {
                f: f for f in ("touch_id", "visit_id", "hall_id", "moment_id", "rating")}})
            assert ran.status_code == 202, ran.text
        deadline, killed = time.monotonic() + 240, False
        while time.monotonic() < deadline:
            with fresh() as c:
                seen = c.get(f"/api/v1/jobs/{token}").json()
            if not killed and seen["state"] == "running" and seen["done"] > 0:
                _, live = children(server)
                os.kill(live[0].pid, signal.SIGKILL)  # mid-import: serve starts another, which takes the job
                killed = True
            if seen["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        with fresh() as c:
            final = c.get(f"/api/v1/imports/{token}").json()
            again = c.post(f"/api/v1/imports/{token}/run", json={"kind": "touch"})
        with connect(url) as store:
            counts = store.rows("SELECT count(*), count(DISTINCT touch_id) FROM touches")
            attempts = store.scalar("SELECT attempts FROM jobs WHERE job_id = ?", [token])
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    assert killed and seen["state"] == "done", seen
    assert attempts == 2  # cut off once, finished by the worker serve started again
    assert counts == [(IMPORT_ROWS, IMPORT_ROWS)]  # every row stored, none twice
    assert final["status"] == "done" and final["rows"] == IMPORT_ROWS, final
    assert again.status_code == 409  # a finished import is not run twice


def test_two_live_workers_never_take_the_same_visit():
    """Claims on PostgreSQL: two workers claiming at once from one queue get disjoint visits, together all."""
    url = other_postgres("peakend_test_claims")
    with connect(url) as store:
        store.migrate()
        store.execute("INSERT INTO live_pending (visit_id, queued_ns) SELECT 'v' || i, i "
                      "FROM generate_series(1, 400) i")
    taken: list[list[str]] = [[], []]
    start, first = threading.Barrier(2), threading.Barrier(2)  # both start together; each takes a batch, then on

    def worker(k: int) -> None:
        with connect(url) as mine:
            start.wait(30)
            rows = claim(mine, 7)
            taken[k].extend(str(r[0]) for r in rows)
            first.wait(30)
            while rows := claim(mine, 7):
                taken[k].extend(str(r[0]) for r in rows)

    both = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in both:
        t.start()
    for t in both:
        t.join(60)
    assert not set(taken[0]) & set(taken[1])
    assert sorted(taken[0] + taken[1]) == sorted(f"v{i}" for i in range(1, 401))


def test_two_job_runners_run_each_job_once():
    """Jobs on PostgreSQL: two processes' runners claiming from one queue at once run every job exactly once."""
    from peakend.service import Workspace
    from peakend.service.jobs import Outcome, job_kind

    ran: list[str] = []

    @job_kind("test_count")
    def count(ws, job, progress):
        ran.append(job.params["i"])
        return Outcome({"i": job.params["i"]})

    url = other_postgres("peakend_test_jobs")
    with Workspace.open(url) as ws:
        for i in range(40):
            ws.jobs.submit("test_count", {"i": i}, "test")
    start = threading.Barrier(2)

    def runner() -> None:
        with Workspace.open(url) as mine:
            start.wait(30)
            while mine.jobs.run_next():
                pass

    both = [threading.Thread(target=runner) for _ in range(2)]
    for t in both:
        t.start()
    for t in both:
        t.join(120)
    with Workspace.open(url) as ws:
        states = ws.store.rows("SELECT state, count(*), sum(attempts) FROM jobs GROUP BY state")
    assert sorted(ran) == list(range(40)) and states == [("done", 40, 40)]


def test_two_processes_ticking_at_once_fire_each_timer_once(bp):
    """Timers on PostgreSQL: two connections running every due timer at the same moment; each reminder's effect
    (a trail entry, a notification) happens once. (Read-then-mark let both run it.)"""
    url = other_postgres("peakend_test_timers")
    now = datetime(2026, 11, 2, 12)
    with connect(url) as store:
        store.migrate()
        store.execute("INSERT INTO cases (case_id, visit_id, hall_id, kind, owner, status, opened_at, deadline) "
                      "SELECT 'c' || i, 'c' || i, 'P1', 'complaint', 's1', 'open', ?, ? FROM generate_series(1, 60) i",
                      [now - timedelta(hours=5), now - timedelta(hours=1)])
        store.execute("INSERT INTO timers (timer_id, kind, ref, due_at) SELECT 'remind:c' || i, 'remind', 'c' || i, ? "
                      "FROM generate_series(1, 60) i", [now - timedelta(hours=2)])
    gate = threading.Barrier(2)
    ran = [0, 0]

    def ticker(k: int) -> None:
        from peakend.live.sms import FileGateway
        from peakend.live.timers import tick

        with connect(url) as mine:
            gate.wait()
            ran[k] = tick(mine, bp, now, FileGateway(Path(os.devnull)))

    both = [threading.Thread(target=ticker, args=(k,)) for k in range(2)]
    for t in both:
        t.start()
    for t in both:
        t.join(60)
    with connect(url) as store:
        trail = store.rows("SELECT count(*), count(DISTINCT case_id) FROM case_events WHERE action = 'remind'")
        notes = store.scalar("SELECT count(*) FROM notifications WHERE kind = 'remind'")
        undone = store.scalar("SELECT count(*) FROM timers WHERE done_at IS NULL")
    assert sum(ran) == 60 and trail == [(60, 60)] and notes == 60 and undone == 0
