"""An id sent again with different content: a conflict kept with both versions, or a correction applied.

Ingest stores one version of each event id. When a batch names an id that is already stored
(or appears twice in the batch) with different content, the difference is never dropped in
silence: by default the version stored first stays and the other is recorded as a `conflict`;
as a correction (`--replace`, `?replace=true`) the later version is applied, the one it replaced
kept in `conflicts` as `replaced`, and the visit queued in `rescore` for scoring again.
Re-sending identical content is a no-op. A visit's fields are compared only where both versions
have a value: a later event may fill in a field an earlier one left empty.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from peakend.contract import Kind
from peakend.ingest.validate import q
from peakend.store.db import Store

VISIT_COMPARED = ("segment", "route", "arrival", "departure", "ticket", "customer_key")


@dataclass
class Clash:
    """One event whose id came with content different from the version it met."""

    row: int  # the row (of the batch) of the version not kept as is: the conflict, or the replaced one
    kind: Kind
    event_id: str
    action: str  # conflict | replaced
    kept: dict[str, Any]  # the version stored before (or earlier in the batch)
    sent: dict[str, Any]  # the version sent


def chosen(replace: bool) -> str:
    """The batch's version of each id: the first row, or (a correction) the last."""
    return f"(SELECT DISTINCT ON (_id) * FROM incoming ORDER BY _id, _row{' DESC' if replace else ''})"


def _differs(kind: Kind, a: str, b: str, cols: list[str], src: list[str]) -> str:
    pairs = list(zip(cols, src, strict=True))
    if kind == "visit":
        return " OR ".join(f"({a}.{q(c)} IS NOT NULL AND {b}.{q(s)} IS NOT NULL AND {a}.{q(c)} <> {b}.{q(s)})"
                           for c, s in pairs if c in VISIT_COMPARED) or "false"
    return " OR ".join(f"{a}.{q(c)} IS DISTINCT FROM {b}.{q(s)}" for c, s in pairs) or "false"


def _pairs(frame: pd.DataFrame, cols: list[str]) -> list[tuple[int, str, dict[str, Any], dict[str, Any]]]:
    def version(r: dict[str, Any], prefix: str) -> dict[str, Any]:
        return {c: plain(r[f"{prefix}{i}"]) for i, c in enumerate(cols)}

    return [(int(r["_row"]), str(r["_id"]), version(r, "k"), version(r, "n")) for r in frame.to_dict("records")]


def plain(v: Any) -> Any:
    """A value as JSON carries it: NaN and NaT as None, times as ISO text, NumPy scalars as Python ones."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        v = v.item()
        return None if isinstance(v, float) and math.isnan(v) else v
    return v


def find(store: Store, kind: Kind, table: str, id_col: str, cols: list[str], src: list[str],
         replace: bool, repeated: bool = True) -> list[Clash]:
    """The clashes of staged `incoming` with the stored versions and within the batch itself.

    Without `replace` each row is compared with the version that stays: the stored one, else the
    batch's first row. As a correction the batch's last row is applied, and every version it
    differs from (the stored one, earlier rows of the batch) is what it replaced. `repeated`: whether
    some id comes twice in the batch (else the batch is not compared with itself).
    """
    kept_cols = ", ".join(f"k.{q(c)} AS k{i}" for i, c in enumerate(cols))
    batch_kept = ", ".join(f"k.{q(s)} AS k{i}" for i, s in enumerate(src))
    sent_cols = ", ".join(f"n.{q(s)} AS n{i}" for i, s in enumerate(src))
    final = chosen(replace)
    against_store = store.query(
        f"SELECT n._row, n._id, {kept_cols}, {sent_cols} FROM {final if replace else 'incoming'} n JOIN {table} k "
        f"ON k.{q(id_col)} = n._id WHERE {_differs(kind, 'k', 'n', cols, src)}")
    if not repeated:  # no id twice in the batch: nothing to compare within it
        in_batch = against_store.iloc[0:0]
    else:
        in_batch = _in_batch(store, kind, table, id_col, src, replace, batch_kept, sent_cols)
    if not replace:
        return [Clash(row, kind, id_, "conflict", kept, sent)
                for frame in (against_store, in_batch) for row, id_, kept, sent in _pairs(frame, cols)]
    # A correction: the stored version was replaced by the final row; an earlier row of the batch by it too.
    out = [Clash(row, kind, id_, "replaced", kept, sent) for row, id_, kept, sent in _pairs(against_store, cols)]
    out += [Clash(row, kind, id_, "replaced", earlier, last) for row, id_, last, earlier in _pairs(in_batch, cols)]
    return out


def _in_batch(store: Store, kind: Kind, table: str, id_col: str, src: list[str], replace: bool, batch_kept: str,
              sent_cols: str) -> pd.DataFrame:
    """Rows of the batch that differ from the batch's own version of their id (for a new id, without replace)."""
    unstored = "" if replace else f" AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{q(id_col)} = n._id)"
    return store.query(
        f"SELECT n._row, n._id, {batch_kept}, {sent_cols} FROM incoming n JOIN {chosen(replace)} k "
        f"ON k._id = n._id AND k._row <> n._row WHERE ({_differs(kind, 'k', 'n', src, src)}){unstored}")


