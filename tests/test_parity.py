"""Ibis scoring equals the hand-written SQL reference (bench/reference_sql.py) on random data.

Integer ratings make |e| ties common; many touches are unrated (inferred); some visits have
one touch; some touches share a start time and are ordered by seq.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peakend.scoring.run import score

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
from reference_sql import load_rules, reference_sql

touch = st.fixed_dictionaries({
    "moment": st.sampled_from(["entering", "waiting", "counter_result", "counter_handling", "leaving", "complaint"]),
    "rating": st.one_of(st.none(), st.integers(1, 5)),
    "wait": st.one_of(st.none(), st.floats(0, 60).map(lambda x: round(x, 1))),
    "service": st.one_of(st.none(), st.floats(0, 40).map(lambda x: round(x, 1))),
    "outcome": st.sampled_from([None, "resolved", "unresolved", "complaint", "abandoned"]),
    "minute": st.integers(0, 3),  # few distinct start times: order falls back to seq
})
network = st.lists(st.lists(touch, min_size=1, max_size=6), min_size=1, max_size=25)


def load(store, visits) -> None:
    store.execute("DELETE FROM touches")
    store.execute("DELETE FROM visits")
    for i, touches in enumerate(visits):
        store.execute("INSERT INTO visits (visit_id, hall_id) VALUES (?, ?)", [f"v{i}", f"H{i % 3}"])
        for seq, t in enumerate(touches, start=1):
            store.execute(
                "INSERT INTO touches (touch_id, visit_id, moment_id, seq, start_at, rating, rating_scale, wait_min, "
                "service_min, outcome) VALUES "
                "(?, ?, ?, ?, TIMESTAMP '2026-11-02 10:00' + to_minutes(?), ?, ?, ?, ?, ?)",
                [f"v{i}-{seq}", f"v{i}", t["moment"], seq, t["minute"], t["rating"],
                 "1-5" if t["rating"] else None, t["wait"], t["service"], t["outcome"]])


@settings(max_examples=40, deadline=None)
@given(visits=network)
def test_ibis_scoring_equals_hand_written_sql(duck_module, bp, visits):
    store = duck_module
    load(store, visits)
    score(store, bp)
    load_rules(store.stage, bp)
    diff = store.stage.execute(f"""
        WITH ref AS ({reference_sql(bp)})
        SELECT count(*) AS n,
               sum(CASE WHEN abs(a.peak - b.peak) < 1e-12 AND abs(a."end" - b."end") < 1e-12
                         AND abs(a.rei - b.rei) < 1e-9 AND a.peak_moment = b.peak_moment
                         AND a.end_moment = b.end_moment AND a.touches = b.touches THEN 1 ELSE 0 END) AS same
        FROM visit_scores a JOIN ref b USING (visit_id)""").fetchall()[0]
    assert diff == (len(visits), len(visits))


@pytest.fixture(scope="module")
def duck_module():
    from peakend.store.db import connect

    c = connect(":memory:")
    yield c
    c.close()
