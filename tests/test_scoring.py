"""Peak-end scoring on visits whose answers were worked out by hand.

Ratings are on the 1–5 scale, so e = (r − 3) / 2: 1 → −1, 2 → −0.5, 3 → 0, 4 → 0.5, 5 → 1.
REI = 50 · (1 + 0.5·peak + 0.5·end) with the default weights.
"""

from __future__ import annotations

import math
import random
import statistics
from pathlib import Path

import pytest

from peakend.blueprint.model import Weights
from peakend.ingest.pipeline import ingest_file
from peakend.ingest.validate import Context
from peakend.scoring.run import NoData, score
from tests.conftest import write_csv

HEADER = ["visit_id", "hall_id", "moment_id", "seq", "rating", "rating_scale", "wait_min", "service_min", "outcome"]

# (visit, hall, moment, seq, rating, scale, wait, service, outcome)
ROWS = [
    # A: e = [0.5, -1, 1, 0]. |e| = 1 twice: the later (+1, counter_result) is the peak.
    #    end = 0, mean = 0.125, remembered = 0.5, REI = 75.
    ["A", "H", "entering", 1, 4, "1-5", "", "", ""],
    ["A", "H", "waiting", 2, 1, "1-5", "", "", ""],
    ["A", "H", "counter_result", 3, 5, "1-5", "", "", ""],
    ["A", "H", "leaving", 4, 3, "1-5", "", "", ""],
    # B: a single touch, e = -0.5: peak = end = mean = -0.5, REI = 25.
    ["B", "H", "counter_result", 1, 2, "1-5", "", "", ""],
    # C: all neutral: peak = end = 0 (peak on the last touch), REI = 50.
    ["C", "H", "entering", 1, 3, "1-5", "", "", ""],
    ["C", "H", "waiting", 2, 3, "1-5", "", "", ""],
    ["C", "H", "leaving", 3, 3, "1-5", "", "", ""],
    # D: a 30-minute wait would infer e = 0.1 − 1.0 = −0.9, but the rating 5 wins: e = 1.
    #    leaving, unrated, resolved: the leaving rule gives 0.4. REI = 50·(1 + 0.5 + 0.2) = 85.
    ["D", "H", "waiting", 1, 5, "1-5", 30, "", ""],
    ["D", "H", "leaving", 2, "", "", "", "", "resolved"],
    # G (second hall): e = [-1, 0.5]: peak −1, end 0.5, REI = 37.5.
    ["G", "H2", "entering", 1, 1, "1-5", "", "", ""],
    ["G", "H2", "leaving", 2, 4, "1-5", "", "", ""],
]


@pytest.fixture
def scored(store, bp, tmp_path: Path):
    path = write_csv(tmp_path / "touches.csv", HEADER, ROWS)
    result = ingest_file(store, path, Context(bp))
    assert result.quarantined == 0, store.rows("SELECT message_en FROM quarantine")
    score(store, bp)
    return store


def visits(store) -> dict[str, dict]:
    df = store.query("SELECT * FROM visit_scores")
    return {r["visit_id"]: r for r in df.to_dict("records")}


def test_peak_end_and_rei_by_hand(scored):
    v = visits(scored)
    a = v["A"]
    assert (a["peak"], a["peak_moment"], a["end"], a["end_moment"]) == (1.0, "counter_result", 0.0, "leaving")
    assert (a["best"], a["worst"], a["touches"]) == (1.0, -1.0, 4)
    assert a["mean"] == pytest.approx(0.125)
    assert a["rei"] == pytest.approx(75.0)
    assert (v["B"]["peak"], v["B"]["end"], v["B"]["mean"], v["B"]["rei"]) == (-0.5, -0.5, -0.5, 25.0)
    assert (v["C"]["peak"], v["C"]["peak_moment"], v["C"]["rei"]) == (0.0, "leaving", 50.0)
    assert v["G"]["rei"] == pytest.approx(37.5)


