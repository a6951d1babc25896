"""What every benchmark shares: the machine's description and the results files."""

from __future__ import annotations

import csv
import os
import platform
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def machine() -> str:
    """CPU architecture, core count and Python, for the results files."""
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{platform.machine()} {os.cpu_count()} cores, {python}"


def append_result(name: str, row: dict[str, object]) -> None:
    """Append one run to bench/results/<name>.csv, with the date and the machine in front."""
    row = {"date": datetime.now().isoformat(timespec="seconds"), "machine": machine(), **row}
    out = RESULTS / f"{name}.csv"
    new = not out.exists()
    with out.open("a", newline="") as f:
        w = csv.DictWriter(f, list(row))
        if new:
            w.writeheader()
        w.writerow(row)
