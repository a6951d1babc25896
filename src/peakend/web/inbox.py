"""The frontline inbox, `/inbox`: staff on duty see their halls' recovery alerts (last hours) and open cases,
newest first, and claim an alert before going to the customer (`ws.inbox`)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peakend.service.people import Principal
from peakend.web.deps import need_user, state
from peakend.web.pages import render

router = APIRouter(include_in_schema=False)


def _halls(p: Principal) -> set[str] | None:
    if p.role not in ("admin", "manager", "staff"):
        raise HTTPException(403, "the inbox is for hall staff and managers")
    return None if p.is_admin else set(p.halls)


@router.get("/inbox")
def inbox_page(request: Request) -> HTMLResponse:
    """The asker's halls' alerts and open cases, newest first."""
    p = need_user(request)
    halls, ws = _halls(p), state(request).ws
    return render(request, "inbox.html.j2", user=p, alerts=ws.inbox.alerts(halls), cases=ws.inbox.cases(halls))


@router.post("/inbox/{alert_id}/claim")
def inbox_claim(request: Request, alert_id: str) -> Response:
    """Claim an alert (the first claim wins)."""
    p = need_user(request)
    state(request).ws.inbox.claim(alert_id[:400], p.name, _halls(p))
    return RedirectResponse("/inbox", status_code=303)
