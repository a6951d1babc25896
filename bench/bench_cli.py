"""How fast the command line answers: whole-process time of `peakend --help` and of a light command
(`peakend settings`), each beside `python -c pass` measured in the same run (the interpreter's own start).

    python bench/bench_cli.py [--runs 10]

Prints the median of each and its ratio to the reference; appends to bench/results/cli.csv.
Target: `peakend --help` under 0.5 s on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import append_result, machine

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "peakend --help": [sys.executable, "-m", "peakend.cli", "--help"],
    "peakend settings": [sys.executable, "-m", "peakend.cli", "settings"],
}


def median_seconds(cmd: list[str], runs: int) -> float:
    """The median wall time of `runs` runs of `cmd` (after one warm-up run)."""
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {machine()}; median of {args.runs} runs")
    seconds = {name: median_seconds(cmd, args.runs) for name, cmd in COMMANDS.items()}
    reference = seconds["python -c pass"]
    for name, s in seconds.items():
        print(f"{name:18s} {s * 1000:7.0f} ms   ratio to python -c pass {s / reference:5.1f}")
    print(f"target: peakend --help < 0.5 s: {'met' if seconds['peakend --help'] < 0.5 else 'NOT met'}")
    append_result("cli", {"reference_s": round(reference, 4), "help_s": round(seconds["peakend --help"], 4),
                          "settings_s": round(seconds["peakend settings"], 4),
                          "help_ratio": round(seconds["peakend --help"] / reference, 2)})


if __name__ == "__main__":
    main()
