"""`peakend ingest`, `quarantine`, `score`, `export`, and the store's halls, users and device tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from peakend.cli import Bp, Db, Limit, Said, Who, Ws, app, arg, console, err, opt, service, show, views, workspace
from peakend.i18n import lang, say
from peakend.settings import DEFAULT_DB

hall_app, user_app, token_app = app.group("hall"), app.group("user"), app.group("token")
activity_app, customer_app = app.group("activity"), app.group("customer")
Customer = Annotated[str, arg("opt.customer")]


@app.command()
def ingest(files: Annotated[list[Path], arg("opt.ingest.files", exists=True)], db: Db = DEFAULT_DB,
           blueprint: Bp = None, mapping: Annotated[Path | None, opt("opt.ingest.mapping")] = None,
           kind: Annotated[str | None, opt("opt.ingest.kind")] = None,
           encoding: Annotated[str, opt("opt.ingest.encoding")] = "auto",
           sheet: Annotated[str | None, opt("opt.ingest.sheet")] = None,
           rating_scale: Annotated[str | None, opt("opt.ingest.scale")] = None,
           allow_fractions: Annotated[bool, opt("opt.ingest.fractions")] = False,
           replace: Annotated[bool, opt("opt.ingest.replace")] = False) -> Said:
    checked = service.files.kind_of(kind)
    with workspace(db, blueprint) as ws:
        ctx = ws.files.context(rating_scale, allow_fractions, replace)
        results = ingest_files(ws, files, ctx, ws.files.mapping(mapping), checked, encoding, sheet)
    return service.files.total(results)


def ingest_files(ws: Ws, files: list[Path], ctx: Any, mapping: Any = None, kind: Any = None, encoding: str = "auto",
                 sheet: str | None = None) -> list[service.files.FileResult]:
    """Ingest files with a progress bar each, printing what each one's ingest says (`views.ingested`)."""
    results = []
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=True) as bar:
        def advance(path: Path, part: str | None) -> Any:
            task = bar.add_task(path.name + (f"#{part}" if part else ""), total=path.stat().st_size or None)
            return lambda done, size: bar.update(task, completed=done, total=size)

        for r in ws.files.each(files, ctx, mapping, kind, encoding, sheet, advance):
            results.append(r)
            show(views.ingested(r, lang()))
    return results


@app.command(ws="read")
def quarantine(ws: Ws, limit: Annotated[int, opt("opt.limit")] = 50) -> Said:
    return views.quarantined(*ws.files.quarantined(lang(), limit), lang())


def score_store(ws: Ws, full: bool = False) -> str:
    """Score the store (what changed, unless `full`) with a status line; what was scored."""
    with console.status(say("scoring", value="")) as status:
        return views.scored(ws.scores.run(full, lambda step: status.update(say("scoring", value=step))), lang())


@app.command("score")
def score_cmd(db: Db = DEFAULT_DB, blueprint: Bp = None, engine: Annotated[str | None, opt("opt.score.engine")] = None,
              lake: Annotated[Path | None, opt("opt.score.lake", file_okay=False)] = None,
              out: Annotated[Path | None, opt("opt.score.out")] = None,
              master: Annotated[str | None, opt("opt.score.master")] = None,
              full: Annotated[bool, opt("opt.score.full", "--full")] = False) -> Said:
    used = service.scores.lake_engine(db, engine, lake)
    with workspace(db, blueprint, create=lake is None) as ws:
        if lake is None:
            return score_store(ws, full)
        with console.status(say("scoring", value=used)) as status:
            r = ws.scores.lake(used, lake, out, master, lambda step: status.update(f"{used}: {step}"))
    return [views.scored(r, lang()), say("lake_scores", engine=used, folder=out or lake / "scores")]


@app.command("export", ws="write")
def export_cmd(out: Annotated[Path, arg("opt.export.out", file_okay=False)], ws: Ws) -> Said:
    with console.status(say("exporting", table="", rows="")) as status:
        rows = ws.scores.export(out, lambda t, n: status.update(say("exporting", table=t, rows=f"{n:,}")))
    return say("exported", rows=", ".join(f"{t} {n:,}" for t, n in rows.items()), folder=out)


@hall_app.command("name")
def hall_name(hall: Annotated[str, arg("opt.hall.id")], zh: Annotated[str, opt("opt.hall.zh")],
              en: Annotated[str, opt("opt.hall.en")], db: Db = DEFAULT_DB,
              staff: Annotated[bool, opt("opt.hall.staff", "--staff")] = False) -> Said:
    zh, en = service.people.hall_names_checked(hall, zh, en)
    with workspace(db) as ws:
        (ws.people.name_staff if staff else ws.people.name_hall)(hall, zh, en)
    return say("staff_named" if staff else "hall_named", hall=hall, zh=zh, en=en)


@hall_app.command("list", ws="read")
def hall_list(ws: Ws) -> Said:
    return [("", views.halls(ws.people.halls()))]


@user_app.command("add", ws="write")
def user_add(username: Annotated[str, arg("opt.user.name")], role: Annotated[str, opt("opt.user.role")],
             hall: Annotated[list[str] | None, opt("opt.user.hall")] = None,
             password: Annotated[str, opt("opt.user.password", prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="PEAKEND_PASSWORD")] = "",
             email: Annotated[str | None, opt("opt.user.email")] = None, *, ws: Ws) -> Said:
    ws.people.add_user(username, password, role, hall, email)
    return say("user_saved", user=username, role=role + (": " + ", ".join(hall) if hall else ""))


@token_app.command("add", ws="write")
def token_add(hall: Annotated[str, opt("opt.token.hall")], label: Annotated[str, opt("opt.token.label")] = "",
              sms: Annotated[bool, opt("opt.token.sms", "--sms")] = False, *, ws: Ws) -> Said:
    return ws.people.add_token(hall, label, "sms" if sms else "device")


@activity_app.command("list", ws="read")
def activity_list(ws: Ws, limit: Limit = 50, action: Annotated[str | None, opt("opt.activity.action")] = None) -> Said:
    return [(say("activity_title"), ws.activity.recent(limit, action))]


@activity_app.command("verify", ws="read")
def activity_verify(ws: Ws) -> Said:
    return say("activity_intact", value=ws.activity.intact())


@customer_app.command("export", ws="read")
def customer_export(who: Customer, out: Annotated[Path, opt("opt.customer.out", "--out", dir_okay=False)], ws: Ws,
                    by: Who = "cli") -> Said:
    return say("customer_exported", value=ws.rights.export_file(who, out, by), path=out)


@customer_app.command("forget", ws="read")
def customer_forget(who: Customer, ws: Ws, by: Who = "cli") -> Said:
    return say("customer_forgotten", **vars(ws.rights.forget(who, by)))
