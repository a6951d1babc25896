"""The simulator against a peer (Ciw) on one open network, and the time of one hall-day.

The network: external Poisson arrivals (2/min) at station 1; after station 1 a customer goes
to station 2 with probability 0.5, to station 3 with 0.3, leaves with 0.2; after station 2 to
station 3 with 0.4, else leaves; station 3 is the last. Servers 3, 2, 2; exponential service
means 1.2, 1.6, 1.5 min (utilisations 0.80, 0.80, 0.75). Routing is decided step by step in
Ciw; peakend draws the whole route on arrival with the same path probabilities (the same
process, since the choices are independent). Both run the same number of 24-hour days from
empty with different seeds, day by day in turn (Ciw's day d, then peakend's, so that a shared
machine's changing load falls on both alike); the benchmark prints each station's mean wait with a 95%
confidence interval over the days, and customers simulated per second.

Each simulator is timed from its network to its events (Ciw's records, peakend's data frames),
not the benchmark's own summary of them, in wall time and in CPU time of the process (the ratio
of CPU times does not depend on how loaded a shared machine is; the wall ratio does, a little).

Targets: peakend ≥ 12× Ciw's customers per second; one hall-day (about 1,000 visits of the
default blueprint and a typical hall configuration) in under 100 ms.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.blueprint.model import Blueprint, Route
from peakend.demo.generate import Hall
from peakend.simulate.config import Dist, HallConfig
from peakend.simulate.hall import prepare, simulate_day
from peakend.simulate.run import simulate

RATE, SERVERS, MEANS = 2.0, (3, 2, 2), (1.2, 1.6, 1.5)
ROUTING = [[0.0, 0.5, 0.3], [0.0, 0.0, 0.4], [0.0, 0.0, 0.0]]
STATIONS = ("counter_handling", "self_service", "data_experience")  # three moments of the default blueprint
PATHS = {(0,): 0.2, (0, 1): 0.5 * 0.6, (0, 1, 2): 0.5 * 0.4, (0, 2): 0.3}
DAY = 24 * 60.0


def ci(values: list[float]) -> tuple[float, float]:
    """Mean and half-width of the 95% confidence interval."""
    x = np.array(values)
    return float(x.mean()), float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))


def run_ciw(days: int, first: int = 0) -> tuple[list[list[float]], int, float, float]:
    """Mean wait per station per day, customers, wall and CPU seconds (days `first`, `first` + 1, …)."""
    import ciw

    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=RATE), None, None],
        service_distributions=[ciw.dists.Exponential(rate=1 / m) for m in MEANS],
        routing=ROUTING,
        number_of_servers=list(SERVERS),
    )
    per_day, customers, wall, cpu = [], 0, 0.0, 0.0
    for d in range(first, first + days):
        t0, c0 = time.perf_counter(), time.process_time()
        ciw.seed(d)
        q = ciw.Simulation(net)
        q.simulate_until_max_time(DAY)
        recs = q.get_all_records()
        wall, cpu = wall + time.perf_counter() - t0, cpu + time.process_time() - c0
        per_day.append([float(np.mean([r.waiting_time for r in recs if r.node == k + 1])) for k in range(3)])
        customers += sum(1 for r in recs if r.node == 1)
    return per_day, customers, wall, cpu


def network(bp: Blueprint) -> tuple[Blueprint, HallConfig]:
    """The same network as a blueprint's routes and a hall configuration."""
    routes = [Route(id=f"path{i}", zh=f"路径{i}", en=f"path {i}", moments=[STATIONS[k] for k in p])
              for i, p in enumerate(PATHS)]
    cfg = HallConfig(
        hall_id="net", opens=0, closes=24, arrivals={h: RATE * 60 for h in range(24)},
        routes={f"path{i}": p for i, p in enumerate(PATHS.values())},
        stations={f"s{k}": {"moments": [m], "servers": c} for k, (m, c) in enumerate(zip(STATIONS, SERVERS,
                                                                                            strict=True))},
        service={m: Dist(kind="exponential", mean=s) for m, s in zip(STATIONS, MEANS, strict=True)},
    )
    return bp.model_copy(update={"routes": routes}), cfg


