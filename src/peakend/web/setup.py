"""The first run: `peakend serve` on a store without users leads the first admin through creating their account,
choosing or uploading a blueprint, and importing a first file or loading the demo — instead of an empty page.

Whoever reaches the server first must not become its admin: `peakend serve` prints a one-time setup code on its
console, and `/setup` asks for it (compared in constant time, wrong guesses limited as logins are; gone once the
first admin exists).
"""

from __future__ import annotations

import hmac
import tempfile
import threading
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peakend.blueprint.load import check_text
from peakend.demo.generate import load_demo
from peakend.errors import UserError
from peakend.store.blueprints import save_blueprint
from peakend.web.deps import AppState, first_run, log_in, need_user, state
from peakend.web.guard import client_address
from peakend.web.pages import page_lang, render

router = APIRouter(include_in_schema=False)
DEMO_DAYS = 7  # the first run's demo: a week, loaded in about 20 s
SETUP = "\x00setup"  # the login limiter's name for setup-code attempts (no user name holds a NUL)


@router.get("/setup")
def setup_page(request: Request) -> Response:
    """Step 1: the setup code and the first admin's name and password (once users exist: the login)."""
    if not first_run(state(request)):
        return RedirectResponse("/login", status_code=303)
    return render(request, "setup.html.j2", step="account", problem="")


@router.post("/setup")
def setup_account(request: Request, code: Annotated[str, Form()] = "", username: Annotated[str, Form()] = "",
                  password: Annotated[str, Form()] = "", again: Annotated[str, Form()] = "") -> Response:
    """Create the first admin (with the code from the console) and log them in."""
    st, lang = state(request), page_lang(request)
    if not first_run(st) or st.setup_code is None:
        return RedirectResponse("/login", status_code=303)
    address = client_address(request.scope)
    wait = st.logins.wait(SETUP, address)  # the code is guessed no faster than a password
    if wait:
        raise HTTPException(429, f"too many wrong setup codes: try again in {wait} s", {"Retry-After": str(wait)})
    words = {"zh": ("设置码不对：见运行 peakend serve 的终端", "两次输入的密码不一致"),
             "en": ("Wrong setup code: see the terminal running peakend serve", "The two passwords differ")}[lang]
    right = hmac.compare_digest(code.strip().encode(), st.setup_code.encode())
    if not right:
        st.logins.failed(SETUP, address)
    problem = words[0] if not right else words[1] if password != again else ""
    if not problem:
        try:
            st.ws.people.add_user(username.strip(), password, "admin")
        except UserError as exc:
            problem = exc.say(lang)
    if problem:
        return render(request, "setup.html.j2", status=422, step="account", problem=problem, username=username)
    st.setup_code = None
    log_in(request, username.strip(), password)
    return RedirectResponse("/setup/blueprint", status_code=303)


def _admin(request: Request) -> AppState:
    if not need_user(request).is_admin:
        raise HTTPException(403, "only admins set up the store")
    return state(request)


@router.get("/setup/blueprint")
def setup_blueprint(request: Request) -> HTMLResponse:
    """Step 2: keep the built-in blueprint or upload one."""
    st = _admin(request)
    return render(request, "setup.html.j2", step="blueprint", problem="", moments=len(st.blueprint.moments))


@router.post("/setup/blueprint")
def setup_blueprint_save(request: Request, text: Annotated[str, Form()] = "") -> Response:
    """Save an uploaded blueprint if checked (its problems shown otherwise); empty: keep the built-in one."""
    st = _admin(request)
    if text.strip():
        bp, problems = check_text(text)
        if bp is None or problems:
            return render(request, "setup.html.j2", status=422, step="blueprint", moments=len(st.blueprint.moments),
                          problem="\n".join(str(p) for p in problems))
        save_blueprint(st.store, bp, text, need_user(request).name)
        st.blueprint = bp
    return RedirectResponse("/setup/data", status_code=303)


@router.get("/setup/data")
def setup_data(request: Request) -> HTMLResponse:
    """Step 3: import a first file, or load the demo (a page that refreshes itself while it loads)."""
    st = _admin(request)
    return render(request, "setup.html.j2", step="data", problem="", status_text=st.setup_status, days=DEMO_DAYS)


@router.post("/setup/demo")
def setup_demo(request: Request) -> Response:
    """Load a week of the demo network into this store in the background."""
    st = _admin(request)
    if st.setup_status != "running":
        st.setup_status = "running"
        threading.Thread(target=_load, args=(st,), name="peakend-setup-demo", daemon=True).start()
    return RedirectResponse("/setup/data", status_code=303)


def _load(st: AppState) -> None:
    try:
        with tempfile.TemporaryDirectory(prefix="peakend-demo-") as folder:
            load_demo(st.store, st.blueprint, Path(folder), DEMO_DAYS)
        st.setup_status = "done"
    except Exception as exc:  # shown on the page rather than lost in a thread
        st.setup_status = f"failed: {type(exc).__name__}: {exc}"
