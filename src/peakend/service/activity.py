"""The activity log (`ws.activity`): who did what security-relevant thing, when and from where — logins, users,
tokens, blueprint versions and weight approvals, imports, exports of visit-level data, case reassigns, erasures.

Append-only and hash-chained: a row's hash is SHA-256 over the previous row's hash and the row's own content, so a
row edited, removed or put in later breaks every hash after it, which `verify` finds. Appends are serialised (the
store's lock; on PostgreSQL also a table lock inside the append's transaction), so processes never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from peakend.errors import CheckFailed

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

GENESIS = "0" * 64
COLUMNS = ("seq", "happened_at", "actor", "address", "action", "target", "detail")


def row_hash(prev: str, row: dict[str, Any]) -> str:
    """The chain hash of a row: SHA-256 of the previous hash and the row's content written one way."""
    content = json.dumps([row[c].isoformat(timespec="microseconds") if isinstance(row[c], datetime) else row[c]
                          for c in COLUMNS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev + content).encode("utf-8")).hexdigest()


def _text(value: object, most: int) -> str | None:
    """Outside text as the log keeps it: at most `most` characters, NUL shown as U+FFFD (a store cannot hold it)."""
    return None if value is None else str(value)[:most].replace("\x00", "\ufffd")


@dataclass(frozen=True)
class Verified:
    """What `verify` found: how many rows it checked and the first whose hash does not hold (None: intact)."""

    rows: int
    broken_at: int | None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


class Activity:
    """The activity log of a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def record(self, actor: str, action: str, target: str | None = None, detail: dict[str, Any] | None = None,
               address: str | None = None) -> int:
        """Append one action; its sequence number."""
        store = self.ws.store
        with store.transaction():
            if store.backend == "postgres":
                store.execute("LOCK TABLE activity IN SHARE ROW EXCLUSIVE MODE")
            last = store.rows("SELECT seq, hash FROM activity ORDER BY seq DESC LIMIT 1")
            seq, prev = (int(last[0][0]) + 1, str(last[0][1])) if last else (1, GENESIS)
            row = {"seq": seq, "happened_at": datetime.now(), "actor": _text(actor, 200),
                   "address": _text(address, 200), "action": action, "target": _text(target, 400),
                   "detail": None if detail is None else _text(json.dumps(detail, ensure_ascii=False, default=str),
                                                               4000)}
            store.execute(f"INSERT INTO activity ({', '.join(COLUMNS)}, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, "
                          "?, ?)", [*(row[c] for c in COLUMNS), prev, row_hash(prev, row)])
        return seq

    def recent(self, limit: int = 200, action: str | None = None) -> pd.DataFrame:
        """The latest actions, newest first (of one `action` when given)."""
        where, params = ("WHERE action = ?", [action]) if action else ("", [])
        return self.ws.store.query(f"SELECT {', '.join(COLUMNS)} FROM activity {where} ORDER BY seq DESC LIMIT ?",
                                   [*params, limit])

    def intact(self) -> int:
        """How many rows the log holds, once its chain is checked (CheckFailed naming the first row that breaks)."""
        found = self.verify()
        if not found.intact:
            raise CheckFailed("activity_broken", value=found.broken_at)
        return found.rows

    def verify(self) -> Verified:
        """Walk the chain from the first row: the first row whose hash or link does not hold, if any."""
        prev, n = GENESIS, 0
        rows = self.ws.store.rows(f"SELECT {', '.join(COLUMNS)}, prev_hash, hash FROM activity ORDER BY seq")
        for n, values in enumerate(rows, start=1):
            row = dict(zip(COLUMNS, values[:len(COLUMNS)], strict=True))
            if values[-2] != prev or row_hash(prev, row) != values[-1] or row["seq"] != n:
                return Verified(n, int(row["seq"]))
            prev = str(values[-1])
        return Verified(n, None)
