"""Blueprint versions kept in the store, and the one rule for which of them the halls run.

**The blueprint in force** (`in_force`): the store's latest saved version that still passes its check; the
built-in telecom hall while none is saved. A saved version that no longer checks (a newer peakend checks more) is
skipped, and whoever runs the store is told so (`InForce.skipped`). The CLI, the web app, the live worker, the
digest and the demo all run this rule through the application layer (`peakend.service.Workspace`); a command's
`--blueprint FILE` runs that file for that command only. A blueprint is saved by `peakend blueprint use`, the web
editor, the first run's setup and `peakend calibrate --approve`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from peakend.blueprint.load import check_text, default_text, load_blueprint
from peakend.blueprint.model import Blueprint
from peakend.store.db import Store


@dataclass(frozen=True)
class InForce:
    """The blueprint the halls run: its saved version number (0: the built-in one, none saved) and the numbers of
    newer saved versions skipped because they no longer pass the check."""

    blueprint: Blueprint
    number: int = 0
    skipped: tuple[int, ...] = field(default=())


def in_force(store: Store) -> InForce:
    """The blueprint in force on `store` (see the module's docstring: the one rule)."""
    skipped: list[int] = []
    for number, text in store.rows("SELECT number, yaml FROM blueprint_versions ORDER BY number DESC"):
        bp, _ = check_text(text)
        if bp is not None:
            return InForce(bp, int(number), tuple(skipped))
        skipped.append(int(number))
    return InForce(load_blueprint(None), 0, tuple(skipped))


def latest_number(store: Store) -> int:
    """The number of the latest saved version (0: none saved)."""
    return int(store.scalar("SELECT coalesce(max(number), 0) FROM blueprint_versions"))


def blueprint_yaml(store: Store) -> str:
    """The YAML of the blueprint in force (the built-in one's when none is saved)."""
    number = in_force(store).number
    return version_text(store, number) if number else default_text()


def save_blueprint(store: Store, bp: Blueprint, text: str, who: str) -> int:
    """Save a checked blueprint as the next version; return its number."""
    with store.lock:
        number = latest_number(store) + 1
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
    """The blueprint in force, followed across processes: when any process saves a newer version, the next `get`
    (at most every `every` seconds, one small query) applies the rule again. A server of several processes thus runs
    the version saved in any of them."""

    def __init__(self, store: Store, every: float = 2.0):
        self.store, self.every = store, every
        self.found = in_force(store)
        self.number = latest_number(store)
        self.checked = time.monotonic()

    def get(self) -> Blueprint:
        """The blueprint in force now."""
        return self.current().blueprint

    def current(self) -> InForce:
        """The blueprint in force now, with its number and the versions skipped. A store that does not answer the
        look for a newer version leaves the one in force as it is (the next look tries again): a request fails
        on its own work, never on this."""
        if time.monotonic() - self.checked >= self.every:
            try:
                self.refresh()
            except Exception:  # a lost connection: keep the blueprint in force, look again next time
                logging.getLogger("peakend.blueprints").warning("could not look for a newer blueprint version")
        return self.found

    def refresh(self) -> None:
        """Look for a newer saved version now."""
        self.checked = time.monotonic()
        latest = latest_number(self.store)
        if latest != self.number:
            self.number, self.found = latest, in_force(self.store)
