"""The background work of a server: the live rules on queued visits, due timers, scoring what changed, and jobs.

`peakend serve` runs it as threads beside its web app. With `--workers N` (PostgreSQL) the web processes only
answer requests and one process of its own runs this (`peakend live work`), so ingest and the rules use
separate cores. More than one worker on a store is correct: a visit is claimed before its rules run
(`live.pending`, row locks), a timer is marked done in the transaction of its effect (`live.timers`), a scoring
run holds a lock in the store (`scoring.run`), and a job is claimed with a lease (`service.jobs`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from peakend import settings
from peakend.live.pending import pending, run_pending
from peakend.live.timers import tick
from peakend.service import logs
from peakend.service.jobs import run_jobs
from peakend.service.ops import BEAT_S
from peakend.service.webhooks import run_webhooks

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

GATHER_S = 0.2  # the live worker gathers queued visits this long before a pass (alerts: < 1 s) ...
BURST_S = 1.0  # ... when woken within this long of its last pass (a burst); after a quiet spell it runs at once
RETRY_S = 2.0


def threads(ws: Workspace, stop: threading.Event, idle_s: float = 5.0) -> list[threading.Thread]:
    """The live worker, the timers, the job runners (setting `job_threads`) and, setting `score_minutes` > 0, the
    scheduled scoring, not started. A worker in a process of its own polls the live queue every `idle_s`."""
    work: list[tuple[str, Callable[[], None]]] = [
        ("live", lambda: run_live(ws, stop, idle_s)),
        ("timers", lambda: run_timers(ws, stop, settings.get("tick_seconds"))),
        ("heartbeat", lambda: run_heartbeat(ws, stop))]
    work += [(f"jobs-{i}", lambda: run_jobs(ws.jobs, stop, ws.job_wake)) for i in range(settings.get("job_threads"))]
    if settings.get("score_minutes") > 0:
        work.append(("scoring", lambda: run_scoring(ws, stop, settings.get("score_minutes"))))
    work.append(("webhooks", lambda: run_webhooks(ws, stop)))
    if any(settings.get(f"keep_{k}_days") > 0 for k in ("comments", "customer_keys", "sms_replies")):
        work.append(("retention", lambda: run_retention(ws, stop)))
    return [threading.Thread(target=job, name=f"peakend-{name}", daemon=True) for name, job in work]


def work(ws: Workspace, idle_s: float = 0.25) -> None:
    """Run the background work in this process (`peakend live work`) until SIGINT or SIGTERM, then wake the job
    runners and give each thread up to 30 s to end."""
    logs.configure()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    running = threads(ws, stop, idle_s)
    for t in running:
        t.start()
    while not stop.wait(0.5):
        pass
    ws.job_wake.set()
    for t in running:
        t.join(timeout=30)


def run_heartbeat(ws: Workspace, stop: threading.Event) -> None:
    """Write the worker's heartbeat (what `/readyz` reads) every `BEAT_S` seconds until `stop`."""
    while not stop.is_set():
        try:
            ws.ops.beat()
        except Exception:  # a lost store: the heartbeat goes stale, which is what /readyz should then say
            logging.getLogger("peakend.ops").exception("could not write the worker heartbeat")
        stop.wait(BEAT_S)


def run_live(ws: Workspace, stop: threading.Event, idle_s: float) -> None:
    """Run the live rules on queued visits whenever some are queued (and at start: what a crash left).

    Woken within `BURST_S` of its last pass it gathers for `GATHER_S`, so that a burst of requests is taken by one
    pass; woken after a quiet spell it runs at once (a lone complaint's alert is not held back). Requests that
    arrive while a pass runs are taken together by the next.
    """
    log = logging.getLogger("peakend.live")
    last = float("-inf")  # when the last pass ended (monotonic)
    while not stop.is_set():
        if time.monotonic() - last < BURST_S:
            stop.wait(GATHER_S)
        ws.live_wake.clear()
        try:
            run_pending(ws.store, ws.blueprint, ws.clock())
            ws.webhooks.wake.set()  # what the rules fired is in the outbox: deliver it now
            if pending(ws.store):  # more than one pass takes (or another worker holds some): go on soon
                ws.live_wake.set()
        except Exception:  # a lost connection or a bad blueprint: log, keep the queue, try again
            log.exception("live rules failed; the visits stay queued")
            stop.wait(RETRY_S)
        last = time.monotonic()
        ws.live_wake.wait(idle_s)


def run_scoring(ws: Workspace, stop: threading.Event, minutes: float) -> None:
    """Score what changed every `minutes` (setting `score_minutes`) so pages never wait for a manual score; a
    store with nothing new is left alone."""
    log = logging.getLogger("peakend.scoring")
    while not stop.wait(minutes * 60):
        try:
            if ws.scores.stale():
                ws.scores.run()
        except Exception:  # a lost connection: log, and try again next time
            log.exception("scheduled scoring failed; retrying in %s min", minutes)


def run_timers(ws: Workspace, stop: threading.Event, every: float) -> None:
    """Run due reminders, escalations and survey sends every `every` seconds until stopped; on the demo's store,
    once a day, start the job feeding today's simulated traffic (`ws.demo.start_today`); at start and once a day,
    prune finished jobs (`prune_daily`).

    Timers live in the store, so after a restart the ones that came due meanwhile run at once.
    """
    log = logging.getLogger("peakend.timers")
    fed = None  # the day the demo's traffic was last asked for (a demo store only; once a day)
    pruned = None  # the day finished jobs were last pruned
    while not stop.is_set():
        pruned = prune_daily(ws, pruned, datetime.now())
        try:
            if fed != ws.clock().date():
                fed = ws.clock().date()
                ws.demo.start_today()
            if tick(ws.store, ws.blueprint, ws.clock(), ws.gateway):
                ws.webhooks.wake.set()  # overdue and escalated cases' events: delivered now
        except Exception:  # a failed send or a lost connection: log, and try again next time
            log.exception("timers failed; retrying in %s s", every)
        stop.wait(every)


def prune_daily(ws: Workspace, last: date | None, now: datetime) -> date | None:
    """Prune finished jobs (`Jobs.prune`, setting `job_keep_days`) unless it was tried on `now`'s day already; the
    day it was last tried (a failure is logged and tried again the next day)."""
    if last == now.date():
        return last
    try:
        ws.jobs.prune(now)
    except Exception:  # a lost connection: log, and try again tomorrow
        logging.getLogger("peakend.jobs").exception("pruning finished jobs failed; trying again tomorrow")
    return now.date()


RETENTION_S = 3600.0  # personal fields past their retention are removed hourly


def run_retention(ws: Workspace, stop: threading.Event) -> None:
    """Remove personal fields past their retention settings (`keep_*_days`), at start and every hour."""
    log = logging.getLogger("peakend.retention")
    while not stop.is_set():
        try:
            ws.rights.apply_retention()
        except Exception:  # a lost connection: log, and try again next time
            log.exception("retention failed; retrying in an hour")
        stop.wait(RETENTION_S)
