"""Scoring as a use case: the store scored (what changed, or everything), a lake scored, the store exported as a
lake (`ws.scores`); a scoring run is also a job (`score`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast, get_args

from peakend.errors import BadOption, NoData
from peakend.scoring.engines import LakeEngine, score_lake
from peakend.scoring.run import ScoreResult, require_scores, score, stale
from peakend.service.jobs import Job, Outcome, Progress, job_kind
from peakend.store.lake import export_lake

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace


class Scores:
    """Scoring of a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def run(self, full: bool = False, step: Callable[[str], None] = lambda _: None) -> ScoreResult:
        """Score the visits whose events arrived since the last run (`full`: every visit); NoData if none."""
        return score(self.ws.store, self.ws.blueprint, step, full)

    def start(self, owner: str, full: bool = False) -> Job:
        """A scoring run as a job (the one already queued or running, if any); NoData at once when the store
        holds no touch to score."""
        if self.ws.store.scalar("SELECT count(*) FROM (SELECT 1 FROM touches LIMIT 1) t") == 0:
            raise NoData(value="the store")
        return self.ws.jobs.submit("score", {"full": full}, owner)

    def stale(self) -> bool:
        """Whether events arrived (or the blueprint changed) since the last run."""
        return stale(self.ws.store, self.ws.blueprint)

    def require(self) -> None:
        """NotScored (with the command that fixes it) when the store was never scored."""
        require_scores(self.ws.store)

    def run_number(self) -> int:
        """How many scoring runs the store has had: what figures derived from the scores were computed on."""
        return int(self.ws.store.scalar("SELECT count(*) FROM score_runs"))

    def lake(self, engine: LakeEngine, lake: Path, out: Path | None, master: str | None,
             step: Callable[[str], None] = lambda _: None) -> ScoreResult:
        """Score a Parquet lake on DuckDB or Spark, writing its score tables to `out` (default LAKE/scores)."""
        return score_lake(engine, lake, self.ws.blueprint, out, master, step)

    def export(self, out: Path, step: Callable[[str, int], None] = lambda _t, _n: None) -> dict[str, int]:
        """Write the store's events as a Parquet lake partitioned by date and hall; rows per table."""
        return export_lake(self.ws.store, out, step)


def lake_engine(db: str, engine: str | None, lake: Path | None) -> LakeEngine:
    """The engine that scores a lake (duckdb unless `engine` names another), once `engine` is checked against the
    store `db` or the lake (BadOption: an unknown engine, or one that cannot score that store)."""
    from peakend.service import backend_of

    if engine not in (None, "postgres", *get_args(LakeEngine)):
        raise BadOption("bad_engine", engine=engine)
    backend = "lake" if lake is not None else backend_of(db)
    if (engine == "postgres" and backend != "postgres") or (lake is None and engine not in (None, backend)):
        raise BadOption("engine_needs_lake", engine=engine, backend=backend)
    return cast(LakeEngine, engine or "duckdb")


@job_kind("score")
def score_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """A scoring run as a job (`full`: every visit)."""
    r = ws.scores.run(bool(job.params.get("full")), lambda step: progress(step=step))
    return Outcome({"visits": r.visits, "touches": r.touches, "halls": r.halls, "seconds": round(r.seconds, 3),
                    "rescored": r.rescored})
