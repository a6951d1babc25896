"""One station's first-come-first-served queue in one pass over its arrivals.

Why no event calendar (SimPy, Ciw)? In a hall every route passes its stations in one order
(they form a DAG) and every station serves first come first served. A customer's start of
service then depends only on the customers who arrived at that station before them, so a
station is simulated exactly by one pass over its arrivals in time order — the Kiefer–Wolfowitz
recursion: start = max(arrival, earliest free server) — and a hall by one pass per station in
route order. All random draws are vectorised with NumPy before the pass; the pass itself is a
tight loop over plain floats with a heap of server free times. That keeps the per-customer cost
to a few hundred nanoseconds instead of an event calendar's tens of microseconds.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

SERVED, RENEGED, BALKED, DIVERTED = 0, 1, 2, 3


@dataclass(frozen=True)
class Policy:
    """Who leaves or is steered away on arrival: balking and diversion thresholds (waiting per open server)."""

    balk_per_server: float = math.inf
    divert_per_server: float = math.inf
    divert_hours: frozenset[int] | None = None


@dataclass(frozen=True)
class Passed:
    """What happened to each customer at the station (arrays in the order given)."""

    status: np.ndarray  # SERVED, RENEGED, BALKED or DIVERTED
    start: np.ndarray  # start of service (served), or the time of leaving the queue
    end: np.ndarray  # end of service (served), or the time of leaving the queue
    wait: np.ndarray  # minutes between arrival and service (or leaving the queue)


def _free_at(duty: list[tuple[float, float]], t: float) -> float:
    """The first time ≥ t at which a server with these duty intervals (minutes) is on duty (inf: never)."""
    for lo, hi in duty:
        if t < hi:
            return max(t, lo)
    return math.inf


SPELLS = 4  # a part-time server works a share of each quarter hour: capacity spread over the hour, not bunched


def duty_intervals(schedule: list[float], opens: int) -> list[list[tuple[float, float]]]:
    """Per server, its merged on-duty intervals in minutes from midnight; server k works hour h iff k < count(h).

    A count may be fractional (the capacity customers met, calibrated): server ⌊count⌋ then works that share
    of every quarter hour. A server on duty in the last hour stays until the queue is empty: a hall serves
    whoever came before closing.
    """
    out: list[list[tuple[float, float]]] = []
    for k in range(math.ceil(max(schedule, default=0))):
        spans: list[tuple[float, float]] = []
        for i, count in enumerate(schedule):
            for lo, hi in _on_duty(k, count, (opens + i) * 60.0):
                spans[-1:] = [(spans[-1][0], hi)] if spans and spans[-1][1] == lo else [*spans[-1:], (lo, hi)]
        if spans and k < schedule[-1]:  # on at closing: serves everyone already in the hall
            spans[-1] = (spans[-1][0], math.inf)
        out.append(spans)
    return out


def _on_duty(k: int, count: float, start: float) -> list[tuple[float, float]]:
    """When server k works in the hour beginning at `start` (minutes) with `count` servers open."""
    share = min(max(count - k, 0.0), 1.0)
    if share >= 1.0:
        return [(start, start + 60.0)]
    step = 60.0 / SPELLS
    return [(start + q * step, start + q * step + share * step) for q in range(SPELLS)] if share > 0 else []


def serve(
    arrival: np.ndarray,
    service: np.ndarray,
    schedule: list[float],
    opens: int,
    patience: np.ndarray | None = None,
    policy: Policy | None = None,
    divertible: np.ndarray | None = None,
    priority: np.ndarray | None = None,
) -> Passed:
    """Simulate a FCFS station for customers given in arrival order (minutes from midnight).

    `schedule` is the open servers per hour from `opens`; a server finishes the customer it
    has when its hour ends. A customer whose wait would pass their `patience` reneges; one
    arriving to `balk_per_server` or more waiting per open server balks; a `divertible` one
    arriving to `divert_per_server` or more is diverted (both decided on arrival).
    """
    n = len(arrival)
    policy = policy or Policy()
    if priority is not None and len(set(priority.tolist())) > 1:
        return serve_priority(arrival, service, schedule, opens, priority, patience)
    fixed = len(set(schedule)) == 1 and float(schedule[0]).is_integer()
    if policy == Policy() and fixed and schedule[0] > 0:
        if patience is None:
            return _plain(arrival, service, int(schedule[0]))
        return _patient(arrival, service, int(schedule[0]), patience)
    a, s = arrival.tolist(), service.tolist()
    pat = patience.tolist() if patience is not None else [math.inf] * n
    div = divertible.tolist() if divertible is not None else [False] * n
    status, start, end = [SERVED] * n, [0.0] * n, [0.0] * n
    servers = int(schedule[0]) if fixed else 0
    duty = duty_intervals(schedule, opens)
    free = [0.0] * len(duty) if fixed else [_free_at(d, 0.0) for d in duty]
    queue: list[float] = []  # when each customer now waiting leaves the queue
    watch = policy.balk_per_server < math.inf or policy.divert_per_server < math.inf
    for i in range(n):
        t = a[i]
        if watch:
            while queue and queue[0] <= t:
                heapq.heappop(queue)
            hour = int(t // 60)
            open_now = schedule[hour - opens] if 0 <= hour - opens < len(schedule) else 0
            per = len(queue) / open_now if open_now else math.inf
            if per >= policy.balk_per_server:
                status[i], start[i], end[i] = BALKED, t, t
                continue
            if div[i] and per >= policy.divert_per_server and (
                policy.divert_hours is None or hour in policy.divert_hours
            ):
                status[i], start[i], end[i] = DIVERTED, t, t
                continue
        if fixed:
            if not servers:
                status[i], start[i], end[i] = RENEGED, t, t
                continue
            begin = max(t, free[0])
            if begin - t > pat[i]:
                status[i], start[i] = RENEGED, t + pat[i]
                end[i] = start[i]
            else:
                start[i], end[i] = begin, begin + s[i]
                heapq.heapreplace(free, end[i])
        else:
            k, begin = _earliest(free, duty, t)
            if begin - t > pat[i] or begin == math.inf:
                status[i], start[i] = RENEGED, t + min(pat[i], 24 * 60 - t)
                end[i] = start[i]
            else:
                start[i], end[i] = begin, begin + s[i]
                free[k] = _free_at(duty[k], end[i])
        if watch:
            heapq.heappush(queue, start[i])
    begins = np.array(start)
    return Passed(np.array(status, dtype=np.int8), begins, np.array(end), begins - arrival)


def serve_priority(arrival: np.ndarray, service: np.ndarray, schedule: list[float], opens: int, priority: np.ndarray,
                   patience: np.ndarray | None = None) -> Passed:
    """A station whose free server takes the waiting customer of the highest `priority` (then the earliest
    arrival): non-preemptive priority, with reneging. An event pass (a later arrival may overtake, so the
    one-pass recursion of `serve` no longer holds); balking and diversion are not applied here."""
    n = len(arrival)
    a, s, pr = arrival.tolist(), service.tolist(), priority.tolist()
    deadline = (arrival + patience).tolist() if patience is not None else [math.inf] * n
    status, start, end = [SERVED] * n, [0.0] * n, [0.0] * n
    duty = duty_intervals(schedule, opens)
    free = [(_free_at(d, 0.0), k) for k, d in enumerate(duty)]
    heapq.heapify(free)
    waiting: list[tuple[float, float, int]] = []  # (−priority, arrival, customer)

    def serve_until(t: float) -> None:
        """Start every service a server can begin before `t` (inclusive), highest priority first."""
        while waiting and free and free[0][0] <= t and free[0][0] < math.inf:
            f, k = free[0]
            while waiting and deadline[waiting[0][2]] < f:  # left before this server came free
                _, _, gone = heapq.heappop(waiting)
                status[gone], start[gone] = RENEGED, deadline[gone]
                end[gone] = start[gone]
            if not waiting:
                return
            _, _, i = heapq.heappop(waiting)
            begin = max(f, a[i])
            start[i], end[i] = begin, begin + s[i]
            heapq.heapreplace(free, (_free_at(duty[k], end[i]), k))

    for i in range(n):
        serve_until(a[i])
        heapq.heappush(waiting, (-pr[i], a[i], i))
        serve_until(a[i])
    serve_until(math.inf)
    for _, _, i in waiting:  # nobody came free for them: they left at their patience (or the day's end)
        status[i], start[i] = RENEGED, a[i] + min(deadline[i] - a[i], 24 * 60 - a[i])
        end[i] = start[i]
    begins = np.array(start)
    return Passed(np.array(status, dtype=np.int8), begins, np.array(end), begins - arrival)


def _plain(arrival: np.ndarray, service: np.ndarray, servers: int) -> Passed:
    """The common case, kept lean: fixed servers, everyone waits as long as it takes.

    The loop only keeps the heap of server free times; it records the free time each customer took
    (what `heapreplace` pops), and a customer's start is the later of that and their arrival, in NumPy.
    """
    free, take = [0.0] * servers, heapq.heapreplace
    popped = [take(free, (t if t > free[0] else free[0]) + d) for t, d in zip(arrival.tolist(), service.tolist(),
                                                                              strict=True)]
    begins = np.maximum(arrival, popped) if len(popped) else arrival.astype(float)
    return Passed(np.zeros(len(arrival), dtype=np.int8), begins, begins + service, begins - arrival)


def _patient(arrival: np.ndarray, service: np.ndarray, servers: int, patience: np.ndarray) -> Passed:
    """Fixed servers and customers who leave once their wait would pass their patience (no balking)."""
    a, s, p = arrival.tolist(), service.tolist(), patience.tolist()
    start, gone, free, take = [0.0] * len(a), [], [0.0] * servers, heapq.heapreplace
    for i, t in enumerate(a):
        f = free[0]
        b = t if t > f else f
        if b - t > p[i]:
            start[i] = t + p[i]
            gone.append(i)
        else:
            start[i] = b
            take(free, b + s[i])
    begins = np.array(start)
    status = np.zeros(len(a), dtype=np.int8)
    status[gone] = RENEGED
    return Passed(status, begins, np.where(status == RENEGED, begins, begins + service), begins - arrival)


def _earliest(free: list[float], duty: list[list[tuple[float, float]]], t: float) -> tuple[int, float]:
    """The server that can start soonest on a customer arriving at t, and when."""
    best, when = 0, math.inf
    for k, f in enumerate(free):
        begin = f if f >= t else _free_at(duty[k], t)
        if begin < when:
            best, when = k, begin
    return best, when
