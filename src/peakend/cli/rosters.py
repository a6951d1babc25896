"""`peakend forecast`, `roster-staff` and `roster`: arrivals per day and hour, the staff, and who works when."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peakend.cli import DEFAULT_DB, DbOpt, H, app, console, err, opt, show, tell_all, workspace
from peakend.i18n import lang, say

HallArg = Annotated[str, typer.Argument(help=H("opt.fc.hall"))]
OutOpt = Annotated[Path | None, opt("opt.fc.out", "--out")]


@app.command("forecast", help=H("cmd.forecast"))
def forecast_cmd(hall: HallArg, db: DbOpt = DEFAULT_DB, weeks: Annotated[int, opt("opt.fc.weeks", min=1, max=8)] = 2,
                 week: Annotated[str | None, opt("opt.fc.week")] = None, out: OutOpt = None,
                 level: Annotated[float, opt("opt.fc.level", min=0.5, max=0.99)] = 0.9) -> None:
    from peakend.service.rosters import forecast_shown, iso_week

    with workspace(db, create=False) as ws, console.status(""):
        f = ws.rosters.forecast(hall, iso_week(week) if week else None, weeks, level)
    tell_all(forecast_shown(f, lang(), out))


@app.command("roster-staff", help=H("cmd.roster_staff"))
def roster_staff_cmd(hall: HallArg,
                     file: Annotated[Path, typer.Argument(help=H("opt.roster.file"), exists=True, dir_okay=False)],
                     db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db) as ws:
        show(say("roster_loaded", n=ws.rosters.load_staff(hall, file.read_bytes(), file.name, "cli"), hall=hall))
        tell_all([("", ws.rosters.staff_table(hall))])


@app.command("roster", help=H("cmd.roster"))
def roster_cmd(hall: HallArg, week: Annotated[str, opt("opt.roster.week")], db: DbOpt = DEFAULT_DB,
               upper: Annotated[bool, opt("opt.roster.upper")] = False, out: OutOpt = None,
               reps: Annotated[int, opt("opt.reps", min=2, max=50)] = 3,
               time_limit: Annotated[float, opt("opt.roster.time", min=1, max=600)] = 60.0) -> None:
    from peakend.service.rosters import iso_week, roster_shown

    iso_week(week)
    params = {"hall": hall, "week": week, "upper": upper, "reps": reps, "time_limit": time_limit}
    with workspace(db, create=False) as ws:
        with console.status(""):
            job = ws.jobs.run_here("roster", params, "cli", frozenset([hall]))
        if job.state != "done" or job.result is None:
            err.print(job.error(lang()), style="red", markup=False, highlight=False)
            raise typer.Exit(2)
        tell_all(roster_shown(job.result, ws.jobs.frames(job.job_id), lang(), out))


@app.command("hours", help=H("cmd.hours"))
def hours_cmd(hall: HallArg, week: Annotated[str, opt("opt.roster.week")], db: DbOpt = DEFAULT_DB,
              keep: Annotated[float, opt("opt.hours.keep", min=0.5, max=1.0)] = 0.95,
              wait: Annotated[float, opt("opt.hours.wait", min=1, max=120)] = 10.0,
              share: Annotated[float, opt("opt.hours.share", min=0.5, max=1.0)] = 0.8,
              reps: Annotated[int, opt("opt.reps", min=2, max=50)] = 3) -> None:
    from peakend.service.rosters import hours_shown, iso_week

    iso_week(week)
    with workspace(db, create=False) as ws, console.status(""):
        rows = ws.rosters.opening_hours(hall, week, wait, share, keep, reps)
    tell_all(list(hours_shown(hall, week, keep, rows, lang())))
