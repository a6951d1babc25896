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
    """Append one run to bench/results/<name>.csv, with the date and the machine in front.

    When a benchmark gains or loses a column, the file is rewritten under the union of the columns
    (older runs leave the new ones empty), so every row stays under its own header.
    """
    row = {"date": datetime.now().isoformat(timespec="seconds"), "machine": machine(), **row}
    out = RESULTS / f"{name}.csv"
    old: list[dict[str, str]] = []
    header: list[str] = []
    if out.exists():
        with out.open(newline="") as f:
            reader = csv.DictReader(f)
            header, old = list(reader.fieldnames or []), list(reader)
    columns = header + [c for c in row if c not in header]
    with out.open("w" if columns != header else "a", newline="") as f:
        w = csv.DictWriter(f, columns, restval="", extrasaction="ignore")
        if columns != header:
            w.writeheader()
            w.writerows(old)
        w.writerow(row)
