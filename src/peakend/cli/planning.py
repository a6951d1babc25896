"""`peakend simulate`, `plan` and `fit`: a hall simulated, staffed per hour, fitted from its own visits."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from peakend.cli import DEFAULT_DB, BpOpt, DbOpt, H, SeedOpt, app, console, day_opt, opt, show, tell_all, workspace
from peakend.i18n import lang, say

if TYPE_CHECKING:
    from peakend.service import Workspace

ConfigArg = Annotated[list[Path] | None, typer.Argument(help=H("opt.config"), exists=True, dir_okay=False)]
Reps = Annotated[int, opt("opt.reps", min=2)]
Day = Annotated[datetime | None, day_opt("opt.day.plan", "--day")]


@app.command("simulate", help=H("cmd.simulate"))
def simulate_cmd(config: ConfigArg = None, days: Annotated[int, opt("opt.days", min=1, max=366)] = 1,
                 day: Annotated[datetime, day_opt("opt.day.first", "--day")] = datetime(2026, 10, 5),
                 seed: SeedOpt = 0, out: Annotated[Path, opt("opt.sim.out", "--out")] = Path("simulated"),
                 db: Annotated[str | None, opt("opt.sim.db", "--db")] = None, blueprint: BpOpt = None) -> None:
    from rich.progress import BarColumn, Progress, TextColumn

    from peakend.cli.data import ingest_files, score_store
    from peakend.service.views import simulated

    with workspace(db or ":memory:", blueprint, create=db is not None) as ws:
        ((name, cfg),) = list(ws.planning.configs(config[:1] if config else None).items())
        with Progress(TextColumn("{task.description}"), BarColumn(), console=console, transient=True) as bar:
            task = bar.add_task(say("simulating", value=name), total=days)
            sim = ws.planning.simulate(cfg, day.date(), days, seed, lambda d: bar.update(task, completed=d))
        files = ws.planning.write(sim, out, name)
        tell_all(simulated(sim, ws.planning.summary(sim), days, files, lang()))
        if db:
            ingest_files(ws, files, ws.files.context())
            score_store(ws)


@app.command("plan", help=H("cmd.plan"))
def plan_cmd(config: ConfigArg = None, station: Annotated[str | None, opt("opt.station")] = None,
             wait: Annotated[float, opt("opt.target.wait")] = 10.0,
             share: Annotated[float, opt("opt.target.share")] = 0.8,
             rei: Annotated[float, opt("opt.target.rei")] = 75.0,
             abandon: Annotated[float | None, opt("opt.target.abandon", min=0, max=1)] = None,
             reps: Reps = 10, seed: SeedOpt = 0, day: Day = None, blueprint: BpOpt = None,
             out: Annotated[Path, opt("opt.plan.out", "--out")] = Path("plan")) -> None:
    from peakend.service.views import planned

    with workspace(":memory:", blueprint) as ws:
        configs, targets = ws.planning.configs(config), ws.planning.targets(wait, share, rei, abandon)
        for name, cfg in configs.items():
            with console.status("") as status:
                p = ws.planning.plan_written(name, cfg, station, targets, day and day.date(), reps, seed, out,
                                             lambda h, c: status.update(say("plan_hour", hour=h, servers=c)))
            tell_all(planned(p, lang()))
        if len(configs) > 1:
            side = ws.planning.side_by_side_written(configs, targets, day and day.date(), reps, seed, out)
            tell_all([(say("side_by_side"), side.round(3))])


@app.command("fit", help=H("cmd.fit"))
def fit_cmd(hall: Annotated[str, typer.Argument(help=H("opt.fit.hall"))], db: DbOpt = DEFAULT_DB,
            like: Annotated[Path | None, opt("opt.fit.like", "--like", exists=True, dir_okay=False)] = None,
            since: Annotated[datetime | None, day_opt("opt.fit.since")] = None,
            until: Annotated[datetime | None, day_opt("opt.fit.until")] = None, reps: Reps = 5, seed: SeedOpt = 0,
            out: Annotated[Path | None, opt("opt.fit.out", "--out")] = None, blueprint: BpOpt = None,
            holdout: Annotated[float, opt("opt.fit.holdout", min=0, max=0.9)] = 0.25) -> None:
    with workspace(db, blueprint, create=False) as ws:
        base = ws.planning.configs([like])[like.stem] if like else None
        fit_hall(ws, hall, base, since and since.date(), until and until.date(), reps, seed,
                 out or Path(f"{hall}.fitted.yaml"), holdout)


def fit_hall(ws: Workspace, hall: str, base: Any, since: date | None, until: date | None, reps: int, seed: int,
             out: Path, holdout: float = 0.25) -> None:
    """Fit `hall`, print its notes, capacity and hourly check, write the YAML and the check's CSV."""
    from peakend.service.views import fitted

    with console.status(say("fitting", hall=hall)):
        r = ws.planning.fit(hall, base, since, until, reps, seed, holdout)
    tell_all(fitted(r, hall, lang()))
    show(say("fit_written", config=out, table=ws.planning.write_fit(r, out)))
