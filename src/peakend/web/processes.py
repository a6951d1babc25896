"""`peakend serve --workers N`: N web processes behind one port (uvicorn's, restarted if one dies) and one live
worker process (`peakend live work`, restarted too), sharing the session key and the first run's setup code
through the environment."""

from __future__ import annotations

import math
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from peakend import settings
from peakend.errors import ServeError
from peakend.i18n import say
from peakend.service import Workspace, is_postgres, redacted_url


def serve_processes(db: str, blueprint: Path | None, host: str, port: int, workers: int,
                    show: Callable[[str], None], err: Callable[[str], None]) -> None:
    """Serve the store with `workers` web processes and a live worker of its own (PostgreSQL only); `show` and
    `err` print a line to the console."""
    if not is_postgres(db):
        raise ServeError(workers=workers)
    if blueprint is not None:
        raise ServeError("workers_blueprint", path=blueprint)
    with Workspace.open(db) as ws:
        first_run = not ws.people.any_user()
        kept = first_run and not settings.get("setup_code") and ws.limits.setup_code_by_hand()
    os.environ.update({"PEAKEND_DB": db, "PEAKEND_BACKGROUND": "false"})
    show(say("serving", host=host, port=port, db=redacted_url(db)))
    show(say("serving_workers", workers=workers))
    if kept:  # made by `peakend setup-code`: every process keeps it
        show(say("setup_code_kept", host=host, port=port))
    elif first_run:
        os.environ["PEAKEND_SETUP_CODE"] = settings.get("setup_code") or secrets.token_hex(4)
        show(say("setup_code", host=host, port=port, code=os.environ["PEAKEND_SETUP_CODE"]))
    stop = threading.Event()
    keeper = threading.Thread(target=_supervise, args=(stop, err), name="peakend-live-keeper", daemon=True)
    keeper.start()
    try:
        uvicorn.run("peakend.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", log_config=None, **proxies(), **stopping())
    finally:
        stop.set()
        keeper.join(35)


def serve(db: str, blueprint: Path | None, host: str, port: int, workers: int, show: Callable[[str], None],
          warn: Callable[..., None]) -> None:
    """`peakend serve`: one web process (`serve_one`), or `workers` of them (`serve_processes`, its lines on
    stderr in red); `show` and `warn(line, style)` print a line to the console."""
    if workers > 1:
        return serve_processes(db, blueprint, host, port, workers, show, lambda line: warn(line, "red"))
    serve_one(db, blueprint, host, port, show, warn)


def serve_one(db: str, blueprint: Path | None, host: str, port: int, show: Callable[[str], None],
              warn: Callable[[str], None]) -> None:
    """Serve the store with one web process (its live loop in it); `show` and `warn` print a line to the console."""
    from peakend.web.app import create_app

    show(say("serving", host=host, port=port, db=redacted_url(db)))
    web = create_app(db, blueprint)
    for note in web.state.peakend.ws.blueprint_notes():
        warn(note)
    code = web.state.peakend.setup_code
    if code is not None:
        show(say("setup_code", host=host, port=port, code=code) if code else say("setup_code_kept", host=host,
                                                                                   port=port))
    uvicorn.run(web, host=host, port=port, log_level="warning", log_config=None,  # logs: ours
                **proxies(), **stopping())


def proxies() -> dict[str, Any]:
    """uvicorn's proxy options: X-Forwarded-For believed only from setting `trusted_proxies` (none by default: a
    client cannot pick its own address, and with it its login limits)."""
    trusted = settings.get("trusted_proxies").strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def stopping() -> dict[str, Any]:
    """uvicorn's stop: requests still running get the request deadline to finish, then are ended (an inbox's event
    stream would run on for minutes: a restart never waits on an open page)."""
    return {"timeout_graceful_shutdown": math.ceil(settings.get("request_deadline_s"))}


def _supervise(stop: threading.Event, err: Callable[[str], None]) -> None:
    """Keep one live worker process running until `stop` (the store: env PEAKEND_DB)."""
    while not stop.is_set():
        live = subprocess.Popen([sys.executable, "-m", "peakend", "live", "work"])
        while live.poll() is None and not stop.wait(1.0):
            pass
        if stop.is_set() or live.returncode == 0:  # stopped, or it stopped itself on Ctrl+C / SIGTERM
            live.terminate()
            live.wait(30)
            return
        err(say("live_worker_restarted", code=live.returncode))
        stop.wait(1.0)
