"""What monitoring asks of a server: `/healthz` (the process answers), `/readyz` (the store answers and its schema
is current; 503 otherwise) — both without a login — and `/metrics` (Prometheus text), behind the bearer token of
setting `metrics_token`, or open with setting `metrics_open`. `Timing` counts every request's latency under its
route template (never its raw path: ids stay out of the labels)."""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peakend import settings
from peakend.i18n import say
from peakend.service.ops import CONTENT_TYPE, observe_request
from peakend.web.deps import state

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The store answers and its schema is the newest this code ships (503 with why otherwise)."""
    found = state(request).ws.ops.ready()
    return JSONResponse(found, status_code=200 if found["ready"] else 503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The Prometheus text exposition, for the bearer of `metrics_token` (or anyone with `metrics_open`)."""
    token = settings.get("metrics_token")
    given = request.headers.get("authorization", "")
    allowed = settings.get("metrics_open") or (
        token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()))
    if not allowed:
        return JSONResponse({"detail": say("metrics_closed", "en"), "detail_zh": say("metrics_closed", "zh")},
                            status_code=401 if token else 403, headers={"WWW-Authenticate": "Bearer"})
    return Response(state(request).ws.ops.metrics(), media_type=CONTENT_TYPE)


class Timing:
    """ASGI middleware: each HTTP request's time to its response, by route template, method and status."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def noted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            observe_request(template, str(scope.get("method", "")), status[0], time.perf_counter() - start)
