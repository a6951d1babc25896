"""Blueprint versions kept in the store: the hall network runs the latest saved one.

Every command and the web app use the store's blueprint unless one is given (`--blueprint`); a
blueprint is saved by the web editor, `peakend blueprint use` and `peakend calibrate --approve`.
"""

from __future__ import annotations

import time

from peakend.blueprint.load import check_text, default_text
from peakend.blueprint.model import Blueprint
from peakend.store.db import Store


def blueprint_yaml(store: Store) -> str:
    """The YAML of the latest saved version, else of the built-in default."""
    rows = store.rows("SELECT yaml FROM blueprint_versions ORDER BY number DESC LIMIT 1")
    return rows[0][0] if rows else default_text()


def stored_blueprint(store: Store) -> tuple[int, Blueprint] | None:
    """The number and blueprint of the latest saved version that still checks clean (None: none saved)."""
    for number, text in store.rows("SELECT number, yaml FROM blueprint_versions ORDER BY number DESC"):
        bp, _ = check_text(text)
        if bp is not None:
            return int(number), bp
    return None


def active_blueprint(store: Store, fallback: Blueprint) -> Blueprint:
    """The latest saved version if it still checks clean, else `fallback`."""
    rows = store.rows("SELECT yaml FROM blueprint_versions ORDER BY number DESC LIMIT 1")
    if not rows:
        return fallback
    bp, _ = check_text(rows[0][0])
    return bp or fallback


def save_blueprint(store: Store, bp: Blueprint, text: str, who: str) -> int:
    """Save a checked blueprint as the next version; return its number."""
    with store.lock:
        number = int(store.scalar("SELECT coalesce(max(number), 0) + 1 FROM blueprint_versions"))
        store.execute(
            "INSERT INTO blueprint_versions (number, blueprint_id, version, yaml, saved_by) VALUES (?, ?, ?, ?, ?)",
            [number, bp.id, bp.version, text, who],
        )
    return number


def versions(store: Store) -> list[tuple[object, ...]]:
    """Saved versions, newest first: (number, blueprint id, version, saved by, saved at)."""
    return store.rows(
        "SELECT number, blueprint_id, version, saved_by, saved_at FROM blueprint_versions ORDER BY number DESC"
    )


def version_text(store: Store, number: int) -> str:
    """The YAML of saved version `number` (KeyError if there is none)."""
    rows = store.rows("SELECT yaml FROM blueprint_versions WHERE number = ?", [number])
    if not rows:
        raise KeyError(number)
    return str(rows[0][0])


class LatestBlueprint:
    """The blueprint the halls run, followed across processes: when any process saves a newer version, the next
    `get` (at most every `every` seconds, one small query) loads it. A server of several processes thus runs
    the version saved in any of them."""

    def __init__(self, store: Store, bp: Blueprint, every: float = 2.0):
        self.store, self.bp, self.every = store, bp, every
        self.number = self._latest()
        self.checked = time.monotonic()

    def _latest(self) -> int:
        return int(self.store.scalar("SELECT coalesce(max(number), 0) FROM blueprint_versions"))

    def get(self) -> Blueprint:
        """The blueprint now (a newer saved version, if one checks clean)."""
        if time.monotonic() - self.checked >= self.every:
            self.checked = time.monotonic()
            latest = self._latest()
            if latest > self.number:
                found = stored_blueprint(self.store)
                self.number = latest
                if found is not None:
                    self.bp = found[1]
        return self.bp

    def set(self, bp: Blueprint) -> None:
        """This process saved `bp` (or chose it): run it from now on."""
        self.bp, self.number = bp, self._latest()
