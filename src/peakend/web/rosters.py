"""The roster page of a hall: its staff (loaded from a CSV or YAML file), and the last roster made for a week with
the progress of the next. Making a roster is a job (`roster`): the page never solves; it shows the last result."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peakend.errors import PeakendError
from peakend.i18n import WORDS, Lang
from peakend.service.jobs import Answer, Job
from peakend.service.people import Principal
from peakend.service.rosters import gap_runs, iso_week, rei_line
from peakend.web.deps import hall_visible, state
from peakend.web.exports import exported, hall_arg
from peakend.web.pages import job_view, page_lang, render

router = APIRouter()
MAX_STAFF_BYTES = 1_000_000


def manager_of(request: Request, hall_id: str) -> Principal:
    """The asker, who must see the hall and manage it (a manager of it, or an admin: 403 otherwise)."""
    p = hall_visible(request, hall_id)
    if p.role not in ("admin", "manager"):
        raise HTTPException(403, "only the hall's managers make its rosters")
    return p


def station_names(request: Request, lang: Lang) -> Any:
    """A function naming stations (fitted stations are named by the moment they serve) in `lang`."""
    names = state(request).blueprint.names(lang)

    def name(stations: str, sep: str = " · ") -> str:
        return " · ".join(names.get(x.strip(), x.strip()) for x in str(stations).split(sep) if x.strip())

    return name


def next_week(today: date) -> str:
    """The ISO week after `today`'s, as YYYY-Www."""
    year, week, _ = (today + timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def _running(request: Request, hall_id: str) -> Job | None:
    for job in state(request).ws.jobs.recent(kinds=("roster",), limit=50):
        if job.state in ("queued", "running") and job.params.get("hall") == hall_id:
            return job
    return None


def _roster(request: Request, hall_id: str, lang: Lang) -> dict[str, Any] | None:
    """What the page shows of the hall's last roster: its result, shifts by day, gaps, hours."""
    job = state(request).ws.rosters.roster_latest(hall_id)
    if job is None or job.result is None:
        return None
    frames = state(request).ws.jobs.frames(job.job_id)
    shifts, assigned = frames["shifts"], frames["coverage"]
    name = station_names(request, lang)
    days = []
    for day, g in shifts.groupby("day", sort=True):
        rows = [{"name": r.name, "time": f"{int(r.start):02d}:00–{int(r.end):02d}:00",
                 "break": "" if pd.isna(r.break_at) else f"{int(r.break_at):02d}:00", "hours": int(r.hours),
                 "stations": name(r.stations)}
                for r in g.itertuples()]
        days.append({"day": day, "weekday": WORDS["weekday_names"][lang].split(",")[date.fromisoformat(day).weekday()],
                     "shifts": rows})
    gaps = [{**g, "station": name(g["station"])} for g in gap_runs(assigned, lang)]
    return {"result": job.result, "days": days, "gaps": gaps, "hours": frames["hours"].to_dict("records"),
            "needs": [{**n, "station": name(n["station"])} for n in _needs(frames["needs"])],
            "age": job_view(Answer(job, None), lang)["age"], "rei": rei_line(job.result, lang)}


def _needs(needs: pd.DataFrame) -> list[dict[str, Any]]:
    """Per station, per day: the servers needed hour by hour as runs ('09–12 2 · 12–21 3')."""
    out = []
    for station, g in needs.groupby("station", sort=True):
        per_day = []
        for day, d in g.groupby("day", sort=True):
            runs: list[list[int]] = []
            for h, n in zip(d["hour"], d["servers"], strict=True):
                if runs and runs[-1][2] == n and runs[-1][1] == h:
                    runs[-1][1] = h + 1
                else:
                    runs.append([int(h), int(h) + 1, int(n)])
            per_day.append({"day": day, "runs": " · ".join(f"{a:02d}–{b:02d} {n}" for a, b, n in runs)})
        out.append({"station": station, "days": per_day})
    return out


@router.get("/halls/{hall_id}/roster", include_in_schema=False)
def roster_page(request: Request, hall_id: str, loaded: int | None = None) -> HTMLResponse:
    """The hall's staff and its last roster (the form makes the next one, as a job)."""
    return _page(request, hall_id, loaded=loaded)


def _page(request: Request, hall_id: str, problem: str = "", loaded: int | None = None) -> HTMLResponse:
    """The roster page, with a problem of the form just sent (422) when there is one."""
    p = hall_visible(request, hall_id)
    lang = page_lang(request)
    st = state(request)
    staff = st.ws.rosters.staff_table(hall_id, lang)
    staff["stations"] = staff["stations"].map(lambda x: station_names(request, lang)(x, ";"))
    days = dict(zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), WORDS["weekday_names"][lang].split(","),
                    strict=True))
    staff["days_off"] = staff["days_off"].map(lambda x: " ".join(days.get(d, d) for d in str(x).split(";") if d))
    running = _running(request, hall_id)
    view = job_view(Answer(None, running), lang)
    return render(request, "roster.html.j2", status=422 if problem else 200, user=p, hall_id=hall_id,
                  staff=staff.to_dict("records"), roster=_roster(request, hall_id, lang), job=view,
                  week=next_week(st.ws.clock().date()), can_edit=p.role in ("admin", "manager"),
                  problem=problem[:2000], loaded=loaded, export="?hall=" + quote(hall_id))


@router.post("/halls/{hall_id}/roster/staff", include_in_schema=False)
async def roster_staff_post(request: Request, hall_id: str, file: UploadFile) -> Response:
    """Load the hall's staff from the uploaded file; the page says how many, or every bad value."""
    p = manager_of(request, hall_id)
    data = await file.read(MAX_STAFF_BYTES + 1)
    try:
        n = state(request).ws.rosters.load_staff(hall_id, data, file.filename or "staff.csv", p.name)
    except PeakendError as exc:
        return _page(request, hall_id, problem=exc.say(page_lang(request)))
    return RedirectResponse(f"/halls/{quote(hall_id)}/roster?loaded={n}", status_code=303)


@router.post("/halls/{hall_id}/roster", include_in_schema=False)
async def roster_post(request: Request, hall_id: str) -> Response:
    """Make the roster of the week asked for (a job); back to the page, which follows its progress."""
    p = manager_of(request, hall_id)
    async with request.form(max_fields=10) as sent:
        form = {k: v for k, v in sent.items() if isinstance(v, str)}
    week = form.get("week", "").strip()[:10]
    st = state(request)
    try:
        iso_week(week)
    except PeakendError as exc:
        return _page(request, hall_id, problem=exc.say(page_lang(request)))
    if not st.ws.rosters.staff(hall_id):
        return _page(request, hall_id, problem=WORDS["roster_no_staff_page"][page_lang(request)])
    params = {"hall": hall_id, "week": week, "upper": form.get("upper") == "1", "reps": 3, "time_limit": 60.0}
    st.ws.jobs.submit("roster", params, p.name, frozenset([hall_id]))
    st.ws.activity.record(p.name, "roster", hall_id, {"week": week})
    return RedirectResponse(f"/halls/{quote(hall_id)}/roster", status_code=303)


@exported("roster")
def _export_roster(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    hall = hall_arg(request, args)
    job = state(request).ws.rosters.roster_latest(hall)
    if job is None:
        raise HTTPException(404, "no roster of this hall yet")
    frames = state(request).ws.jobs.frames(job.job_id)
    return frames["shifts"]
