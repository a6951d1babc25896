"""`peakend compare`, `calibrate`, `loyalty`, `staff`, `train …`, `report` and `digest`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from peakend.cli import (
    DEFAULT_DB,
    BpOpt,
    DbOpt,
    H,
    SeedOpt,
    app,
    console,
    day_opt,
    err,
    frame,
    opt,
    refuse,
    show,
    workspace,
)
from peakend.i18n import lang, say

Folds = Annotated[int, opt("opt.folds", min=2, max=20)]
Halls = Annotated[list[str] | None, opt("opt.hall")]
Target = Annotated[str, opt("opt.target")]


@app.command("compare", help=H("cmd.compare"))
def compare_cmd(db: DbOpt = DEFAULT_DB, target: Target = "overall", folds: Folds = 5, seed: SeedOpt = 0,
                fmt: Annotated[str, opt("opt.format", "--format")] = "table") -> None:
    import json

    from peakend.service.views import models

    if fmt not in ("table", "csv", "json"):
        refuse("--format", "table, csv, json", fmt)
    with workspace(db, create=False) as ws:
        c = ws.analysis.compare(target, folds, seed)
    verdict, shown = c.verdict(), c.table.assign(target=target, metric=c.metric, answers=c.answers, seed=seed)
    if fmt == "csv":
        return console.print(shown.to_csv(index=False), end="", markup=False, highlight=False)
    if fmt == "json":
        keep = ("winner", "model", "p", "diff", "low", "high", "tested", "repeats", "folds", "best", "best_score")
        body = {"verdict": {**{k: getattr(verdict, k) for k in keep}, "zh": verdict.say("zh"), "en": verdict.say("en")},
                "models": shown.to_dict("records")}
        return show(json.dumps(body, ensure_ascii=False, indent=1, default=str))
    frame(models(c.table), say("compare_title", target=target, metric=c.metric.upper(), repeats=c.repeats, folds=folds,
                               answers=c.answers))
    show(verdict.say(lang()))


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
    if result.days < result.asked:
        show(say("loyalty_window", asked=result.asked, days=result.days))
    tables, sentences = loyalty(result, names, lang())
    for key, table in tables[:2]:
        frame(table, say(key, days=result.days))
    for sentence in sentences:
        show(sentence)
    for key, table in tables[2:]:
        frame(table, say("loyalty_drivers", target=key.split(":")[1]))
    if out is not None:
        show(say("loyalty_written", folder=out, tables=len(result.write(out))))


@app.command("staff", help=H("cmd.staff"))
def staff_cmd(db: DbOpt = DEFAULT_DB, hall: Halls = None,
              out: Annotated[Path | None, opt("opt.out.cards", dir_okay=False)] = None) -> None:
    from peakend.service.views import MIN_TOUCHES, staff

    with workspace(db, create=False) as ws:
        cards = ws.analysis.staff_cards(frozenset(hall) if hall else None)
    frame(staff(cards), say("staff_title", least=MIN_TOUCHES))
    if out is not None:
        cards.to_csv(out, index=False, encoding="utf-8")
        show(say("staff_written", path=out))


train_app = app.group("train")


@train_app.command("search", help=H("cmd.train.search"))
def train_search(query: Annotated[str, typer.Argument(help=H("opt.query"))], db: DbOpt = DEFAULT_DB,
                 blueprint: BpOpt = None, k: Annotated[int, opt("opt.k", min=1, max=50)] = 5) -> None:
    with workspace(db, blueprint, create=False) as ws:
        hits = ws.analysis.search(query, k)
    if not hits:
        return show(say("train_none", query=query))
    for rank, (doc, score) in enumerate(hits, start=1):
        kind = "" if doc.kind == "module" else f" ({doc.kind})"
        show(f"{rank}. [{doc.id}]{kind} {getattr(doc.title, lang())} — {score:.2f}\n   {getattr(doc.body, lang())}")


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
        found = ws.analysis.coaching_effects()
    if found.empty:
        return show(say("coaching_none"))
    frame(coaching(found, lang()), say("coaching_title"))


@train_app.command("list", help=H("cmd.train.list"))
def train_list(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None) -> None:
    with workspace(db, blueprint, create=False) as ws:
        names = ws.blueprint.names(lang())
        for m in ws.analysis.modules():
            show(f"[{m.id}] {getattr(m.title, lang())} — {', '.join(names.get(x, x) for x in m.moments)}")


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
    import smtplib

    from peakend import settings

    with workspace(db, blueprint, create=False) as ws:
        found = ws.reports.digests()
        if not found or out is not None:
            return show(say("digest_written", count=len(ws.reports.write(found, out)), folder=out) if found and out
                        else say("digest_none"))
        host, port = settings.get("smtp_host"), settings.get("smtp_port")
        try:
            sent = ws.reports.send(found)
        except (OSError, smtplib.SMTPException) as exc:
            err.print(say("digest_smtp", host=host, port=port, value=exc), highlight=False)
            raise typer.Exit(1) from None
    show(say("digest_sent", sent=sent, host=host, port=port, without=len(found) - sent))