def test_rating_overrides_inference(scored):
    e = dict(scored.rows("SELECT touch_id, e FROM touch_scores WHERE visit_id = 'D'"))
    src = dict(scored.rows("SELECT moment_id, e_source FROM touch_scores WHERE visit_id = 'D'"))
    assert sorted(e.values()) == pytest.approx([0.4, 1.0])
    assert src == {"waiting": "rating", "leaving": "inferred"}
    assert visits(scored)["D"]["rei"] == pytest.approx(85.0)


def test_moment_shares_and_lift_by_hand(scored):
    rows = scored.query("SELECT * FROM moment_scores")
    m = {(r["hall_id"], r["moment_id"]): r for r in rows.to_dict("records")}
    # Peaks in H: A→counter_result, B→counter_result, C→leaving, D→waiting (4 visits).
    assert m[("H", "counter_result")]["peak_share"] == pytest.approx(0.5)
    assert m[("H", "leaving")]["peak_share"] == pytest.approx(0.25)
    assert m[("H", "waiting")]["peak_share"] == pytest.approx(0.25)
    # Ends in H: A, C, D end on leaving; B on counter_result.
    assert m[("H", "leaving")]["end_share"] == pytest.approx(0.75)
    # Only B's peak is negative, and it is on counter_result.
    assert m[("H", "counter_result")]["negative_peak_share"] == pytest.approx(1.0)
    assert m[("H", "waiting")]["negative_peak_share"] == 0.0
    # Waiting e in H: A −1, C 0, D +1.
    assert m[("H", "waiting")]["mean_e"] == pytest.approx(0.0)
    # Lift: B's −0.5 made neutral → REI 25 → 50, +25 over 4 visits = 6.25.
    assert m[("H", "counter_result")]["lift"] == pytest.approx(6.25)
    # A's waiting −1 made neutral leaves its peak (+1) and end (0): no gain.
    assert m[("H", "waiting")]["lift"] == pytest.approx(0.0)
    # G: entering −1 made neutral → peak 0.5, end 0.5 → REI 75, +37.5 over 1 visit.
    assert m[("H2", "entering")]["lift"] == pytest.approx(37.5)


def test_hall_interval_by_independent_formula(scored):
    h = scored.query("SELECT * FROM hall_scores WHERE hall_id = 'H'").iloc[0]
    reis = [75.0, 25.0, 50.0, 85.0]
    half = 3.182446305284263 * statistics.stdev(reis) / math.sqrt(4)  # t(0.975, 3)
    assert h.rei == pytest.approx(58.75)
    assert (h.rei_low, h.rei_high) == pytest.approx((58.75 - half, min(58.75 + half, 100.0)))  # cut at 100
    assert h.grade == "" and h.grade_en == "Too few visits"


def test_order_changes_end_and_memory_but_not_mean(store, bp, tmp_path):
    rows = [
        ["E", "H", "counter_result", 1, 5, "1-5", "", "", ""],
        ["E", "H", "leaving", 2, 2, "1-5", "", "", ""],
        ["F", "H", "counter_result", 1, 2, "1-5", "", "", ""],
        ["F", "H", "leaving", 2, 5, "1-5", "", "", ""],
    ]
    ingest_file(store, write_csv(tmp_path / "o.csv", HEADER, rows), Context(bp))
    score(store, bp)
    v = visits(store)
    assert v["E"]["mean"] == pytest.approx(v["F"]["mean"]) == pytest.approx(0.25)
    assert (v["E"]["end"], v["F"]["end"]) == (-0.5, 1.0)
    assert (v["E"]["rei"], v["F"]["rei"]) == (pytest.approx(62.5), pytest.approx(100.0))


