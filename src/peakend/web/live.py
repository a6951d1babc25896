"""The live loop in the web app: case inboxes and case pages, alerts and advice, SMS replies.

Who sees which cases: staff their own (first-ask ownership), managers those of their halls,
admins all. Staff comment on and resolve their own cases; managers and admins also reassign.
Alerts and advice of a hall are for its floor staff and managers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from peakend.errors import CaseError
from peakend.service.people import ALL_HALLS, Principal
from peakend.web.deps import need_user, principal, state
from peakend.web.pages import page_lang, paged, render
from peakend.web.render import frame_json, plain

router = APIRouter()


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


class Note(BaseModel):
    """A comment or a resolution note."""

    text: str = Field(min_length=1, max_length=4000, pattern=NO_NUL)


class Reassign(BaseModel):
    """The new owner of a case (a staff id or username)."""

    to: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class SmsReply(BaseModel):
    """An SMS reply as the gateway received it."""

    sender: str = Field(min_length=1, max_length=100, pattern=NO_NUL, description="the customer's phone (or key)")
    text: str = Field(max_length=1000, pattern=NO_NUL)
    received_at: datetime | None = None


def _halls_of(p: Principal) -> list[str] | None:
    """The halls whose cases and alerts `p` sees (None: all)."""
    return None if p.is_admin else sorted(p.halls)


def _visible_case(request: Request, case_id: str) -> tuple[Principal, dict[str, Any]]:
    """The asker and a case they may see; 404 otherwise (as if absent)."""
    p = need_user(request)
    case = state(request).ws.cases.get(case_id)  # unknown: CaseNotFound, 404
    own = p.role == "staff" and case["owner"] == p.name and case["hall_id"] in p.halls
    if not (p.is_admin or own or (p.role == "manager" and case["hall_id"] in p.halls)):
        raise HTTPException(404, "no such case")
    return p, case


def _inbox(request: Request, p: Principal, hall: str | None, status: str | None) -> list[dict[str, Any]]:
    found = state(request).ws.cases
    if p.role == "auditor":
        raise HTTPException(403, "auditors do not follow up cases")
    if p.role == "staff":
        return frame_json(found.inbox(owner=p.name, halls=sorted(p.halls), status=status))
    halls = _halls_of(p)
    if hall is not None:
        if halls is not None and hall not in halls:
            raise HTTPException(404, "no such hall")
        halls = [hall]
    return frame_json(found.inbox(halls=halls, status=status))


@router.get("/api/v1/cases", tags=["live"], summary="A case inbox: staff their own, managers their halls'")
def api_cases(request: Request, hall: str | None = None, status: str | None = "open") -> list[dict[str, Any]]:
    """Cases the asker may see, by deadline (`status=` empty for all)."""
    p = need_user(request)
    return _inbox(request, p, hall, status or None)


@router.get("/api/v1/cases/{case_id}", tags=["live"], summary="One case and its audit trail")
def api_case(request: Request, case_id: str) -> dict[str, Any]:
    """A case with every change made to it."""
    _, case = _visible_case(request, case_id)
    trail = state(request).ws.cases.trail(case_id)
    return {"case": {k: plain(v) for k, v in case.items()}, "trail": frame_json(trail)}


def _change(request: Request, case_id: str, action: str, text: str) -> None:
    p, _ = _visible_case(request, case_id)
    if action == "reassign" and p.role == "staff":
        raise HTTPException(403, "only managers and admins reassign cases")
    state(request).ws.cases.change(action, case_id, p.name, text)  # a refused change: a CaseError with its status


@router.post("/api/v1/cases/{case_id}/comment", tags=["live"], summary="Comment on a case")
def api_comment(request: Request, case_id: str, body: Note) -> dict[str, str]:
    """Add a comment to the case's trail."""
    _change(request, case_id, "comment", body.text)
    return {"case_id": case_id, "done": "comment"}


@router.post("/api/v1/cases/{case_id}/reassign", tags=["live"], summary="Give a case to another owner")
def api_reassign(request: Request, case_id: str, body: Reassign) -> dict[str, str]:
    """Reassign an open case (managers and admins)."""
    _change(request, case_id, "reassign", body.to)
    return {"case_id": case_id, "done": "reassign"}


@router.post("/api/v1/cases/{case_id}/resolve", tags=["live"], summary="Resolve a case with a note")
def api_resolve(request: Request, case_id: str, body: Note) -> dict[str, str]:
    """Close an open case with a resolution note."""
    _change(request, case_id, "resolve", body.text)
    return {"case_id": case_id, "done": "resolve"}


def _hall_for_live(request: Request, hall_id: str) -> Principal:
    """The asker, who must work in (or manage) the hall; 404 otherwise."""
    p = need_user(request)
    if not (p.is_admin or (hall_id in p.halls and p.role != "auditor")):
        raise HTTPException(404, "no such hall")
    return p


