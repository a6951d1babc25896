"""Simulation and planning as use cases (`ws.planning`): a hall simulated, staff planned per hour, a hall fitted
from its own visits and checked, and the what-if of the hall page — a job (`whatif`): fitting and simulating
take seconds to a minute, so the page shows the last answer and the progress of the next.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from peakend.errors import ConfigError, FitError, PeakendError
from peakend.i18n import Lang, say
from peakend.service.jobs import Answer, Job, Outcome, Progress, job_kind
from peakend.simulate import plan as planner
from peakend.simulate.config import HallConfig, load_config
from peakend.simulate.experience import score as experience_score
from peakend.simulate.fit import Fitted, agreement, check, class_check, fit, observed, split
from peakend.simulate.hall import Day
from peakend.simulate.observed import HOLDOUT
from peakend.simulate.plan import Targets
from peakend.simulate.run import Simulated, simulate, write_events
from peakend.simulate.whatif import FIT_DAYS, MOST_ADDED, BadNumber, Change, by_hour, fitted_now, number, what_if

if TYPE_CHECKING:
    from peakend.service.views import Shown
    from peakend.service.workspace import Workspace

WHATIF_REPS = 5  # simulations behind each what-if figure (page and API alike)
PAGE_FIT = {"fit_no_visits": "whatif_no_visits", "fit_no_names": "whatif_no_names"}  # why no fit, said on a page


class BadChange(PeakendError):
    """A what-if change that cannot be used (a word for a number, a number out of range), said in plain words of
    the reader's language (`reason`): the field as the form labels it, never a parameter's name."""

    key = "whatif_bad_change"

    def __init__(self, bad: BadNumber) -> None:
        super().__init__(name=bad.name, raw=bad.raw[:40], whole=bad.whole, lo=bad.lo, hi=bad.hi)

    def reason(self, lang: Lang | None = None) -> str:
        """Why, in `lang`: which field, what it holds, what it takes."""
        f = self.fields
        key = "change_outside" if f["lo"] is not None else "change_not_whole" if f["whole"] else "change_not_number"
        field = str(f["name"]).split(".")[0]
        return say(key, lang, field=say(f"change_field_{field}", lang), raw=f["raw"], lo=f["lo"], hi=f["hi"])

    def say(self, lang: Lang | None = None) -> str:
        return say(self.key, lang, why=self.reason(lang))

    @property
    def param(self) -> str:
        """The query parameter at fault, which an API caller is told besides the words."""
        return str(self.fields["name"])


@dataclass
class FitReport:
    """A fitted hall and its check against the observed waits per hour."""

    fitted: Fitted
    table: pd.DataFrame
    agreement: Any
    classes: pd.DataFrame | None
    split: dict[str, object] | None = None  # the training window and the held-out days (None: checked in sample)


@dataclass
class Planned:
    """A configuration's staffing plan: its station and day, the plan per hour, the CSV and chart written."""

    config: str
    station: str
    day: date
    table: pd.DataFrame
    files: tuple[Path, Path]


