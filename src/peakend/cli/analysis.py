"""`peakend compare`, `calibrate`, `loyalty`, `staff`, `train …`, `report` and `digest`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from peakend.cli import Halls, Said, Seed, Who, Ws, app, arg, console, opt, show, views
from peakend.i18n import lang, say

train_app = app.group("train")
Folds = Annotated[int, opt("opt.folds", min=2, max=20)]
Target = Annotated[str, opt("opt.target")]


@app.command("compare", ws="read")
def compare_cmd(ws: Ws, target: Target = "overall", folds: Folds = 5, seed: Seed = 0,
                fmt: Annotated[str, opt("opt.format", "--format")] = "table") -> Said:
    views.format_checked(fmt)
    return views.compared_as(ws.analysis.compare(target, folds, seed), target, folds, seed, fmt, lang())


@app.command("calibrate", ws="read")
def calibrate_cmd(ws: Ws, target: Target = "overall", folds: Folds = 5, seed: Seed = 0,
                  boot: Annotated[int, opt("opt.boot", min=50, max=10_000)] = 400,
                  approve: Annotated[bool, opt("opt.approve")] = False) -> Said:
    with console.status(say("scoring", value="calibrate")):
        c = ws.analysis.calibrate(target, boot, folds, seed)
    show(c.say(lang()))
    return views.approved(*ws.analysis.approve(c), c.recommend, lang()) if approve else None


@app.command("loyalty", ws="read+bp")
def loyalty_cmd(ws: Ws, hall: Halls = None, seed: Seed = 0,
                days: Annotated[int | None, opt("opt.days.return", min=1, max=730)] = None,
                drivers: Annotated[bool, opt("opt.drivers")] = True,
                out: Annotated[Path | None, opt("opt.out.csvs", file_okay=False)] = None) -> Said:
    with console.status(say("loyalty_working")):
        result = ws.analysis.loyalty(frozenset(hall) if hall else None, drivers, seed, days)
    return views.loyalty(result, ws.blueprint.names(lang()), lang(), out)


@app.command("staff", ws="read")
def staff_cmd(ws: Ws, hall: Halls = None,
              out: Annotated[Path | None, opt("opt.out.cards", dir_okay=False)] = None) -> Said:
    return views.staff_cards(ws.analysis.staff_cards(frozenset(hall) if hall else None), lang(), out)


@train_app.command("search", ws="read+bp")
def train_search(query: Annotated[str, arg("opt.query")], ws: Ws,
                 k: Annotated[int, opt("opt.k", min=1, max=50)] = 5) -> Said:
    return views.found(hits := ws.analysis.search(query, k), "" if hits else ws.analysis.miss(query, lang()), lang())


@train_app.command("assign", ws="write")
def train_assign(hall: Annotated[str, opt("opt.train.hall")], staff: Annotated[str, opt("opt.train.staff")],
                 module: Annotated[str, opt("opt.train.module")],
                 on: Annotated[datetime, opt("opt.train.on", day=True)], ws: Ws, by: Who = "cli") -> Said:
    return say("coaching_saved", id=ws.analysis.assign(hall, staff, module, on.date(), by))


@train_app.command("effects", ws="read")
def train_effects(ws: Ws) -> Said:
    return views.coaching(ws.analysis.coaching_effects(), lang())


@train_app.command("list", ws="read+bp")
def train_list(ws: Ws) -> Said:
    return views.modules_listed(ws.analysis.modules(), ws.blueprint.names(lang()), lang())


@app.command(ws="read+bp")
def report(ws: Ws, out: Annotated[Path, opt("opt.report.out", "--out", "-o")] = Path("peakend-report.html"),
           pdf: Annotated[bool, opt("opt.report.pdf", "--pdf")] = False) -> Said:
    with console.status(say("reporting")):
        return ws.reports.written(out, pdf, lang())


@app.command(ws="read+bp")
def digest(ws: Ws, out: Annotated[Path | None, opt("opt.digest.out")] = None) -> Said:
    return ws.reports.deliver(out, lang())
