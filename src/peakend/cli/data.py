"""`peakend ingest`, `quarantine`, `score`, `export`, and the store's halls, users and device tokens."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from peakend.cli import DEFAULT_DB, BpOpt, DbOpt, H, app, console, err, opt, refuse, show, workspace
from peakend.i18n import WORDS, lang, say

if TYPE_CHECKING:
    from peakend.service import Workspace
    from peakend.service.files import FileResult


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
    if kind not in (None, "touch", "visit", "survey", "audit"):
        refuse("--kind", "touch, visit, survey, audit", kind)
    with workspace(db, blueprint) as ws:
        ctx = ws.files.context(rating_scale, allow_fractions, replace)
        results = ingest_files(ws, files, ctx, ws.files.mapping(mapping), kind, encoding, sheet)
    if len(results) > 1:
        show(say("ingest_total", files=len(results), stored=sum(r.stored for r in results),
                 quarantined=sum(r.quarantined for r in results)))


def ingest_files(ws: Workspace, files: list[Path], ctx: Any, mapping: Any = None, kind: Any = None,
                 encoding: str = "auto", sheet: str | None = None, quiet: bool = False) -> list[FileResult]:
    """Ingest files with a progress bar each, printing each one's summary, notes and conflicts."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from peakend.service.files import clash_fields

    results = []
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        def advance(path: Path, part: str | None) -> Any:
            task = bar.add_task(path.name + (f"#{part}" if part else ""), total=path.stat().st_size or None)
            return lambda done, size: bar.update(task, completed=done, total=size)

        for r in ws.files.each(files, ctx, mapping, kind, encoding, sheet, advance):
            results.append(r)
            for note in [] if quiet else r.notes:
                err.print(note, style="yellow", highlight=False, markup=False)
            if not quiet:
                show(r.summary())
            for c in [] if quiet else r.clashes:
                before, sent = clash_fields(c)
                err.print(say("clash", source=r.source, row=c.row, kind=say(f"kind_{c.kind}"), value=c.event_id,
                              action=say(f"clash_{c.action}"), before=before, sent=sent), highlight=False,
                          markup=False)
    return results


@app.command(help=H("cmd.quarantine"))
def quarantine(db: DbOpt = DEFAULT_DB, limit: Annotated[int, opt("opt.limit")] = 50) -> None:
    with workspace(db, create=False) as ws:
        rows, clashes = ws.files.quarantined(lang(), limit)
    for action, msg in rows.itertuples(index=False):
        show(f"[{WORDS['action_' + (action or 'rejected')][lang()]}] {msg}")
    show(say("shown", value=len(rows)))
    for c in clashes.itertuples(index=False):
        show(say("clash", source=c.source, row=c.row_number, kind=say(f"kind_{c.kind}"), value=c.event_id,
                 action=say(f"clash_{c.action}"), before=c.stored_diff, sent=c.sent_diff))


def score_store(ws: Workspace, full: bool = False) -> None:
    """Score the store (what changed, unless `full`) with a status line, and print what was scored."""
    with console.status(say("scoring", value="")) as status:
        r = ws.scores.run(full, lambda step: status.update(say("scoring", value=step)))
    said = say("scored", visits=r.visits, touches=r.touches, halls=r.halls, seconds=r.seconds)
    show(said + ("; " + say("rescored", value=f"{r.rescored:,}") if r.rescored is not None else ""))


@app.command("score", help=H("cmd.score"))
def score_cmd(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None,
              engine: Annotated[str | None, opt("opt.score.engine")] = None,
              lake: Annotated[Path | None, opt("opt.score.lake", file_okay=False)] = None,
              out: Annotated[Path | None, opt("opt.score.out")] = None,
              master: Annotated[str | None, opt("opt.score.master")] = None,
              full: Annotated[bool, opt("opt.score.full", "--full")] = False) -> None:
    from peakend.service import backend_of

    if engine not in (None, "duckdb", "postgres", "spark"):
        err.print(say("bad_engine", engine=engine))
        raise typer.Exit(2)
    backend = "lake" if lake is not None else backend_of(db)
    if (engine == "postgres" and backend != "postgres") or (lake is None and engine not in (None, backend)):
        err.print(say("engine_needs_lake", engine=engine, backend=backend))
        raise typer.Exit(2)
    with workspace(db, blueprint, create=lake is None) as ws:
        if lake is None:
            return score_store(ws, full)
        used = engine or "duckdb"
        with console.status(say("scoring", value=used)) as status:
            r = ws.scores.lake(used, lake, out, master, lambda step: status.update(f"{used}: {step}"))  # type: ignore[arg-type]
    show(say("scored", visits=r.visits, touches=r.touches, halls=r.halls, seconds=r.seconds))
    show(say("lake_scores", engine=used, folder=out or lake / "scores"))


