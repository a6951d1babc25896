"""The peak-aware roster's predicted REI against a skill-blind roster's, on the demo's first hall (small).

The demo hall (天河北厅) is generated with two staff members who differ: 天河02 (+0.25 on every touch) and 天河05
(−0.3). The benchmark simulates `--card-days` days of the hall and works out each of its six staff's shrunk
scorecard (scoring.staff.shrink on the rated touches' e, as the store does), then rosters the six for `--days` days
(need: 2 at the counter and 2 at the experience zone, the peak station, every open hour; everybody can work both),
once peak-aware and once skill-blind (CP-SAT, one worker, so the same answer each run), and simulates the days
under each roster `--reps` times (simulate/roster_rei.py). It prints both predicted mean REIs with 95% intervals
and the difference, and appends a row to bench/results/roster.csv.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.demo.generate import HALLS
from peakend.scoring.staff import shrink
from peakend.simulate.experience import touch_e
from peakend.simulate.roster import Person, Rules, solve
from peakend.simulate.roster_rei import compare, effects
from peakend.simulate.run import simulate

START = date(2026, 12, 7)  # a Monday


def cards(cfg, bp, days: int) -> dict[str, float]:
    """Each staff member's shrunk mean e over `days` simulated days of the hall (rated touches scored)."""
    sim = simulate(cfg, bp, START - timedelta(days=days), days=days, seed=1)
    e = touch_e(sim.touches, bp)[["touch_id", "e"]].merge(sim.touches[["touch_id", "staff_id"]], on="touch_id")
    g = e.dropna(subset=["staff_id"]).groupby("staff_id")["e"]
    out = shrink(g.size(), g.mean(), g.var())
    return out["shrunk"].to_dict()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--card-days", type=int, default=14)
    ap.add_argument("--reps", type=int, default=4)
    args = ap.parse_args()
    bp, cfg = load_blueprint(), HALLS[0].config()
    t0 = time.perf_counter()
    scores = cards(cfg, bp, args.card_days)
    people = [Person(k, k, frozenset({"counter", "experience"}), score=v) for k, v in sorted(scores.items())]
    days = [START + timedelta(days=i) for i in range(args.days)]
    need = pd.DataFrame([(d, h, s, 2) for d in days for h in range(cfg.opens, cfg.closes)
                         for s in ("counter", "experience")], columns=["day", "hour", "station", "need"])
    rules, peaks = Rules(time_limit=30.0), frozenset({"experience"})
    aware = solve(people, need, rules, peaks, workers=1)
    blind = solve([replace(p, score=None) for p in people], need, rules, peaks, workers=1)
    got = compare([(d, cfg) for d in days], bp, aware.assigned, blind.assigned, effects(scores), args.reps)
    seconds = time.perf_counter() - t0
    print(f"{machine()}; {args.days} days, {args.reps} replications, {got.visits} visits a replication")
    print("shrunk scorecards: " + ", ".join(f"{k} {v:+.3f}" for k, v in sorted(scores.items())))
    for label, e in (("peak-aware", got.aware), ("skill-blind", got.blind), ("difference", got.gain)):
        print(f"{label:12s} {e.mean:7.2f} [{e.low:.2f}, {e.high:.2f}]")
    print(f"uncovered server-hours: aware {aware.uncovered}, blind {blind.uncovered}; {seconds:.0f} s")
    append_result("roster", {"days": args.days, "reps": args.reps, "visits": got.visits,
                             "aware": round(got.aware.mean, 2), "aware_low": round(got.aware.low, 2),
                             "aware_high": round(got.aware.high, 2), "blind": round(got.blind.mean, 2),
                             "blind_low": round(got.blind.low, 2), "blind_high": round(got.blind.high, 2),
                             "gain": round(got.gain.mean, 3), "gain_low": round(got.gain.low, 3),
                             "gain_high": round(got.gain.high, 3), "seconds": round(seconds, 1)})


if __name__ == "__main__":
    main()
