"""PostgreSQL scored in DuckDB through Arrow (scoring.offload): both ways of holding the events give the same
scores, a write-back that fails leaves every score table as it was, memory limits are read as DuckDB means them.

That the scores equal the DuckDB store's, in full and incrementally, is tested by test_lake, test_scoring and
test_incremental on both stores.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from peakend.scoring import offload
from peakend.scoring.run import score
from peakend.store.db import connect
from tests.conftest import empty_postgres

KEYS = {"touch_scores": "touch_id", "visit_scores": "visit_id", "moment_parts": "hall_id, day, moment_id",
        "hall_parts": "hall_id, day", "moment_scores": "hall_id, moment_id", "hall_scores": "hall_id"}


def load_events(store) -> None:
    """Nine visits in three halls over two days; ratings on some touches, ties in start time on others."""
    moments = ["entering", "waiting", "counter_handling", "counter_result", "leaving"]
    for v in range(9):
        day = 2 + v % 2
        store.execute("INSERT INTO visits (visit_id, hall_id, arrival) VALUES (?, ?, ?)",
                      [f"v{v}", f"H{v % 3}", f"2026-11-0{day} 10:00:00"])
        for s, moment in enumerate(moments[: 2 + v % 4], start=1):
            store.execute("INSERT INTO touches (touch_id, visit_id, moment_id, seq, start_at, rating, rating_scale, "
                          "wait_min, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          [f"v{v}-{s}", f"v{v}", moment, s, f"2026-11-0{day} 10:0{s // 2}:00",
                           (v + s) % 5 + 1 if (v + s) % 3 else None, "1-5", 3.0 * v, None if s % 2 else "resolved"])


def snapshot(store) -> dict[str, list[tuple]]:
    return {t: store.rows(f"SELECT * FROM {t} ORDER BY {k}") for t, k in KEYS.items()}


@pytest.fixture
def pg(bp):
    store = connect(empty_postgres())
    load_events(store)
    yield store
    store.close()


def test_events_held_as_arrow_or_streamed_into_duckdb_score_alike(pg, bp, monkeypatch):
    monkeypatch.setattr(offload, "fits", lambda store, table: True)
    score(pg, bp, full=True)
    held = snapshot(pg)
    monkeypatch.setattr(offload, "fits", lambda store, table: False)
    score(pg, bp, full=True)
    assert snapshot(pg) == held
    assert len(held["visit_scores"]) == 9 and len(held["hall_scores"]) == 3


def test_a_failed_write_back_leaves_every_score_table_as_it_was(pg, bp):
    score(pg, bp)
    before = snapshot(pg)

    def broken() -> pa.RecordBatchReader:
        raise RuntimeError("the scratch store went away")

    good = pa.table({"touch_id": ["x"], "visit_id": ["v0"], "e": [0.5]})
    with pytest.raises(RuntimeError, match="went away"):
        pg.write_arrow(["DELETE FROM visit_scores"], {}, {"touch_scores": lambda: pa.RecordBatchReader.from_batches(
            good.schema, good.to_batches()), "hall_parts": broken}, {"touch_scores": ("visit_id",)})
    assert snapshot(pg) == before
    assert not pg.rows("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%\\_\\_new'")


def test_an_incremental_run_scores_a_late_touch_and_leaves_no_scratch_tables(pg, bp):
    score(pg, bp)
    pg.execute("INSERT INTO touches (touch_id, visit_id, moment_id, seq, start_at, rating, rating_scale) "
               "VALUES ('v4-9', 'v4', 'leaving', 9, '2026-11-02 10:09:00', 1, '1-5')")
    assert score(pg, bp).rescored == 1
    incremental = snapshot(pg)
    score(pg, bp, full=True)
    assert snapshot(pg) == incremental
    assert not pg.rows("SELECT table_name FROM information_schema.tables WHERE table_name IN "
                       "('score_changed', 'score_days')")


@pytest.mark.parametrize(("limit", "expected"), [("4GB", 4 * 2**30), ("500 MiB", 500 * 2**20),
                                                 ("1.5GB", 3 * 2**29), ("2048", 2048)])
def test_memory_limits_are_read_in_bytes(limit, expected):
    assert offload.limit_bytes(limit) == expected
