"""Cells handed to a spreadsheet (CSV and XLSX exports) as text it shows and never runs.

A spreadsheet runs a cell as a formula (or, through DDE, a command) when its text starts with `=`, `+`, `-`, `@`
or `|`, or with a tab, carriage return or line feed; some also after leading spaces or invisible characters, and
some read the full-width and small forms (`＝`, `﹦`, `＋`, `｜`) as the ASCII ones. `inert` puts a `'` before any
such text, the way spreadsheets themselves mark text that only looks like a formula.
"""

from __future__ import annotations

import unicodedata
from typing import TypeVar

FORMULA_START = frozenset("=+-@|\t\r\n")
T = TypeVar("T")


def _first_shown(text: str) -> str:
    """The first character of `text` that is neither white space nor invisible (format), as NFKC reads it."""
    for c in text:
        if c in "\t\r\n":
            return c
        if not c.isspace() and unicodedata.category(c) != "Cf":
            return unicodedata.normalize("NFKC", c)[:1]
    return ""


def inert(value: T) -> T | str:
    """`value` as an export cell: text a spreadsheet would run gets a leading `'`; anything else as it is."""
    if isinstance(value, str) and value and _first_shown(value) in FORMULA_START:
        return "'" + value
    return value


__all__ = ["FORMULA_START", "inert"]
