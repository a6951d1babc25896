"""Users, roles, device tokens, sessions, hall names and who may see which hall (`ws.people`).

- Users log in with a password (hashed with Argon2) and keep a signed session cookie.
- Sessions live in the store (`sessions`): the cookie carries a random id, stored only hashed,
  so logging out ends the session everywhere, and a copied cookie dies with it.
- Devices (rating pads, the queue system) send events with a bearer token that is scoped to one
  hall and may only write; the SMS gateway's token (scope `sms`) only posts replies, for the
  surveys of its halls (`*`: every hall).
- Roles: `admin` sees every hall and edits blueprints and users; `manager` sees only the
  halls listed for them; `auditor` (a mystery shopper) fills in and reads the audits of the halls
  listed for them; `staff` see the playbook (blueprint) and their own scorecard.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from peakend.errors import BadOption, UserError
from peakend.ingest.privacy import key_text
from peakend.store.halls import give_name, hall_names

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

Role = Literal["admin", "manager", "auditor", "staff"]
ROLES: tuple[Role, ...] = ("admin", "manager", "auditor", "staff")
_hasher = PasswordHasher()
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in user, or a device holding a hall token."""

    name: str
    role: Role | Literal["device", "sms"]
    halls: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        """Whether this principal may see and edit everything."""
        return self.role == "admin"

    def sees(self, hall_id: str) -> bool:
        """Whether this principal may read figures of hall `hall_id`."""
        return self.is_admin or (self.role == "manager" and hall_id in self.halls)

    def can_read(self) -> bool:
        """Whether this principal may read hall figures at all."""
        return self.role in ("admin", "manager")

    def audits(self, hall_id: str) -> bool:
        """Whether this principal may fill in and read the audits of hall `hall_id`."""
        return self.sees(hall_id) or (self.role == "auditor" and hall_id in self.halls)

    def sends(self, kind: str) -> bool:
        """Whether this principal may send events of this kind at all (devices any, auditors audits)."""
        return self.is_admin or self.role == "device" or (self.role == "auditor" and kind == "audit")

    def writes_to(self, hall_id: str | None) -> bool:
        """Whether this principal may send events of hall `hall_id` (None: not yet known)."""
        if self.is_admin:
            return True
        return self.role in ("device", "auditor") and (hall_id is None or hall_id in self.halls)


def hall_names_checked(hall_id: str, zh: str, en: str) -> tuple[str, str]:
    """A hall's two names, trimmed (BadOption: either empty, or any of the three over 200 characters)."""
    if not (zh.strip() and en.strip()) or max(len(zh), len(en), len(hall_id)) > 200:
        raise BadOption(option="--zh/--en", expected="1–200 characters each", value=f"{zh} / {en}")
    return zh.strip(), en.strip()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


ALL_HALLS = "*"  # an SMS gateway token's hall: every hall


