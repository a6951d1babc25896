"""Names in both languages of halls (`peakend hall name`) and of staff members (`peakend staff-name`): pages show
each by its name in the page's language, by its id while it has none."""

from __future__ import annotations

from peakend.store.db import Store


def hall_names(store: Store, lang: str) -> dict[str, str]:
    """Hall id → its name in `lang` (zh or en), for the halls given one."""
    column = "en" if lang == "en" else "zh"
    return {str(h): str(n) for h, n in store.rows(f"SELECT hall_id, {column} FROM hall_names")}


def name_hall(store: Store, hall_id: str, zh: str, en: str) -> None:
    """Give hall `hall_id` its names (replacing any it had)."""
    with store.lock:
        store.execute("DELETE FROM hall_names WHERE hall_id = ?", [hall_id])
        store.execute("INSERT INTO hall_names (hall_id, zh, en) VALUES (?, ?, ?)", [hall_id, zh, en])


def staff_names(store: Store, lang: str) -> dict[str, str]:
    """Staff id → their name in `lang` (zh or en), for the staff given one."""
    column = "en" if lang == "en" else "zh"
    return {str(h): str(n) for h, n in store.rows(f"SELECT staff_id, {column} FROM staff_names")}


def name_staff(store: Store, staff_id: str, zh: str, en: str) -> None:
    """Give staff member `staff_id` their names (replacing any they had)."""
    with store.lock:
        store.execute("DELETE FROM staff_names WHERE staff_id = ?", [staff_id])
        store.execute("INSERT INTO staff_names (staff_id, zh, en) VALUES (?, ?, ?)", [staff_id, zh, en])
