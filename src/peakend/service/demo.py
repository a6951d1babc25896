"""The demo network (`ws.demo`): simulated halls loaded through the real ingest path — the `peakend demo` command,
and the first run's "load a week of the demo" in the browser (a job, `demo`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from peakend.demo.generate import HALLS, generate_demo, load_demo, record_coaching, record_hall_names
from peakend.service.jobs import Job, Outcome, Progress, job_kind

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

FIRST_RUN_DAYS = 7  # the first run's demo: a week, loaded in about 20 s


class Demo:
    """The demo network on a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def load(self, folder: Path, days: int = FIRST_RUN_DAYS, step: Progress | None = None) -> int:
        """Generate the demo's files into `folder`, ingest them, record its coaching and hall names, score it;
        the number of files ingested."""
        return load_demo(self.ws.store, self.ws.blueprint, folder, days,
                         progress=(lambda s: step(step=s)) if step is not None else None)


    def generate(self, folder: Path, days: int, seed: int) -> list[Path]:
        """The demo's source files simulated into `folder` (its daily touch logs under `touches/`), in ingest
        order."""
        return generate_demo(folder, self.ws.blueprint, days, seed)

    def record(self, days: int) -> None:
        """What the demo's managers did by hand: its halls' names, its coaching assignment."""
        record_coaching(self.ws.store, days)
        record_hall_names(self.ws.store)

    @staticmethod
    def first_hall() -> str:
        """The demo's first hall (the one the demo fits back from its own events)."""
        return HALLS[0].hall_id


@job_kind("demo")
def demo_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """A week of the demo loaded into the store, as a job (the first run's)."""
    with tempfile.TemporaryDirectory(prefix="peakend-demo-") as folder:
        files = ws.demo.load(Path(folder), int(job.params.get("days", FIRST_RUN_DAYS)), progress)
    return Outcome({"files": files})

