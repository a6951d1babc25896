"""The maturity grade from REI, audit pass rate and case timeliness (the blueprint's rules), by hand."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from peakend.scoring.maturity import grade_hall, maturity

NAN = float("nan")


@pytest.mark.parametrize(("rei", "visits", "audit", "in_time", "grade", "next_en"), [
    (80, 100, 0.95, 1.0, "great", ""),
    (70, 100, 0.80, NAN, "good", "for Great: REI 70.0 < 75; audit pass rate 80% < 90%"),  # no case due: not held
    (70, 100, 0.70, 0.9, "qualified", "for Good: audit pass rate 70% < 75%"),
    (70, 100, 0.80, 0.5, "", "for Qualified: cases closed in time 50% < 70%"),
    (50, 100, NAN, NAN, "", "for Qualified: REI 50.0 < 55"),
])
def test_grades_by_hand(bp, rei, visits, audit, in_time, grade, next_en):
    got = grade_hall(bp, rei, visits, audit, in_time)
    assert (got["maturity"], got["next_en"]) == (grade, next_en)


def test_too_few_visits_and_unknown_rules_are_said(bp):
    got = grade_hall(bp, 90, 5, NAN, NAN)
    assert got["maturity_en"] == "Too few visits" and got["unknown_en"] == "no audits yet; no case due yet"
    assert got["maturity_zh"] == "数据不足" and got["unknown_zh"] == "还没有暗访；还没有到期的工单"


def test_cases_due_are_those_resolved_or_past_their_deadline(store, bp):
    rows = [("c1", "2026-11-02 10:00", "2026-11-02 12:00", "2026-11-02 11:00"),  # closed in time
            ("c2", "2026-11-02 10:00", "2026-11-02 12:00", "2026-11-02 13:00"),  # closed late
            ("c3", "2026-11-02 10:00", "2026-11-02 12:00", None),  # open, overdue
            ("c4", "2026-11-02 10:00", "2026-11-03 12:00", None)]  # open, not due yet: not counted
    for cid, opened, deadline, resolved in rows:
        store.execute("INSERT INTO cases (case_id, visit_id, hall_id, kind, status, opened_at, deadline, resolved_at) "
                      "VALUES (?, ?, 'H', 'unresolved', ?, ?, ?, ?)",
                      [cid, cid, "resolved" if resolved else "open", opened, deadline, resolved])
    halls = pd.DataFrame({"hall_id": ["H"], "rei": [80.0], "visits": [100], "audit_items": [10],
                          "audit_pass_rate": [0.95]})
    got = maturity(store, bp, halls, now=datetime(2026, 11, 2, 18)).iloc[0]
    assert (got["cases_due"], got["cases_in_time"]) == (3, 1) and got["cases_in_time_share"] == pytest.approx(1 / 3)
    assert got["maturity"] == "" and got["next_en"] == "for Qualified: cases closed in time 33% < 70%"
    assert np.isfinite(got["audit_pass_rate"])


def test_a_chart_of_halls_with_missing_figures_is_valid_json():
    """A hall with no case due has NaN figures: a spec holding NaN is not JSON and a browser drew no chart."""
    import json

    from peakend.report.charts import ranking, script_json

    halls = pd.DataFrame({"hall_id": ["H"], "rei": [70.0], "rei_low": [NAN], "rei_high": [NAN], "visits": [3],
                          "grade_en": ["Too few visits"], "maturity_en": ["Too few visits"], "cases_due": [NAN]})
    spec = json.loads(script_json(ranking(halls, "en")), parse_constant=lambda c: pytest.fail(f"{c} in the spec"))
    assert spec["layer"][0]["mark"]["type"] == "bar"