class Planning:
    """Simulation and planning on a workspace's blueprint and store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def configs(self, paths: list[Path] | None) -> dict[str, HallConfig]:
        """Hall configurations by file stem, or the demo's first hall when none is given (ConfigError)."""
        from peakend.demo.generate import HALLS

        if not paths:
            return {HALLS[0].hall_id: HALLS[0].config()}
        return {p.stem: load_config(p, self.ws.blueprint) for p in paths}

    def simulate(self, cfg: HallConfig, first: date, days: int, seed: int,
                 step: Callable[[int], None] = lambda _: None) -> Simulated:
        """Simulated days of a hall: visits, touches, ratings and surveys in the event contract."""
        return simulate(cfg, self.ws.blueprint, first, days, seed, step=step)

    @staticmethod
    def write(sim: Simulated, out: Path, name: str) -> list[Path]:
        """Write simulated events as files the ingest reads."""
        return write_events(sim, out, name)

    def summary(self, sim: Simulated) -> dict[str, float]:
        """A simulation in four figures: mean and p90 wait, share who left a queue, mean predicted REI."""
        _, vs = experience_score(Day(sim.visits, sim.touches), self.ws.blueprint)
        each = planner.per_visit(sim.touches)
        return {"wait": each["wait"].mean(), "p90": each["wait"].quantile(0.9), "abandoned": each["abandoned"].mean(),
                "rei": vs["rei"].mean()}

    @staticmethod
    def targets(wait: float, share: float, rei: float, abandon: float | None) -> Targets:
        """The targets a plan meets: wait within `wait` minutes for `share`, mean REI, at most `abandon` leaving."""
        return Targets(wait, share, rei, abandon)

    def working_day(self, cfg: HallConfig) -> date:
        """The next day from today that is neither a weekend day of the configuration nor a holiday."""
        return working_day(cfg, self.ws.clock().date())

    @staticmethod
    def write_plan(table: pd.DataFrame, targets: Targets, out: Path, name: str) -> tuple[Path, Path]:
        """A plan's table (CSV) and chart (HTML) written into `out`."""
        import altair as alt

        out.mkdir(parents=True, exist_ok=True)
        csv_path, html = out / f"{name}_plan.csv", out / f"{name}_plan.html"
        table.to_csv(csv_path, index=False, encoding="utf-8")
        alt.Chart.from_dict(planner.chart(table, targets)).save(str(html), inline=True)
        return csv_path, html

    @staticmethod
    def write_fit(report: FitReport, out: Path) -> Path:
        """The fitted configuration as YAML at `out` and its check as CSV beside it; the CSV's path."""
        import yaml

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(yaml.safe_dump(report.fitted.cfg.model_dump(exclude_defaults=True, mode="json"),
                                      allow_unicode=True, sort_keys=False), "utf-8")
        csv_path = out.with_name(out.name.removesuffix(".yaml") + ".check.csv")
        report.table.to_csv(csv_path, index=False, encoding="utf-8")
        return csv_path

    def station(self, cfg: HallConfig, name: str, wanted: str | None) -> str:
        """The station to plan: `wanted`, else the one customers queue for (ConfigError for an unknown one)."""
        where = wanted or cfg.queued_station(self.ws.blueprint) or next(iter(cfg.stations), "counter")
        if where not in cfg.stations:
            raise ConfigError(name, [say("no_station", value=where, expected=", ".join(cfg.stations))])
        return where

    def plan(self, cfg: HallConfig, station: str, targets: Targets, day: date, reps: int, seed: int,
             step: Callable[[int, int], None] = lambda _h, _c: None) -> pd.DataFrame:
        """Per hour, the fewest servers meeting the targets (with Erlang-A's answer beside it)."""
        bp = self.ws.blueprint
        _, table = planner.staff(cfg, bp, station, targets, day, reps, seed, step=step)
        table["erlang_a"] = table["hour"].map(planner.erlang_a_servers(cfg, bp, station, targets, day))
        return table

    def plan_written(self, name: str, cfg: HallConfig, station: str | None, targets: Targets, day: date | None,
                     reps: int, seed: int, out: Path,
                     step: Callable[[int, int], None] = lambda _h, _c: None) -> Planned:
        """Plan `station` (default: the one customers queue for) of configuration `name` for `day` (default: its
        next working day), its table and chart written into `out`."""
        where, when = self.station(cfg, name, station), day or self.working_day(cfg)
        table = self.plan(cfg, where, targets, when, reps, seed, step)
        return Planned(name, where, when, table, self.write_plan(table, targets, out, name))

    def side_by_side_written(self, configs: dict[str, HallConfig], targets: Targets, day: date | None, reps: int,
                             seed: int, out: Path) -> pd.DataFrame:
        """Several configurations side by side for `day` (default: the first one's next working day), written as
        `out/compare.csv`."""
        side = self.side_by_side(configs, targets, day or self.working_day(next(iter(configs.values()))), reps, seed)
        side.to_csv(out / "compare.csv", index=False, encoding="utf-8")
        return side

    def side_by_side(self, configs: dict[str, HallConfig], targets: Targets, day: date, reps: int,
                     seed: int) -> pd.DataFrame:
        """Several configurations' figures for one day, side by side."""
        return planner.side_by_side(configs, self.ws.blueprint, targets, day, reps, seed)

    def fit(self, hall: str, base: HallConfig | None, since: date | None, until: date | None, reps: int,
            seed: int, holdout: float = HOLDOUT) -> FitReport:
        """Fit a hall configuration on the hall's stored visits of a training window and check it against the
        observed waits of the held-out days (the last `holdout` share of them; 0, or a single day: in sample)."""
        bp, store = self.ws.blueprint, self.ws.store
        obs = observed(store, hall, since, until)
        parts = split(obs, holdout) if holdout > 0 and len(obs.dates()) > 1 else None
        train, test = (parts.train, parts.test) if parts is not None else (obs, obs)
        fitted = fit(train, bp, base, seed=seed)
        table = check(fitted.cfg, bp, test, reps, seed)
        classes = class_check(fitted.cfg, bp, test, reps, seed) if fitted.cfg.priority else None
        return FitReport(fitted, table, agreement(table, test), classes, parts.describe() if parts else None)

    def fit_written(self, hall: str, out: Path, reps: int, seed: int, lang: Lang, like: Path | None = None,
                    since: date | None = None, until: date | None = None, holdout: float = HOLDOUT) -> Shown:
        """Fit `hall` (starting from the configuration file `like`), write its YAML and its check's CSV at `out`;
        what the fit says (`views.fitted`), then where it was written."""
        from peakend.service import views

        r = self.fit(hall, self.configs([like])[like.stem] if like else None, since, until, reps, seed, holdout)
        return [*views.fitted(r, hall, lang), say("fit_written", lang, config=out, table=self.write_fit(r, out))]

    def whatif(self, hall: str, query: Mapping[str, str]) -> dict[str, Any]:
        """The what-if of `hall`: the change in `query` (ValueError for a bad one) applied to the hall fitted on
        its last weeks, both simulated on its latest day before today beside that day as it happened (FitError: no
        visits)."""
        bp = self.ws.blueprint
        try:
            now = fitted_now(self.ws.store, bp, hall, self.ws.clock().date())
        except FitError as exc:  # the page's reader gets plain words, not the command line's columns and options
            raise FitError(PAGE_FIT.get(exc.key, exc.key), **exc.fields) from None
        try:
            change = Change.from_query(query, now.cfg)
        except BadNumber as exc:
            raise BadChange(exc) from None
        result = what_if(self.ws.store, bp, now, change, reps=WHATIF_REPS)
        return {"result": result, "change": change, "fit_days": FIT_DAYS,
                "fitted": now.cfg.model_dump(mode="json"), "day": now.day}

    def whatif_answer(self, owner: str, hall: str, query: Mapping[str, str]) -> Answer:
        """The what-if of `hall` for the change in `query`, as a job (for pages and the API): BadChange (422) at
        once for a change that is no change at all (a word for a number, a number out of range); one that does not
        fit the hall (a closing hour before it opens) fails the job."""
        change = change_query(query)
        return self.ws.jobs.answer("whatif", {"hall": hall, "change": change}, owner, frozenset([hall]),
                                   self.ws.scores.run_number())

    def whatif_latest(self, hall: str) -> dict[str, Any] | None:
        """The result of the latest what-if of `hall` that finished (whatever its change): what a page's form shows
        while the question asked now is being computed."""
        for job in self.ws.jobs.recent(kinds=("whatif",), limit=50):
            if job.state == "done" and job.params.get("hall") == hall and job.result is not None:
                return job.result
        return None

    @staticmethod
    def wait_target() -> float:
        """The wait (minutes) the plan's default targets count as served in time."""
        return Targets().wait_min

    def whatif_form(self, fitted: dict[str, Any], lang: str) -> dict[str, Any]:
        """What the what-if page's form shows of a fitted hall: its hours and, per station, the moments it serves
        (named in `lang`) and its servers per hour from opening."""
        cfg = HallConfig.model_validate(fitted)
        bp = self.ws.blueprint
        known = set(bp.moment_ids())
        return {"opens": cfg.opens, "closes": cfg.closes,
                "stations": [{"name": k, "counts": v.schedule(cfg.opens, cfg.closes),
                              "label": " · ".join(getattr(bp.moment(m), lang) if m in known else m
                                                  for m in v.moments)} for k, v in cfg.stations.items()]}


