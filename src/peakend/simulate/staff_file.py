"""The staff a roster assigns, as a manager writes them: a CSV or YAML file, one person a row.

Columns (YAML: keys): `staff_id` (required), `name`, `stations` (required; separated by `;`, `,`, `、` or a
space), `max_day` (hours worked a day, 1–16, default 8), `max_week` (1–84, default 40), `contract` (hours a week
before overtime, 0–84, default 36), `days_off` (weekdays: Mon…Sun, 周一…周日 or 0–6), `unavailable` (`2026-12-08`
for a whole day, `2026-12-08 09-13` for hours, several separated by `;`). Every bad value is named by row, field
and what was expected; nothing is stored while any is bad.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from peakend.safe_yaml import load as yaml_load
from peakend.simulate.roster import Person

MAX_ROWS = 500
MAX_TEXT = 200
MAX_BYTES = 1_000_000
WEEKDAYS = {**{w: i for i, w in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
            **{w: i for i, w in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"))},
            **{str(i): i for i in range(7)}, "星期日": 6, "周天": 6}
LIMITS = {"max_day": (1, 16, 8), "max_week": (1, 84, 40), "contract": (0, 84, 36)}
SPLIT = re.compile(r"[;,、\s]+")


class StaffFileError(ValueError):
    """A staff file with bad rows: `problems` holds one line for each (row, field, expectation)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def rows_of(data: bytes, name: str) -> list[dict[str, Any]]:
    """The rows of a CSV (UTF-8, with or without BOM) or YAML (a list of mappings) file."""
    text = data.decode("utf-8-sig")
    if name.lower().endswith((".yaml", ".yml")):
        raw = yaml_load(text)
        if isinstance(raw, dict) and "staff" in raw:
            raw = raw["staff"]
        if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
            raise StaffFileError([f"{name}: expected a list of people (mappings with staff_id, stations, …)"])
        return raw
    return list(csv.DictReader(io.StringIO(text)))


def people_of(rows: list[dict[str, Any]], name: str) -> list[Person]:
    """People from rows (StaffFileError naming every bad value)."""
    if len(rows) > MAX_ROWS:
        raise StaffFileError([f"{name}: {len(rows)} rows; at most {MAX_ROWS}"])
    if not rows:
        raise StaffFileError([f"{name}: no rows; expected one person a row"])
    problems: list[str] = []
    out, seen = [], set()
    for n, row in enumerate(rows, start=2 if not name.lower().endswith((".yaml", ".yml")) else 1):
        where = f"{name} row {n}"
        clean = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
        p, key = _person(clean, where, problems), _text(clean.get("staff_id"))
        if key and key in seen:
            problems.append(f"{where}, staff_id: '{key}' appears twice; expected one row a person")
        elif p is not None:
            out.append(p)
        seen.add(key)
    if problems:
        raise StaffFileError(problems)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value).strip()


def _person(row: dict[str, Any], where: str, problems: list[str]) -> Person | None:
    before = len(problems)
    staff_id, name = _text(row.get("staff_id")), _text(row.get("name"))
    for field, value in (("staff_id", staff_id), ("name", name)):
        if len(value) > MAX_TEXT:
            problems.append(f"{where}, {field}: {len(value)} characters; at most {MAX_TEXT}")
    if not staff_id:
        problems.append(f"{where}, staff_id: empty; expected the staff member's id as in the events")
    stations = [s for s in SPLIT.split(_text(row.get("stations"))) if s]
    if not stations:
        problems.append(f"{where}, stations: empty; expected the stations the person can work, e.g. counter_handling")
    limits = {k: _number(row.get(k), k, lo, hi, default, where, problems) for k, (lo, hi, default) in LIMITS.items()}
    off = set()
    for w in (s for s in SPLIT.split(_text(row.get("days_off"))) if s):
        if w.lower()[:3] in WEEKDAYS or w in WEEKDAYS:
            off.add(WEEKDAYS.get(w.lower()[:3], WEEKDAYS.get(w, 0)))
        else:
            problems.append(f"{where}, days_off: '{w}'; expected weekdays Mon…Sun, 周一…周日 or 0–6")
    gaps = _gaps(_text(row.get("unavailable")), where, problems)
    if len(problems) > before:
        return None
    return Person(staff_id, name or staff_id, frozenset(stations), limits["max_day"], limits["max_week"],
                  limits["contract"], frozenset(off), tuple(gaps))


def _number(value: Any, field: str, lo: int, hi: int, default: int, where: str, problems: list[str]) -> int:
    text = _text(value)
    if not text:
        return default
    try:
        n = int(float(text))
    except ValueError:
        problems.append(f"{where}, {field}: '{text}'; expected a whole number of hours {lo}–{hi}")
        return default
    if not lo <= n <= hi or n != float(text):
        problems.append(f"{where}, {field}: {text}; expected a whole number of hours {lo}–{hi}")
    return n


GAP = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?)?$")


def _gaps(text: str, where: str, problems: list[str]) -> list[tuple[date, int, int]]:
    out = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        m = GAP.match(part)
        try:
            if not m:
                raise ValueError
            day = date.fromisoformat(m.group(1))
            a, b = (int(m.group(2)), int(m.group(3))) if m.group(2) else (0, 24)
            if not 0 <= a < b <= 24:
                raise ValueError
        except ValueError:
            problems.append(f"{where}, unavailable: '{part}'; expected YYYY-MM-DD or YYYY-MM-DD HH-HH (e.g. "
                            "2026-12-08 09-13), several separated by ';'")
            continue
        out.append((day, a, b))
    return out


def as_row(p: Person) -> dict[str, Any]:
    """A person as a stored row (and a CSV row the file reads back)."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return {"staff_id": p.staff_id, "name": p.name, "stations": ";".join(sorted(p.stations)), "max_day": p.max_day,
            "max_week": p.max_week, "contract": p.contract, "days_off": ";".join(days[d] for d in sorted(p.days_off)),
            "unavailable": ";".join(f"{d} {a:02d}-{b:02d}" for d, a, b in p.unavailable)}
