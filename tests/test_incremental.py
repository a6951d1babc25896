"""Incremental scoring: after any sequence of ingests, visit fill-ins, corrections, surveys, audits and scorings, a
store scored incrementally holds the same score tables as one re-scored in full each time — on both stores."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.scoring.run import score
from peakend.store.db import Store, connect
from tests.conftest import other_postgres

HALLS = ("H1", "H2")
MOMENTS = ("entering", "greeting", "waiting", "counter_handling", "counter_result", "leaving")
KEYS = {"touch_scores": ["touch_id"], "visit_scores": ["visit_id"], "moment_scores": ["hall_id", "moment_id"],
        "hall_scores": ["hall_id"]}

touch = st.fixed_dictionaries({
    "visit": st.integers(0, 7), "moment": st.sampled_from(MOMENTS), "minute": st.integers(0, 59),
    "rating": st.one_of(st.none(), st.integers(1, 5)), "wait": st.one_of(st.none(), st.floats(0, 40).map(
        lambda x: round(x, 1))), "outcome": st.sampled_from([None, "resolved", "unresolved", "complaint"])})
step = st.one_of(
    st.tuples(st.just("touches"), st.lists(touch, min_size=1, max_size=6)),
    st.tuples(st.just("fill"), st.integers(0, 7)),  # a visit row filling in its departure
    st.tuples(st.just("correct"), touch),  # a touch sent again with other content, applied with replace
    st.tuples(st.just("survey"), st.integers(0, 7)),
    st.tuples(st.just("audit"), st.booleans()),
    st.tuples(st.just("score"), st.none()),
)


def record(t: dict, seq: int | None = None) -> dict:
    v = t["visit"]
    return {"touch_id": f"t{v}-{t['moment']}", "visit_id": f"v{v}", "hall_id": HALLS[v % 2],
            "moment_id": t["moment"], "seq": seq if seq is not None else MOMENTS.index(t["moment"]) + 1,
            "start_at": f"2026-11-0{1 + v % 3} 10:{t['minute']:02d}", "rating": t["rating"],
            "rating_scale": "1-5" if t["rating"] else None, "wait_min": t["wait"], "outcome": t["outcome"]}


def apply(store: Store, bp, op: tuple, n: int) -> None:
    kind, arg = op
    ctx = Context(bp)
    if kind == "touches":
        ingest_records(store, [{k: v for k, v in record(t).items() if v is not None} for t in arg], "touch", ctx,
                       f"s{n}")
    elif kind == "fill":
        ingest_records(store, [{"visit_id": f"v{arg}", "hall_id": HALLS[arg % 2],
                                "departure": f"2026-11-0{1 + arg % 3} 11:30"}], "visit", ctx, f"s{n}")
    elif kind == "correct":
        ingest_records(store, [{k: v for k, v in record(arg).items() if v is not None}], "touch",
                       dataclasses.replace(ctx, replace=True), f"s{n}")
    elif kind == "survey":
        ingest_records(store, [{"visit_id": f"v{arg}", "overall": 4, "overall_scale": "1-5"}], "survey", ctx, f"s{n}")
    elif kind == "audit":
        ingest_records(store, [{"hall_id": "H1", "item": "bow_welcome", "passed": arg,
                                "audited_at": f"2026-11-01 1{n % 10}:00"}], "audit", ctx, f"s{n}")


def tables(store: Store) -> dict[str, pd.DataFrame]:
    out = {}
    for name, key in KEYS.items():
        frame = store.query(f"SELECT * FROM {name}")
        out[name] = frame.sort_values(key, ignore_index=True)[sorted(frame.columns)]
    return out


def same(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    assert list(a.columns) == list(b.columns) and len(a) == len(b), name
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            assert np.allclose(x.astype(float), y.astype(float), rtol=0, atol=1e-12, equal_nan=True), (name, c)
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), (name, c)


def run(make, bp, ops: list[tuple]) -> None:
    """The same operations on two stores; one scored incrementally, one in full; their tables compared."""
    inc, ful = make("a"), make("b")
    try:
        scored = False
        for n, op in enumerate(ops):
            for s in (inc, ful):
                apply(s, bp, op, n)
            if op[0] == "score" or n == len(ops) - 1:
                if not inc.scalar("SELECT count(*) FROM touches"):
                    continue
                first = score(inc, bp)
                assert first.rescored is None if not scored else first.rescored is not None
                score(ful, bp, full=True)
                scored = True
                a, b = tables(inc), tables(ful)
                for name in KEYS:
                    same(a[name], b[name], name)
    finally:
        inc.close()
        ful.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=st.lists(step, min_size=2, max_size=12))
def test_incremental_equals_full_on_duckdb(bp, ops):
    run(lambda _: connect(":memory:"), bp, ops)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=st.lists(step, min_size=2, max_size=10))
def test_incremental_equals_full_on_postgres(bp, ops):
    run(lambda name: connect(other_postgres(f"incremental_{name}")), bp, ops)


def test_an_incremental_run_scores_only_what_changed_and_a_new_blueprint_scores_all(bp, duck):
    ctx = Context(bp)
    ingest_records(duck, [record({"visit": v, "moment": "leaving", "minute": 5, "rating": 4, "wait": None,
                                  "outcome": None}) for v in range(6)], "touch", ctx, "day1")
    assert score(duck, bp).rescored is None  # the first run: everything
    ingest_records(duck, [record({"visit": 7, "moment": "greeting", "minute": 1, "rating": 2, "wait": None,
                                  "outcome": None})], "touch", ctx, "day2")
    assert score(duck, bp).rescored == 1  # the one new visit
    assert score(duck, bp).rescored == 0  # nothing new: nothing scored again
    other = bp.model_copy(update={"weights": bp.weights.model_copy(update={"peak": 0.6, "end": 0.4})})
    assert score(duck, other).rescored is None  # another blueprint: a full run
    assert score(duck, bp, full=True).rescored is None


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_server_scores_what_changed_on_its_schedule(bp, tmp_path):
    import threading
    import time

    from peakend.scoring.run import stale
    from peakend.service.background import run_scoring
    from peakend.web.app import create_app

    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    st = app.state.peakend
    assert not stale(st.store, bp)  # nothing to score in an empty store
    ingest_records(st.store, [record({"visit": 1, "moment": "leaving", "minute": 5, "rating": 4, "wait": None,
                                      "outcome": None})], "touch", Context(bp), "pad")
    assert stale(st.store, st.blueprint)
    stop = threading.Event()
    worker = threading.Thread(target=run_scoring, args=(st.ws, stop, 0.002), daemon=True)  # every 0.12 s
    worker.start()
    for _ in range(100):
        if st.store.has_table("hall_scores") and not stale(st.store, st.blueprint):
            break
        time.sleep(0.1)
    assert not stale(st.store, st.blueprint)
    runs = st.store.scalar("SELECT count(*) FROM score_runs")
    time.sleep(0.5)
    assert st.store.scalar("SELECT count(*) FROM score_runs") == runs  # nothing new: no run (caches stay warm)
    ingest_records(st.store, [record({"visit": 2, "moment": "greeting", "minute": 9, "rating": 2, "wait": None,
                                      "outcome": None})], "touch", Context(bp), "pad")
    for _ in range(100):
        if st.store.scalar("SELECT count(*) FROM visit_scores") == 2:
            break
        time.sleep(0.1)
    stop.set()
    worker.join(5)
    assert st.store.rows("SELECT rescored FROM score_runs ORDER BY run_at DESC LIMIT 1") == [(1,)]
    st.store.close()
