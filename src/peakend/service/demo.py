"""The demo network (`ws.demo`): simulated halls loaded through the real ingest path — the `peakend demo` command,
and the first run's "load a week of the demo" in the browser (a job, `demo`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from peakend.demo import today
from peakend.demo.generate import HALLS, generate_demo, load_demo, record_coaching, record_hall_names
from peakend.i18n import say
from peakend.service.jobs import Job, Outcome, Progress, job_kind

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

FIRST_RUN_DAYS = 7  # the first run's demo: a week, loaded in about 20 s
SEED = 7  # the demo's seed unless `peakend demo --seed` says otherwise


class Demo:
    """The demo network on a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def load(self, folder: Path, days: int = FIRST_RUN_DAYS, step: Progress | None = None) -> int:
        """Generate the demo's files into `folder`, ingest them, record its coaching and hall names, score it;
        the number of files ingested."""
        files = load_demo(self.ws.store, self.ws.blueprint, folder, days, SEED,
                          progress=(lambda s: step(step=s)) if step is not None else None)
        today.mark(self.ws.store, days, SEED)
        return files


    def generate(self, folder: Path, days: int, seed: int) -> tuple[list[Path], list[Path]]:
        """The demo's source files simulated into `folder`: its daily touch logs (under `touches/`), and the other
        files, each in ingest order."""
        files = generate_demo(folder, self.ws.blueprint, days, seed)
        daily = [f for f in files if f.parent.name == "touches"]
        return daily, [f for f in files if f not in daily]

    def ingest_daily(self, daily: list[Path]) -> str:
        """Ingest the demo's daily touch logs (nothing said of each); the line saying what they stored."""
        done = list(self.ws.files.each(daily, self.ws.files.context()))
        return say("demo_daily", files=len(daily), rows=sum(r.rows for r in done), stored=sum(r.stored for r in done))

    def record(self, days: int, seed: int) -> None:
        """What the demo's managers did by hand (its halls' names, its coaching assignment), and the mark that makes
        the store the demo's (a server on it feeds today's traffic through the live loop)."""
        record_coaching(self.ws.store, days)
        record_hall_names(self.ws.store)
        today.mark(self.ws.store, days, seed)

    def data_held(self) -> tuple[int, int]:
        """The visits and halls this store already holds (the first run offers the demo only to an empty store:
        loaded into a store with data, its eight halls would stand beside the user's own)."""
        visits, halls = self.ws.store.rows("SELECT count(*), count(DISTINCT hall_id) FROM visits")[0]
        return int(visits), int(halls)

    def is_demo(self) -> bool:
        """Whether the store is the demo's (set up already: its blueprint, data and scores are in)."""
        return today.marked(self.ws.store) is not None

    def start_today(self) -> Job | None:
        """On the demo's store, the job feeding today's simulated traffic up to now through the live loop, unless
        today's is in already; None on any other store."""
        if today.marked(self.ws.store) is None or today.fed_today(self.ws.store, self.ws.clock()):
            return None
        return self.ws.jobs.submit("demo_today", {"day": f"{self.ws.clock():%Y-%m-%d}"}, "demo")

    @staticmethod
    def first_hall() -> str:
        """The demo's first hall (the one the demo fits back from its own events)."""
        return HALLS[0].hall_id


@job_kind("demo_today", rerun=True)  # a cut-off run again stores no row twice (today's ids hold the date)
def demo_today_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """Today's demo traffic up to now fed through the live loop (alerts, cases, SMS surveys, timers)."""
    progress(step="demo_today")
    r = today.feed_today(ws.store, ws.blueprint, ws.gateway, ws.clock())
    return Outcome({"touches": r.stored, "alerts": r.fired.alerts, "cases": r.fired.cases,
                    "surveys": r.fired.surveys})


@job_kind("demo")
def demo_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """A week of the demo loaded into the store, as a job (the first run's)."""
    with tempfile.TemporaryDirectory(prefix="peakend-demo-") as folder:
        files = ws.demo.load(Path(folder), int(job.params.get("days", FIRST_RUN_DAYS)), progress)
    return Outcome({"files": files})

