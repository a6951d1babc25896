"""A rating sent for a touch already stored: attached to that touch instead of adding one.

A rating pad or a wide survey file often rates visits whose journey a queue log already stored, with
times but no ratings. A touch that arrives with a rating and without a start time and without a `touch_id` of its
sender's (a sender's id names its own event; a derived one names what was sent), for a visit that has
touches stored, whose derived id is not stored, and whose visit has exactly one stored touch of that moment
(and the batch sends no other such touch of that moment for it) is that stored touch: it takes the stored
touch's id and fields, with the rating and its scale sent (the staff and outcome sent only where the stored
touch has none). Where the stored touch has no rating the rating is attached to it and its visit queued in
`rescore`; the row then meets its stored version as an id sent again (`ingest.corrections`): identical
content (a file sent twice) is a no-op, another rating a conflict, or a correction under `replace`. A
touch that cannot be attached unambiguously (no stored touch of its moment, several, or several sent)
is stored as a new touch as before, and counted by reason for the import to say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from peakend.store.db import Store

CANDIDATES = "attach_candidates"  # touches of typed rows that may be ratings of stored touches
STORED = "attach_stored"  # the stored touches of their visits
COLUMNS = ("touch_id", "visit_id", "moment_id", "seq", "start_at", "end_at", "staff_id", "source", "rating",
           "rating_scale", "wait_min", "service_min", "outcome")
TYPES = (pa.string(), pa.string(), pa.string(), pa.int64(), pa.timestamp("us"), pa.timestamp("us"), pa.string(),
         pa.string(), pa.float64(), pa.string(), pa.float64(), pa.float64(), pa.string())
REASONS = ("none", "several", "sent")  # no stored touch of the moment, several stored, several sent for it


@dataclass
class Attached:
    """What attaching did: the batch rows whose rating was attached, and touches left unattached by reason."""

    rows: set[int]
    touches: int = 0
    unattached: dict[str, int] | None = None


def attach(store: Store, replace: bool = False, fresh: list[str] | None = None, typed: str = "typed_ok"
           ) -> Attached:
    """Re-key the rated, timeless touches of `typed` that are ratings of a stored touch and attach their ratings
    (see the module). `fresh`: ids the same rows stored a moment ago (a wide file's earlier moments), which do not
    make a visit one already stored."""
    con = store.stage
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CANDIDATES} AS SELECT DISTINCT _id, visit_id, moment_id FROM {typed} "
                "WHERE rating IS NOT NULL AND start_at IS NULL AND visit_id IS NOT NULL AND raw_touch_id IS NULL")
    if not con.execute(f"SELECT count(*) FROM {CANDIDATES}").fetchall()[0][0]:
        return Attached(set())
    _fetch_stored(store, fresh or [])
    con.execute(f"DELETE FROM {CANDIDATES} WHERE _id IN (SELECT touch_id FROM {STORED}) "
                f"OR visit_id NOT IN (SELECT visit_id FROM {STORED} WHERE moment_id IS NOT NULL)")
    con.execute(_matching())
    unattached = {r: int(n) for r, n in con.execute(
        "SELECT reason, count(*) FROM attach_match WHERE reason <> 'one' GROUP BY reason").fetchall()}
    rows = {int(r[0]) for r in con.execute(
        f"SELECT t._row FROM {typed} t JOIN attach_match m ON m._id = t._id WHERE m.reason = 'one' "
        "AND m.stored_rating IS NULL").fetchall()}
    con.execute(_rekey(typed))
    touches = _fill(store, typed, replace)
    return Attached(rows, touches, {r: unattached.get(r, 0) for r in REASONS})


def _fetch_stored(store: Store, fresh: list[str]) -> None:
    """Stage table STORED: the stored touches of the candidates' visits (but `fresh`), and any stored under a
    candidate's id."""
    store.upload("attach_named", f"SELECT DISTINCT visit_id, _id FROM {CANDIDATES}")
    found = store.rows(f"SELECT {', '.join('t.' + c for c in COLUMNS)} FROM touches t WHERE t.visit_id IN "
                       "(SELECT visit_id FROM attach_named) UNION ALL SELECT t.touch_id, NULL, NULL, NULL, NULL, "
                       f"NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM touches t WHERE t.touch_id IN "
                       "(SELECT _id FROM attach_named)")
    table = pa.table({c: pa.array([r[i] for r in found], t) for i, (c, t) in enumerate(zip(COLUMNS, TYPES,
                                                                                             strict=True))})
    con = store.stage
    table = table.filter(pc.invert(pc.is_in(table["touch_id"], pa.array(fresh, pa.string()))))
    con.register("_attach_found", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STORED} AS SELECT * FROM _attach_found")
    finally:
        con.unregister("_attach_found")


def _matching() -> str:
    """SQL making `attach_match` (_id, reason, touch_id, stored_rating): each candidate's stored touch, if one."""
    return (
        "CREATE OR REPLACE TEMP TABLE attach_match AS WITH "
        f"per AS (SELECT visit_id, moment_id, count(*) AS n, any_value(touch_id) AS touch_id, "
        f"any_value(rating) AS rating FROM {STORED} WHERE moment_id IS NOT NULL GROUP BY visit_id, moment_id), "
        f"sent AS (SELECT visit_id, moment_id, count(*) AS k FROM {CANDIDATES} GROUP BY visit_id, moment_id) "
        "SELECT c._id, CASE WHEN p.n IS NULL THEN 'none' WHEN p.n > 1 THEN 'several' WHEN s.k > 1 THEN 'sent' "
        "ELSE 'one' END AS reason, p.touch_id, p.rating AS stored_rating "
        f"FROM {CANDIDATES} c JOIN sent s USING (visit_id, moment_id) LEFT JOIN per p USING (visit_id, moment_id)"
    )


def _rekey(typed: str) -> str:
    """SQL giving each attachable row of `typed` its stored touch's id and fields, with the rating sent."""
    return (
        f"UPDATE {typed} SET _id = s.touch_id, seq = s.seq, start_at = s.start_at, end_at = s.end_at, "
        "wait_min = s.wait_min, service_min = s.service_min, source = s.source, "
        f"staff_id = coalesce(s.staff_id, {typed}.staff_id), outcome = coalesce(s.outcome, {typed}.outcome) "
        f"FROM attach_match m JOIN {STORED} s ON s.touch_id = m.touch_id "
        f"WHERE m.reason = 'one' AND {typed}._id = m._id"
    )


def _fill(store: Store, typed: str, replace: bool) -> int:
    """Attach the ratings of the re-keyed rows to stored touches without one (the batch's first row of each, or
    its last as a correction); queue their visits for scoring; how many touches."""
    order = " DESC" if replace else ""
    store.upload("attach_fill", f"SELECT DISTINCT ON (_id) _id, visit_id, rating, scale_norm, staff_id, outcome "
                 f"FROM {typed} WHERE _id IN (SELECT touch_id FROM attach_match WHERE reason = 'one' "
                 f"AND stored_rating IS NULL) ORDER BY _id, _row{order}")
    visits = [r[0] for r in store.rows("SELECT DISTINCT visit_id FROM attach_fill")]
    if not visits:
        return 0
    n = store.execute(
        "UPDATE touches SET rating = a.rating, rating_scale = a.scale_norm, "
        "staff_id = coalesce(touches.staff_id, a.staff_id), outcome = coalesce(touches.outcome, a.outcome) "
        "FROM attach_fill a WHERE touches.touch_id = a._id AND touches.rating IS NULL")
    store.executemany("INSERT INTO rescore (visit_id) VALUES (?) ON CONFLICT DO NOTHING", [[v] for v in visits])
    return n
