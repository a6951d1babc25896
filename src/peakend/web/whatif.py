"""The what-if page and its API twin: the hall fitted on its last weeks, changed (servers, diversion, closing
hour), simulated beside the day as it happened. Both call `ws.planning.whatif_answer` (a job: fitting and
simulating take seconds to a minute) and show the last answer of the same question with its age, and the
progress of a newer one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

from peakend.i18n import WORDS
from peakend.report import charts
from peakend.service.jobs import Answer, Job
from peakend.service.people import Principal
from peakend.service.planning import WHATIF_REPS, BadChange, change_query, fit_gap
from peakend.web.deps import hall_visible, state
from peakend.web.exports import exported
from peakend.web.pages import job_view, page_lang, render, spec
from peakend.web.render import Computing, frame_json

router = APIRouter()


def hour_runs(counts: list[float], opens: int) -> str:
    """Hourly counts from `opens` as runs of equal counts: '09:00–12:00 2 · 12:00–21:00 3'."""
    runs: list[list[float]] = []
    for h, n in enumerate(counts, start=opens):
        if runs and runs[-1][2] == n:
            runs[-1][1] = h + 1
        else:
            runs.append([h, h + 1, n])
    return " · ".join(f"{int(a):02d}:00–{int(b):02d}:00 {n:g}" for a, b, n in runs)


def asked(request: Request, hall_id: str) -> tuple[Principal, Answer]:
    """The asker (who must see the hall) and the what-if of the request's change (BadChange, 422, at once for a
    change that is no change at all)."""
    p = hall_visible(request, hall_id)
    return p, state(request).ws.planning.whatif_answer(p.name, hall_id, request.query_params)


def _failed(found: Answer) -> Job | None:
    """The failed job that answers this question (nothing newer being computed), or None."""
    last = found.last
    return last if last is not None and last.state == "failed" and found.running is None else None


def _status(job: Job) -> int:
    return int((job.result or {}).get("status", 422))


def _frames(request: Request, found: Answer) -> dict[str, pd.DataFrame]:
    assert found.last is not None
    return state(request).ws.jobs.frames(found.last.job_id)


@router.get("/halls/{hall_id}/whatif", include_in_schema=False)
def whatif_page(request: Request, hall_id: str) -> HTMLResponse:
    """Change counters, diversion or closing hour; see predicted waits and REI beside the day as it happened."""
    lang = page_lang(request)
    try:
        p, found = asked(request, hall_id)
    except BadChange as exc:  # the form cannot be read
        p = hall_visible(request, hall_id)
        return render(request, "whatif.html.j2", status=422, user=p, hall_id=hall_id, form=None, job=None,
                      problem=WORDS["bad_change"][lang].format(why=exc.reason(lang)))
    failed, result = _failed(found), found.result
    view = None if failed is not None else job_view(found, lang)  # a failure is told once, as the page's problem
    st = state(request)
    status, problem = 200, ""
    if failed is not None:
        status = _status(failed) if _status(failed) != 409 else 200
        problem = WORDS["no_whatif"][lang].format(why=failed.error(lang)) if _status(failed) == 409 else (
            failed.error(lang))
    shown = result or st.ws.planning.whatif_latest(hall_id)  # while computed: the form of the last one
    if shown is None:
        return render(request, "whatif.html.j2", status=status, user=p, hall_id=hall_id, form=None, job=view,
                      problem=problem)
    form = st.ws.planning.whatif_form(shown["fitted"], lang)
    for s in form["stations"]:
        s["schedule"] = hour_runs(s["counts"], form["opens"])
    change = result["change"] if result is not None else change_query(request.query_params)
    context = {"user": p, "hall_id": hall_id, "form": form, "job": view, "problem": problem, "days": None,
               "change": {"servers": {k[4:]: int(v) for k, v in change.items() if k.startswith("add.")},
                          "divert_at": change.get("divert_at"),
                          "closes": int(change["closes"]) if "closes" in change else None},
               "can_divert": shown["can_divert"],
               "intro": WORDS["whatif_intro"][lang].format(days=shown["fit_days"], day=shown["day"], reps=WHATIF_REPS)}
    if result is None:
        return render(request, "whatif.html.j2", status=status, **context)
    frames = _frames(request, found)
    query = "".join(f"&{quote(k)}={quote(v)}" for k, v in change.items())
    waits = result.get("waits", True)  # False: the data hold no waiting times, each wait shows "–" and why
    return render(request, "whatif.html.j2", **{
        **context, "query": query, "days": frames["day_figures"].to_dict("records"), "waits": waits,
        "gap": fit_gap(frames["day_figures"]),
        "hours": frames["by_hour"].to_dict("records"),
        "chart": spec(charts.whatif_waits(frames["hours"], lang)) if waits else None,
        "within_label": WORDS["within_share"][lang].format(wait=f"{st.ws.planning.wait_target():g}")})


@router.get("/api/v1/halls/{hall_id}/whatif", tags=["query"], response_model=None,
            summary="What if: the hall fitted now, changed, and the day as it happened (the what-if page's figures)")
def api_whatif(request: Request, hall_id: str, divert_at: float | None = None, closes: int | None = None
               ) -> dict[str, Any] | JSONResponse:
    """Servers added per station are read from `add.<station>=N` query parameters (N from -20 to 20);
    `divert_at` steers suited business to self-service at that many waiting per counter; `closes` is a closing hour.
    A job: answers 202 with the job (follow it at /api/v1/jobs/{job_id}) until a first answer is computed, then the
    last answer with its age (`computed_at`, `age_s`) and `running`, the job computing a newer one if any.
    Answers 409 when the hall has no visits to fit, 422 for a change that cannot be used.
    `waits` is false when the hall's data hold no waiting times: every wait figure is then null, not 0.
    """
    _, found = asked(request, hall_id)
    failed = _failed(found)
    if found.result is None and failed is not None:
        return JSONResponse({"detail": failed.error("en"), "detail_zh": failed.error("zh")},
                            status_code=_status(failed))
    if found.result is None or found.last is None:
        raise Computing(found)
    result, frames = found.result, _frames(request, found)
    return {"hall_id": hall_id, "day": result["day"], "change": result["change"], "waits": result.get("waits", True),
            "now": result["fitted"],
            "whatif": result["changed"], "day_figures": frame_json(frames["day_figures"]),
            "hours": frame_json(frames["by_hour"]), "job_id": found.last.job_id,
            "computed_at": found.last.public("en")["finished_at"], "age_s": round(found.last.age_s(), 1),
            "running": found.running.public("en") if found.running else None}


@exported("whatif")
def _export_whatif(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    _, found = asked(request, args["hall"] or "")
    failed = _failed(found)
    if found.result is None and failed is not None:
        raise HTTPException(_status(failed), failed.error("en"))
    if found.result is None:
        raise Computing(found)
    return _frames(request, found)["by_hour"]
