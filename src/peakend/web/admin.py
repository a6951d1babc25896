"""Admins' pages for what the activity log holds and what customers ask of their data: `/admin/activity` (the
latest actions, filtered by one, and whether the hash chain holds) and `/admin/erase` (a customer's data erased on
their request, confirmed by typing their phone or key twice; logged without it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from peakend.service.people import Principal
from peakend.web.deps import AppState, need_user, state
from peakend.web.guard import client_address
from peakend.web.pages import paged, render

router = APIRouter(include_in_schema=False)
SHOWN = 2000  # actions listed at most (50 a page)


def _admin(request: Request) -> tuple[Principal, AppState]:
    p = need_user(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins see the activity log")
    return p, state(request)


def _page(request: Request, p: Principal, st: AppState, action: str | None, status: int = 200,
          erased: object = None, problem: str = "") -> HTMLResponse:
    recent = st.ws.activity.recent(SHOWN, action or None)
    rows, pager = paged(request, recent.to_dict("records"), action=action or "")
    return render(request, "admin_activity.html.j2", status=status, user=p, rows=rows, pager=pager, action=action,
                  verified=st.ws.activity.verify(), erased=erased, problem=problem)


@router.get("/admin/activity")
def activity_page(request: Request, action: str | None = None) -> HTMLResponse:
    """The activity log, newest first (one `action` when given), and whether its chain holds."""
    p, st = _admin(request)
    return _page(request, p, st, (action or "")[:60])


@router.post("/admin/erase")
def erase(request: Request, who: Annotated[str, Form(max_length=200)] = "",
          again: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    """Erase one customer (by phone or customer key, typed twice); the page says what was erased."""
    p, st = _admin(request)
    if not who.strip() or who.strip() != again.strip():
        return _page(request, p, st, None, status=422, problem="differ")
    done = st.ws.rights.forget(who, p.name, client_address(request.scope))
    return _page(request, p, st, None, erased=done)
