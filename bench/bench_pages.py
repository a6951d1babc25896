"""How fast every page answers on the demo store: its first load right after a full re-score (the figures derived
from the scores are out of date: a page shows the last ones and the job computing new ones, never computes them
inline) and its warm load, each in the same run.

    python bench/bench_pages.py [--days 14] [--runs 5]

Builds the demo (`peakend demo`) into a temporary folder, re-scores it in full, then for each page: the first
load's time, and the median of `--runs` warm loads after the page's jobs ran. Prints each page's times and ratio;
appends to bench/results/pages.csv. Targets (issues 30 and 31): first load under 2 s and warm under 1 s on the
demo store, first/warm ≤ 2 for the network and what-if pages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))
from common import append_result, machine
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from peakend.cli import app as cli
from peakend.service import Workspace
from peakend.web.app import create_app

HALL = "天河北厅"


def pages(visit: str) -> dict[str, str]:
    """The pages timed, by name."""
    hall = quote(HALL)
    return {"network": "/", "hall": f"/halls/{hall}", "moment": f"/halls/{hall}/moments/counter_result",
            "visit": f"/visits/{quote(visit)}", "whatif": f"/halls/{hall}/whatif", "staff": f"/staff?hall={hall}",
            "comments": "/comments", "audits": "/audits", "quality": "/quality", "blueprint": "/blueprint",
            "cases": "/cases"}


def timed(client: TestClient, path: str) -> float:
    """Seconds one GET of `path` takes (it must answer 200)."""
    start = time.perf_counter()
    answer = client.get(path)
    took = time.perf_counter() - start
    assert answer.status_code == 200, (path, answer.status_code)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="peakend-bench-pages-"))
    done = CliRunner().invoke(cli, ["demo", "--dir", str(folder), "--days", str(args.days)])
    assert done.exit_code == 0, done.output
    db = str(folder / "peakend.duckdb")
    with Workspace.open(db) as ws:
        ws.people.add_user("bench", "bench-password", "admin")
        ws.scores.run(full=True)  # a full re-score: every figure derived from the scores is out of date
        visit = str(ws.store.scalar("SELECT visit_id FROM visits WHERE hall_id = ? LIMIT 1", [HALL]))
    app = create_app(db, secret="bench")
    client = TestClient(app, headers={"Origin": "http://testserver"})
    assert client.post("/api/v1/login", json={"username": "bench", "password": "bench-password"}).status_code == 200
    jobs = app.state.peakend.ws.jobs
    print(f"{machine()}; demo of {args.days} days")
    print(f"{'page':<10} {'first s':>8} {'warm s':>8} {'ratio':>6}")
    for name, path in pages(visit).items():
        first = timed(client, path)
        while jobs.run_next():  # what the server's job runners do meanwhile
            pass
        timed(client, path)
        warm = statistics.median(timed(client, path) for _ in range(args.runs))
        print(f"{name:<10} {first:>8.3f} {warm:>8.3f} {first / warm:>6.1f}")
        append_result("pages", {"page": name, "days": args.days, "first_s": round(first, 4),
                                "warm_s": round(warm, 4), "ratio": round(first / warm, 2)})
    app.state.peakend.store.close()


if __name__ == "__main__":
    main()
