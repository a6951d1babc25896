"""What every request handler needs: the app's state, who is asking, and hall checks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import HTTPException, Request

from peakend.blueprint.model import Blueprint
from peakend.ingest.group_commit import GroupCommit
from peakend.live.sms import Gateway
from peakend.store.db import Store
from peakend.web.auth import Principal, token_principal, user


@dataclass
class AppState:
    """The open store, the blueprint the halls run, the SMS gateway, the clock of the live rules,
    the event that wakes the live worker when ingest has queued visits, and the group commit
    through which every posted event is ingested."""

    store: Store
    blueprint: Blueprint
    gateway: Gateway
    clock: Callable[[], datetime] = field(default=datetime.now)
    live_wake: threading.Event = field(default_factory=threading.Event)
    intake: GroupCommit = field(init=False)
    devices: dict[str, Principal] = field(default_factory=dict)  # known device tokens (tokens are never revoked)

    def __post_init__(self) -> None:
        self.intake = GroupCommit(self.store)


def state(request: Request) -> AppState:
    """The app's state."""
    return request.app.state.peakend


def principal(request: Request) -> Principal | None:
    """Who is asking: a bearer token's device, else the session's user, else None."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        st, token = state(request), auth[7:].strip()
        p = st.devices.get(token) or token_principal(st.store, token)  # a device posts without waiting for the store
        if p is None:
            raise HTTPException(401, "unknown token")
        st.devices[token] = p
        return p
    name = request.session.get("user")
    return user(state(request).store, name) if isinstance(name, str) else None


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


def need_user(request: Request) -> Principal:
    """The asker, who must be a logged-in user (any role) or 401."""
    p = principal(request)
    if p is None or p.role == "device":
        raise HTTPException(401, "log in first")
    return p
