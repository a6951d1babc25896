"""Erlang-A (M/M/n+M; Garnett, Mandelbaum & Reiman 2002): the reference model of a queue whose customers leave.

Poisson arrivals at rate λ, n servers with exponential service at rate μ each, and exponential
patience at rate θ. The number in the system is a birth–death chain (birth λ, death
μ·min(k, n) + θ·max(k − n, 0)), solved here exactly by its stationary distribution, truncated
where the tail no longer counts. By PASTA an arrival sees the stationary state; by Little's law
the mean time spent queueing (by everyone, served or not) is E[queue] / λ, and the share who
leave is θ·E[queue] / λ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    logs = [0.0]
    k = 0
    while True:  # unnormalised log π_k, until the tail is negligible (it falls geometrically once death > λ)
        k += 1
        death = mu * min(k, n) + theta * max(k - n, 0)
        logs.append(logs[-1] + np.log(lam) - np.log(death))
        if k > n and death > lam and logs[-1] - max(logs) < np.log(tail):
            break
    log_p = np.array(logs)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
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
