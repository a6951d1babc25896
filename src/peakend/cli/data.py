"""`peakend ingest`, `quarantine`, `score`, `export`, and the store's halls, users and device tokens."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from peakend.cli import DEFAULT_DB, BpOpt, DbOpt, H, Who, app, console, err, opt, show, tell_all, workspace
from peakend.i18n import lang, say

if TYPE_CHECKING:
    from peakend.service import Workspace
    from peakend.service.files import FileResult

Customer = Annotated[str, typer.Argument(help=H("opt.customer"))]


@app.command(help=H("cmd.ingest"))
def ingest(files: Annotated[list[Path], typer.Argument(exists=True, help=H("opt.ingest.files"))],
           db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None,
           mapping: Annotated[Path | None, opt("opt.ingest.mapping")] = None,
           kind: Annotated[str | None, opt("opt.ingest.kind")] = None,
           encoding: Annotated[str, opt("opt.ingest.encoding")] = "auto",
           sheet: Annotated[str | None, opt("opt.ingest.sheet")] = None,
           rating_scale: Annotated[str | None, opt("opt.ingest.scale")] = None,
           allow_fractions: Annotated[bool, opt("opt.ingest.fractions")] = False,
           replace: Annotated[bool, opt("opt.ingest.replace")] = False) -> None:
    from peakend.service.files import kind_of

    checked = kind_of(kind)
    with workspace(db, blueprint) as ws:
        ctx = ws.files.context(rating_scale, allow_fractions, replace)
        results = ingest_files(ws, files, ctx, ws.files.mapping(mapping), checked, encoding, sheet)
    if len(results) > 1:
        show(say("ingest_total", files=len(results), stored=sum(r.stored for r in results),
                 quarantined=sum(r.quarantined for r in results)))


def ingest_files(ws: Workspace, files: list[Path], ctx: Any, mapping: Any = None, kind: Any = None,
                 encoding: str = "auto", sheet: str | None = None, quiet: bool = False) -> list[FileResult]:
    """Ingest files with a progress bar each, printing each one's summary, notes and conflicts."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from peakend.service.files import clash_fields
    from peakend.service.views import clash

    results = []
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        def advance(path: Path, part: str | None) -> Any:
            task = bar.add_task(path.name + (f"#{part}" if part else ""), total=path.stat().st_size or None)
            return lambda done, size: bar.update(task, completed=done, total=size)

        for r in ws.files.each(files, ctx, mapping, kind, encoding, sheet, advance):
            results.append(r)
            if quiet:
                continue
            for note in r.notes:
                err.print(note, style="yellow", highlight=False, markup=False)
            show(r.summary())
            for rows, name, message in r.commonest:  # this run's, the first row of each quoted
                err.print(say("ingest_commonest", rows=rows, field=name, message=message[lang()]), highlight=False,
                          markup=False)
            for c in r.clashes:
                said = clash(r.source, c.row, c.kind, c.event_id, c.action, *clash_fields(c), lang())
                err.print(said, highlight=False, markup=False)
    return results


@app.command(help=H("cmd.quarantine"))
def quarantine(db: DbOpt = DEFAULT_DB, limit: Annotated[int, opt("opt.limit")] = 50) -> None:
    from peakend.service.views import quarantined

    with workspace(db, create=False) as ws:
        tell_all(quarantined(*ws.files.quarantined(lang(), limit), lang()))


def score_store(ws: Workspace, full: bool = False) -> None:
    """Score the store (what changed, unless `full`) with a status line, and print what was scored."""
    from peakend.service.views import scored

    with console.status(say("scoring", value="")) as status:
        show(scored(ws.scores.run(full, lambda step: status.update(say("scoring", value=step))), lang()))


@app.command("score", help=H("cmd.score"))
def score_cmd(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None,
              engine: Annotated[str | None, opt("opt.score.engine")] = None,
              lake: Annotated[Path | None, opt("opt.score.lake", file_okay=False)] = None,
              out: Annotated[Path | None, opt("opt.score.out")] = None,
              master: Annotated[str | None, opt("opt.score.master")] = None,
              full: Annotated[bool, opt("opt.score.full", "--full")] = False) -> None:
    from peakend.service.scores import lake_engine
    from peakend.service.views import scored

    used = lake_engine(db, engine, lake)
    with workspace(db, blueprint, create=lake is None) as ws:
        if lake is None:
            return score_store(ws, full)
        with console.status(say("scoring", value=used)) as status:
            r = ws.scores.lake(used, lake, out, master, lambda step: status.update(f"{used}: {step}"))
    tell_all([scored(r, lang()), say("lake_scores", engine=used, folder=out or lake / "scores")])


