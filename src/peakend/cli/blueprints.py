"""`peakend blueprint …` and `peakend settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from peakend.cli import DEFAULT_DB, BpOpt, DbOpt, H, Who, app, console, opt, show, tell_all, workspace
from peakend.errors import CheckFailed
from peakend.i18n import lang, say

bp_app = app.group("blueprint")
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=H("opt.bp.file"))]


@app.command("settings", help=H("cmd.settings"))
def settings_cmd() -> None:
    from peakend import settings

    table = Table(*(say(f"settings_{c}") for c in ("variable", "value", "meaning")), title=say("settings_title"))
    for s, shown, given in settings.in_force():
        table.add_row(s.env, (shown or "—") + ("" if given else say("settings_default")), getattr(s, lang()))
    console.print(table)


@bp_app.command("check", help=H("cmd.blueprint.check"))
def check(file: FileArg) -> None:
    from peakend.service.blueprints import check_file

    bp, problems = check_file(file)
    tell_all([str(p) for p in problems])
    if bp is None or problems:
        raise CheckFailed("bp_problems", source=file, value=len(problems))
    summary = f"{len(bp.moments)} moments, {len(bp.routes)} routes, {len(bp.checklist)} checklist items"
    show(say("bp_ok", source=file, value=bp.id, expected=summary))


@bp_app.command("use", help=H("cmd.blueprint.use"))
def use(file: FileArg, db: DbOpt = DEFAULT_DB, who: Who = "cli") -> None:
    with workspace(db) as ws:
        number, same = ws.blueprints.use(file, who)
        show(say("bp_same" if same else "bp_used", source=file, value=ws.blueprint.id, number=number))


@bp_app.command("new", help=H("cmd.blueprint.new"))
def new(out: Annotated[Path, typer.Argument(help=H("opt.new.out"), dir_okay=False)],
        moments: Annotated[str | None, opt("opt.new.moments")] = None,
        mapping: Annotated[Path | None, opt("opt.new.mapping", exists=True, dir_okay=False)] = None,
        blueprint_id: Annotated[str, opt("opt.new.id", "--id")] = "my_service",
        name: Annotated[str, opt("opt.new.name")] = "My service") -> None:
    from peakend.service.blueprints import write_new

    bp = write_new(out, moments, mapping, blueprint_id, name)
    show(say("bp_written", source=out, value=len(bp.moments), expected=bp.moments[-1].id))


@bp_app.command("show", help=H("cmd.blueprint.show"))
def show_cmd(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None,
             moment: Annotated[str | None, opt("opt.show.moment")] = None) -> None:
    from peakend.service import views

    with workspace(db, blueprint, create=False) as ws:
        tell_all(views.blueprint(ws.blueprint, moment))


@bp_app.command("versions", help=H("cmd.blueprint.versions"))
def versions(db: DbOpt = DEFAULT_DB) -> None:
    from peakend.service import views

    with workspace(db, create=False) as ws:
        found, listed = ws.in_force, ws.blueprints.versions()
    tell_all([(say("bp_versions", number=found.number), views.versions(found, listed))])
