"""Answers as real exports write them: missing codes, words for values, a yes/no scale, full-width digits,
ratings between the points of a scale — read by the mapping file, no hand work, every row accounted for."""

from __future__ import annotations

import yaml

from peakend.ingest.mapping import load_mapping
from peakend.ingest.pipeline import ingest_file, ingest_records
from peakend.ingest.validate import Context
from tests.conftest import write_csv

HEADER = ["id", "hall", "wifi", "checkin", "leaving", "satisfaction"]
MAPPING = {
    "format": "wide",
    "columns": {"visit_id": "id", "hall_id": "hall"},
    "rating_scale": "0-10",
    "missing": ["0", "N/A", "不适用"],
    "moments": [{"moment": "entering", "rating": "wifi"}, {"moment": "counter_handling", "rating": "checkin"},
                {"moment": "leaving", "rating": "leaving"}],
    "survey": {"overall": "satisfaction"},
    "overall_scale": "binary",
    "per_column": {"satisfaction": {"missing": [], "values": {"neutral or dissatisfied": 0, "satisfied": 1}}},
}


def mapping_file(tmp_path, **changes):
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({**MAPPING, **changes}, allow_unicode=True), "utf-8")
    return load_mapping(path)


ROWS = [
    ["a", "H", "8", "0", "9", "Satisfied"],  # checkin 0: not applicable, no touch
    ["b", "H", "N/A", "５", "10", "  neutral   OR dissatisfied "],  # full-width 5; case and spaces folded
    ["c", "H", "0", "0", "0", "ＳＡＴＩＳＦＩＥＤ"],  # no rating at all: a visit and its answer, no touch
    ["d", "H", "7.5", "6", "7", "satisfied"],  # 7.5 on a 0–10 scale: that touch dropped with a warning
    ["e", "H", "3", "4", "4", "maybe"],  # an answer the scale does not take: quarantined, named
]


def test_a_wide_export_reads_with_one_mapping_and_every_row_is_accounted_for(duck, bp, tmp_path):
    m = mapping_file(tmp_path)
    result = ingest_file(duck, write_csv(tmp_path / "s.csv", HEADER, ROWS), Context(bp), m)
    assert result.rows == 5 and result.quarantined == 1
    f = result.fates
    assert (f.stored, f.warned, f.rejected, f.already, f.conflicted, f.corrected) == (3, 1, 1, 0, 0, 0)
    touches = duck.rows("SELECT visit_id, moment_id, rating FROM touches ORDER BY visit_id, seq")
    assert touches == [("a", "entering", 8.0), ("a", "leaving", 9.0), ("b", "counter_handling", 5.0),
                       ("b", "leaving", 10.0), ("d", "counter_handling", 6.0), ("d", "leaving", 7.0)]
    assert duck.rows("SELECT visit_id, overall, overall_scale FROM surveys ORDER BY 1") == [
        ("a", 1.0, "binary"), ("b", 0.0, "binary"), ("c", 1.0, "binary"), ("d", 1.0, "binary")]
    assert duck.rows("SELECT visit_id FROM visits ORDER BY 1") == [("a",), ("b",), ("c",), ("d",)]
    why = {r: (c, a) for r, c, a in duck.rows("SELECT row_number, code, action FROM quarantine")}
    assert why == {5: ("fraction", "warned"), 6: ("not_number", "rejected")}
    said = duck.scalar("SELECT message_en FROM quarantine WHERE code = 'not_number'")
    assert "yes/no, 是/否" in said and "'maybe'" in said
    said = duck.scalar("SELECT message_en FROM quarantine WHERE code = 'fraction'")
    assert "allow_fractions: true" in said


def test_allow_fractions_takes_ratings_between_the_points(duck, bp, tmp_path):
    m = mapping_file(tmp_path, allow_fractions=True)
    ctx = Context(bp, m.rating_scale, m.allow_fractions)
    result = ingest_file(duck, write_csv(tmp_path / "s.csv", HEADER, ROWS[3:4]), ctx, m)
    assert result.quarantined == 0
    assert duck.scalar("SELECT rating FROM touches WHERE moment_id = 'entering'") == 7.5


def test_yes_no_answers_map_to_the_ends_of_experience(duck, bp):
    from peakend.scoring.run import score

    sent = [{"visit_id": v, "hall_id": "H", "moment_id": "leaving", "rating": r}
            for v, r in (("y1", "是"), ("y2", " No "), ("y3", "TRUE"))]
    assert ingest_records(duck, sent, "touch", Context(bp), "api").stored == 3
    score(duck, bp)
    assert dict(duck.rows("SELECT visit_id, e FROM touch_scores")) == {"y1": 1.0, "y2": -1.0, "y3": 1.0}


def test_a_word_on_a_number_scale_says_what_the_scale_takes(duck, bp):
    got = ingest_records(duck, [{"visit_id": "w", "hall_id": "H", "moment_id": "leaving", "rating": "good",
                                 "rating_scale": "sat3"}], "touch", Context(bp), "api")
    assert got.problems[0]["code"] == "not_number" and "满意/一般/不满意" in got.problems[0]["message_en"]
