"""Audits against customers: Wilson intervals by hand, and the two disagreements flagged only when the
intervals say so (and the counts suffice)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.scoring.audits import audits_vs_customers, wilson
from peakend.scoring.run import score


def test_wilson_by_hand():
    z = 1.959963984540054
    n, p = 20, 18 / 20
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (
        1 + z * z / n)
    lo, hi = wilson(pd.Series([18]), pd.Series([20]))
    assert (lo[0], hi[0]) == (pytest.approx(centre - half), pytest.approx(centre + half))


def touches(hall: str, moment: str, ratings: list[int]) -> list[dict]:
    return [{"touch_id": f"{hall}-{moment}-{i}", "visit_id": f"{hall}-{moment}-{i}", "hall_id": hall,
             "moment_id": moment, "seq": 1, "start_at": "2026-11-02 10:00", "rating": r, "rating_scale": "1-5"}
            for i, r in enumerate(ratings)]


def audits(hall: str, item: str, passed: list[bool]) -> list[dict]:
    return [{"audit_id": f"{hall}-{item}-{i}", "hall_id": hall, "audited_at": "2026-11-02 15:00", "item": item,
             "passed": p} for i, p in enumerate(passed)]


def test_disagreements_are_flagged_only_when_the_intervals_say_so(store, bp):
    """Hall P: leaving's standards pass 39 of 40 audits while 20 of 40 customers there felt bad → auditors_miss.
    Hall Q: leaving's standards pass 5 of 40 while all 80 customers were content (0 of 80: Wilson high 4.6% < 5%;
    with 40 it would be 8.8%, too few to say) → customers_content.
    Hall R: the same as P with 5 audits: too few to judge."""
    rows = (touches("P", "leaving", [1] * 20 + [5] * 20) + touches("Q", "leaving", [5] * 80)
            + touches("R", "leaving", [1] * 20 + [5] * 20))
    ingest_records(store, rows, "touch", Context(bp), "pad")
    ingest_records(store, audits("P", "leaving_std1", [True] * 39 + [False]) + audits(
        "Q", "leaving_std2", [True] * 5 + [False] * 35) + audits("R", "leaving_std1", [True] * 5), "audit",
        Context(bp), "shopper")
    score(store, bp)
    got = audits_vs_customers(store, bp).set_index("hall_id")
    assert got.loc["P", "flag"] == "auditors_miss" and got.loc["P", "bad_share"] == 0.5
    assert got.loc["Q", "flag"] == "customers_content" and got.loc["Q", "pass_rate"] == pytest.approx(5 / 40)
    assert got.loc["R", "flag"] == ""  # five audits: not judged
    assert list(audits_vs_customers(store, bp, {"Q"})["hall_id"]) == ["Q"]


def test_every_moments_standard_is_an_audit_item(bp):
    items = {c.id: c for c in bp.audit_items()}
    assert items["leaving_std1"].moment == "leaving" and items["leaving_std1"].en == "Thanks"
    assert {c.id for c in bp.checklist} <= set(items)
    assert len(items) == len(bp.checklist) + sum(len(m.standards) for m in bp.moments)