def apply(store: Store, kind: Kind, table: str, id_col: str, cols: list[str], src: list[str],
          clashes: list[Clash]) -> None:
    """Write the batch's (last) version over every stored event it differs from; queue their visits for scoring."""
    if kind == "visit":
        sets = ", ".join(f"{q(c)} = coalesce(n.{q(s)}, {table}.{q(c)})" for c, s in zip(cols, src, strict=True)
                         if c in VISIT_COMPARED)
    else:
        sets = ", ".join(f"{q(c)} = n.{q(s)}" for c, s in zip(cols, src, strict=True))
    store.execute(f"UPDATE {table} SET {sets} FROM {chosen(True)} n WHERE {table}.{q(id_col)} = n._id "
                  f"AND ({_differs(kind, table, 'n', cols, src)})")
    visits: set[str] = set()
    for c in clashes:  # the visit before and after: a touch moved to another visit changes both
        named = [c.event_id] if kind == "visit" else [c.kept.get("visit_id"), c.sent.get("visit_id")]
        visits |= {str(v) for v in named if v is not None}
    if visits:
        store.executemany("INSERT INTO rescore (visit_id) VALUES (?) ON CONFLICT DO NOTHING",
                          [[v] for v in sorted(visits)])


def record(store: Store, source: str, source_hash: str, clashes: list[Clash]) -> None:
    """Keep the clashes in `conflicts` (once per source row, event and action)."""
    if not clashes:
        return
    store.executemany(
        "INSERT INTO conflicts (source_hash, source, row_number, kind, event_id, action, stored_version, "
        "sent_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [[source_hash, source, c.row, c.kind, c.event_id, c.action, _json(c.kept), _json(c.sent)] for c in clashes])


def _json(version: dict[str, Any]) -> str:
    return json.dumps(version, ensure_ascii=False, default=str, sort_keys=True)


def differing(kept: dict[str, Any], sent: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose values differ, as they were before and as sent."""
    names = [k for k in dict.fromkeys([*kept, *sent]) if kept.get(k) != sent.get(k)]
    return {k: kept.get(k) for k in names}, {k: sent.get(k) for k in names}


def listed(store: Store, limit: int = 200) -> pd.DataFrame:
    """The most recent conflicts and corrections, with both versions and (`stored_diff`, `sent_diff`) the
    fields that differ."""
    frame = store.query("SELECT source, row_number, kind, event_id, action, stored_version, sent_version, noted_at "
                        f"FROM conflicts ORDER BY noted_at DESC, source, row_number LIMIT {int(limit)}")
    pairs = [differing(json.loads(a), json.loads(b)) for a, b in zip(frame.stored_version, frame.sent_version,
                                                                      strict=True)]
    return frame.assign(stored_diff=[_json(a) for a, _ in pairs], sent_diff=[_json(b) for _, b in pairs])
