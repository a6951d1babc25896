"""Names in both languages of halls (`peakend hall name`) and of staff members (`peakend hall name --staff`): pages
show each by its name in the page's language, by its id while it has none."""

from __future__ import annotations

from typing import Literal

from peakend.store.db import Store

Named = Literal["hall", "staff"]  # table {named}_names, key {named}_id


def names(store: Store, named: Named, lang: str) -> dict[str, str]:
    """Id → name in `lang` (zh or en) of the halls (or staff) given one."""
    column = "en" if lang == "en" else "zh"
    return {str(h): str(n) for h, n in store.rows(f"SELECT {named}_id, {column} FROM {named}_names")}


def give_name(store: Store, named: Named, key: str, zh: str, en: str) -> None:
    """Give hall (or staff member) `key` its names, replacing any it had."""
    with store.lock:
        store.execute(f"DELETE FROM {named}_names WHERE {named}_id = ?", [key])
        store.execute(f"INSERT INTO {named}_names ({named}_id, zh, en) VALUES (?, ?, ?)", [key, zh, en])


def hall_names(store: Store, lang: str) -> dict[str, str]:
    """Hall id → its name in `lang`."""
    return names(store, "hall", lang)