def run_peakend(bp: Blueprint, days: int, first: int = 0) -> tuple[list[list[float]], int, float, float]:
    """Mean wait per station per day, customers, wall and CPU seconds (the whole simulator: events as data
    frames)."""
    net_bp, cfg = network(bp)
    per_day, customers, wall, cpu = [], 0, 0.0, 0.0
    for d in range(first, first + days):
        t0, c0 = time.perf_counter(), time.process_time()
        sim = simulate(cfg, net_bp, date(2026, 10, 5), seed=d, rated=False)
        wall, cpu = wall + time.perf_counter() - t0, cpu + time.process_time() - c0
        t = sim.touches
        per_day.append([float(t.wait_min[t.moment_id == m].mean()) for m in STATIONS])
        customers += len(sim.visits)
    return per_day, customers, wall, cpu


def hall_day_ms(bp: Blueprint, repeats: int) -> tuple[float, float]:
    """Median milliseconds of one simulated hall-day of the default blueprint, and its mean visits."""
    model = prepare(TYPICAL.config(), bp)
    rng = np.random.default_rng(0)
    times, visits = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        day = simulate_day(model, date(2026, 10, 5), rng)
        times.append(time.perf_counter() - t0)
        visits.append(len(day.visits))
    return 1000 * float(np.median(times)), float(np.mean(visits))


# A busy hall of the demo's kind: ~1,000 visits a day.
TYPICAL = Hall("典型厅", daily=1000, warmth=0.2, counters=12, resolve=0.92, farewell=0.2, handset=0.2)


def main() -> None:
    """Run both simulators, print the comparison, append it to bench/results/simulate.csv."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=20, help="24-hour days (replications) per simulator")
    ap.add_argument("--repeats", type=int, default=30, help="hall-days timed")
    args = ap.parse_args()
    bp = load_blueprint()
    run_peakend(bp, 1)  # warm up both (imports, first allocation)
    run_ciw(1)
    ciw_days: list[list[float]] = []
    pe_days: list[list[float]] = []
    ciw_n, pe_n, ciw_s, pe_s, ciw_c, pe_c = 0, 0, 0.0, 0.0, 0.0, 0.0
    for d in range(args.days):  # day by day in turn: a shared machine's load falls on both alike
        (c_days, c_n, c_s, c_c), (p_days, p_n, p_s, p_c) = run_ciw(1, d), run_peakend(bp, 1, d)
        ciw_days, pe_days, ciw_n, pe_n = ciw_days + c_days, pe_days + p_days, ciw_n + c_n, pe_n + p_n
        ciw_s, pe_s, ciw_c, pe_c = ciw_s + c_s, pe_s + p_s, ciw_c + c_c, pe_c + p_c
    print(f"machine: {machine()}")
    print(f"{args.days} days of 24 h per simulator; mean wait (min) per station, 95% CI over days")
    agree = True
    for k in range(3):
        (cm, ch), (pm, ph) = ci([d[k] for d in ciw_days]), ci([d[k] for d in pe_days])
        overlap = abs(cm - pm) <= ch + ph
        agree &= overlap
        print(f"  station {k + 1}: Ciw {cm:6.3f} ± {ch:.3f}   peakend {pm:6.3f} ± {ph:.3f}   "
              f"{'agree' if overlap else 'DIFFER'}")
    ciw_rate, pe_rate, ciw_cpu, pe_cpu = ciw_n / ciw_s, pe_n / pe_s, ciw_n / ciw_c, pe_n / pe_c
    ms, visits = hall_day_ms(bp, args.repeats)
    print(f"customers/s: Ciw {ciw_rate:,.0f}, peakend {pe_rate:,.0f} — ratio {pe_rate / ciw_rate:.1f}× (target ≥ 12×)")
    print(f"customers per CPU-second: Ciw {ciw_cpu:,.0f}, peakend {pe_cpu:,.0f} — ratio {pe_cpu / ciw_cpu:.1f}×")
    print(f"one hall-day: {ms:.1f} ms for {visits:,.0f} visits on average (target < 100 ms for 1,000)")
    append_result("simulate", {"days": args.days, "ciw_customers_per_s": round(ciw_rate),
                               "peakend_customers_per_s": round(pe_rate), "ratio": round(pe_rate / ciw_rate, 2),
                               "waits_agree": agree, "hall_day_ms": round(ms, 1), "hall_day_visits": round(visits),
                               "ciw_customers_per_cpu_s": round(ciw_cpu), "peakend_customers_per_cpu_s": round(pe_cpu),
                               "cpu_ratio": round(pe_cpu / ciw_cpu, 2), "timed": "simulation only"})


if __name__ == "__main__":
    main()
