"""What every request handler needs: the app's state, who is asking, and hall checks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from peakend import settings
from peakend.service import Workspace
from peakend.service.people import Principal
from peakend.web.guard import client_address

if TYPE_CHECKING:
    from peakend.blueprint.model import Blueprint
    from peakend.live.sms import Gateway
    from peakend.store.db import Store

MAX_PASSWORD = 1024  # characters: Argon2 of a longer one only costs the server
TOKEN_RECHECK_S = 10.0  # a device token known to this process is looked up in the store again after this long


@dataclass
class AppState:
    """The workspace the app serves (store, blueprint in force, clock, SMS gateway, the live worker's wake-up, the
    intake every posted event goes through) and what the web keeps per process."""

    ws: Workspace
    # known device tokens, with when the store last confirmed them (a revoked or rotated one dies within
    # TOKEN_RECHECK_S in every process, at once in the one that revoked it)
    devices: dict[str, tuple[Principal, float]] = field(default_factory=dict)
    setup_code: str | None = None  # while the store has no user: the code `peakend serve` prints for the first admin

    @property
    def store(self) -> Store:
        return self.ws.store

    @property
    def blueprint(self) -> Blueprint:
        """The blueprint in force (the latest saved by any process of the server)."""
        return self.ws.blueprint

    @property
    def gateway(self) -> Gateway:
        return self.ws.gateway

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.ws.clock

    @property
    def live_wake(self) -> threading.Event:
        return self.ws.live_wake

    def __post_init__(self) -> None:
        _ = self.ws.intake  # made now: device posts key their ids without waiting for the store


def state(request: Request) -> AppState:
    """The app's state."""
    return request.app.state.peakend


def first_run(st: AppState) -> bool:
    """Whether the store still waits for its first user (the setup code is forgotten once one exists)."""
    if st.setup_code is not None and st.ws.people.any_user():
        st.setup_code = None
    return st.setup_code is not None


def principal(request: Request) -> Principal | None:
    """Who is asking: a bearer token's device, else the session's user, else None."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        st, token = state(request), auth[7:].strip()
        known = st.devices.get(token)
        if known is not None and time.monotonic() - known[1] < TOKEN_RECHECK_S:
            return known[0]  # a device posts without waiting for the store
        p = st.ws.people.token_principal(token)
        if p is None:
            st.devices.pop(token, None)
            raise HTTPException(401, "unknown token")
        st.devices[token] = (p, time.monotonic())
        return p
    sid = request.session.get("sid")
    return state(request).ws.people.session_user(sid) if isinstance(sid, str) else None


def need_reader(request: Request) -> Principal:
    """The asker, who must be logged in with a role that reads hall figures (401/403 otherwise)."""
    p = principal(request)
    if p is None:
        raise HTTPException(401, "log in first")
    if not p.can_read():
        raise HTTPException(403, "this role does not read hall figures")
    return p


def hall_visible(request: Request, hall_id: str) -> Principal:
    """The asker, who must see hall `hall_id`; another manager's hall is answered 404, as if absent."""
    p = need_reader(request)
    if not p.sees(hall_id):
        raise HTTPException(404, "no such hall")
    return p


def reader_scope(request: Request, hall: str | None) -> tuple[Principal, set[str] | None]:
    """The asker and the halls a question reaches: `hall` if given (which they must see), else all of theirs
    (None: every hall, for an admin)."""
    if hall:
        return hall_visible(request, hall), {hall}
    p = need_reader(request)
    return p, None if p.is_admin else set(p.halls)


def card_scope(request: Request, hall: str | None) -> tuple[Principal, set[str] | None, str | None]:
    """Whose scorecards the asker may see: staff their own card in their halls, managers their halls', admins
    all (`hall` narrows it; another's hall is 404)."""
    p = need_user(request)
    if p.role == "staff":
        if hall and hall not in p.halls:
            raise HTTPException(404, "no such hall")
        return p, {hall} if hall else set(p.halls), p.name
    _, scope = reader_scope(request, hall)
    return p, scope, None


def need_user(request: Request) -> Principal:
    """The asker, who must be a logged-in user (any role) or 401."""
    p = principal(request)
    if p is None or p.role in ("device", "sms"):
        raise HTTPException(401, "log in first")
    return p


def log_in(request: Request, username: str, password: str) -> Principal:
    """Check a password and start a server-side session (a new id: no fixation).

    401 for a wrong name or password, 429 (with Retry-After) after too many failures of this
    user name or from this address within setting `login_window_s`.
    """
    st, address = state(request), client_address(request.scope)
    if len(username) > settings.get("max_id_chars") or len(password) > MAX_PASSWORD:
        raise HTTPException(422, f"a user name has at most {settings.get('max_id_chars')} characters and a password "
                                 f"at most {MAX_PASSWORD}")
    wait = st.ws.limits.wait(username, address)
    if wait:
        raise HTTPException(429, f"too many failed logins: try again in {wait} s", {"Retry-After": str(wait)})
    found = st.ws.sso.password_login(username, password, address)  # a local account, else the LDAP directory
    if found is None:
        st.ws.limits.failed(username, address)
        st.ws.activity.record(username, "login_failed", None, None, address)
        raise HTTPException(401, "wrong username or password")
    p, source = found
    st.ws.limits.succeeded(username)
    begin_session(request, p, source)
    return p


def begin_session(request: Request, p: Principal, source: str) -> None:
    """Log `p` in through `source` (local, oidc, ldap): the login logged, any earlier session ended, a new one."""
    st = state(request)
    st.ws.activity.record(p.name, "login", None, {"role": p.role, "source": source}, client_address(request.scope))
    log_out(request)
    request.session["sid"] = st.ws.people.start_session(p.name, settings.get("session_hours"), source)


def log_out(request: Request) -> str | None:
    """End the asker's session on the server and forget the cookie; where to end the OIDC provider's session too
    (None: not an OIDC login, or the provider offers no end-session endpoint)."""
    sid, id_token = request.session.get("sid"), request.session.get("oidc_id_token")
    if isinstance(sid, str):
        state(request).ws.people.end_session(sid)
    request.session.clear()
    if isinstance(id_token, str) and isinstance(sid, str):
        return state(request).ws.sso.oidc.logout_url(id_token, str(request.url_for("login_page")))
    return None


def safe_next(target: str) -> str:
    """A page of this site to go to after a login (anything else: the start page)."""
    ours = target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target
    return target if ours else "/"
