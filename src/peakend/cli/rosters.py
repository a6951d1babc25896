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


@app.command("roster-staff", help=H("cmd.roster_staff"))
def roster_staff_cmd(hall: HallArg, file: Annotated[Path, typer.Argument(help=H("opt.roster.file"), exists=True,
                                                                         dir_okay=False)],
                     db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db) as ws:
        n = ws.rosters.load_staff(hall, file.read_bytes(), file.name, "cli")
        show(say("roster_loaded", n=n, hall=hall))
        tell_all([("", ws.rosters.staff_table(hall))])


@app.command("roster", help=H("cmd.roster"))
def roster_cmd(hall: HallArg, week: Annotated[str, opt("opt.roster.week", "--week")], db: DbOpt = DEFAULT_DB,
               upper: Annotated[bool, opt("opt.roster.upper", "--upper")] = False,
               reps: Annotated[int, opt("opt.reps", "--reps", min=2, max=50)] = 3,
               time_limit: Annotated[float, opt("opt.roster.time", "--time-limit", min=1, max=600)] = 20.0,
               out: Annotated[Path | None, opt("opt.roster.out", "--out")] = None) -> None:
    from peakend.service.rosters import iso_week, roster_shown, write_roster

    iso_week(week)
    with workspace(db, create=False) as ws:
        with console_status():
            job = ws.jobs.run_here("roster", {"hall": hall, "week": week, "upper": upper, "reps": reps,
                                              "time_limit": time_limit}, "cli", frozenset([hall]))
        if job.state != "done" or job.result is None:
            raise typer.Exit(_failed(job.error(lang())))
        frames = ws.jobs.frames(job.job_id)
        tell_all(roster_shown(job.result, frames, lang()))
        if out is not None:
            show(say("fc_written", path=write_roster(frames, out)))


def _failed(why: str) -> int:
    from peakend.cli import err

    err.print(why, style="red", markup=False, highlight=False)
    return 2
