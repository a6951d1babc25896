"""Erlang-A (M/M/n+M; Garnett, Mandelbaum & Reiman 2002): the reference model of a queue whose customers leave.

Poisson arrivals at rate λ, n servers with exponential service at rate μ each, and exponential
patience at rate θ. The number in the system is a birth–death chain (birth λ, death
μ·min(k, n) + θ·max(k − n, 0)), solved here exactly by its stationary distribution, truncated
where the tail no longer counts. By PASTA an arrival sees the stationary state; by Little's law
the mean time spent queueing (by everyone, served or not) is E[queue] / λ, and the share who
leave is θ·E[queue] / λ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg


@dataclass(frozen=True)
class ErlangA:
    """Stationary figures of one M/M/n+M queue (times in the unit of the rates, e.g. minutes)."""

    p_wait: float  # probability an arrival finds every server busy
    mean_wait: float  # mean time in queue over all arrivals (served or not)
    abandon: float  # share of arrivals who leave before service
    mean_wait_served: float  # mean time in queue of those served


def erlang_a(arrival_rate: float, service_mean: float, servers: int, patience_mean: float,
             tail: float = 1e-12) -> ErlangA:
    """Erlang-A for arrivals per time unit, mean service time, servers and mean patience."""
    lam, mu, theta = arrival_rate, 1.0 / service_mean, 1.0 / patience_mean
    n = servers
    p = _stationary(lam, mu, theta, n, tail)
    states = np.arange(len(p))
    queue = np.maximum(states - n, 0)
    eq = float((p * queue).sum())
    abandon = theta * eq / lam
    served = 1.0 - abandon
    wait_served = _served_wait(lam, mu, theta, n, p)
    return ErlangA(float(p[n:].sum()), eq / lam, abandon, wait_served / served if served > 0 else float("inf"))


def _served_wait(lam: float, mu: float, theta: float, n: int, p: np.ndarray) -> float:
    """E[wait · 1{served}] over arrivals. An arrival finding k ≥ n in the system is j = k − n + 1th in line; at
    position i the next event comes at rate nμ + iθ (a service, someone ahead leaving, or this customer
    leaving), and it moves up unless the event is its own leaving. Competing exponential clocks: the time of
    each step does not depend on which event ends it, so E[wait · 1{served} | j] = P(served | j) · Σ 1/rate."""
    total = 0.0
    for k in range(n, len(p)):
        survive, elapsed = 1.0, 0.0
        for i in range(k - n + 1, 0, -1):
            rate = n * mu + i * theta
            survive *= (n * mu + (i - 1) * theta) / rate
            elapsed += 1.0 / rate
        total += p[k] * survive * elapsed
    return total


MAX_STATES = 20_000  # a chain longer than this (servers far below load, almost no abandonment) is not solved
MAX_DEPTH = 2_000  # queue places the passage-time matrix holds at most (its exponential is cubic in them)


class Overloaded(ValueError):
    """The queue would grow past `MAX_STATES` customers: far more work arrives than the servers can do."""


def _stationary(lam: float, mu: float, theta: float, n: int, tail: float = 1e-12) -> np.ndarray:
    """π_k of the M/M/n+M birth–death chain, truncated where the tail no longer counts."""
    logs, k = [0.0], 0
    while True:
        k += 1
        if k > MAX_STATES:
            raise Overloaded(f"more than {MAX_STATES} in the system: load far above {n} servers")
        death = mu * min(k, n) + theta * max(k - n, 0)
        logs.append(logs[-1] + np.log(lam) - np.log(death))
        if k > n and death > lam and logs[-1] - max(logs) < np.log(tail):
            break
    p = np.exp(np.array(logs) - max(logs))
    return p / p.sum()


def served_within(arrival_rate: float, service_mean: float, servers: int, patience_mean: float,
                  minutes: float) -> float:
    """The share of arrivals served within `minutes` of arriving (those who leave never are).

    An arrival who finds k ≥ n in the system is (k − n + 1)th in line: a phase-type passage to service
    whose generator moves position i to i − 1 at rate nμ + (i − 1)θ and ends it (leaving) at rate θ;
    P(served by t | position) is read from the matrix exponential of that generator.
    """
    lam, mu, theta, n = arrival_rate, 1.0 / service_mean, 1.0 / patience_mean, servers
    if theta * MAX_DEPTH < lam:  # patience far beyond any wait: Erlang C, P(W > t) = C(n, λ/μ)·e^(−(nμ − λ)t)
        return _erlang_c_within(lam, mu, n, minutes)
    p = _stationary(lam, mu, theta, n)
    depth = len(p) - n  # positions 1..depth
    if depth <= 0:
        return float(p.sum())
    if depth > MAX_DEPTH:
        raise Overloaded(f"{depth} places in the queue: load far above {n} servers")
    size = depth + 2  # positions, then "served" (depth) and "left" (depth + 1)
    q = np.zeros((size, size))
    for i in range(1, depth + 1):
        row = i - 1
        advance = n * mu + (i - 1) * theta
        q[row, row - 1 if i > 1 else depth] = advance
        q[row, depth + 1] = theta
        q[row, row] = -(advance + theta)
    reached = linalg.expm(q * minutes)[:depth, depth]  # P(served by `minutes`) from each position
    return float(p[:n].sum() + (p[n:] * reached).sum())


def _erlang_c_within(lam: float, mu: float, n: int, minutes: float) -> float:
    """Erlang C's share served within `minutes` (nobody leaves); `Overloaded` when nμ ≤ λ."""
    if n * mu <= lam:
        raise Overloaded(f"load {lam / mu:.2f} at or above {n} servers with nobody leaving")
    a = lam / mu
    terms = np.exp([k * np.log(a) - math.lgamma(k + 1) for k in range(n)])
    top = np.exp(n * np.log(a) - math.lgamma(n + 1)) * n / (n - a)
    c = top / (terms.sum() + top)
    return float(1 - c * np.exp(-(n * mu - lam) * minutes))


def staffing(arrival_rate: float, service_mean: float, patience_mean: float, minutes: float, share: float,
             abandon: float | None = None, most: int = 200) -> int | None:
    """The fewest servers with at least `share` served within `minutes` (and at most `abandon` leaving); None
    when `most` do not reach it."""
    for n in range(1, most + 1):
        try:
            if served_within(arrival_rate, service_mean, n, patience_mean, minutes) >= share and (
                    abandon is None or erlang_a(arrival_rate, service_mean, n, patience_mean).abandon <= abandon):
                return n
        except Overloaded:
            continue
    return None
