"""Touches sent without a time or a seq take their journey order from their source's rows (ingest/order.py).

Ratings are on 1–5: e = (r − 3)/2. The blueprint weighs peak and end by 0.5 each (mean 0): REI = 50·(1 + p/2 + e/2).
"""

from __future__ import annotations

from peakend.ingest.pipeline import ingest_file, ingest_records
from peakend.ingest.validate import Context
from peakend.scoring.run import score
from tests.conftest import write_csv

HEADER = ["touch_id", "visit_id", "hall_id", "moment_id", "rating"]
# In journey order; the ids sort otherwise (t2 < t5 < t9, t1 < t3 < t7): by id, each visit would end at waiting.
JOURNEY = [
    ["t9", "v1", "天河北厅", "waiting", 2],  # e −0.5
    ["t2", "v1", "天河北厅", "counter_result", 5],  # e +1: the peak
    ["t5", "v1", "天河北厅", "leaving", 4],  # e +0.5: the end
    ["t7", "v2", "天河北厅", "waiting", 1],  # e −1: the peak
    ["t3", "v2", "天河北厅", "counter_result", 4],  # e +0.5
    ["t1", "v2", "天河北厅", "leaving", 3],  # e 0: the end
]


def seqs(store) -> list[tuple]:
    return store.rows("SELECT touch_id, seq FROM touches ORDER BY visit_id, seq, touch_id")


def test_a_timeless_file_ends_each_visit_at_its_last_row(store, bp, tmp_path):
    path = write_csv(tmp_path / "pad.csv", HEADER, JOURNEY)
    result = ingest_file(store, path, Context(bp, "1-5"))
    assert result.stored == 6
    assert [n for n in result.notes if "journey order" in n] == [  # once per file, not per row
        f"{path}: the touches of 2 visit(s) have no time (start_at) and no seq: their journey order is the order of "
        "the file's rows (seq 1, 2, … per visit; touches of a visit sent later come after the stored ones)"]
    assert seqs(store) == [("t9", 1), ("t2", 2), ("t5", 3), ("t7", 1), ("t3", 2), ("t1", 3)]
    score(store, bp)
    got = store.rows('SELECT visit_id, end_moment, "end", peak, rei FROM visit_scores ORDER BY visit_id')
    assert got == [("v1", "leaving", 0.5, 1.0, 50 * (1 + 0.5 + 0.25)),  # 87.5 (by id: end −0.5, 62.5)
                   ("v2", "leaving", 0.0, -1.0, 50 * (1 - 0.5 + 0.0))]  # 25 (by id: end −1, 0)
    again = ingest_file(store, path, Context(bp, "1-5"))  # sent again: nothing new, no conflict, the same order
    assert (again.stored, again.fates.conflicted, seqs(store)[:3]) == (0, 0, [("t9", 1), ("t2", 2), ("t5", 3)])


def test_a_post_takes_its_order_a_later_file_continues_it_and_a_given_seq_is_kept(store, bp, tmp_path):
    sent = [dict(zip(HEADER, row, strict=True)) for row in JOURNEY[:3]]
    assert ingest_records(store, sent, "touch", Context(bp, "1-5"), "api").stored == 3
    later = write_csv(tmp_path / "b.csv", [*HEADER, "seq"], [
        ["t0", "v1", "天河北厅", "answering", 3, ""],  # v1 again, timeless: after the posted three
        ["s1", "v3", "天河北厅", "leaving", 4, 9], ["s2", "v3", "天河北厅", "waiting", 2, 4],  # seq given: kept
        ["s3", "v4", "天河北厅", "waiting", 2, 5], ["s4", "v4", "天河北厅", "leaving", 4, ""]])  # one given: as sent
    assert ingest_file(store, later, Context(bp, "1-5")).stored == 5
    assert seqs(store) == [("t9", 1), ("t2", 2), ("t5", 3), ("t0", 4),
                           ("s2", 4), ("s1", 9), ("s3", 5), ("s4", None)]