def test_start_time_orders_touches_before_seq(store, bp, tmp_path):
    header = ["visit_id", "hall_id", "moment_id", "start_at", "rating", "rating_scale"]
    rows = [
        ["T", "H", "leaving", "2026-11-02 10:30:00", 2, "1-5"],
        ["T", "H", "entering", "2026-11-02 10:00:00", 4, "1-5"],
    ]
    ingest_file(store, write_csv(tmp_path / "t.csv", header, rows), Context(bp))
    score(store, bp)
    t = visits(store)["T"]
    assert (t["end_moment"], t["end"], t["duration_min"]) == ("leaving", -0.5, 30.0)


@pytest.mark.parametrize(
    ("moment", "fields", "expected"),
    [
        ("waiting", {"wait_min": 12}, 0.1 - 7 / 25),  # base 0.1, ramp (12−5)/(30−5)·1.0
        ("counter_handling", {"service_min": 20}, 0.1 - 0.25),  # base 0.1, ramp (20−10)/(30−10)·0.5
        ("counter_result", {"outcome": "complaint"}, -1.0),
        ("counter_result", {"outcome": "已解决"}, 0.6),  # Chinese outcome word
        ("waiting", {"wait_min": 90, "outcome": "abandoned"}, -1.0),  # −0.9 − 1.0 clipped to −1
        ("entering", {}, 0.0),  # default rule, nothing observed
        ("leaving", {"rating": "满意"}, 1.0),
        ("leaving", {"rating": "一般"}, 0.0),
        ("leaving", {"rating": 10, "rating_scale": "1-10"}, 1.0),
        ("leaving", {"rating": 5, "rating_scale": "0-10"}, 0.0),
        ("leaving", {"rating": 1, "rating_scale": "1-10"}, -1.0),
    ],
)
def test_experience_value(store, bp, tmp_path, moment, fields, expected):
    row = {"visit_id": "V", "hall_id": "H", "moment_id": moment, "seq": 1, **fields}
    path = write_csv(tmp_path / "e.csv", list(row), [list(row.values())])
    assert ingest_file(store, path, Context(bp)).stored == 1
    score(store, bp)
    e = store.rows("SELECT e FROM touch_scores")[0][0]
    assert e == pytest.approx(expected)


def test_empty_store_raises(store, bp):
    with pytest.raises(NoData):
        score(store, bp)


def test_grades(bp):
    assert bp.grade_for(80, 100).id == "great"
    assert bp.grade_for(70, 100).id == "good"
    assert bp.grade_for(55, 100).id == "qualified"
    assert bp.grade_for(54.9, 100) is None
    assert bp.grade_for(99, 5) is None  # too few visits


def brute_force_lift(rows: list[list[object]], w: Weights) -> dict[tuple[str, str], tuple[float, int]]:
    """Lift per (hall, moment) by the definition: re-score every visit with the moment's negatives neutral."""
    by_visit: dict[str, list[tuple[int, str, str, float]]] = {}
    hall_of: dict[str, str] = {}
    for touch, visit, hall, moment, seq, rating in rows:
        by_visit.setdefault(str(visit), []).append((int(seq), str(touch), str(moment), (int(rating) - 3) / 2))
        hall_of[str(visit)] = str(hall)

    def rei(es: list[tuple[int, str, str, float]]) -> float:
        peak = max(es, key=lambda t: (abs(t[3]), t[0], t[1]))[3]
        end = max(es, key=lambda t: (t[0], t[1]))[3]
        return 50 * (1 + w.peak * peak + w.end * end + w.mean * statistics.fmean(t[3] for t in es))

    gains: dict[tuple[str, str], list[float]] = {}
    for visit, touches in by_visit.items():
        for moment in {t[2] for t in touches if t[3] < 0}:
            neutral = [(s, i, m, 0.0 if m == moment and e < 0 else e) for s, i, m, e in touches]
            gains.setdefault((hall_of[visit], moment), []).append(rei(neutral) - rei(touches))
    visits = {h: sum(1 for v in hall_of.values() if v == h) for h in set(hall_of.values())}
    return {k: (sum(g) / visits[k[0]], len(g)) for k, g in gains.items()}


