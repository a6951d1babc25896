"""`peakend simulate`, `plan` and `fit`: a hall simulated, staffed per hour, fitted from its own visits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from rich.progress import BarColumn, Progress, TextColumn

from peakend.cli import Bp, Said, Seed, Ws, app, arg, console, opt, show, views, workspace
from peakend.cli.data import ingest_files, score_store
from peakend.i18n import lang, say

ConfigArg = Annotated[list[Path] | None, arg("opt.config", exists=True, dir_okay=False)]
Reps = Annotated[int, opt("opt.reps", min=2)]
Day = Annotated[datetime | None, opt("opt.day.plan", "--day", day=True)]


@app.command("simulate")
def simulate_cmd(config: ConfigArg = None, days: Annotated[int, opt("opt.days", min=1, max=366)] = 1,
                 day: Annotated[datetime, opt("opt.day.first", "--day", day=True)] = datetime(2026, 10, 5),
                 seed: Seed = 0, out: Annotated[Path, opt("opt.sim.out", "--out")] = Path("simulated"),
                 db: Annotated[str | None, opt("opt.sim.db", "--db")] = None, blueprint: Bp = None) -> None:
    with workspace(db or ":memory:", blueprint, create=db is not None) as ws:
        ((name, cfg),) = list(ws.planning.configs(config[:1] if config else None).items())
        with Progress(TextColumn("{task.description}"), BarColumn(), console=console, transient=True) as bar:
            task = bar.add_task(say("simulating", value=name), total=days)
            sim = ws.planning.simulate(cfg, day.date(), days, seed, lambda d: bar.update(task, completed=d))
        files = ws.planning.write(sim, out, name)
        show(views.simulated(sim, ws.planning.summary(sim), days, files, lang()))
        if db:
            ingest_files(ws, files, ws.files.context())
            show(score_store(ws))


@app.command("plan")
def plan_cmd(config: ConfigArg = None, station: Annotated[str | None, opt("opt.station")] = None,
             wait: Annotated[float, opt("opt.target.wait")] = 10.0,
             share: Annotated[float, opt("opt.target.share")] = 0.8,
             rei: Annotated[float, opt("opt.target.rei")] = 75.0,
             abandon: Annotated[float | None, opt("opt.target.abandon", min=0, max=1)] = None,
             reps: Reps = 10, seed: Seed = 0, day: Day = None, blueprint: Bp = None,
             out: Annotated[Path, opt("opt.plan.out", "--out")] = Path("plan")) -> None:
    with workspace(":memory:", blueprint) as ws:
        configs, targets = ws.planning.configs(config), ws.planning.targets(wait, share, rei, abandon)
        for name, cfg in configs.items():
            with console.status("") as status:
                p = ws.planning.plan_written(name, cfg, station, targets, day and day.date(), reps, seed, out,
                                             lambda h, c: status.update(say("plan_hour", hour=h, servers=c)))
            show(views.planned(p, lang()))
        if len(configs) > 1:
            side = ws.planning.side_by_side_written(configs, targets, day and day.date(), reps, seed, out)
            show([(say("side_by_side"), side.round(3))])


@app.command("fit", ws="read+bp")
def fit_cmd(hall: Annotated[str, arg("opt.fit.hall")], ws: Ws,
            like: Annotated[Path | None, opt("opt.fit.like", "--like", exists=True, dir_okay=False)] = None,
            since: Annotated[datetime | None, opt("opt.fit.since", day=True)] = None,
            until: Annotated[datetime | None, opt("opt.fit.until", day=True)] = None, reps: Reps = 5, seed: Seed = 0,
            out: Annotated[Path | None, opt("opt.fit.out", "--out")] = None,
            holdout: Annotated[float, opt("opt.fit.holdout", min=0, max=0.9)] = 0.25) -> Said:
    with console.status(say("fitting", hall=hall)):
        return ws.planning.fit_written(hall, out or Path(f"{hall}.fitted.yaml"), reps, seed, lang(), like,
                                       since and since.date(), until and until.date(), holdout)