class People:
    """Users, device tokens, sessions and hall names of a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws, self.store = ws, ws.store

    def add_user(self, username: str, password: str, role: str, halls: list[str] | None = None,
                 email: str | None = None, by: str = "cli", source: str = "local", address: str | None = None) -> None:
        """Create or replace a user; managers, auditors and staff must name at least one hall; `email` is where a
        manager's weekly digest goes; `by`: who did it (the activity log); `source`: where the account comes from
        (local, oidc, ldap); `address`: from where."""
        if role not in ROLES:
            raise UserError("user_role", roles=", ".join(ROLES), value=role)
        if not username.strip() or len(password) < 8:
            raise UserError("user_password")
        halls = [h.strip() for h in (halls or []) if h.strip()]
        if role != "admin" and not halls:
            raise UserError("user_hall", value=role)
        if email is not None and not EMAIL.fullmatch(email):
            raise UserError("user_email", value=email)
        self.store.execute("DELETE FROM users WHERE username = ?", [username])
        self.store.execute(
            "INSERT INTO users (username, password_hash, role, halls, email, source) VALUES (?, ?, ?, ?, ?, ?)",
            [username, _hasher.hash(password), role, ",".join(halls), email, source],
        )
        self.ws.activity.record(by, "user_saved", username, {"role": role, "halls": halls, "source": source}, address)

    @staticmethod
    def hash_password(password: str) -> str:
        """A password as the store keeps it (Argon2)."""
        return _hasher.hash(password)

    def any_user(self) -> bool:
        """Whether the store has a user yet (none: the first run)."""
        return bool(self.store.rows("SELECT 1 FROM users LIMIT 1"))

    def user(self, username: str) -> Principal | None:
        """The user called `username`, or None (also when disabled: no login, no session)."""
        rows = self.store.rows("SELECT role, halls FROM users WHERE username = ? AND NOT coalesce(disabled, FALSE)",
                               [username])
        if not rows:
            return None
        role, halls = rows[0]
        return Principal(username, role, frozenset(h for h in (halls or "").split(",") if h))

    def check_password(self, username: str, password: str) -> Principal | None:
        """The user if the password is right, else None (same answer for unknown users)."""
        if "\x00" in username:  # no user has one; PostgreSQL would refuse the lookup
            return None
        rows = self.store.rows("SELECT password_hash FROM users WHERE username = ?", [username])
        stored = rows[0][0] if rows else _hasher.hash("no such user")
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, InvalidHashError):
            return None
        return self.user(username) if rows else None

    def add_token(self, hall_id: str, label: str = "", scope: Literal["device", "sms"] = "device",
                  by: str = "cli", address: str | None = None) -> str:
        """Create a token for one hall (an SMS gateway's may name `*`); returns it (it is stored only hashed)."""
        if not hall_id.strip() or (hall_id == ALL_HALLS and scope != "sms"):
            raise UserError("token_hall")
        token = "pk_" + secrets.token_urlsafe(24)
        digest = _token_hash(token)
        self.store.execute("INSERT INTO api_tokens (token_hash, hall_id, label, scope, token_id, created_by, "
                           "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [digest, hall_id, label, scope, digest[:12], by, datetime.now()])
        self.ws.activity.record(by, "token_added", label or hall_id,
                                {"hall": hall_id, "scope": scope, "id": digest[:12]}, address)
        return token

    def token_principal(self, token: str) -> Principal | None:
        """The device or SMS gateway a bearer token belongs to, or None (unknown or revoked); its last use noted."""
        if "\x00" in token:
            return None
        digest = _token_hash(token)
        rows = self.store.rows("SELECT hall_id, label, scope FROM api_tokens WHERE token_hash = ? "
                               "AND revoked_at IS NULL", [digest])
        if not rows:
            return None
        self.store.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?", [datetime.now(), digest])
        hall, label, scope = rows[0]
        if scope == "sms":
            return Principal(f"sms:{label or hall}", "sms", frozenset([hall]))
        return Principal(f"device:{label or hall}", "device", frozenset([hall]))

    def start_session(self, username: str, hours: float, source: str = "local") -> str:
        """A new session of `username` lasting `hours`, noted as their last login through `source` (local, oidc,
        ldap); returns its id (the store keeps only its hash)."""
        sid = secrets.token_urlsafe(32)
        now = datetime.now()
        self.store.execute("UPDATE users SET last_login_at = ?, last_login_source = ? WHERE username = ?",
                           [now, source, username])
        self.store.execute("DELETE FROM sessions WHERE expires_at < ?", [now])
        self.store.execute("INSERT INTO sessions (session_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)",
                      [_token_hash(sid), username, now, now + timedelta(hours=hours)])
        return sid

    def cookie_key(self) -> str:
        """The key signing session cookies when no server secret (PEAKEND_SECRET) is set: made once and kept in the
        store, so that sessions hold across restarts and on every process of the store. (It seals nothing: an
        endpoint's secret still needs PEAKEND_SECRET, which does not sit beside what it seals.)"""
        name = "session_cookie_key"
        found = self.store.scalar("SELECT value FROM store_secrets WHERE name = ?", [name])
        if not found:
            self.store.execute("INSERT INTO store_secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                               [name, secrets.token_urlsafe(32)])
            found = self.store.scalar("SELECT value FROM store_secrets WHERE name = ?", [name])
        return str(found)

    def session_user(self, sid: str) -> Principal | None:
        """The user of a live session, or None (unknown, ended or expired)."""
        rows = self.store.rows("SELECT username FROM sessions WHERE session_hash = ? AND expires_at > ?",
                          [_token_hash(sid), datetime.now()])
        return self.user(rows[0][0]) if rows else None

    def end_session(self, sid: str) -> None:
        """End a session (logout): its cookie is worth nothing from now on."""
        self.store.execute("DELETE FROM sessions WHERE session_hash = ?", [_token_hash(sid)])

    def hall_names(self, lang: str) -> dict[str, str]:
        """Hall id → its name in `lang`, for the halls given one."""
        return hall_names(self.store, lang)

    def name_hall(self, hall_id: str, zh: str, en: str) -> None:
        """Give hall `hall_id` its names in both languages (replacing any it had)."""
        give_name(self.store, "hall", hall_id, zh, en)

    def name_staff(self, staff_id: str, zh: str, en: str) -> None:
        """Give staff member `staff_id` their names in both languages (1–200 characters each; BadOption else)."""
        zh, en = hall_names_checked(staff_id, zh, en)
        give_name(self.store, "staff", key_text(self.store, staff_id) or staff_id, zh, en)

    def halls(self) -> list[tuple[str, str | None, str | None]]:
        """Every hall with events or a name: (id, Chinese name, English name), by id."""
        names = {str(h): (zh, en) for h, zh, en in self.store.rows("SELECT hall_id, zh, en FROM hall_names")}
        halls = sorted({*map(str, self.store.distinct("visits", "hall_id")), *names})
        return [(h, *names.get(h, (None, None))) for h in halls]
