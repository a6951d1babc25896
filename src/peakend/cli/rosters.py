"""`peakend forecast`, `roster-staff` and `roster`: arrivals per day and hour, the staff, and who works when."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from peakend.cli import Said, Ws, app, arg, console, opt, service
from peakend.i18n import lang, say

HallArg = Annotated[str, arg("opt.fc.hall")]
OutOpt = Annotated[Path | None, opt("opt.fc.out", "--out")]
Week = Annotated[str, opt("opt.roster.week")]
Reps = Annotated[int, opt("opt.reps", min=2, max=50)]


@app.command("forecast", ws="read")
def forecast_cmd(hall: HallArg, ws: Ws, weeks: Annotated[int, opt("opt.fc.weeks", min=1, max=8)] = 2,
                 week: Annotated[str | None, opt("opt.fc.week")] = None, out: OutOpt = None,
                 level: Annotated[float, opt("opt.fc.level", min=0.5, max=0.99)] = 0.9) -> Said:
    with console.status(""):
        f = ws.rosters.forecast(hall, service.rosters.iso_week(week) if week else None, weeks, level)
    return service.rosters.forecast_shown(f, lang(), out)


@app.command("roster-staff", ws="write")
def roster_staff_cmd(hall: HallArg, file: Annotated[Path, arg("opt.roster.file", exists=True, dir_okay=False)],
                     ws: Ws) -> Said:
    loaded = ws.rosters.load_staff(hall, file.read_bytes(), file.name, "cli")
    return [say("roster_loaded", n=loaded, hall=hall), ("", ws.rosters.staff_table(hall))]


@app.command("roster", ws="read")
def roster_cmd(hall: HallArg, week: Week, ws: Ws, upper: Annotated[bool, opt("opt.roster.upper")] = False,
               out: OutOpt = None, reps: Reps = 3,
               time_limit: Annotated[float, opt("opt.roster.time", min=1, max=600)] = 60.0) -> Said:
    with console.status(""):
        return ws.rosters.roster_here(hall, week, lang(), out, upper, reps, time_limit)


@app.command("hours", ws="read")
def hours_cmd(hall: HallArg, week: Week, ws: Ws, keep: Annotated[float, opt("opt.hours.keep", min=0.5, max=1.0)] = 0.95,
              wait: Annotated[float, opt("opt.hours.wait", min=1, max=120)] = 10.0,
              share: Annotated[float, opt("opt.hours.share", min=0.5, max=1.0)] = 0.8, reps: Reps = 3) -> Said:
    with console.status(""):
        rows = ws.rosters.opening_hours(hall, week, wait, share, keep, reps)
    return list(service.rosters.hours_shown(hall, week, keep, rows, lang()))
