"""The staff a hall's roster assigns (table `roster_staff`): replaced whole by each file the manager loads."""

from __future__ import annotations

from typing import Any

from peakend.store.db import Store

COLUMNS = ("staff_id", "name", "stations", "max_day", "max_week", "contract", "days_off", "unavailable")


def replace(store: Store, hall_id: str, rows: list[dict[str, Any]]) -> None:
    """The hall's staff become `rows` (each with COLUMNS), in one transaction."""
    with store.transaction():
        store.execute("DELETE FROM roster_staff WHERE hall_id = ?", [hall_id])
        store.executemany(f"INSERT INTO roster_staff (hall_id, {', '.join(COLUMNS)}) VALUES "
                          f"(?, {', '.join('?' * len(COLUMNS))})", [[hall_id, *(r[c] for c in COLUMNS)] for r in rows])


def rows(store: Store, hall_id: str) -> list[dict[str, Any]]:
    """The hall's staff rows, by id."""
    found = store.query(f"SELECT {', '.join(COLUMNS)} FROM roster_staff WHERE hall_id = ? ORDER BY staff_id",
                        [hall_id])
    return found.to_dict("records")
