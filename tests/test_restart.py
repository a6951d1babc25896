"""Restart safety: kill the server mid-day, start it again; no deadline or reminder is lost or repeated.

The server runs as its own process (`peakend serve`) on a DuckDB file, with a blueprint whose
complaint cases are due in seconds, so the reminder, the escalation and the survey send all
come due while the server is down.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from peakend.blueprint.load import default_text
from peakend.store.db import connect
from tests.conftest import add_token, add_user

HALL = "天河北厅"
PASSWORD = "correct horse"


def quick_blueprint(folder: Path) -> Path:
    """The built-in blueprint with a complaint case due in 10 s, reminded at 6 s, surveys sent after 6 s."""
    doc = yaml.safe_load(default_text())
    doc["live"]["cases"]["complaint"] = {"deadline_h": 10 / 3600, "remind_before_h": 4 / 3600}
    doc["live"]["survey"].update(delay_min=0.1, quiet_start="00:00", quiet_end="00:00")
    path = folder / "quick.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`peakend serve` in a child process, ticking its timers every 0.3 s."""

    def __init__(self, db: Path, blueprint: Path, outbox: Path):
        self.db, self.blueprint, self.outbox = db, blueprint, outbox
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PEAKEND_TICK_SECONDS": "0.3", "PEAKEND_SMS_GATEWAY": f"file:{self.outbox}",
               "PEAKEND_SECRET": "restart-test"}
        cmd = [sys.executable, "-m", "peakend.cli", "serve", "--db", str(self.db), "--blueprint", str(self.blueprint),
               "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
            assert self.proc.poll() is None, self.proc.stderr.read().decode() if self.proc.stderr else ""
        pytest.fail("server did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye, as in a power cut."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def admin_client(server: Server) -> httpx.Client:
    c = httpx.Client(base_url=server.url, timeout=30)
    assert c.post("/api/v1/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
    return c


def wait_for(check, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.3)
    pytest.fail("timed out waiting")


def test_timers_survive_a_killed_server(tmp_path):
    db, outbox = tmp_path / "live.duckdb", tmp_path / "sms.jsonl"
    with connect(db) as store:
        add_user(store, "admin", PASSWORD, "admin")
        add_user(store, "mgr_a", PASSWORD, "manager", [HALL])
        token = add_token(store, HALL, "pad")
    server = Server(db, quick_blueprint(tmp_path), outbox)
    server.start()
    now = datetime.now().replace(microsecond=0)
    events = [
        {"touch_id": "r1-1", "visit_id": "R1", "hall_id": HALL, "moment_id": "entering", "seq": 1, "staff_id": "G1",
         "customer_key": "13900000001", "start_at": str(now - timedelta(minutes=20))},
        {"touch_id": "r1-2", "visit_id": "R1", "moment_id": "complaint", "seq": 2, "outcome": "complaint",
         "start_at": str(now - timedelta(minutes=10))},
        {"touch_id": "r1-3", "visit_id": "R1", "moment_id": "leaving", "seq": 3, "start_at": str(now),
         "departure": str(now)},
    ]
    answer = httpx.post(f"{server.url}/api/v1/touches/batch", json=events, timeout=30,
                        headers={"Authorization": f"Bearer {token}"})
    if answer.status_code != 200:  # show the server's own traceback, not just "Internal Server Error"
        server.kill()
        log = server.proc.stderr.read().decode() if server.proc and server.proc.stderr else ""
        pytest.fail(f"batch post answered {answer.status_code}: {answer.text}\n{log[-4000:]}")
    assert answer.json()["queued"] == 1
    c = admin_client(server)  # the live worker opens the case (and schedules the survey) at once
    wait_for(lambda: c.get("/api/v1/cases/R1").status_code == 200, seconds=5)
    server.kill()  # before the survey (6 s), the reminder (6 s) and the deadline (10 s) come due
    assert not outbox.exists()
    time.sleep(max(0.0, (now + timedelta(seconds=11) - datetime.now()).total_seconds()))

    server.start()  # everything due while it was down runs now, once
    c = admin_client(server)

    def trail() -> list[str]:
        return [e["action"] for e in c.get("/api/v1/cases/R1").json()["trail"]]

    wait_for(lambda: trail() == ["opened", "remind", "escalate"] and outbox.exists())
    case = c.get("/api/v1/cases/R1").json()["case"]
    assert (case["owner"], case["escalated_to"], case["status"]) == ("G1", "mgr_a", "open")
    server.kill()

    server.start()  # and a second restart repeats nothing
    time.sleep(2)
    c = admin_client(server)
    assert trail() == ["opened", "remind", "escalate"]
    sent = [json.loads(line) for line in outbox.read_text("utf-8").splitlines()]
    assert [m["message_id"] for m in sent] == ["R1"]
    server.kill()
    with connect(db) as store:
        assert store.rows("SELECT timer_id, outcome FROM timers ORDER BY timer_id") == [
            ("escalate:R1", "escalated"), ("remind:R1", "reminded"), ("survey:R1", "sent")]
        assert store.scalar("SELECT count(*) FROM notifications") == 2
