"""`peakend blueprint …` and `peakend settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from rich.table import Table

from peakend import settings
from peakend.cli import Said, Who, Ws, app, arg, console, opt, service, show, views
from peakend.errors import CheckFailed
from peakend.i18n import lang, say

bp_app = app.group("blueprint")
FileArg = Annotated[Path, arg("opt.bp.file", exists=True, dir_okay=False)]


@app.command("settings")
def settings_cmd() -> None:
    table = Table(*(say(f"settings_{c}") for c in ("variable", "value", "meaning")), title=say("settings_title"))
    for s, shown, given in settings.in_force():
        table.add_row(s.env, (shown or "—") + ("" if given else say("settings_default")), getattr(s, lang()))
    console.print(table)


@bp_app.command("check")
def check(file: FileArg) -> Said:
    problems, ok = service.blueprints.checked_file(file)
    show(problems)
    if ok is None:
        raise CheckFailed("bp_problems", source=file, value=len(problems))
    return ok


@bp_app.command("use", ws="write")
def use(file: FileArg, ws: Ws, who: Who = "cli") -> Said:
    number, same = ws.blueprints.use(file, who)
    return say("bp_same" if same else "bp_used", source=file, value=ws.blueprint.id, number=number)


@bp_app.command("new")
def new(out: Annotated[Path, arg("opt.new.out", dir_okay=False)],
        moments: Annotated[str | None, opt("opt.new.moments")] = None,
        mapping: Annotated[Path | None, opt("opt.new.mapping", exists=True, dir_okay=False)] = None,
        blueprint_id: Annotated[str, opt("opt.new.id", "--id")] = "my_service",
        name: Annotated[str, opt("opt.new.name")] = "My service") -> Said:
    bp = service.blueprints.write_new(out, moments, mapping, blueprint_id, name)
    return say("bp_written", source=out, value=len(bp.moments), expected=bp.moments[-1].id)


@bp_app.command("show", ws="read+bp")
def show_cmd(ws: Ws, moment: Annotated[str | None, opt("opt.show.moment")] = None) -> Said:
    return views.blueprint(ws.blueprint, moment)


@bp_app.command("versions", ws="read")
def versions(ws: Ws) -> Said:
    return [(say("bp_versions", number=ws.in_force.number), views.versions(ws.in_force, ws.blueprints.versions()))]
