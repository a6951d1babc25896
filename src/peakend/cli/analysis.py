"""`peakend compare`, `calibrate`, `loyalty`, `staff`, `train …`, `report` and `digest`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from peakend.cli import DEFAULT_DB, BpOpt, DbOpt, H, SeedOpt, app, console, day_opt, err, opt, show, tell_all, workspace
from peakend.errors import BadOption
from peakend.i18n import lang, say

Folds = Annotated[int, opt("opt.folds", min=2, max=20)]
Halls = Annotated[list[str] | None, opt("opt.hall")]
Target = Annotated[str, opt("opt.target")]


@app.command("compare", help=H("cmd.compare"))
def compare_cmd(db: DbOpt = DEFAULT_DB, target: Target = "overall", folds: Folds = 5, seed: SeedOpt = 0,
                fmt: Annotated[str, opt("opt.format", "--format")] = "table") -> None:
    from peakend.service import views

    if fmt not in ("table", "csv", "json"):
        raise BadOption(option="--format", expected="table, csv, json", value=fmt)
    with workspace(db, create=False) as ws:
        c = ws.analysis.compare(target, folds, seed)
    if fmt == "table":
        return tell_all(views.compared(c, target, folds, lang()))
    console.print(views.compared_text(c, target, seed, fmt), end="", markup=False, highlight=False)


@app.command("calibrate", help=H("cmd.calibrate"))
def calibrate_cmd(db: DbOpt = DEFAULT_DB, target: Target = "overall", folds: Folds = 5, seed: SeedOpt = 0,
                  boot: Annotated[int, opt("opt.boot", min=50, max=10_000)] = 400,
                  approve: Annotated[bool, opt("opt.approve")] = False) -> None:
    with workspace(db, create=False) as ws:
        with console.status(say("scoring", value="calibrate")):
            c = ws.analysis.calibrate(target, boot, folds, seed)
        show(c.say(lang()))
        if approve:
            number, bp = ws.analysis.approve(c)
            show(say("calibrate_saved", peak=bp.weights.peak, end=bp.weights.end, mean=bp.weights.mean, number=number))
            if not c.recommend:
                err.print(say("calibrate_approved_anyway"), style="yellow", highlight=False)


@app.command("loyalty", help=H("cmd.loyalty"))
def loyalty_cmd(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None, hall: Halls = None, seed: SeedOpt = 0,
                days: Annotated[int | None, opt("opt.days.return", min=1, max=730)] = None,
                drivers: Annotated[bool, opt("opt.drivers")] = True,
                out: Annotated[Path | None, opt("opt.out.csvs", file_okay=False)] = None) -> None:
    from peakend.service.views import loyalty

    with workspace(db, blueprint, create=False) as ws, console.status(say("loyalty_working")):
        result = ws.analysis.loyalty(frozenset(hall) if hall else None, drivers, seed, days)
        names = ws.blueprint.names(lang())
    tell_all(loyalty(result, names, lang()))
    if out is not None:
        show(say("loyalty_written", folder=out, tables=len(result.write(out))))


@app.command("staff", help=H("cmd.staff"))
def staff_cmd(db: DbOpt = DEFAULT_DB, hall: Halls = None,
              out: Annotated[Path | None, opt("opt.out.cards", dir_okay=False)] = None) -> None:
    from peakend.service.views import MIN_TOUCHES, staff

    with workspace(db, create=False) as ws:
        cards = ws.analysis.staff_cards(frozenset(hall) if hall else None)
    tell_all([(say("staff_title", least=MIN_TOUCHES), staff(cards))])
    if out is not None:
        cards.to_csv(out, index=False, encoding="utf-8")
        show(say("staff_written", path=out))


train_app = app.group("train")


@train_app.command("search", help=H("cmd.train.search"))
def train_search(query: Annotated[str, typer.Argument(help=H("opt.query"))], db: DbOpt = DEFAULT_DB,
                 blueprint: BpOpt = None, k: Annotated[int, opt("opt.k", min=1, max=50)] = 5) -> None:
    from peakend.service.views import found

    with workspace(db, blueprint, create=False) as ws:
        tell_all(found(ws.analysis.search(query, k), query, lang()))


@train_app.command("assign", help=H("cmd.train.assign"))
def train_assign(hall: Annotated[str, opt("opt.train.hall")], staff: Annotated[str, opt("opt.train.staff")],
                 module: Annotated[str, opt("opt.train.module")], on: Annotated[datetime, day_opt("opt.train.on")],
                 db: DbOpt = DEFAULT_DB, by: Annotated[str, opt("opt.who")] = "cli") -> None:
    with workspace(db) as ws:
        show(say("coaching_saved", id=ws.analysis.assign(hall, staff, module, on.date(), by)))


@train_app.command("effects", help=H("cmd.train.effects"))
def train_effects(db: DbOpt = DEFAULT_DB) -> None:
    from peakend.service.views import coaching

    with workspace(db, create=False) as ws:
        tell_all(coaching(ws.analysis.coaching_effects(), lang()))


@train_app.command("list", help=H("cmd.train.list"))
def train_list(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None) -> None:
    from peakend.service.views import modules_listed

    with workspace(db, blueprint, create=False) as ws:
        tell_all(modules_listed(ws.analysis.modules(), ws.blueprint.names(lang()), lang()))


@app.command(help=H("cmd.report"))
def report(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None,
           out: Annotated[Path, opt("opt.report.out", "--out", "-o")] = Path("peakend-report.html"),
           pdf: Annotated[bool, opt("opt.report.pdf", "--pdf")] = False) -> None:
    with workspace(db, blueprint, create=False) as ws, console.status(say("reporting")):
        path = ws.reports.html(out)
        done = ws.reports.pdf(path, lang()) if pdf else None
    show(say("report_written", value=path.resolve()))
    if done is not None:
        show(say("pdf_written", value=done.resolve()))


@app.command(help=H("cmd.digest"))
def digest(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None,
           out: Annotated[Path | None, opt("opt.digest.out")] = None) -> None:
    with workspace(db, blueprint, create=False) as ws:
        found = ws.reports.digests()
        if found and out is not None:
            return show(say("digest_written", count=len(ws.reports.write(found, out)), folder=out))
        show(ws.reports.send(found, lang()) if found else say("digest_none"))