@app.command("export", help=H("cmd.export"))
def export_cmd(out: Annotated[Path, typer.Argument(help=H("opt.export.out"), file_okay=False)],
               db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db) as ws, console.status(say("exporting", table="", rows="")) as status:
        rows = ws.scores.export(out, lambda t, n: status.update(say("exporting", table=t, rows=f"{n:,}")))
    show(say("exported", rows=", ".join(f"{t} {n:,}" for t, n in rows.items()), folder=out))


hall_app, user_app, token_app = app.group("hall"), app.group("user"), app.group("token")


@hall_app.command("name", help=H("cmd.hall.name"))
def hall_name(hall: Annotated[str, typer.Argument(help=H("opt.hall.id"))], zh: Annotated[str, opt("opt.hall.zh")],
              en: Annotated[str, opt("opt.hall.en")], db: DbOpt = DEFAULT_DB) -> None:
    if not (zh.strip() and en.strip()) or max(len(zh), len(en), len(hall)) > 200:
        refuse("--zh/--en", "1–200 characters each", f"{zh} / {en}")
    with workspace(db) as ws:
        ws.people.name_hall(hall, zh.strip(), en.strip())
    show(say("hall_named", hall=hall, zh=zh.strip(), en=en.strip()))


@hall_app.command("list", help=H("cmd.hall.list"))
def hall_list(db: DbOpt = DEFAULT_DB) -> None:
    from rich.table import Table

    table = Table("id", "中文", "English", box=None)
    with workspace(db, create=False) as ws:
        for hall, zh, en in ws.people.halls():
            table.add_row(hall, zh or "-", en or "-")
    console.print(table)


@user_app.command("add", help=H("cmd.user.add"))
def user_add(username: str, role: Annotated[str, opt("opt.user.role")],
             hall: Annotated[list[str] | None, opt("opt.user.hall")] = None,
             password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                                   envvar="PEAKEND_PASSWORD")] = "",
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
    from peakend.cli import frame

    with workspace(db, create=False) as ws:
        frame(ws.activity.recent(limit, action), say("activity_title"))


@activity_app.command("verify", help=H("cmd.activity.verify"))
def activity_verify(db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db, create=False) as ws:
        found = ws.activity.verify()
    if not found.intact:
        err.print(say("activity_broken", value=found.broken_at), highlight=False)
        raise typer.Exit(1)
    show(say("activity_intact", value=found.rows))


@customer_app.command("export", help=H("cmd.customer.export"))
def customer_export(who: Annotated[str, typer.Argument(help=H("opt.customer"))],
                    out: Annotated[Path, opt("opt.customer.out", "--out", dir_okay=False)], db: DbOpt = DEFAULT_DB,
                    by: Annotated[str, opt("opt.who")] = "cli") -> None:
    import json

    with workspace(db, create=False) as ws:
        found = ws.rights.export(who)
        ws.activity.record(by, "customer_export", None, {"visits": len(found["visits"])})
    out.write_text(json.dumps(found, ensure_ascii=False, indent=1, default=str), "utf-8")
    show(say("customer_exported", value=len(found["visits"]), path=out))


@customer_app.command("forget", help=H("cmd.customer.forget"))
def customer_forget(who: Annotated[str, typer.Argument(help=H("opt.customer"))], db: DbOpt = DEFAULT_DB,
                    by: Annotated[str, opt("opt.who")] = "cli") -> None:
    with workspace(db, create=False) as ws:
        done = ws.rights.forget(who, by)
    show(say("customer_forgotten", visits=done.visits, comments=done.comments, replies=done.replies,
             notes=done.notes))
