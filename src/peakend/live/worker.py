"""The background work of a server: the live rules on queued visits, due timers, and scoring what changed.

`peakend serve` runs it as threads beside its web app. With `--workers N` (PostgreSQL) the web processes only
answer requests and one process of its own runs this (`peakend live work`), so ingest and the rules use
separate cores. More than one worker on a store is correct: a visit is claimed before its rules run
(`live.pending`, row locks), a timer is marked done in the transaction of its effect (`live.timers`), and a
scoring run holds a lock in the store (`scoring.run`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.live.pending import pending, run_pending
from peakend.live.sms import Gateway
from peakend.live.timers import tick
from peakend.scoring.run import score, stale
from peakend.store.db import Store

GATHER_S = 0.2  # the live worker gathers queued visits this long before a pass (alerts: < 1 s)
RETRY_S = 2.0


@dataclass
class Background:
    """What the background threads work on. `blueprint` is asked each time (the latest saved version);
    `wake` is set by ingest in the same process; a worker of its own polls every `idle_s`."""

    store: Store
    blueprint: Callable[[], Blueprint]
    gateway: Gateway
    clock: Callable[[], datetime] = field(default=datetime.now)
    wake: threading.Event = field(default_factory=threading.Event)
    idle_s: float = 5.0

    def threads(self, stop: threading.Event) -> list[threading.Thread]:
        """The live worker, the timers and (setting `score_minutes` > 0) the scheduled scoring, not started."""
        jobs: list[tuple[str, Callable[[], None]]] = [
            ("live", lambda: run_live(self, stop)),
            ("timers", lambda: run_timers(self, stop, settings.get("tick_seconds")))]
        if settings.get("score_minutes") > 0:
            jobs.append(("scoring", lambda: run_scoring(self, stop, settings.get("score_minutes"))))
        return [threading.Thread(target=job, name=f"peakend-{name}", daemon=True) for name, job in jobs]


def run_live(bg: Background, stop: threading.Event) -> None:
    """Run the live rules on queued visits whenever some are queued (and at start: what a crash left).

    Once woken it gathers for `GATHER_S`, so that a burst of requests is taken by one pass;
    requests that arrive while a pass runs are taken together by the next.
    """
    log = logging.getLogger("peakend.live")
    while not stop.is_set():
        stop.wait(GATHER_S)
        bg.wake.clear()
        try:
            run_pending(bg.store, bg.blueprint(), bg.clock())
            if pending(bg.store):  # more than one pass takes (or another worker holds some): go on soon
                bg.wake.set()
        except Exception:  # a lost connection or a bad blueprint: log, keep the queue, try again
            log.exception("live rules failed; the visits stay queued")
            stop.wait(RETRY_S)
        bg.wake.wait(bg.idle_s)


def run_scoring(bg: Background, stop: threading.Event, minutes: float) -> None:
    """Score what changed every `minutes` (setting `score_minutes`) so pages never wait for a manual score; a
    store with nothing new is left alone (its pages' per-run caches stay warm)."""
    log = logging.getLogger("peakend.scoring")
    while not stop.wait(minutes * 60):
        try:
            bp = bg.blueprint()
            if stale(bg.store, bp):
                score(bg.store, bp)
        except Exception:  # a lost connection: log, and try again next time
            log.exception("scheduled scoring failed; retrying in %s min", minutes)


def run_timers(bg: Background, stop: threading.Event, every: float) -> None:
    """Run due reminders, escalations and survey sends every `every` seconds until stopped.

    Timers live in the store, so after a restart the ones that came due meanwhile run at once.
    """
    log = logging.getLogger("peakend.timers")
    while not stop.is_set():
        try:
            tick(bg.store, bg.blueprint(), bg.clock(), bg.gateway)
        except Exception:  # a failed send or a lost connection: log, and try again next time
            log.exception("timers failed; retrying in %s s", every)
        stop.wait(every)
