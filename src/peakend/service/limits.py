"""Limits on guessing (`ws.limits`): failed logins counted per user name and per client address, setup-code
guesses per address, over a sliding window (setting `login_window_s`), kept in the store so that every process of
a server counts them together; and the first run's setup code, kept in the store as a hash so that every process
checks the same one and the console can issue a fresh one (`peakend setup-code`)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from peakend import settings

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace


SETUP_SECRET = "setup_code_sha256"  # the name of the setup code's hash in table `store_secrets`
SETUP_BY_HAND = "setup_code_by_hand"  # present when `peakend setup-code` made it: a server start keeps it


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _key(text: str) -> str:
    """A user name or address as the store keeps it: at most 200 characters, NUL shown as U+FFFD."""
    return text[:200].replace("\x00", "\ufffd")


class Limits:
    """Failed attempts of a workspace's store."""

    def __init__(self, ws: Workspace):
        self.store = ws.store

    def _wait(self, kind: str, key: str, most: int, now: datetime) -> float:
        window = timedelta(seconds=settings.get("login_window_s"))
        rows = self.store.rows("SELECT failed_at FROM login_failures WHERE kind = ? AND key = ? AND failed_at > ? "
                               "ORDER BY failed_at DESC LIMIT ?", [kind, _key(key), now - window, most])
        if len(rows) < most:
            return 0.0
        return max((rows[-1][0] + window - now).total_seconds(), 0.0)

    def wait(self, username: str, address: str) -> int:
        """Seconds until this user name from this address may try again (0: now)."""
        now = datetime.now()
        waits = (self._wait("user", username, settings.get("login_attempts"), now),
                 self._wait("addr", address, settings.get("login_attempts_address"), now))
        return math.ceil(max(waits))

    def failed(self, username: str, address: str) -> None:
        """Count a failed login of `username` from `address` (and forget failures older than the window)."""
        now = datetime.now()
        with self.store.transaction():
            self.store.execute("DELETE FROM login_failures WHERE failed_at < ?",
                               [now - timedelta(seconds=settings.get("login_window_s"))])
            self.store.executemany("INSERT INTO login_failures (kind, key, failed_at) VALUES (?, ?, ?)",
                                   [("user", _key(username), now), ("addr", _key(address), now)])

    def succeeded(self, username: str) -> None:
        """Forget the user name's failures (the address's stay counted)."""
        self.store.execute("DELETE FROM login_failures WHERE kind = 'user' AND key = ?", [_key(username)])

    def setup_wait(self, address: str) -> int:
        """Seconds until `address` may guess the setup code again: its own guesses only, so that nobody else's
        wrong codes lock out the one who has the right one."""
        return math.ceil(self._wait("setup", address, settings.get("login_attempts"), datetime.now()))

    def setup_failed(self, address: str) -> None:
        """Count a wrong setup code from `address`."""
        self.store.execute("INSERT INTO login_failures (kind, key, failed_at) VALUES ('setup', ?, ?)",
                           [_key(address), datetime.now()])

    def new_setup_code(self, code: str | None = None, forgive: bool = False, by_hand: bool = False) -> str:
        """Make `code` (default: a fresh random one) the store's setup code, replacing any earlier one; `forgive`:
        forget every address's wrong guesses too (the one who can read the console is asking); `by_hand`: made by
        `peakend setup-code`, so that a server started later keeps it instead of making its own."""
        code = code or secrets.token_hex(4)
        with self.store.transaction():
            self.store.execute("DELETE FROM store_secrets WHERE name IN (?, ?)", [SETUP_SECRET, SETUP_BY_HAND])
            self.store.execute("INSERT INTO store_secrets (name, value) VALUES (?, ?)", [SETUP_SECRET, _digest(code)])
            if by_hand:
                self.store.execute("INSERT INTO store_secrets (name, value) VALUES (?, '1')", [SETUP_BY_HAND])
            if forgive:
                self.store.execute("DELETE FROM login_failures WHERE kind = 'setup'")
        return code

    def setup_code_right(self, code: str) -> bool:
        """Whether `code` is the store's setup code (compared in constant time)."""
        stored = self.store.scalar("SELECT value FROM store_secrets WHERE name = ?", [SETUP_SECRET])
        return stored is not None and hmac.compare_digest(_digest(code), str(stored))

    def start_setup_code(self, given: str | None) -> str:
        """The setup code a server starting on a store without users shows: `given` (every process of `serve
        --workers N` the same), else "" when `peakend setup-code` made one (kept: that console showed it), else a
        fresh one."""
        return "" if not given and self.setup_code_by_hand() else self.new_setup_code(given)

    def setup_code_by_hand(self) -> bool:
        """Whether the store's setup code was made by `peakend setup-code`."""
        return bool(self.store.scalar("SELECT count(*) FROM store_secrets WHERE name = ?", [SETUP_BY_HAND]))

    def forget_setup_code(self) -> None:
        """The first admin exists: no setup code opens the store any more."""
        self.store.execute("DELETE FROM store_secrets WHERE name IN (?, ?)", [SETUP_SECRET, SETUP_BY_HAND])
