"""The FastAPI application: pages for people, a JSON API for devices and scripts.

`create_app` opens the workspace of the store (DuckDB file or PostgreSQL URL; `service.Workspace`), mounts the
pages (`web.pages`, `web.whatif`), the API (`web.api`, documented at /docs and /openapi.json), the exports, the
live loop's cases, alerts and SMS replies (`web.live`), audits, imports, the first run and the blueprint editor,
and runs the background work while it serves (`service.background.threads`: the live worker, the timers, the
job runners and the scheduled scoring). Every route is an adapter: parse, check scope, call the service, render.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

import peakend.web.rosters as roster_pages  # the roster page
from peakend import settings
from peakend.errors import PeakendError
from peakend.service import Workspace, logs
from peakend.service.background import threads
from peakend.web import admin, api, audits, blueprint_edit, exports, first_run, imports, live, pages, sso, users, whatif
from peakend.web import hooks as web_hooks
from peakend.web import inbox as web_inbox
from peakend.web import ops as web_ops
from peakend.web.deps import AppState
from peakend.web.guard import SESSION_COOKIE, Guard
from peakend.web.refusal import refused_page
from peakend.web.render import Computing, being_computed


def app_from_env() -> FastAPI:
    """The web app of one of `peakend serve --workers N`'s processes: the store from env PEAKEND_DB."""
    return create_app(settings.get("db"))


def create_app(store_url: str | None = None, blueprint: Path | None = None, secret: str | None = None) -> FastAPI:
    """The web app on the store at `store_url` (default: env PEAKEND_DB, else peakend.duckdb).

    `secret` signs session cookies (default: env PEAKEND_SECRET, else a key kept in the store: sessions hold
    across restarts).
    """
    logs.configure()  # JSON lines, phones and secrets scrubbed (service/logs.py)
    ws = Workspace.open(store_url, blueprint, lang="en")
    st, store = AppState(ws), ws.store
    settings.get("tick_seconds")  # a wrong setting stops the start, not a thread later
    ws.sso.check_settings()  # so does a wrong group → role or halls mapping, not a login later
    ws.in_force  # noqa: B018  (the blueprint in force read at the start, not inside the first request)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        workers = threads(ws, stop) if settings.get("background") else []
        for w in workers:
            w.start()
        yield
        stop.set()
        ws.live_wake.set()
        ws.job_wake.set()
        for w in workers:
            w.join(timeout=30)
        store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="peakend",
        version="0.1",
        description="Peak-end customer experience for service halls: event ingest and the figures behind the pages.",
    )
    app.state.peakend = st
    if not ws.people.any_user():  # the first admin proves they can read the server's console
        st.setup_code = ws.limits.start_setup_code(settings.get("setup_code"))  # ("": one made by hand, kept)
    key = secret or settings.get("secret") or ws.people.cookie_key()
    hours = settings.get("session_hours")
    app.add_middleware(SessionMiddleware, secret_key=key, max_age=int(hours * 3600), same_site="lax",
                       session_cookie=SESSION_COOKIE)
    app.add_middleware(Guard)  # outermost: refuses before anything is read
    app.include_router(api.router)
    app.include_router(exports.router)
    app.include_router(whatif.router)
    app.include_router(pages.router)
    app.include_router(live.router)
    app.include_router(audits.router)
    app.include_router(imports.router)
    app.include_router(first_run.router)
    app.include_router(blueprint_edit.router)
    app.include_router(admin.router)
    app.include_router(users.router)
    app.include_router(sso.router)
    app.include_router(web_hooks.router)
    app.include_router(web_ops.router)
    app.include_router(web_inbox.router)
    app.add_middleware(web_ops.Timing)  # outermost: every request's latency, refusals too
    app.include_router(roster_pages.router)
    # Starlette types a handler as taking any Exception; each of these takes the one it is registered for.
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(PeakendError, _peakend_error)  # type: ignore[arg-type]
    app.add_exception_handler(Computing, _computing)  # type: ignore[arg-type]
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """JSON for the API; for pages, the login form on 401 and a bilingual error page otherwise."""
    if _is_api(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if exc.status_code == 403:
        return refused_page(request, exc.headers)  # what they tried, their role, the pages they can open
    key = "not_found"
    return pages.render(request, "error.html.j2", status=exc.status_code, key=key, code=exc.status_code,
                        headers=exc.headers)  # a 429's Retry-After too


async def _peakend_error(request: Request, exc: PeakendError) -> Response:
    """Every product error, once: its status, its message in both languages (the API) or the page's (pages)."""
    headers = {"Retry-After": "5"} if exc.status == 503 else None
    if _is_api(request):
        at_fault = getattr(exc, "param", None)  # the parameter a product error names, for an API caller
        param = {"param": at_fault} if isinstance(at_fault, str) else {}
        return JSONResponse({"detail": exc.say("en"), "detail_zh": exc.say("zh"), **param}, status_code=exc.status,
                            headers=headers)
    return pages.render(request, "error.html.j2", status=exc.status, headers=headers, code=exc.status,
                        message=exc.say(pages.page_lang(request)))


async def _computing(_: Request, exc: Computing) -> Response:
    """An API question whose answer is still being computed: 202 with the job computing it."""
    return being_computed(exc.found)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A request the API cannot read at all: 422 naming each place and why."""
    problems = [
        {"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
    ]
    return JSONResponse({"detail": problems}, status_code=422)