@app.command("export", help=H("cmd.export"))
def export_cmd(out: Annotated[Path, typer.Argument(help=H("opt.export.out"), file_okay=False)],
               db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db) as ws, console.status(say("exporting", table="", rows="")) as status:
        rows = ws.scores.export(out, lambda t, n: status.update(say("exporting", table=t, rows=f"{n:,}")))
    show(say("exported", rows=", ".join(f"{t} {n:,}" for t, n in rows.items()), folder=out))


hall_app, user_app, token_app = app.group("hall"), app.group("user"), app.group("token")


@hall_app.command("name", help=H("cmd.hall.name"))
def hall_name(hall: Annotated[str, typer.Argument(help=H("opt.hall.id"))], zh: Annotated[str, opt("opt.hall.zh")],
              en: Annotated[str, opt("opt.hall.en")], db: DbOpt = DEFAULT_DB,
              staff: Annotated[bool, opt("opt.hall.staff", "--staff")] = False) -> None:
    from peakend.service.people import hall_names_checked

    zh, en = hall_names_checked(hall, zh, en)
    with workspace(db) as ws:
        (ws.people.name_staff if staff else ws.people.name_hall)(hall, zh, en)
    show(say("staff_named" if staff else "hall_named", hall=hall, zh=zh, en=en))


@hall_app.command("list", help=H("cmd.hall.list"))
def hall_list(db: DbOpt = DEFAULT_DB) -> None:
    from peakend.service.views import halls

    with workspace(db, create=False) as ws:
        tell_all([("", halls(ws.people.halls()))])


@user_app.command("add", help=H("cmd.user.add"))
def user_add(username: Annotated[str, typer.Argument(help=H("opt.user.name"))],
             role: Annotated[str, opt("opt.user.role")],
             hall: Annotated[list[str] | None, opt("opt.user.hall")] = None,
             password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                                   envvar="PEAKEND_PASSWORD", help=H("opt.user.password"))] = "",
             email: Annotated[str | None, opt("opt.user.email")] = None, db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db) as ws:
        ws.people.add_user(username, password, role, hall, email)
    show(say("user_saved", user=username, role=role + (": " + ", ".join(hall) if hall else "")))


@token_app.command("add", help=H("cmd.token.add"))
def token_add(hall: Annotated[str, opt("opt.token.hall")], label: Annotated[str, opt("opt.token.label")] = "",
              sms: Annotated[bool, opt("opt.token.sms", "--sms")] = False, db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db) as ws:
        show(ws.people.add_token(hall, label, "sms" if sms else "device"))


activity_app, customer_app = app.group("activity"), app.group("customer")


@activity_app.command("list", help=H("cmd.activity.list"))
def activity_list(db: DbOpt = DEFAULT_DB, limit: Annotated[int, opt("opt.limit", min=1)] = 50,
                  action: Annotated[str | None, opt("opt.activity.action")] = None) -> None:
    with workspace(db, create=False) as ws:
        tell_all([(say("activity_title"), ws.activity.recent(limit, action))])


@activity_app.command("verify", help=H("cmd.activity.verify"))
def activity_verify(db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db, create=False) as ws:
        show(say("activity_intact", value=ws.activity.intact()))


@customer_app.command("export", help=H("cmd.customer.export"))
def customer_export(who: Customer, out: Annotated[Path, opt("opt.customer.out", "--out", dir_okay=False)],
                    db: DbOpt = DEFAULT_DB, by: Who = "cli") -> None:
    with workspace(db, create=False) as ws:
        show(say("customer_exported", value=ws.rights.export_file(who, out, by), path=out))


@customer_app.command("forget", help=H("cmd.customer.forget"))
def customer_forget(who: Customer, db: DbOpt = DEFAULT_DB, by: Who = "cli") -> None:
    with workspace(db, create=False) as ws:
        done = ws.rights.forget(who, by)
    show(say("customer_forgotten", visits=done.visits, comments=done.comments, replies=done.replies,
             notes=done.notes))
