"""Scoring SQL compiled once per store and blueprint, for the work that runs often on little data.

Compiling the Ibis expressions of a scoring step takes longer than running it on a few minutes' events (the live
pass, an incremental score). The SQL refers to real tables only: the blueprint's rules are stored as table
`live_rules_<hash>`.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import ibis.expr.types as ir

from peakend.blueprint.model import Blueprint
from peakend.scoring.experience import rules_arrow
from peakend.store.db import Store

_compiled: weakref.WeakKeyDictionary[Store, dict[str, Any]] = weakref.WeakKeyDictionary()
T = TypeVar("T")


def blueprint_hash(bp: Blueprint) -> str:
    """A fingerprint of everything in the blueprint (a changed rule, weight or moment: a full re-score)."""
    return hashlib.sha256(bp.model_dump_json().encode("utf-8")).hexdigest()[:32]


def stored_rules(store: Store, bp: Blueprint) -> ir.Table:
    """The blueprint's scoring rules (`experience.rules_table`) as a store table, written the first time."""
    name = f"live_rules_{blueprint_hash(bp)[:12]}"
    if not store.has_table(name):
        store.write_frame(name, rules_arrow(bp).to_pandas())
    return store.table(name)


def compiled_sql(store: Store, bp: Blueprint, name: str, build: Callable[[], T]) -> T:
    """The SQL (a statement, or statements by name) `build()` returns, built once per store, blueprint and name.
    Held under the store's lock throughout: Ibis reads table schemas on the store's connection, which the timer
    thread uses too."""
    key = f"{name}:{blueprint_hash(bp)}"
    with store.lock:
        cache = _compiled.setdefault(store, {})
        if key not in cache:
            cache[key] = build()
        found: T = cache[key]
        return found
