"""Admins' page of integrations, `/admin/webhooks`: the endpoints events go to (signed webhooks, WeCom, DingTalk and
Feishu robots), a form to add one, remove / enable, and the delivery log with replay (`ws.webhooks`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peakend.errors import PeakendError
from peakend.service.people import Principal
from peakend.web.deps import AppState, need_user, state
from peakend.web.guard import client_address
from peakend.web.pages import page_lang, render

router = APIRouter(include_in_schema=False)
KINDS = ("alert.raised", "case.opened", "case.escalated", "case.overdue", "case.closed", "survey.negative",
         "import.finished", "digest.ready")  # the outbox's kinds, as the form offers them
CHANNELS = ("webhook", "wecom", "dingtalk", "feishu")
LOG_ROWS = 100


def _admin(request: Request) -> tuple[Principal, AppState]:
    p = need_user(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins manage integrations")
    return p, state(request)


def _page(request: Request, p: Principal, st: AppState, status: int = 200, problem: str = "",
          secret: str | None = None) -> HTMLResponse:
    return render(request, "hooks.html.j2", status=status, user=p, endpoints=st.ws.webhooks.endpoints(),
                  log=st.ws.webhooks.log(limit=LOG_ROWS), kinds=KINDS, channels=CHANNELS,
                  halls=st.ws.figures.known_halls(), problem=problem, secret=secret)


@router.get("/admin/webhooks")
def hooks_page(request: Request) -> HTMLResponse:
    """The endpoints, the form to add one, and the latest deliveries."""
    p, st = _admin(request)
    return _page(request, p, st)


@router.post("/admin/webhooks")
def hooks_add(request: Request, channel: Annotated[str, Form(max_length=20)],
              url: Annotated[str, Form(max_length=2000)],
              events: Annotated[list[str] | None, Form()] = None, halls: Annotated[list[str] | None, Form()] = None,
              lang: Annotated[str, Form(max_length=2)] = "zh", secret: Annotated[str, Form(max_length=200)] = "",
              mention: Annotated[str, Form(max_length=400)] = "") -> HTMLResponse:
    """Add an endpoint; a webhook's signing secret is shown this once."""
    p, st = _admin(request)
    try:
        _, made = st.ws.webhooks.add(channel, url, (events or ["*"])[:len(KINDS)], (halls or ["*"])[:500], p.name,
                                     lang=lang, secret=secret.strip() or None,
                                     mention=mention.replace("，", ",").split(",")[:20],
                                     address=client_address(request.scope))
    except PeakendError as exc:
        return _page(request, p, st, status=422, problem=exc.say(page_lang(request)))
    return _page(request, p, st, secret=made)


@router.post("/admin/webhooks/{endpoint_id}/remove")
def hooks_remove(request: Request, endpoint_id: str) -> Response:
    """Remove an endpoint."""
    p, st = _admin(request)
    st.ws.webhooks.remove(endpoint_id[:60], p.name, client_address(request.scope))
    return RedirectResponse("/admin/webhooks", status_code=303)


@router.post("/admin/webhooks/{endpoint_id}/enable")
def hooks_enable(request: Request, endpoint_id: str) -> Response:
    """Enable an endpoint a 410 disabled."""
    p, st = _admin(request)
    st.ws.webhooks.enable(endpoint_id[:60], p.name, client_address(request.scope))
    return RedirectResponse("/admin/webhooks", status_code=303)


@router.post("/admin/webhooks/replay")
def hooks_replay(request: Request, delivery: Annotated[str, Form(max_length=200)]) -> Response:
    """Send a delivery again."""
    p, st = _admin(request)
    st.ws.webhooks.replay(delivery, p.name, client_address(request.scope))
    return RedirectResponse("/admin/webhooks#log", status_code=303)
