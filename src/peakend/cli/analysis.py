"""`peakend compare`, `calibrate`, `loyalty`, `staff`, `train …`, `report` and `digest`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from peakend.cli import DEFAULT_DB, BpOpt, DbOpt, H, SeedOpt, app, console, err, frame, refuse, show, workspace
from peakend.i18n import lang, say

Folds = Annotated[int, typer.Option(min=2, max=20, help=H("opt.folds"))]
Halls = Annotated[list[str] | None, typer.Option(help=H("opt.hall"))]


@app.command("compare", help=H("cmd.compare"))
def compare_cmd(db: DbOpt = DEFAULT_DB, target: Annotated[str, typer.Option(help=H("opt.target"))] = "overall",
                folds: Folds = 5, seed: SeedOpt = 0,
                fmt: Annotated[str, typer.Option("--format", help=H("opt.format"))] = "table") -> None:
    import json

    if fmt not in ("table", "csv", "json"):
        refuse("--format", "table, csv, json", fmt)
    with workspace(db, create=False) as ws:
        c = ws.analysis.compare(target, folds, seed)
    verdict, shown = c.verdict(), c.table.assign(target=target, metric=c.metric, answers=c.answers, seed=seed)
    if fmt == "csv":
        return console.print(shown.to_csv(index=False), end="", markup=False, highlight=False)
    if fmt == "json":
        body = {"verdict": {"winner": verdict.winner, "model": verdict.model, "p": verdict.p, "zh": verdict.say("zh"),
                            "en": verdict.say("en")}, "models": shown.to_dict("records")}
        return show(json.dumps(body, ensure_ascii=False, indent=1, default=str))
    table = Table("模型 / model", c.metric.upper(), "± sd",
                  title=say("compare_title", target=target, metric=c.metric.upper(), folds=folds, answers=c.answers))
    for r in c.table.itertuples():
        table.add_row(f"{r.name_zh} / {r.name_en}", f"{r.score:.3f}", f"{r.sd:.3f}")
    console.print(table)
    show(verdict.say(lang()))


@app.command("calibrate", help=H("cmd.calibrate"))
def calibrate_cmd(db: DbOpt = DEFAULT_DB, target: Annotated[str, typer.Option(help=H("opt.target"))] = "overall",
                  boot: Annotated[int, typer.Option(min=50, max=10_000, help=H("opt.boot"))] = 400,
                  folds: Folds = 5, seed: SeedOpt = 0,
                  approve: Annotated[bool, typer.Option(help=H("opt.approve"))] = False) -> None:
    with workspace(db, create=False) as ws:
        with console.status(say("scoring", value="calibrate")):
            c = ws.analysis.calibrate(target, boot, folds, seed)
        show(c.say(lang()))
        if approve:
            number, bp = ws.analysis.approve(c)
            w = bp.weights
            show(say("calibrate_saved", peak=w.peak, end=w.end, mean=w.mean, number=number))


@app.command("loyalty", help=H("cmd.loyalty"))
def loyalty_cmd(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None,
                days: Annotated[int | None, typer.Option(min=1, max=730, help=H("opt.days.return"))] = None,
                hall: Halls = None, drivers: Annotated[bool, typer.Option(help=H("opt.drivers"))] = True,
                out: Annotated[Path | None, typer.Option(help=H("opt.out.csvs"), file_okay=False)] = None,
                seed: SeedOpt = 0) -> None:
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
        written = result.write(out)
        show(say("loyalty_written", folder=out, tables=len(written)))


@app.command("staff", help=H("cmd.staff"))
def staff_cmd(db: DbOpt = DEFAULT_DB, hall: Halls = None,
              out: Annotated[Path | None, typer.Option(help=H("opt.out.cards"), dir_okay=False)] = None) -> None:
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
                 blueprint: BpOpt = None, k: Annotated[int, typer.Option(min=1, max=50, help=H("opt.k"))] = 5) -> None:
    with workspace(db, blueprint, create=False) as ws:
        hits = ws.analysis.search(query, k)
    if not hits:
        return show(say("train_none", query=query))
    for rank, (doc, score) in enumerate(hits, start=1):
        kind = "" if doc.kind == "module" else f" ({doc.kind})"
        show(f"{rank}. [{doc.id}]{kind} {getattr(doc.title, lang())} — {score:.2f}\n   {getattr(doc.body, lang())}")


@train_app.command("assign", help=H("cmd.train.assign"))
def train_assign(hall: Annotated[str, typer.Option(help=H("opt.train.hall"))],
                 staff: Annotated[str, typer.Option(help=H("opt.train.staff"))],
                 module: Annotated[str, typer.Option(help=H("opt.train.module"))],
                 on: Annotated[str, typer.Option(help=H("opt.train.on"))], db: DbOpt = DEFAULT_DB,
                 by: Annotated[str, typer.Option(help=H("opt.who"))] = "cli") -> None:
    try:
        day = date.fromisoformat(on)
    except ValueError:
        refuse("--on", "YYYY-MM-DD", on)
    with workspace(db) as ws:
        show(say("coaching_saved", id=ws.analysis.assign(hall, staff, module, day, by)))


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
           out: Annotated[Path, typer.Option("--out", "-o", help=H("opt.report.out"))] = Path("peakend-report.html"),
           pdf: Annotated[bool, typer.Option("--pdf", help=H("opt.report.pdf"))] = False) -> None:
    with workspace(db, blueprint, create=False) as ws:
        with console.status(say("reporting")):
            path = ws.reports.html(out)
        show(say("report_written", value=path.resolve()))
        if pdf:
            with console.status(say("reporting")):
                show(say("pdf_written", value=ws.reports.pdf(path, lang()).resolve()))


@app.command(help=H("cmd.digest"))
def digest(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None,
           out: Annotated[Path | None, typer.Option(help=H("opt.digest.out"))] = None) -> None:
    import smtplib

    from peakend import settings

    with workspace(db, blueprint, create=False) as ws:
        found = ws.reports.digests()
        if not found:
            return show(say("digest_none"))
        if out is not None:
            return show(say("digest_written", count=len(ws.reports.write(found, out)), folder=out))
        host, port = settings.get("smtp_host"), settings.get("smtp_port")
        try:
            sent = ws.reports.send(found)
        except (OSError, smtplib.SMTPException) as exc:
            err.print(say("digest_smtp", host=host, port=port, value=exc), highlight=False)
            raise typer.Exit(1) from None
    show(say("digest_sent", sent=sent, host=host, port=port, without=len(found) - sent))
