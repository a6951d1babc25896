"""Journey order for touches sent without a time or a seq: the order of their source's rows.

Scoring orders a visit's touches by `start_at`, then `seq`, then `touch_id`. A source (a file, or the posts
checked together) that gives a visit's touches neither a `start_at` nor a `seq` in any row means its row order:
those touches are numbered `seq` 1, 2, … in the order their rows appear, per visit. A touch already stored keeps
its stored seq (sending a file again changes nothing); new touches of a visit that has numbered touches stored
come after them (a visit's touches split over several files keep the files' order). With `replace` (a
correction), the source is the visit's truth: its touches are numbered afresh, after the visit's other stored
touches. A visit any of whose rows gives a `seq` or a `start_at` keeps what was sent.

The derived touch id (`visit_id:moment_id:seq:start_at`) is made from the fields as sent, before numbering, so
ids stay what they were before this rule.
"""

from __future__ import annotations

import pyarrow as pa

from peakend.store.db import Store

TIMELESS = "timeless_visits"  # the visits of `typed_ok` to number
STORED = "timeless_stored"  # their stored touches with a seq: (touch_id, visit_id, seq)


def number_timeless(store: Store, replace: bool = False, typed: str = "typed_ok") -> int:
    """Give the touches of `typed` (a staging table of checked touches) of every visit sent without a time and a
    seq their seq in row order (see the module); how many visits were numbered."""
    con = store.stage
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {TIMELESS} AS SELECT visit_id FROM {typed} WHERE visit_id IS NOT NULL "
        "GROUP BY visit_id HAVING bool_and(raw_seq IS NULL AND raw_start_at IS NULL)")
    visits = int(con.execute(f"SELECT count(*) FROM {TIMELESS}").fetchall()[0][0])
    if not visits:
        return 0
    store.upload("timeless_named", f"SELECT visit_id FROM {TIMELESS}")
    found = store.rows("SELECT t.touch_id, t.visit_id, t.seq FROM touches t JOIN timeless_named n "
                       "ON t.visit_id = n.visit_id WHERE t.seq IS NOT NULL")
    con.register("_timeless_found", pa.table({
        "touch_id": pa.array([r[0] for r in found], pa.string()),
        "visit_id": pa.array([r[1] for r in found], pa.string()),
        "seq": pa.array([int(r[2]) for r in found], pa.int64())}))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STORED} AS SELECT * FROM _timeless_found")
    finally:
        con.unregister("_timeless_found")
    con.execute(_numbering(typed, replace))
    con.execute(f"UPDATE {typed} SET seq = n.seq FROM timeless_seq n WHERE {typed}._id = n._id "
                f"AND {typed}.visit_id = n.visit_id")
    return visits


def _numbering(typed: str, replace: bool) -> str:
    """SQL making `timeless_seq` (visit_id, _id, seq): each touch's seq, kept or numbered after the stored ones.

    A touch is numbered by its first row; with `replace` no stored seq is kept and the numbers follow the visit's
    stored touches that this source does not send."""
    kept = "NULL" if replace else "s.seq"
    others = "WHERE touch_id NOT IN (SELECT _id FROM firsts)" if replace else ""
    return (
        "CREATE OR REPLACE TEMP TABLE timeless_seq AS WITH "
        f"firsts AS (SELECT visit_id, _id, min(_row) AS r FROM {typed} "
        f"WHERE visit_id IN (SELECT visit_id FROM {TIMELESS}) GROUP BY visit_id, _id), "
        f"kept AS (SELECT f.visit_id, f._id, f.r, {kept} AS kept FROM firsts f "
        f"LEFT JOIN {STORED} s ON s.touch_id = f._id AND s.visit_id = f.visit_id), "
        f"tops AS (SELECT visit_id, max(seq) AS top FROM {STORED} {others} GROUP BY visit_id) "
        "SELECT k.visit_id, k._id, coalesce(k.kept, coalesce(t.top, 0) "
        "+ row_number() OVER (PARTITION BY k.visit_id, k.kept IS NULL ORDER BY k.r)) AS seq "
        "FROM kept k LEFT JOIN tops t ON t.visit_id = k.visit_id"
    )