def test_lift_equals_rescoring_every_visit(store, bp, tmp_path: Path):
    """Random visits with ties of |e| and of seq: the lift equals re-scoring each visit by brute force."""
    rng = random.Random(7)
    moments = ["entering", "waiting", "counter_result", "leaving"]
    rows = [[f"t{v:03d}-{k}", f"v{v:03d}", f"H{v % 3}", rng.choice(moments), rng.randint(1, 4), rng.randint(1, 5)]
            for v in range(150) for k in range(rng.randint(1, 6))]
    header = ["touch_id", "visit_id", "hall_id", "moment_id", "seq", "rating", "rating_scale"]
    path = write_csv(tmp_path / "touches.csv", header, [[*r, "1-5"] for r in rows])
    with_mean = bp.model_copy(update={"weights": Weights(peak=0.4, end=0.35, mean=0.25)})
    ingest_file(store, path, Context(with_mean))
    score(store, with_mean)
    got = {(r["hall_id"], r["moment_id"]): (r["lift"], r["affected_visits"])
           for r in store.query("SELECT * FROM moment_scores").to_dict("records")}
    expected = brute_force_lift(rows, with_mean.weights)
    assert len(expected) > 6 and any(lift > 0 for lift, _ in expected.values())
    for key, (lift, affected) in expected.items():
        assert got[key][0] == pytest.approx(lift, abs=1e-9), key
        assert got[key][1] == affected, key
    assert all(got[k][1] == 0 for k in got.keys() - expected.keys())


def test_on_the_server_score_tables_are_analyzed_and_indexed_as_they_are_written(scored):
    """PostgreSQL plans from statistics: a score table it has none of (just written) it takes for empty,
    and a page joining two of millions of rows then took minutes. Each is analyzed as it is written (by
    us, not some time later by autovacuum), and the visit page's look-ups go by index."""
    if scored.backend != "postgres":
        assert not scored.rows("SELECT * FROM duckdb_indexes() WHERE table_name LIKE '%_scores'")  # DuckDB scans
        return
    analyzed = scored.rows("SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                           "WHERE relname LIKE '%\\_scores' ORDER BY relname")
    assert analyzed == [(t, True) for t in ("hall_scores", "moment_scores", "touch_scores", "visit_scores")]
    scored.execute("SET enable_seqscan = off")
    for table in ("touch_scores", "visit_scores"):
        plan = " ".join(r[0] for r in scored.rows(f"EXPLAIN SELECT * FROM {table} WHERE visit_id = 'A'"))
        assert "Seq Scan" not in plan and f"{table}_visit_id" in plan, plan
    plan = " ".join(r[0] for r in scored.rows("EXPLAIN SELECT * FROM visit_scores WHERE hall_id = 'H'"))
    assert "visit_scores_hall_id" in plan, plan
    scored.execute("SET enable_seqscan = on")


def test_a_hall_s_rei_interval_stays_within_0_to_100():
    """Three very different visits: the t interval 66.7 ± 117.5 would run past both ends; REI lies in 0–100, so
    its interval is cut there (the estimate itself unchanged)."""
    import pandas as pd

    from peakend.blueprint.load import load_blueprint
    from peakend.scoring.halls import finish_halls

    row = {"hall_id": "H", "rei": 66.7, "rei_sd": 47.3, "mean_e": 0.3, "negative_peak_share": 0.3,
           "negative_end_share": 0.3, "audit_pass_rate": None, "visits": 3, "days": 1, "surveys": 0, "audit_items": 0}
    h = finish_halls(pd.DataFrame([row]), load_blueprint()).iloc[0]
    assert (h.rei, h.rei_low, h.rei_high) == (66.7, 0.0, 100.0)
    wide = 4.303 * 47.3 / 3**0.5  # t(2) × sd / √n: −50.8 to 184.2 before the cut
    assert 66.7 - wide < 0 and 66.7 + wide > 100