def fit_gap(days: pd.DataFrame) -> tuple[float, float] | None:
    """The day's mean wait by the fitted model (`now`) and as it happened (`today`), when they differ by more than
    2 minutes and half the observed wait: the model does not reproduce the day and its what-ifs are not to be
    relied on (None: close enough, or no waits to compare)."""
    wait = days.set_index("series")["wait"] if {"series", "wait"} <= set(days.columns) else pd.Series(dtype=float)
    model, happened = wait.get("now"), wait.get("today")
    if model is None or happened is None or pd.isna(model) or pd.isna(happened):
        return None
    return (float(model), float(happened)) if abs(model - happened) > max(2.0, 0.5 * happened) else None


def change_query(query: Mapping[str, str]) -> dict[str, str]:
    """The what-if change a query asks for (`add.<station>`, `divert_at`, `closes`; empty ones left out), each
    checked as a number in its range (BadChange naming the first that is not); stations are checked by the job."""
    limits: dict[str, tuple[bool, float, float]] = {"divert_at": (False, 0.5, 50), "closes": (True, 1, 24)}
    out = {}
    for name, raw in query.items():
        raw = str(raw).strip()
        if not raw or not (name.startswith("add.") or name in limits):
            continue
        try:
            number(name, raw, *limits.get(name, (True, -MOST_ADDED, MOST_ADDED)))
        except BadNumber as exc:
            raise BadChange(exc) from None
        out[name] = raw
    return dict(sorted(out.items()))


@job_kind("whatif")
def whatif_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """A what-if as a job: the fitted and changed configurations, the day's figures, and each hour's."""
    progress(step="fit")
    found = ws.planning.whatif(job.params["hall"], job.params["change"])
    result = found["result"]
    return Outcome({"day": str(found["day"]), "fitted": found["fitted"], "fit_days": found["fit_days"],
                    "changed": result.whatif.model_dump(mode="json"), "can_divert": result.can_divert,
                    "waits": result.waits,
                    "change": found["change"].query()},
                   {"day_figures": result.day_figures, "hours": result.hours, "by_hour": by_hour(result)})


def working_day(cfg: HallConfig, today: date) -> date:
    """The next day after `today` that is neither a weekend day of the configuration nor a holiday."""
    day = today + timedelta(days=1)
    while cfg.is_weekend(day):
        day += timedelta(days=1)
    return day
