"""`peakend forecast` and `peakend roster`: arrivals forecast per day and hour, and who works when."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peakend.cli import DEFAULT_DB, DbOpt, H, app, opt, show, tell_all, workspace
from peakend.i18n import lang, say

HallArg = Annotated[str, typer.Argument(help=H("opt.fc.hall"))]
WeekOpt = Annotated[str | None, opt("opt.fc.week", "--week")]


@app.command("forecast", help=H("cmd.forecast"))
def forecast_cmd(hall: HallArg, db: DbOpt = DEFAULT_DB,
                 weeks: Annotated[int, opt("opt.fc.weeks", "--weeks", min=1, max=8)] = 2, week: WeekOpt = None,
                 level: Annotated[float, opt("opt.fc.level", "--level", min=0.5, max=0.99)] = 0.9,
                 out: Annotated[Path | None, opt("opt.fc.out", "--out")] = None) -> None:
    from peakend.service.rosters import forecast_shown, iso_week

    days = iso_week(week) if week else None
    with workspace(db, create=False) as ws:
        with console_status():
            f = ws.rosters.forecast(hall, days, weeks, level)
        tell_all(forecast_shown(f, lang()))
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            f.table.to_csv(out, index=False, encoding="utf-8")
            show(say("fc_written", path=out))


def console_status():
    """A spinner while the work runs."""
    from peakend.cli import console

    return console.status("")