@router.get("/api/v1/halls/{hall_id}/live", tags=["live"], summary="A hall's alerts, advice and case figures today")
def api_hall_live(request: Request, hall_id: str) -> dict[str, Any]:
    """Today's recovery alerts and diversion advice, and the case figures of the hall page."""
    _hall_for_live(request, hall_id)
    figures = state(request).ws.figures
    found = figures.hall_live(hall_id)
    alerts = figures.with_training(found["alerts"], page_lang(request))
    return {"figures": found["figures"], "alerts": frame_json(alerts), "advice": frame_json(found["advice"])}


@router.get("/api/v1/live/backlog", tags=["live"], summary="How many visits wait for the live rules (admins)")
def api_live_backlog(request: Request) -> dict[str, int]:
    """The live worker's backlog: visits whose new events the rules have not looked at yet."""
    p = need_user(request)
    if not p.is_admin:
        raise HTTPException(403, "admins only")
    return state(request).ws.cases.backlog()


@router.get("/api/v1/live/parked", tags=["live"], summary="Visits the live worker set aside, with why (admins)")
def api_live_parked(request: Request) -> list[dict[str, Any]]:
    """Visits whose live rules failed: parked with the reason, so that the rest of the queue went on."""
    p = need_user(request)
    if not p.is_admin:
        raise HTTPException(403, "admins only")
    return frame_json(state(request).ws.cases.parked())


@router.post("/api/v1/sms/replies", tags=["live"], summary="An SMS reply: a survey answer or an opt-out")
def api_sms_reply(request: Request, body: SmsReply) -> dict[str, Any]:
    """Record a customer's reply: only from the SMS gateway's token (`peakend token add --sms`), and only for
    surveys sent to visits of its halls."""
    p = principal(request)
    if p is None:
        raise HTTPException(401, "send the SMS gateway's token (Authorization: Bearer …)")
    if p.role != "sms":
        raise HTTPException(403, "only the SMS gateway's token sends replies")
    st = state(request)
    at = body.received_at.replace(tzinfo=None) if body.received_at else st.clock()
    first, last = st.ws.cases.reply_window()
    if not first <= at <= last:
        raise HTTPException(422, f"received_at {at:%Y-%m-%d %H:%M} is outside {first:%Y-%m-%d} … {last:%Y-%m-%d} "
                                 "(settings PEAKEND_PAST_DAYS, PEAKEND_FUTURE_DAYS)")
    halls = None if ALL_HALLS in p.halls else sorted(p.halls)
    done = st.ws.cases.sms_reply(body.sender, body.text, at, halls)
    return {"status": done.status, "visit_id": done.visit_id}


# -- pages -------------------------------------------------------------------------------
@router.get("/cases")
def cases_page(request: Request, hall: str | None = None, status: str = "open") -> HTMLResponse:
    """The asker's case inbox."""
    p = need_user(request)
    rows, pager = paged(request, _inbox(request, p, hall, status or None))
    return render(request, "cases.html.j2", user=p, cases=rows, pager=pager, showing=status, hall=hall)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str) -> HTMLResponse:
    """One case: what happened, its trail, and the forms to comment, reassign and resolve."""
    p, case = _visible_case(request, case_id)
    trail = state(request).ws.cases.trail(case_id).to_dict("records")
    touches = _case_touches(request, case)
    return render(request, "case.html.j2", user=p, case=case, trail=trail, error=None, touches=touches,
                  train=_train(request, touches))


def _train(request: Request, touches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What to train for a case: the modules for its visit's worst moment."""
    rated = [t for t in touches if t.get("e") is not None and t["e"] == t["e"]]
    worst = min(rated, key=lambda t: t["e"])["moment_id"] if rated else None
    return state(request).ws.figures.what_to_train(worst, page_lang(request))


def _case_touches(request: Request, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's visit as stored now: each touch with its moment's name, e, and the peak and end marked."""
    return state(request).ws.figures.visit(str(case["visit_id"]))[1].to_dict("records")


@router.post("/cases/{case_id}", response_model=None)
def case_post(request: Request, case_id: str, action: Annotated[str, Form()],
              text: Annotated[str, Form()] = "") -> Response:
    """A change made on the case page; a refused change is shown on the page."""
    if action not in ("comment", "reassign", "resolve"):
        raise HTTPException(422, "unknown action")
    try:
        _change(request, case_id, action, text)
    except (HTTPException, CaseError) as exc:
        status = exc.status_code if isinstance(exc, HTTPException) else exc.status
        if status not in (403, 409, 422):
            raise
        p, case = _visible_case(request, case_id)
        trail = state(request).ws.cases.trail(case_id).to_dict("records")
        why = str(exc.detail) if isinstance(exc, HTTPException) else exc.say(page_lang(request))
        touches = _case_touches(request, case)
        return render(request, "case.html.j2", status=status, user=p, case=case, trail=trail, error=why,
                      touches=touches, train=_train(request, touches))
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
