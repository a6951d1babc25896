"""What the scores say, as use cases (`ws.analysis`): model comparison and the verdict, calibrated weights,
loyalty, staff scorecards, coaching and the training search. The verdicts a page shows are a job (`verdicts`):
cross-validation takes seconds, so a page shows the last one and the progress of the next.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from peakend import settings
from peakend.errors import BadOption
from peakend.i18n import Lang, say
from peakend.ingest.privacy import key_text
from peakend.loyalty.summary import Loyalty, loyalty
from peakend.scoring import coaching
from peakend.scoring.calibrate import Calibration, calibrate, with_weights
from peakend.scoring.compare import (
    TARGETS,
    Comparison,
    Difference,
    Target,
    Verdict,
    compare_all,
    compare_models,
    survey_frame,
    verdicts,
)
from peakend.scoring.staff import scorecards
from peakend.service.jobs import Answer, Job, Outcome, Progress, job_kind
from peakend.text import training

if TYPE_CHECKING:
    from peakend.blueprint.model import Blueprint
    from peakend.service.workspace import Workspace


class UnknownTarget(BadOption):
    """A survey answer that is not one the comparison knows."""


class Analysis:
    """Analyses of a workspace's scored store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    # -- does peak + end predict better than the mean? ------------------------------------------------------
    def compare(self, target: str = "overall", folds: int = 5, seed: int = 0) -> Comparison:
        """Cross-validated models of the survey answer `target` (TooFewAnswers, AnswerDoesNotVary, NotScored)."""
        if target not in TARGETS:
            raise UnknownTarget(option="--target", expected=", ".join(TARGETS), value=target)
        self.ws.scores.require()
        return compare_models(survey_frame(self.ws.store), cast(Target, target), folds, seed)

    def verdicts(self, halls: frozenset[str] | None) -> list[Verdict]:
        """The verdict on every survey answer with enough answers, on the visits of `halls` (None: all)."""
        self.ws.scores.require()
        return verdicts(self.ws.store, set(halls) if halls is not None else None)

    def verdicts_answer(self, owner: str, halls: frozenset[str] | None) -> tuple[list[Verdict] | None, Answer]:
        """The last verdicts computed for `halls` (None while there are none) and the job bringing them up to
        the latest scoring run (for pages)."""
        found = self.ws.jobs.answer("verdicts", {}, owner, halls, self.ws.scores.run_number())
        shown = found.result
        return (None if shown is None else [_verdict(v) for v in shown["verdicts"]]), found

    def last_verdicts(self, halls: frozenset[str] | None) -> list[Verdict] | None:
        """The last verdicts computed for `halls`, however old (None: none yet); nothing is started."""
        last = self.ws.jobs.last("verdicts", {}, halls)
        shown = None if last is None else last.result
        return None if shown is None else [_verdict(v) for v in shown["verdicts"]]

    def findings(self) -> tuple[pd.DataFrame, list[Verdict]]:
        """Every answer's model comparison (a table) and verdict on the whole network, computed once per scoring
        run: the network's `verdicts` job when it is of the current run, else that job run here now (so the network
        page shows what a report computed, and a second report computes nothing)."""
        run = self.ws.scores.run_number()
        last = self.ws.jobs.last("verdicts", {}, None)
        if last is None or last.state != "done" or last.basis < run:
            last = self.ws.jobs.run_here("verdicts", {}, "report", None, basis=run)
        table = self.ws.jobs.frames(last.job_id).get("comparison") if last.state == "done" else None
        if table is None or last.result is None:  # failed, or kept before tables were: computed here, errors raised
            return compare_all(self.ws.store)
        return table, [_verdict(v) for v in last.result["verdicts"]]

    def weights_said(self, found: list[Verdict] | None, lang: Lang) -> tuple[str, str | None]:
        """The weights REI runs on, in one sentence, and — when this store's own verdict says the plain mean predicts
        an answer better while REI weighs the mean under half — a warning saying so, pointing to the calibration."""
        w, n = self.ws.blueprint.weights, self.ws.in_force.number
        said = say("weights_in_force" if n else "weights_built_in", lang, peak=w.peak, end=w.end, mean=w.mean, number=n)
        against = [v for v in found or [] if v.winner == "mean"]
        if not against or w.mean >= 0.5:
            return said, None
        return said, say("weights_contradicted", lang, target=", ".join(v.target for v in against))

    # -- weights fitted to the answers ------------------------------------------------------------------------
    def calibrate(self, target: str = "overall", boot: int = 400, folds: int = 5, seed: int = 0) -> Calibration:
        """Peak, end and mean weights fitted to the answers, with intervals and an out-of-sample test."""
        if target not in TARGETS:
            raise UnknownTarget(option="--target", expected=", ".join(TARGETS), value=target)
        self.ws.scores.require()
        return calibrate(survey_frame(self.ws.store), target, boot, folds, seed)

    def approve(self, c: Calibration, who: str = "calibrate", today: date | None = None) -> tuple[int, Blueprint]:
        """Save calibrated weights as the store's next blueprint version; its number and the blueprint."""
        note = (f"fitted by peakend calibrate on {c.answers} answers to {c.target}, {today or date.today()}, seed "
                f"{c.seed}; {c.metric} {c.scores['fitted']:.3f} vs {c.scores['peak_end']:.3f} for 0.5/0.5/0")
        return self.ws.blueprints.save(with_weights(self.ws.blueprints.yaml(), c.weights, note), who)

    # -- loyalty, staff, coaching ------------------------------------------------------------------------------
    def loyalty(self, halls: frozenset[str] | None = None, drivers: bool = True, seed: int = 0,
                days: int | None = None, fitted: bool = True) -> Loyalty:
        """Loyalty index, NPS, returns and lapses, what drives them, what a bad moment costs (`days`: the return
        window instead of the blueprint's)."""
        self.ws.scores.require()
        bp = self.ws.blueprint
        if days is not None:
            bp = bp.model_copy(update={"loyalty": bp.loyalty.model_copy(update={"return_days": days})})
        return loyalty(self.ws.store, bp, set(halls) if halls is not None else None, drivers, seed, fitted=fitted)

    def staff_cards(self, halls: frozenset[str] | None = None, staff: str | None = None) -> pd.DataFrame:
        """Staff scorecards of `halls` (None: all), only `staff`'s when given, fairly ranked."""
        self.ws.scores.require()
        return scorecards(self.ws.store, set(halls) if halls is not None else None, staff)

    def coaching_effects(self, halls: frozenset[str] | None = None) -> pd.DataFrame:
        """Each coaching assignment of `halls` with its measured effect (difference in differences)."""
        self.ws.scores.require()
        modules = {m.id: m.moments for m in training.library().modules}
        return coaching.effects(self.ws.store, modules, set(halls) if halls is not None else None)

    def assign(self, hall: str, staff: str, module: str, trained_on: date, by: str) -> str:
        """Record that `staff` of `hall` was trained on `module` on a day; the assignment's id (UnknownModule)."""
        if module not in {m.id for m in training.library().modules}:
            raise UnknownTarget(option="--module", expected="`peakend train list`", value=module)
        return coaching.assign(self.ws.store, hall, key_text(self.ws.store, staff) or staff, module, trained_on, by)

    # -- the training search -----------------------------------------------------------------------------------
    def engine(self) -> training.Engine:
        """The training search engine of the blueprint in force and the library file (made once per pair)."""
        bp = self.ws.blueprint
        key = (bp.id, bp.version, bp.model_dump_json(), _library_stamp())
        if _engines.get("key") != key:
            _engines.clear()
            _engines.update(key=key, engine=training.engine(bp))
        return cast(training.Engine, _engines["engine"])

    def search(self, query: str, k: int = 5) -> list[tuple[training.Doc, float]]:
        """Training modules and the blueprint's guidance best matching `query`, best first."""
        return self.engine().search(query, k=k)

    def miss(self, query: str, lang: Lang) -> str:
        """Why a training search for `query` found nothing, in `lang`: the words it looked for (or that it had only
        common words), how many items it searched, and a moment's name to try instead."""
        engine, bp = self.engine(), self.ws.blueprint
        looked = engine.searched(query)
        example = getattr(bp.moments[0], lang) if bp.moments else ""
        if not engine.docs:
            return say("no_results_empty", lang)
        if not looked:
            return say("no_results_common", lang, q=query, example=example)
        return say("no_results_words", lang, docs=len(engine.docs), example=example,
                   words=("、" if lang == "zh" else ", ").join(looked))

    def what_to_train(self, moment: str | None, lang: str, k: int = 3) -> list[dict[str, Any]]:
        """The modules to train for `moment` (none for no moment), as pages show them."""
        bp = self.ws.blueprint
        if moment not in bp.moment_ids():
            return []
        return [training.shown(d, lang) for d in training.for_moment(self.engine(), bp, str(moment), k=k)]

    def modules(self) -> list[training.Module]:
        """The training modules of the library for the store's service (`training.serving`)."""
        return training.serving(training.library(), self.ws.blueprint)


_engines: dict[str, object] = {}


def _verdict(kept: dict[str, Any]) -> Verdict:
    """A verdict as a job kept it (JSON): its nested difference made a `Difference` again."""
    best = kept.get("best_diff")
    return Verdict(**{**kept, "best_diff": Difference(**best) if isinstance(best, dict) else best})


@job_kind("verdicts")
def verdicts_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """The verdicts of the job's halls, as a job; the network's (no halls) with every model's comparison, the table
    the report shows."""
    progress(step="verdicts")
    if job.halls is not None:
        return Outcome({"verdicts": [dataclasses.asdict(v) for v in ws.analysis.verdicts(job.halls)]})
    ws.scores.require()
    table, found = compare_all(ws.store)
    return Outcome({"verdicts": [dataclasses.asdict(v) for v in found]}, {"comparison": table})


def _library_stamp() -> tuple[str, float]:
    """Which training library file is named (PEAKEND_TRAINING) and when it last changed: a new one is re-read."""
    where = settings.get("training") or ""
    try:
        return where, os.stat(where).st_mtime if where else 0.0
    except OSError:
        return where, -1.0
