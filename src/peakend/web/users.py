"""Users and tokens in the browser: `/admin/users` (admins; managers for staff of their own halls), one user's page
`/admin/users/{name}` (role and halls, disable, a one-time password code), `/admin/tokens` (admins: device and
SMS-gateway tokens made, labelled, rotated, revoked) and `/password` (a one-time code sets a password). Every rule
lives in `ws.identity`; a secret (token or code) is shown once, in the answer to the post that made it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peakend.errors import PeakendError
from peakend.service.identity import hall_list
from peakend.service.people import ROLES, Principal
from peakend.web.deps import AppState, need_user, state
from peakend.web.guard import client_address
from peakend.web.pages import page_lang, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]
Ticked = Annotated[list[str] | None, Form(max_length=200)]  # the halls ticked (one field per hall)


def _manager(request: Request) -> tuple[Principal, AppState]:
    """The asker, an admin or a manager (403 for other roles)."""
    p = need_user(request)
    if p.role not in ("admin", "manager"):
        raise HTTPException(403, "only admins and managers manage users")
    return p, state(request)


def _roles(p: Principal) -> tuple[str, ...]:
    return ROLES if p.is_admin else ("staff",)


def _users_page(request: Request, p: Principal, st: AppState, status: int = 200, **shown: Any) -> HTMLResponse:
    return render(request, "admin_users.html.j2", status=status, user=p, accounts=st.ws.identity.accounts(p),
                  roles=_roles(p), halls=st.ws.identity.grantable_halls(p), **shown)


@router.get("/admin/users")
def users_page(request: Request) -> HTMLResponse:
    """The users the asker manages, with last login and its source, and the form that creates one."""
    p, st = _manager(request)
    return _users_page(request, p, st)


@router.post("/admin/users")
def create_user(request: Request, username: Annotated[str, Form(max_length=200)] = "",
                role: Annotated[str, Form(max_length=20)] = "staff", halls: Text = "", hall: Ticked = None,
                email: Annotated[str, Form(max_length=320)] = "") -> HTMLResponse:
    """Create a user; the page shows their one-time code (once) or what was wrong."""
    p, st = _manager(request)
    try:
        code = st.ws.identity.create(p, username, role, hall_list(halls) + (hall or []), email.strip() or None,
                                     client_address(request.scope))
    except PeakendError as exc:
        return _users_page(request, p, st, status=exc.status, problem=exc.say(page_lang(request)))
    return _users_page(request, p, st, created=username.strip(), code=code)


def _user_page(request: Request, p: Principal, st: AppState, name: str, status: int = 200,
               **shown: Any) -> HTMLResponse:
    account = st.ws.identity.account(p, name)
    return render(request, "admin_user.html.j2", status=status, user=p, account=account, roles=_roles(p),
                  halls=st.ws.identity.grantable_halls(p), **shown)


@router.get("/admin/users/{name:path}")
def user_page(request: Request, name: str) -> HTMLResponse:
    """One user: role and halls, disable or enable, a one-time password code (404 outside the asker's reach)."""
    p, st = _manager(request)
    try:
        return _user_page(request, p, st, name)
    except PeakendError:
        raise HTTPException(404, "no such user") from None


@router.post("/admin/users/{name:path}/{action}")
def user_action(request: Request, name: str, action: str, role: Annotated[str, Form(max_length=20)] = "",
                halls: Text = "", hall: Ticked = None) -> Response:
    """Change role and halls (`change`), `disable`, `enable` or `reset` (a one-time code, shown once)."""
    p, st = _manager(request)
    ident, address, code = st.ws.identity, client_address(request.scope), None
    try:
        ident.account(p, name)
    except PeakendError:
        raise HTTPException(404, "no such user") from None
    try:
        if action == "change":
            ident.change(p, name, role, hall_list(halls) + (hall or []), address)
        elif action in ("disable", "enable"):
            ident.set_disabled(p, name, action == "disable", address)
        elif action == "reset":
            code = ident.reset(p, name, address)
        else:
            raise HTTPException(404, "no such action")
    except PeakendError as exc:
        return _user_page(request, p, st, name, status=exc.status, problem=exc.say(page_lang(request)))
    return _user_page(request, p, st, name, done=action, code=code)


@router.get("/password")
def password_page(request: Request, code: str = "") -> HTMLResponse:
    """The form where a one-time code sets a password (no login needed)."""
    return render(request, "password.html.j2", code=code[:200])


@router.post("/password", response_model=None)
def password_post(request: Request, code: Annotated[str, Form(max_length=200)] = "",
                  password: Annotated[str, Form(max_length=1024)] = "",
                  again: Annotated[str, Form(max_length=1024)] = "") -> Response:
    """Set the password of the code's user; then the login form."""
    st, lang = state(request), page_lang(request)
    if password != again:
        return render(request, "password.html.j2", status=422, code=code, problem="differ")
    address = client_address(request.scope)
    wait = st.ws.limits.setup_wait(address)  # a code guessed is counted as a setup code guessed
    if wait:
        return render(request, "password.html.j2", status=429, code="", problem="wait")
    try:
        st.ws.identity.use_code(code, password, address)
    except PeakendError as exc:
        st.ws.limits.setup_failed(address)
        return render(request, "password.html.j2", status=exc.status, code=code, message=exc.say(lang))
    return RedirectResponse("/login?password=set", status_code=303)


def _admin(request: Request) -> tuple[Principal, AppState]:
    p = need_user(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins manage tokens")
    return p, state(request)


def _tokens_page(request: Request, p: Principal, st: AppState, status: int = 200, **shown: Any) -> HTMLResponse:
    return render(request, "admin_tokens.html.j2", status=status, user=p, tokens=st.ws.identity.tokens(p),
                  halls=st.ws.identity.grantable_halls(p), **shown)


@router.get("/admin/tokens")
def tokens_page(request: Request) -> HTMLResponse:
    """Every device and SMS-gateway token: label, hall, scope, made by and when, last use, rotated, revoked."""
    p, st = _admin(request)
    return _tokens_page(request, p, st)


@router.post("/admin/tokens")
def create_token(request: Request, hall: Annotated[str, Form(max_length=200)] = "",
                 label: Annotated[str, Form(max_length=200)] = "",
                 scope: Annotated[str, Form(max_length=10)] = "device") -> HTMLResponse:
    """Make a token; the page shows it once."""
    p, st = _admin(request)
    try:
        token = st.ws.identity.add_token(p, hall, label, "sms" if scope == "sms" else "device",
                                         client_address(request.scope))
    except PeakendError as exc:
        return _tokens_page(request, p, st, status=exc.status, problem=exc.say(page_lang(request)))
    return _tokens_page(request, p, st, secret=token, done="created")


@router.post("/admin/tokens/{token_id}/{action}")
def token_action(request: Request, token_id: str, action: str,
                 label: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    """`rotate` (the new token shown once), `revoke` or `label` a token."""
    p, st = _admin(request)
    ident, address, token = st.ws.identity, client_address(request.scope), None
    try:
        if action == "rotate":
            token = ident.rotate(p, token_id, address)
        elif action == "revoke":
            ident.revoke(p, token_id, address)
            st.devices.clear()  # this process forgets every token it knew: the revoked one dies at once
        elif action == "label":
            ident.relabel(p, token_id, label, address)
        else:
            raise HTTPException(404, "no such action")
    except PeakendError as exc:
        return _tokens_page(request, p, st, status=exc.status, problem=exc.say(page_lang(request)))
    if action == "rotate":
        st.devices.clear()
    return _tokens_page(request, p, st, secret=token, done=action, token_id=token_id)
