"""The frontline inbox, `/inbox`: staff on duty see their halls' recovery alerts (last hours) and open cases,
newest first, and claim an alert, hand it to a colleague of its hall or mark it handled (`ws.inbox`).

The page follows `/inbox/events`, a server-sent event stream: every `TICK_S` it asks the store one small question
(`ws.inbox.pulse`, on a worker thread: no thread is held per client between ticks) and, when the answer changed,
sends the lists again as HTML (the page's script puts in the rows that changed); a comment every `KEEPALIVE_S`
keeps proxies from closing it, and it ends after `STREAM_S` (the browser reconnects). The page works without
script: the forms post and the page reloads. The stream is exempt from the request deadline (`web.guard.STREAMS`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from peakend.service.people import Principal
from peakend.web.deps import need_user, state
from peakend.web.guard import client_address
from peakend.web.pages import ago, page_lang, render

router = APIRouter(include_in_schema=False)
TICK_S = 1.0  # how often the stream asks the store whether anything changed
KEEPALIVE_S = 15.0  # a comment line after this long without an event
STREAM_S = 300.0  # a stream ends after this long; the browser's EventSource reconnects after RETRY_MS
RETRY_MS = 1000


def _halls(p: Principal) -> set[str] | None:
    if p.role not in ("admin", "manager", "staff"):
        raise HTTPException(403, "the inbox is for hall staff and managers")
    return None if p.is_admin else set(p.halls)


def _lists(request: Request, halls: set[str] | None) -> dict[str, Any]:
    """What the inbox's lists show: alerts, open cases, each alert hall's colleagues, and how long ago a time was."""
    ws, lang, now = state(request).ws, page_lang(request), datetime.now()
    alerts = ws.inbox.alerts(halls, now)
    return {"alerts": alerts, "cases": ws.inbox.cases(halls),
            "colleagues": ws.inbox.colleagues({a["hall_id"] for a in alerts}),
            "ago": lambda at: ago((now - at).total_seconds(), lang) if at else ""}


@router.get("/inbox")
def inbox_page(request: Request) -> HTMLResponse:
    """The asker's halls' alerts and open cases, newest first."""
    p = need_user(request)
    return render(request, "inbox.html.j2", user=p, **_lists(request, _halls(p)))


def _fragment(request: Request, p: Principal, halls: set[str] | None) -> str:
    return bytes(render(request, "inbox_lists.html.j2", user=p, **_lists(request, halls)).body).decode()


def _still(request: Request, p: Principal) -> bool:
    """Whether the stream's asker is still signed in with the same role and halls."""
    try:
        return need_user(request) == p
    except HTTPException:
        return False


def _event(name: str, html: str) -> str:
    """One server-sent event carrying `html` (each line its own `data:` field)."""
    return f"event: {name}\n" + "".join(f"data: {line}\n" for line in html.splitlines()) + "\n"


async def _stream(request: Request, p: Principal, halls: set[str] | None) -> AsyncIterator[str]:
    """The inbox's lists each time they change, until the client goes or STREAM_S has passed."""
    inbox, start = state(request).ws.inbox, time.monotonic()
    yield f"retry: {RETRY_MS}\n\n"
    seen: tuple[Any, ...] | None = None
    sent, quiet_since = "", start
    while time.monotonic() - start < STREAM_S and not await request.is_disconnected():
        now = (await run_in_threadpool(inbox.pulse, halls), int(time.time() // 60))  # "… min ago" ticks too
        if now != seen:
            seen = now
            if not await run_in_threadpool(_still, request, p):
                return  # logged out, disabled or given other halls: the browser reconnects under its new rights
            html = await run_in_threadpool(_fragment, request, p, halls)
            if html != sent:
                sent, quiet_since = html, time.monotonic()
                yield _event("inbox", html)
        if time.monotonic() - quiet_since >= KEEPALIVE_S:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(TICK_S)


@router.get("/inbox/events")
async def inbox_events(request: Request) -> StreamingResponse:
    """The inbox's lists as server-sent events (`event: inbox`, the lists' HTML), each time they change."""
    p = await run_in_threadpool(need_user, request)
    halls = _halls(p)
    return StreamingResponse(_stream(request, p, halls), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/inbox/{alert_id}/claim")
def inbox_claim(request: Request, alert_id: str) -> Response:
    """Claim an alert (the first claim wins)."""
    p = need_user(request)
    state(request).ws.inbox.claim(alert_id[:400], p.name, _halls(p), client_address(request.scope))
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/{alert_id}/handled")
def inbox_handled(request: Request, alert_id: str) -> Response:
    """Mark an alert handled."""
    p = need_user(request)
    state(request).ws.inbox.handled(alert_id[:400], p.name, _halls(p), client_address(request.scope))
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/{alert_id}/hand")
def inbox_hand(request: Request, alert_id: str, to: Annotated[str, Form(max_length=200)]) -> Response:
    """Hand an alert to a colleague of its hall."""
    p = need_user(request)
    state(request).ws.inbox.hand(alert_id[:400], to, p.name, _halls(p), client_address(request.scope))
    return RedirectResponse("/inbox", status_code=303)
