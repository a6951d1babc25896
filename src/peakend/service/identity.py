"""Users and tokens administered in the browser, and accounts of single sign-on (`ws.identity`).

- **Who may do what**: an admin manages every user and token. A manager manages staff of their own halls only:
  they list, create, disable, reset and change users whose role is `staff` and whose halls are all theirs, and give
  them only halls of their own; they never create an admin or a manager, nor change themselves. Nobody disables or
  demotes themselves (an admin cannot lock the door behind them). Tokens are for admins.
- **Passwords**: an account made in the browser gets no password anyone knows; it gets a one-time code (shown
  once, valid `RESET_HOURS`, kept only hashed) with which its owner sets one at /password. An admin can issue a new
  code to any local account (a reset); using it sets the password and ends the account's sessions.
- **Single sign-on**: `provision` creates a user on their first OIDC or LDAP login with the role and halls the
  mapping granted, and updates them at each later login (a narrowed group narrows the halls at once).
- Every change goes to the activity log with who did it and from where; a code or a token never does.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from peakend.errors import PeakendError, UserError
from peakend.service.people import ALL_HALLS, ROLES, Principal

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

RESET_HOURS = 48  # a one-time password code lasts this long
SOURCES = ("local", "oidc", "ldap")
MAX_HALLS = 200  # halls one user may be given
TokenScope = Literal["device", "sms"]


class NotYours(PeakendError):
    """An action on a user or token outside the asker's reach (a manager and another hall's staff, an admin role)."""

    status = 403


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Account:
    """One user as the users page lists them."""

    username: str
    role: str
    halls: tuple[str, ...]
    email: str | None
    disabled: bool
    source: str
    last_login_at: datetime | None
    last_login_source: str | None
    created_at: datetime | None
    reset_pending: bool


@dataclass(frozen=True)
class Token:
    """One device or SMS-gateway token as the tokens page lists it (never the token itself)."""

    token_id: str
    hall_id: str
    label: str
    scope: str
    created_at: datetime | None
    created_by: str | None
    last_used_at: datetime | None
    rotated_at: datetime | None
    revoked_at: datetime | None


def _halls(text: str | None) -> tuple[str, ...]:
    return tuple(h for h in (text or "").split(",") if h)


class Identity:
    """User and token administration, and single sign-on accounts, on a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws, self.store = ws, ws.store

    # users ------------------------------------------------------------------------------------------------------
    def accounts(self, actor: Principal) -> list[Account]:
        """The users `actor` manages, by name (admins: all; managers: staff of their own halls)."""
        rows = self.store.rows("SELECT username, role, halls, email, coalesce(disabled, FALSE), coalesce(source, "
                               "'local'), last_login_at, last_login_source, created_at, reset_hash IS NOT NULL "
                               "FROM users ORDER BY username")
        found = [Account(str(r[0]), str(r[1]), _halls(r[2]), r[3], bool(r[4]), str(r[5]), r[6], r[7], r[8],
                         bool(r[9])) for r in rows]
        return [a for a in found if self._reaches(actor, a.role, a.halls)]

    def account(self, actor: Principal, username: str) -> Account:
        """One user `actor` manages (NotYours otherwise, also when there is no such user: no probing)."""
        for a in self.accounts(actor):
            if a.username == username:
                return a
        raise NotYours("id_not_yours", value=username)

    @staticmethod
    def _reaches(actor: Principal, role: str, halls: tuple[str, ...] | list[str]) -> bool:
        """Whether `actor` may manage a user of `role` in `halls`."""
        if actor.is_admin:
            return True
        return actor.role == "manager" and role == "staff" and bool(halls) and set(halls) <= actor.halls

    def _grant(self, actor: Principal, role: str, halls: list[str], username: str) -> list[str]:
        """The role and halls checked for `actor` to give (UserError: bad; NotYours: beyond their reach)."""
        if role not in ROLES:
            raise UserError("user_role", roles=", ".join(ROLES), value=role)
        halls = sorted({h.strip() for h in halls if h.strip()})
        if len(halls) > MAX_HALLS or any(len(h) > 200 or "," in h for h in halls):
            raise UserError("id_halls_bad", most=MAX_HALLS)
        if role != "admin" and not halls:
            raise UserError("user_hall", value=role)
        if username == actor.name:
            raise NotYours("id_not_self")
        if not self._reaches(actor, role, halls):
            raise NotYours("id_not_yours", value=username)
        return halls

    def create(self, actor: Principal, username: str, role: str, halls: list[str], email: str | None = None,
               address: str | None = None) -> str:
        """A new local user with no known password; the one-time code with which they set one."""
        username = username.strip()
        if not username or len(username) > 200 or any(c in username for c in "\x00,\r\n\t"):
            raise UserError("id_username_bad")
        halls = self._grant(actor, role, halls, username)
        if self.store.rows("SELECT 1 FROM users WHERE username = ?", [username]):
            raise UserError("id_username_taken", value=username)
        self.ws.people.add_user(username, secrets.token_urlsafe(32), role, halls, email or None, by=actor.name,
                                address=address)
        return self._issue(username)

    def change(self, actor: Principal, username: str, role: str, halls: list[str],
               address: str | None = None) -> None:
        """Give a user `role` and `halls` (both within `actor`'s reach, before and after)."""
        before = self.account(actor, username)
        halls = self._grant(actor, role, halls, username)
        self.store.execute("UPDATE users SET role = ?, halls = ? WHERE username = ?", [role, ",".join(halls), username])
        self.ws.activity.record(actor.name, "user_changed", username,
                                {"role": [before.role, role], "halls": [list(before.halls), halls]}, address)

    def set_disabled(self, actor: Principal, username: str, disabled: bool, address: str | None = None) -> None:
        """Disable a user (their sessions end at once; they cannot log in) or enable them again."""
        self.account(actor, username)
        if username == actor.name:
            raise NotYours("id_not_self")
        with self.store.transaction():
            self.store.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
            if disabled:
                self.store.execute("DELETE FROM sessions WHERE username = ?", [username])
        self.ws.activity.record(actor.name, "user_disabled" if disabled else "user_enabled", username, None, address)

    def reset(self, actor: Principal, username: str, address: str | None = None) -> str:
        """A new one-time code for a local user to set their password with (single sign-on users have none)."""
        found = self.account(actor, username)
        if username == actor.name:
            raise NotYours("id_not_self")
        if found.source != "local":
            raise UserError("id_reset_sso", value=found.source)
        code = self._issue(username)
        self.ws.activity.record(actor.name, "password_reset_issued", username, None, address)
        return code

    def _issue(self, username: str) -> str:
        code = secrets.token_urlsafe(18)
        self.store.execute("UPDATE users SET reset_hash = ?, reset_expires_at = ? WHERE username = ?",
                           [_hash(code), datetime.now() + timedelta(hours=RESET_HOURS), username])
        return code

    def use_code(self, code: str, password: str, address: str | None = None) -> str:
        """Set the password of the user a one-time code belongs to; the code is spent and their sessions end. Their
        name (UserError: an unknown, used or expired code, or a password shorter than 8 characters)."""
        if "\x00" in code or len(code) > 200:
            raise UserError("id_code_bad")
        rows = self.store.rows("SELECT username FROM users WHERE reset_hash = ? AND reset_expires_at > ? AND "
                               "NOT coalesce(disabled, FALSE)", [_hash(code.strip()), datetime.now()])
        if not rows:
            self.ws.activity.record("-", "password_code_refused", None, None, address)
            raise UserError("id_code_bad")
        if len(password) < 8:
            raise UserError("user_password")
        username = str(rows[0][0])
        with self.store.transaction():
            self.store.execute("UPDATE users SET password_hash = ?, reset_hash = NULL, reset_expires_at = NULL "
                               "WHERE username = ?", [self.ws.people.hash_password(password), username])
            self.store.execute("DELETE FROM sessions WHERE username = ?", [username])
        self.ws.activity.record(username, "password_set", username, None, address)
        return username

    def source_of(self, username: str) -> str | None:
        """Where the account `username` comes from (local, oidc, ldap), or None if there is none."""
        rows = self.store.rows("SELECT coalesce(source, 'local') FROM users WHERE username = ?", [username])
        return str(rows[0][0]) if rows else None

    # single sign-on ---------------------------------------------------------------------------------------------
    def provision(self, source: Literal["oidc", "ldap"], username: str, role: str, halls: list[str],
                  email: str | None, address: str | None = None) -> Principal:
        """The user an OIDC or LDAP login names, created on their first login and given the mapped role and halls at
        every later one. A local account of the same name is never taken over (UserError)."""
        rows = self.store.rows("SELECT coalesce(source, 'local'), role, halls, coalesce(disabled, FALSE) FROM users "
                               "WHERE username = ?", [username])
        if rows and rows[0][0] != source:
            raise UserError("id_sso_local", value=username, source=rows[0][0])
        if rows and rows[0][3]:
            raise UserError("id_sso_disabled", value=username)
        halls = sorted(set(halls))
        if not rows:
            self.ws.people.add_user(username, secrets.token_urlsafe(32), role, halls, None, by=source, source=source,
                                    address=address)
        elif (rows[0][1], _halls(rows[0][2])) != (role, tuple(halls)):
            self.store.execute("UPDATE users SET role = ?, halls = ? WHERE username = ?",
                               [role, ",".join(halls), username])
            self.ws.activity.record(source, "user_changed", username, {"role": [rows[0][1], role],
                                                                       "halls": [list(_halls(rows[0][2])), halls]},
                                    address)
        if email:
            self.store.execute("UPDATE users SET email = ? WHERE username = ?", [email, username])
        found = self.ws.people.user(username)
        assert found is not None  # made or updated just now
        return found

    # tokens -----------------------------------------------------------------------------------------------------
    def tokens(self, actor: Principal) -> list[Token]:
        """Every device and SMS-gateway token (admins only), newest first."""
        self._admin(actor)
        rows = self.store.rows("SELECT token_id, hall_id, coalesce(label, ''), coalesce(scope, 'device'), created_at, "
                               "created_by, last_used_at, rotated_at, revoked_at FROM api_tokens "
                               "ORDER BY revoked_at IS NOT NULL, created_at DESC NULLS LAST, token_id")
        return [Token(*r) for r in rows]

    @staticmethod
    def _admin(actor: Principal) -> None:
        if not actor.is_admin:
            raise NotYours("id_tokens_admin")

    def _token(self, token_id: str) -> Token:
        for t in self.store.rows("SELECT token_id, hall_id, coalesce(label, ''), coalesce(scope, 'device'), "
                                 "created_at, created_by, last_used_at, rotated_at, revoked_at FROM api_tokens "
                                 "WHERE token_id = ?", [token_id]):
            return Token(*t)
        raise UserError("id_token_unknown", value=token_id)

    def add_token(self, actor: Principal, hall_id: str, label: str, scope: TokenScope,
                  address: str | None = None) -> str:
        """A new token for hall `hall_id` (an SMS gateway's may name `*`); the token, shown once."""
        self._admin(actor)
        if len(label) > 200 or len(hall_id) > 200 or scope not in ("device", "sms"):
            raise UserError("id_token_bad")
        return self.ws.people.add_token(hall_id.strip(), label.strip(), scope, by=actor.name, address=address)

    def rotate(self, actor: Principal, token_id: str, address: str | None = None) -> str:
        """A new secret for a live token (same id, label, hall and scope); the old one stops working. Shown once."""
        self._admin(actor)
        found = self._token(token_id)
        if found.revoked_at is not None:
            raise UserError("id_token_revoked", value=token_id)
        token = "pk_" + secrets.token_urlsafe(24)
        self.store.execute("UPDATE api_tokens SET token_hash = ?, rotated_at = ? WHERE token_id = ?",
                           [_hash(token), datetime.now(), token_id])
        self.ws.activity.record(actor.name, "token_rotated", found.label or found.hall_id, {"id": token_id}, address)
        return token

    def revoke(self, actor: Principal, token_id: str, address: str | None = None) -> None:
        """Revoke a token: it stops working (kept in the list, struck)."""
        self._admin(actor)
        found = self._token(token_id)
        self.store.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                           [datetime.now(), token_id])
        self.ws.activity.record(actor.name, "token_revoked", found.label or found.hall_id, {"id": token_id}, address)

    def relabel(self, actor: Principal, token_id: str, label: str, address: str | None = None) -> None:
        """Give a token a new label (at most 200 characters)."""
        self._admin(actor)
        found = self._token(token_id)
        if len(label) > 200 or "\x00" in label:
            raise UserError("id_token_bad")
        self.store.execute("UPDATE api_tokens SET label = ? WHERE token_id = ?", [label.strip(), token_id])
        self.ws.activity.record(actor.name, "token_labelled", label.strip(),
                                {"id": token_id, "was": found.label}, address)

    def grantable_halls(self, actor: Principal) -> list[str]:
        """The halls `actor` may give: a manager's own, an admin's every hall the store knows."""
        if actor.is_admin:
            return [h for h, _, _ in self.ws.people.halls()]
        return sorted(actor.halls)


def hall_list(text: str) -> list[str]:
    """Halls typed as a comma- or space-separated list."""
    return [h for h in text.replace(",", " ").split() if h and h != ALL_HALLS]

