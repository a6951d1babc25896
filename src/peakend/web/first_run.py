"""The first run: `peakend serve` on a store without users leads the first admin through creating their account,
choosing or uploading a blueprint, and importing a first file or loading the demo — instead of an empty page.

Whoever reaches the server first must not become its admin: `peakend serve` prints a one-time setup code on its
console, and `/setup` asks for it (compared in constant time, wrong guesses limited as logins are; gone once the
first admin exists). The first admin is made through `ws.people`; the demo loads as a job (`demo`), which the page
follows (any process of the server may run it).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peakend.errors import BlueprintError, UserError
from peakend.i18n import say
from peakend.service.blueprints import new_text
from peakend.service.demo import FIRST_RUN_DAYS
from peakend.service.jobs import Answer, Job
from peakend.web.deps import AppState, first_run, log_in, need_user, state
from peakend.web.guard import client_address
from peakend.web.pages import job_view, page_lang, render

router = APIRouter(include_in_schema=False)
DEMO_DAYS = FIRST_RUN_DAYS  # the first run's demo: a week, loaded in about 20 s


@router.get("/setup")
def setup_page(request: Request) -> Response:
    """Step 1: the setup code and the first admin's name and password (once users exist: the login)."""
    if not first_run(state(request)):  # the language asked for goes along
        return RedirectResponse(f"/login?lang={page_lang(request)}", status_code=303)
    return render(request, "setup.html.j2", step="account", problem="")


@router.post("/setup")
def setup_account(request: Request, code: Annotated[str, Form()] = "", username: Annotated[str, Form()] = "",
                  password: Annotated[str, Form()] = "", again: Annotated[str, Form()] = "") -> Response:
    """Create the first admin (with the code from the console) and log them in; then on to the blueprint and a first
    file, or, on the demo's store (set up already), to the network page."""
    st, lang = state(request), page_lang(request)
    if not first_run(st) or st.setup_code is None:
        return RedirectResponse("/login", status_code=303)
    address = client_address(request.scope)
    wait = st.ws.limits.setup_wait(address)  # the code is guessed no faster than a password, per address
    if wait:
        raise HTTPException(429, f"too many wrong setup codes: try again in {wait} s", {"Retry-After": str(wait)})
    words = {"zh": ("设置码不对：见运行 peakend serve 的终端", "两次输入的密码不一致"),
             "en": ("Wrong setup code: see the terminal running peakend serve", "The two passwords differ")}[lang]
    right = st.ws.limits.setup_code_right(code)  # the store's: `peakend setup-code` may have made a fresh one
    if not right:
        st.ws.limits.setup_failed(address)
    problem = words[0] if not right else words[1] if password != again else ""
    if not problem:
        try:
            st.ws.people.add_user(username.strip(), password, "admin")
        except UserError as exc:
            problem = exc.say(lang)
    if problem:
        return render(request, "setup.html.j2", status=422, step="account", problem=problem, username=username)
    st.setup_code = None
    st.ws.limits.forget_setup_code()
    log_in(request, username.strip(), password)
    if st.ws.demo.is_demo():  # `peakend demo`'s store is set up: its blueprint, data and scores are in
        return RedirectResponse("/", status_code=303)
    return RedirectResponse("/setup/blueprint", status_code=303)


def _admin(request: Request) -> AppState:
    if not need_user(request).is_admin:
        raise HTTPException(403, "only admins set up the store")
    return state(request)


@router.get("/setup/blueprint")
def setup_blueprint(request: Request) -> HTMLResponse:
    """Step 2: keep the built-in blueprint or upload one."""
    st = _admin(request)
    return render(request, "setup.html.j2", step="blueprint", problem="", moments=len(st.blueprint.moments),
                  in_force=st.ws.in_force.number)


@router.post("/setup/blueprint")
def setup_blueprint_save(request: Request, text: Annotated[str, Form()] = "", moments: Annotated[str, Form()] = "",
                         name: Annotated[str, Form()] = "") -> Response:
    """Save a blueprint made from the service's moments in order (`moments`, one per line or comma-separated), or a
    pasted YAML blueprint if checked (its problems shown otherwise); both empty: keep the built-in one."""
    st = _admin(request)
    if moments.strip():
        names = [n for n in re.split(r"[\n,，、;；]+", moments[:20_000]) if n.strip()]
        if not names:  # said in the page's language
            return render(request, "setup.html.j2", status=422, step="blueprint", moments=len(st.blueprint.moments),
                          problem=say("bp_no_moments", page_lang(request)))
        try:
            text, _ = new_text(names, "my_service", name.strip()[:200] or "My service")
        except BlueprintError as exc:
            return render(request, "setup.html.j2", status=422, step="blueprint", moments=len(st.blueprint.moments),
                          problem="\n".join(exc.lines()))
    if text.strip():
        bp, problems = st.ws.blueprints.check(text)
        if bp is None or problems:
            return render(request, "setup.html.j2", status=422, step="blueprint", moments=len(st.blueprint.moments),
                          problem="\n".join(str(p) for p in problems))
        st.ws.blueprints.save(text, need_user(request).name)
    return RedirectResponse("/setup/data", status_code=303)


@router.get("/setup/data")
def setup_data(request: Request) -> HTMLResponse:
    """Step 3: import a first file, or load the demo (a job: the page follows its progress and shows when it is
    done)."""
    st, lang = _admin(request), page_lang(request)
    job = demo_job(st)
    view = job_view(Answer(None, job), lang) if job is not None and not job.finished else None
    return render(request, "setup.html.j2", step="data", problem="", status_text=demo_status(job, lang),
                  days=int(job.params.get("days", DEMO_DAYS)) if job else DEMO_DAYS, job=view,
                  held=None if job is not None else st.ws.demo.data_held())


def demo_job(st: AppState) -> Job | None:
    """The latest demo load of this store (from any process of the server), or None."""
    found = st.ws.jobs.recent(kinds=("demo",), limit=1)
    return found[0] if found else None


def demo_status(job: Job | None, lang: str) -> str:
    """The first run's demo load as the page says it: "", running, done, or failed: why."""
    if job is None or job.state == "cancelled":
        return ""
    if not job.finished:
        return "running"
    return "done" if job.state == "done" else f"failed: {job.error('zh' if lang == 'zh' else 'en')}"


@router.post("/setup/demo")
def setup_demo(request: Request) -> Response:
    """Load a week of the demo network into this store in the background."""
    st = _admin(request)
    job = demo_job(st)
    if job is None and st.ws.demo.data_held()[0]:  # the user's own data: the page says so and offers no demo
        return RedirectResponse("/setup/data", status_code=303)
    if job is None or job.finished:  # one load at a time (a second click follows the first)
        st.ws.jobs.submit("demo", {"days": DEMO_DAYS}, need_user(request).name)
    return RedirectResponse("/setup/data", status_code=303)
