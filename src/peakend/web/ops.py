"""What monitoring asks of a server: `/healthz` (the process answers), `/readyz` (the store answers and its schema
is current; 503 otherwise) — both without a login — and `/metrics` (Prometheus text), behind the bearer token of
setting `metrics_token`, or open with setting `metrics_open`. `Timing` counts every request's latency under its
route template (never its raw path: ids stay out of the labels)."""

from __future__ import annotations

import hmac
import time

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peakend import settings
from peakend.i18n import say
from peakend.service import logs
from peakend.service.ops import CONTENT_TYPE, observe_request
from peakend.web.deps import state

router = APIRouter(include_in_schema=False)
LOG = logs.get("peakend.http")


@router.get("/healthz")
def healthz() -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The store answers, its schema is the newest this code ships and the worker's heartbeat is fresh (503 with
    why otherwise)."""
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
    """ASGI middleware: each HTTP request's time to its response, by route template, method and status, counted
    and logged as one JSON line under its request id (the incoming `X-Request-ID` if valid; sent back)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = logs.request_id(given)

        async def noted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=rid):
            try:
                await self.app(scope, receive, noted)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                method, seconds = str(scope.get("method", "")), time.perf_counter() - start
                observe_request(template, method, status[0], seconds)
                LOG.info("request", method=method[:10], route=template, status=status[0], ms=round(seconds * 1000, 1))
