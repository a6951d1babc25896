"""How fast every page answers: its first load right after a full re-score (the figures derived from the scores
are out of date: a page shows the last ones and the job computing new ones, never computes them inline) and its
warm load, each in the same run.

    python bench/bench_pages.py [--days 14] [--runs 5]             # the demo store
    python bench/bench_pages.py --touches 2e6 [--db postgresql://…]  # a synthetic store of N touches

Builds the demo (`peakend demo`) into a temporary folder — or, with `--touches N`, bench_scoring.py's synthetic
store of N touches (200 halls H0…H199, 30 days, stored in time order as they arrive), on DuckDB or, with `--db`,
copied into database `peakend_bench` on that PostgreSQL server as bench_pg_scoring.py does — re-scores it in full,
then for each page (`--only`: these): the first load's time, and the median of `--runs` warm loads after the page's
jobs ran to completion. Prints each page's times and ratio; appends to bench/results/pages.csv (with the touches
and the engine). Targets (issues 30, 31 and 38): first load under 2 s and warm under 1 s on the demo store,
first/warm ≤ 2 for the network and what-if pages; each page's warm time at 20M touches ≤ 1.5× its time at 2M and
≤ 1 s, on both engines.
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
from bench_pg_scoring import copy_into, fresh_database
from bench_scoring import generate
from common import append_result, machine
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from peakend.blueprint.load import load_blueprint
from peakend.cli import app as cli
from peakend.service import Workspace
from peakend.web.app import create_app

DEMO_HALL = "天河北厅"
SYNTHETIC_HALL = "H0"


def pages(hall_id: str, visit: str) -> dict[str, str]:
    """The pages timed, by name."""
    hall = quote(hall_id)
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


def demo_store(folder: Path, days: int) -> str:
    """The path of the demo store of `days` days built in `folder`."""
    done = CliRunner().invoke(cli, ["demo", "--dir", str(folder), "--days", str(days)])
    assert done.exit_code == 0, done.output
    return str(folder / "peakend.duckdb")


def synthetic_store(folder: Path, n: int, server: str | None) -> str:
    """The URL of a store of bench_scoring.py's `n` synthetic touches: a DuckDB file in `folder`, or database
    `peakend_bench` on PostgreSQL `server` made afresh (copied from such a file)."""
    duck = folder / "peakend.duckdb"
    with Workspace.open(str(duck)) as ws:
        generate(ws.store.stage, n, load_blueprint().moment_ids(), in_time_order=True)
        if not server:
            return str(duck)
        url = fresh_database(server)
        with Workspace.open(url) as pg:
            copy_into(pg.store, ws.store, folder)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--touches", type=float, help="a synthetic store of this many touches instead of the demo")
    parser.add_argument("--db", help="with --touches: a PostgreSQL URL (its server) to hold the store")
    parser.add_argument("--only", nargs="+", help="time only these pages")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="peakend-bench-pages-"))
    n = int(args.touches) if args.touches else None
    t0 = time.perf_counter()
    db = synthetic_store(folder, n, args.db) if n else demo_store(folder, args.days)
    hall = SYNTHETIC_HALL if n else DEMO_HALL
    engine = "postgresql" if args.db and n else "duckdb"
    print(f"{machine()}; {f'{n:,} touches' if n else f'demo of {args.days} days'} on {engine}; "
          f"built in {time.perf_counter() - t0:.1f} s", flush=True)
    with Workspace.open(db) as ws:
        ws.people.add_user("bench", "bench-password", "admin")
        t0 = time.perf_counter()
        ws.scores.run(full=True)  # a full re-score: every figure derived from the scores is out of date
        print(f"full score in {time.perf_counter() - t0:.1f} s", flush=True)
        visit = str(ws.store.scalar("SELECT visit_id FROM visits WHERE hall_id = ? LIMIT 1", [hall]))
    app = create_app(db, secret="bench")
    client = TestClient(app, headers={"Origin": "http://testserver"})
    assert client.post("/api/v1/login", json={"username": "bench", "password": "bench-password"}).status_code == 200
    jobs = app.state.peakend.ws.jobs
    print(f"{'page':<10} {'first s':>8} {'jobs s':>8} {'warm s':>8} {'ratio':>6}", flush=True)
    for name, path in pages(hall, visit).items():
        if args.only and name not in args.only:
            continue
        first = timed(client, path)
        t0 = time.perf_counter()
        while jobs.run_next():  # what the server's job runners do meanwhile
            pass
        ran = time.perf_counter() - t0
        timed(client, path)
        warm = statistics.median(timed(client, path) for _ in range(args.runs))
        print(f"{name:<10} {first:>8.3f} {ran:>8.1f} {warm:>8.3f} {first / warm:>6.1f}", flush=True)
        append_result("pages", {"page": name, "days": "" if n else args.days, "first_s": round(first, 4),
                                "warm_s": round(warm, 4), "ratio": round(first / warm, 2),
                                "touches": n or "", "engine": engine, "jobs_s": round(ran, 2)})
    app.state.peakend.store.close()


if __name__ == "__main__":
    main()
