"""File ingest: formats, mappings, idempotence, and every kind of bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from peakend.ingest.mapping import load_mapping
from peakend.ingest.pipeline import ingest_file, ingest_records
from peakend.ingest.readers import cell_text, read_csv, read_parquet, text_column
from peakend.ingest.validate import Context
from tests.conftest import write_csv

HEADER = [
    "visit_id",
    "hall_id",
    "arrival",
    "departure",
    "moment_id",
    "seq",
    "start_at",
    "rating",
    "rating_scale",
    "wait_min",
    "outcome",
]
GOOD = [
    [
        "v1",
        "天河北厅",
        "2026-11-02 09:00:00",
        "2026-11-02 09:30:00",
        "entering",
        1,
        "2026-11-02 09:00:00",
        "",
        "",
        "",
        "",
    ],
    [
        "v1",
        "天河北厅",
        "2026-11-02 09:00:00",
        "2026-11-02 09:30:00",
        "waiting",
        2,
        "2026-11-02 09:01:00",
        "",
        "",
        12,
        "",
    ],
    [
        "v1",
        "天河北厅",
        "2026-11-02 09:00:00",
        "2026-11-02 09:30:00",
        "counter_result",
        3,
        "2026-11-02 09:20:00",
        5,
        "1-5",
        "",
        "resolved",
    ],
]


def count(store, table: str) -> int:
    return store.rows(f"SELECT count(*) FROM {table}")[0][0]


def quarantined(store) -> list[tuple]:
    return store.rows(
        "SELECT row_number, field, code, message_en, message_zh, record FROM quarantine ORDER BY row_number, field"
    )


def test_good_rows_stored_once_even_when_sent_twice(store, bp, tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, GOOD)
    first = ingest_file(store, path, Context(bp))
    second = ingest_file(store, path, Context(bp))
    assert (first.stored, first.duplicates, first.quarantined) == (3, 0, 0)
    assert (second.stored, second.duplicates) == (0, 3)
    assert (count(store, "touches"), count(store, "visits")) == (3, 1)
    hall, arrival = store.rows("SELECT hall_id, arrival::VARCHAR FROM visits")[0]
    assert (hall, arrival) == ("天河北厅", "2026-11-02 09:00:00")


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        (["v2", "H", "", "", "coffee_bar", 1, "", "", "", "", ""], "moment_id", "not_in_set"),
        (["v2", "H", "", "", "counter_result", 1, "", 7, "1-5", "", ""], "rating", "out_of_range"),
        (["v2", "H", "", "", "counter_result", 1, "", 7, "", "", ""], "rating", "no_scale"),
        (["v2", "H", "", "", "counter_result", 1, "", 4, "1-7", "", ""], "rating_scale", "not_in_set"),
        (["v2", "H", "", "", "counter_result", 1, "", "great", "1-5", "", ""], "rating", "not_number"),
        (["v2", "H", "2026-13-45 10:00", "", "waiting", 1, "", "", "", "", ""], "arrival", "not_timestamp"),
        (["v2", "H", "", "", "waiting", 1, "soon", "", "", "", ""], "start_at", "not_timestamp"),
        (["v2", "H", "2026-11-02 10:00", "2026-11-02 09:00", "waiting", 1, "", "", "", "", ""], "departure", "before"),
        (["v2", "H", "", "", "waiting", 1, "", "", "", -3, ""], "wait_min", "out_of_range"),
        (["v2", "H", "", "", "waiting", "x", "", "", "", "", ""], "seq", "not_integer"),
        (["v2", "H", "", "", "counter_result", 1, "", "", "", "", "maybe"], "outcome", "not_in_set"),
        (["v9", "", "", "", "leaving", 1, "", "", "", "", ""], "visit_id", "unknown_visit"),
        (["", "H", "", "", "leaving", 1, "", "", "", "", ""], "visit_id", "missing"),
        (["v1", "北京路厅", "", "", "leaving", 9, "", "", "", "", ""], "hall_id", "hall_conflict"),
    ],
)
def test_bad_row_is_named_quarantined_and_good_rows_kept(store, bp, tmp_path, row, field, code):
    path = write_csv(tmp_path / "bad.csv", HEADER, [*GOOD, row])
    result = ingest_file(store, path, Context(bp))
    assert (result.stored, result.quarantined) == (3, 1)
    [(line, qfield, qcode, en, zh, record)] = quarantined(store)
    assert (line, qfield, qcode) == (5, field, code)  # header is line 1, the bad row line 5
    assert str(path) in en and "row 5" in en and f"'{field}'" in en
    assert "第 5 行" in zh
    assert "a number" not in zh and "数字" not in en  # each message in one language
    assert json.loads(record)["moment_id"] == row[4]


def test_a_file_s_commonest_problems_are_counted_by_field(duck, bp, tmp_path):
    bad = [["v2", "H", "", "", "counter_result", 1, "", 7, "", "", ""],
           ["v3", "H", "", "", "counter_result", 1, "", 4, "", "", ""],
           ["v4", "H", "", "", "waiting", "x", "", "", "", "", ""]]
    path = write_csv(tmp_path / "bad.csv", HEADER, [*GOOD, *bad])
    said = ingest_file(duck, path, Context(bp)).commonest
    assert [(n, field) for n, field, _ in said] == [(2, "rating"), (1, "seq")]
    assert "--rating-scale" in said[0][2]["en"] and "row 5" in said[0][2]["en"]  # the first such row quoted
    assert "第 5 行" in said[0][2]["zh"]
    fixed = ingest_file(duck, path, Context(bp, "1-5")).commonest  # the same file again, its scale given
    assert [(n, field) for n, field, _ in fixed] == [(1, "rating"), (1, "seq")]  # this run's problems only:
    assert "--rating-scale" not in fixed[0][2]["en"] and "1–5" in fixed[0][2]["en"]  # 7 is past 1–5 now


def test_missing_column_quarantines_rows_that_need_it(store, bp, tmp_path):
    header = [h for h in HEADER if h != "moment_id"]
    rows = [[c for h, c in zip(HEADER, r, strict=True) if h != "moment_id"] for r in GOOD]
    result = ingest_file(store, write_csv(tmp_path / "m.csv", header, rows), Context(bp), kind="touch")
    assert (result.stored, result.quarantined) == (0, 3)
    assert any("column 'moment_id' is missing" in n for n in result.notes)
    assert {q[2] for q in quarantined(store)} == {"missing"}


def test_unrecognisable_file_is_reported(store, bp, tmp_path):
    result = ingest_file(store, write_csv(tmp_path / "x.csv", ["a", "b"], [[1, 2]]), Context(bp))
    assert result.stored == 0 and result.quarantined == 1
    assert "cannot tell what the rows are" in result.notes[0]


def test_non_utf8_bytes(store, bp, tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(
        "visit_id,hall_id,moment_id\nv1,H,leaving\nv2,H,lea\xff\n".encode("latin-1").replace(b"\xc3\xbf", b"\xff")
    )
    path.write_bytes(b"visit_id,hall_id,moment_id\nv1,H,leaving\nv2,H,lea\xffving\n")
    result = ingest_file(store, path, Context(bp))
    assert (result.stored, result.quarantined) == (1, 1)
    [(line, field, code, en, _, record)] = quarantined(store)
    assert (line, field, code) == (3, "*", "bad_utf8")
    assert "0xff" in en and "--encoding gbk" in en and "v2" in record


def test_gbk_file_detected_or_named(store, bp, tmp_path):
    path = write_csv(tmp_path / "g.csv", HEADER[:5], [["v1", "天河北厅", "", "", "leaving"]], encoding="gbk")
    assert ingest_file(store, path, Context(bp), encoding="utf-8").quarantined == 1  # as UTF-8: rejected, not garbled
    store.execute("DELETE FROM quarantine")
    result = ingest_file(store, path, Context(bp))  # the encoding detected
    assert (result.stored, result.quarantined) == (1, 0)
    assert store.rows("SELECT hall_id FROM visits") == [("天河北厅",)]


def test_empty_file(store, bp, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = ingest_file(store, path, Context(bp))
    assert result.stored == 0 and result.quarantined == 1
    assert quarantined(store)[0][2] == "empty_file"
    header_only = write_csv(tmp_path / "h.csv", HEADER, [])
    assert ingest_file(store, header_only, Context(bp)).stored == 0


def test_wrong_cell_count_is_quarantined(store, bp, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("visit_id,hall_id,moment_id\nv1,H,leaving\nv2,H\n", "utf-8")
    result = ingest_file(store, path, Context(bp))
    assert (result.stored, quarantined(store)[0][:3]) == (1, (3, "*", "bad_row_shape"))


def test_jsonl_with_a_broken_line(store, bp, tmp_path):
    path = tmp_path / "t.jsonl"
    lines = [
        json.dumps({"visit_id": "v1", "hall_id": "H", "moment_id": "leaving", "rating": "满意"}),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"visit_id": "v2", "hall_id": "H", "moment_id": "waiting", "wait_min": 3}),
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = ingest_file(store, path, Context(bp))
    assert (result.stored, result.quarantined) == (2, 2)
    assert [q[:3] for q in quarantined(store)] == [(2, "*", "bad_json"), (3, "*", "bad_json")]
    assert store.rows("SELECT rating, rating_scale FROM touches WHERE visit_id = 'v1'") == [(3.0, "sat3")]


def test_parquet(store, bp, tmp_path):
    table = pa.table(
        {
            "visit_id": ["p1", "p1"],
            "hall_id": ["H", "H"],
            "moment_id": ["waiting", "leaving"],
            "seq": [1, 2],
            "rating": [None, 9.0],
            "rating_scale": [None, "0-10"],
            "wait_min": [4.5, None],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    result = ingest_file(store, tmp_path / "t.parquet", Context(bp))
    assert (result.stored, result.quarantined) == (2, 0)


def test_surveys_and_audits(store, bp, tmp_path):
    ingest_file(store, write_csv(tmp_path / "t.csv", HEADER, GOOD), Context(bp))
    surveys = write_csv(
        tmp_path / "s.csv",
        ["visit_id", "overall", "overall_scale", "recommend"],
        [["v1", 9, "1-10", 10], ["v1", 11, "1-10", 5], ["nope", 5, "1-10", 5]],
    )
    r = ingest_file(store, surveys, Context(bp))
    assert (r.kind, r.stored, r.quarantined) == ("survey", 1, 2)
    audits = write_csv(
        tmp_path / "a.csv",
        ["hall_id", "audited_at", "item", "passed"],
        [
            ["H", "2026-11-02 14:00", "bow_welcome", "是"],
            ["H", "2026-11-02 14:00", "smile_farewell", "否"],
            ["H", "2026-11-02 14:00", "juggling", "是"],
            ["H", "2026-11-02 14:00", "bow_farewell", "maybe"],
        ],
    )
    r = ingest_file(store, audits, Context(bp))
    assert (r.kind, r.stored, r.quarantined) == ("audit", 2, 2)
    assert store.rows("SELECT item, passed FROM audits ORDER BY item") == [
        ("bow_welcome", True),
        ("smile_farewell", False),
    ]


def test_wide_format_with_mapping(store, bp, tmp_path):
    mapping = {
        "format": "wide",
        "rating_scale": "1-5",
        "overall_scale": "1-10",
        "columns": {"visit_id": "流水号", "hall_id": "营业厅", "arrival": "到厅时间"},
        "moments": [
            {"moment": "greeting", "rating": "迎宾"},
            {"moment": "waiting", "rating": "等候", "wait": "等候分钟"},
            {"moment": "counter_result", "rating": "办理结果"},
            {"moment": "leaving", "rating": "离开"},
        ],
        "survey": {"overall": "总体"},
    }
    mpath = tmp_path / "m.yaml"
    mpath.write_text(yaml.safe_dump(mapping, allow_unicode=True), "utf-8")
    header = ["流水号", "营业厅", "到厅时间", "迎宾", "等候", "等候分钟", "办理结果", "离开", "总体"]
    rows = [
        ["w1", "花都新华厅", "2026-11-02 09:00", 5, "", 25, 2, 4, 8],
        ["w2", "花都新华厅", "2026-11-02 09:05", "", "", "", "", "", 6],  # no ratings, an answer
        ["w3", "花都新华厅", "2026-11-02 09:10", 4, "", "", 9, "", ""],
    ]  # 9 is off the 1–5 scale
    result = ingest_file(store, write_csv(tmp_path / "w.csv", header, rows), Context(bp, "1-5"), load_mapping(mpath))
    got = store.rows(
        "SELECT visit_id, moment_id, seq, rating, wait_min FROM touches ORDER BY visit_id, seq"
    )
    assert got == [
        ("w1", "greeting", 1, 5.0, None),
        ("w1", "waiting", 2, None, 25.0),
        ("w1", "counter_result", 3, 2.0, None),
        ("w1", "leaving", 4, 4.0, None),
        ("w3", "greeting", 1, 4.0, None),  # w3's unreadable result costs that touch only
    ]
    assert store.rows("SELECT visit_id, overall, overall_scale FROM surveys ORDER BY 1") == [
        ("w1", 8.0, "1-10"),
        ("w2", 6.0, "1-10"),
    ]
    [(line, field, code, en, _, _)] = quarantined(store)
    assert (line, field, code) == (4, "办理结果", "out_of_range")
    assert "'办理结果'" in en
    assert store.rows("SELECT action FROM quarantine") == [("warned",)]
    assert result.quarantined == 0
    assert (result.fates.stored, result.fates.warned, result.fates.rejected) == (2, 1, 0)
    assert (result.kinds["touch"].stored, result.kinds["touch"].warned) == (5, 1)


def test_long_mapping_renames_chinese_headers(store, bp, tmp_path):
    mpath = tmp_path / "m.yaml"
    mpath.write_text(
        yaml.safe_dump(
            {"columns": {"visit_id": "流水号", "hall_id": "厅", "moment_id": "时刻"}, "defaults": {"source": "pad"}},
            allow_unicode=True,
        ),
        "utf-8",
    )
    path = write_csv(tmp_path / "l.csv", ["流水号", "厅", "时刻"], [["l1", "H", "leaving"]])
    result = ingest_file(store, path, Context(bp), load_mapping(mpath))
    assert result.stored == 1
    assert store.rows("SELECT source FROM touches") == [("pad",)]


def test_bad_mapping_is_reported(tmp_path):
    from peakend.ingest.mapping import MappingError

    mpath = tmp_path / "m.yaml"
    mpath.write_text("format: wide\ncolums: {}\n", "utf-8")
    with pytest.raises(MappingError, match="colums"):
        load_mapping(mpath)


PAD = ["流水号", "营业厅", "柜台评分", "离开评分"]


def pad_mapping(tmp_path, moments: list[dict[str, str]]):
    mpath = tmp_path / "pad.yaml"
    mapping = {"format": "wide", "rating_scale": "1-5", "moments": moments,
               "columns": {"visit_id": "流水号", "hall_id": "营业厅"}}
    mpath.write_text(yaml.safe_dump(mapping, allow_unicode=True), "utf-8")
    return load_mapping(mpath)


def test_a_mapping_names_moments_by_their_zh_or_en_name(duck, bp, tmp_path):
    mapping = pad_mapping(tmp_path, [{"moment": "Counter result", "rating": "柜台评分"},
                                     {"moment": "离开", "rating": "离开评分"}])
    result = ingest_file(duck, write_csv(tmp_path / "p.csv", PAD, [["p1", "H", 4, 5]]), Context(bp), mapping)
    assert not result.refused and not result.notes, result.notes  # leaving is the end: no warning either
    assert duck.rows("SELECT moment_id, seq, rating FROM touches ORDER BY seq") == [
        ("counter_result", 1, 4.0), ("leaving", 2, 5.0)]


def test_a_mapping_naming_a_column_or_moment_not_there_refuses_the_file(duck, bp, tmp_path):
    path = write_csv(tmp_path / "p.csv", PAD, [["p1", "H", 4, 5], ["p2", "H", 2, 3]])
    typo = pad_mapping(tmp_path, [{"moment": "counter_result", "rating": "柜台办理评分"},
                                  {"moment": "leaving", "rating": "离开评分"}])
    result = ingest_file(duck, path, Context(bp), typo)
    assert result.refused and (result.rows, result.stored, result.quarantined) == (2, 0, 1)
    assert count(duck, "visits") == 0 and count(duck, "touches") == 0
    [(row, field, code, en, zh, _)] = quarantined(duck)
    assert (row, field, code) == (0, "*", "mapping_no_column")  # the file as a whole
    assert "names column(s) the file does not have: 柜台办理评分; the file's columns are: 流水号, 营业厅, 柜台评分, " \
           "离开评分" in en
    assert "映射中的列不在文件中：柜台办理评分；文件的列为：流水号, 营业厅, 柜台评分, 离开评分" in zh
    unknown = pad_mapping(tmp_path, [{"moment": "抄表", "rating": "柜台评分"},
                                     {"moment": "离开", "rating": "离开评分"}])
    result = ingest_file(duck, path, Context(bp), unknown)
    assert result.refused and count(duck, "touches") == 0
    assert "moment(s) the blueprint does not have: 抄表; its moments (id, then names) are: find_hall (寻找营业厅 / " \
           "Finding the hall), approach" in result.notes[0].in_both["en"]  # type: ignore[attr-defined]
    assert "映射中的时刻不在蓝图中：抄表；" in result.notes[0].in_both["zh"]  # type: ignore[attr-defined]
    assert "leaving (离开 / Leaving)" in result.notes[0].in_both["zh"]  # type: ignore[attr-defined]


def test_quarantine_is_idempotent(store, bp, tmp_path):
    path = write_csv(tmp_path / "bad.csv", HEADER, [*GOOD, ["v2", "H", "", "", "coffee", 1, "", "", "", "", ""]])
    ingest_file(store, path, Context(bp))
    ingest_file(store, path, Context(bp))
    assert count(store, "quarantine") == 1


def test_large_file_in_several_chunks(store, bp, tmp_path, monkeypatch):
    import peakend.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 7)
    rows = [[f"c{i}", "H", "", "", "waiting", 1, "", "", "", i % 20, ""] for i in range(50)]
    rows[33][4] = "nope"
    seen: list[int] = []
    result = ingest_file(
        store, write_csv(tmp_path / "c.csv", HEADER, rows), Context(bp), progress=lambda done, size: seen.append(done)
    )
    assert (result.rows, result.stored, result.quarantined) == (50, 49, 1)
    assert quarantined(store)[0][0] == 35
    assert len(seen) >= 7 and seen == sorted(seen)


def test_control_characters_are_quarantined_not_stored(store, bp):
    from peakend.ingest.pipeline import ingest_records

    sent = [{"visit_id": "v\x00", "hall_id": "H", "moment_id": "entering"},
            {"visit_id": "v2", "hall_id": "H", "moment_id": "entering", "staff_id": "s\x07"},
            {"visit_id": "v3", "hall_id": "H", "moment_id": "entering", "staff_id": "王\t芳"}]
    result = ingest_records(store, sent, "touch", Context(bp), "api")
    assert result.stored == 1
    assert [(p["row"], p["field"], p["code"]) for p in result.problems] == [
        (0, "visit_id", "control_char"), (1, "staff_id", "control_char")]
    assert "v\\x00" in result.problems[0]["message_en"]
    assert [r[1] for r in quarantined(store)] == ["visit_id", "staff_id"]


def test_a_column_named_like_an_sql_alias_is_kept_in_quarantine(store, bp):
    """Found by the API property test: an extra field 'S' once shadowed the row alias 's'."""
    from peakend.ingest.pipeline import ingest_records

    result = ingest_records(store, [{"S": "[]", "_peakend": 1}], "touch", Context(bp), "api")
    assert {p["field"] for p in result.problems} == {"visit_id", "moment_id"}
    record = json.loads(quarantined(store)[0][5])
    assert (record["S"], record["_peakend"]) == ("[]", "1")


def test_upload_keeps_every_value(store):
    """Staged rows reach the store unchanged: empty text apart from NULL, quotes, new lines, Chinese, exact floats."""
    store.stage.execute("CREATE OR REPLACE TEMP TABLE staged AS SELECT * FROM (VALUES "
                        "(1, '', 0.1::DOUBLE, TIMESTAMP '2026-11-02 10:00:00.123456', true), "
                        "(2, NULL, 1/3::DOUBLE, NULL, false), "
                        "(3, 'a,\"b\"' || chr(10) || '天河北厅', -1e-300::DOUBLE, "
                        "TIMESTAMP '2026-11-02 23:59:59', NULL)"
                        ") AS v(n, text, x, stamp, flag)")
    store.upload("incoming_test", "SELECT * FROM staged")
    got = store.rows("SELECT n, text, x, stamp, flag FROM incoming_test ORDER BY n")
    assert [tuple(r) for r in got] == [
        (1, "", 0.1, datetime(2026, 11, 2, 10, 0, 0, 123456), True),
        (2, None, 1 / 3, None, False),
        (3, 'a,"b"\n天河北厅', -1e-300, datetime(2026, 11, 2, 23, 59, 59), None),
    ]


def _posts_answers(results) -> list[tuple[int, int, list[tuple[object, ...]]]]:
    return [(r.stored, r.duplicates, [(p["row"], p["field"], p["code"]) for p in r.problems]) for r in results]


def test_posts_ingested_together_answer_as_if_ingested_one_after_another(store, duck, bp):
    """Group commit: one check and one transaction for several requests, each answered and quarantined as its own."""
    from peakend.ingest.pipeline import Post, ingest_posts, ingest_records

    def touch(visit: str, n: int, **extra: object) -> dict[str, object]:
        return {"touch_id": f"{visit}-{n}", "visit_id": visit, "hall_id": "H1", "moment_id": "entering", "seq": n,
                "rating": 4, "rating_scale": "1-5", **extra}

    earlier = [touch("v0", 1)]
    posts = [
        Post([touch("v1", 1), touch("v1", 2, rating=9), touch("v1", 3)], "touch", "api:pad-a:touch"),
        Post([touch("v1", 3), touch("v0", 1), touch("v2", 1), touch("v2", 2, moment_id="nowhere")],
             "touch", "api:pad-b:touch", [10, 11, 12, 13]),
        Post([touch("v2", 1, hall_id="H2")], "touch", "api:pad-c:touch"),
    ]
    for s in (store, duck):
        ingest_records(s, earlier, "touch", Context(bp), "api:first:touch")
    together = ingest_posts(store, posts, Context(bp))
    alone = [ingest_records(duck, p.records, p.kind, Context(bp), p.source, p.numbers) for p in posts]
    # worked by hand: post a stores v1-1 and v1-3 (v1-2 is out of range); post b repeats v1-3 and v0-1,
    # stores v2-1, and v2-2 names no moment; post c's v2-1 says H2 for a visit already in H1
    assert _posts_answers(together) == [
        (2, 0, [(1, "rating", "out_of_range")]),
        (1, 2, [(13, "moment_id", "not_in_set")]),
        (0, 0, [(0, "hall_id", "hall_conflict")]),
    ]
    assert _posts_answers(together) == _posts_answers(alone)
    kept = ("SELECT source, source_hash, row_number, field, code, message_en, message_zh, record FROM quarantine "
            "ORDER BY source, row_number")
    assert store.rows(kept) == duck.rows(kept)
    assert [r[0] for r in store.rows("SELECT touch_id FROM touches ORDER BY 1")] == ["v0-1", "v1-1", "v1-3", "v2-1"]


def test_posts_of_different_kinds_are_not_ingested_together(duck, bp):
    from peakend.ingest.pipeline import Post, ingest_posts

    with pytest.raises(ValueError, match="one kind"):
        ingest_posts(duck, [Post([], "touch", "a"), Post([], "visit", "b")], Context(bp))


cells = st.one_of(st.none(), st.text(alphabet=" \t\n\u3000a1.-满意\x1f\x1c\x85\xa0\u2028\u200b"),
                  st.integers(-2**70, 2**70),
                  st.floats(allow_nan=True), st.booleans(), st.dictionaries(st.text(max_size=2), st.integers()))


@given(st.lists(cells, max_size=12) | st.lists(st.integers(), max_size=12) | st.lists(st.text(" a\t"), max_size=12))
@settings(max_examples=300, deadline=None)
def test_a_posted_column_reads_as_its_cells_one_by_one(values):
    """API posts are read column by column (`text_column`): each cell exactly as `cell_text` reads it alone."""
    assert text_column(values).to_pylist() == [cell_text(v) for v in values]


def test_a_parquet_file_is_read_column_by_column_as_its_cells_one_by_one(tmp_path):
    """Each typed column of a Parquet file (integers, floats, padded text, dictionary text, times, dates,
    booleans, lists, a column of nulls, a repeated name) reads as `cell_text` reads each of its values alone."""
    from datetime import date

    columns = {
        "i": pa.array([1, None, -(2**40)], pa.int64()), "f": pa.array([2.0, None, 1e-05]),
        "s": pa.array([" a\u3000", "", None]), "d": pa.array(["x ", "x ", None]).dictionary_encode(),
        "t": pa.array([datetime(2026, 10, 1, 9), None, datetime(2026, 10, 1, 9, 0, 0, 5)]),
        "day": pa.array([date(2026, 10, 1), None, None]), "b": pa.array([True, False, None]),
        "l": pa.array([[1, 2], None, []]), "n": pa.array([None, None, None], pa.null()),
        "large": pa.array([" 满意 ", None, "b"], pa.large_string()),
    }
    names = [*columns, "i"]
    table = pa.Table.from_arrays([*columns.values(), pa.array([7, 8, 9])], names=names)  # "i" twice: the last
    pq.write_table(table, tmp_path / "typed.parquet")
    [chunk] = list(read_parquet(tmp_path / "typed.parquet", "utf-8", 100, lambda _: None))
    read = chunk.to_arrow()
    expected = {name: [cell_text(v) for v in table.column(k).to_pylist()] for k, name in enumerate(names)}
    assert {name: read[name].to_pylist() for name in names} == expected
    assert read["i"].to_pylist() == ["7", "8", "9"] and read["_row"].to_pylist() == [1, 2, 3]


@given(st.sampled_from(["s", "ms", "us", "ns"]),
       st.lists(st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(2262, 1, 1))),
                max_size=8),
       st.lists(st.one_of(st.none(), st.floats(), st.floats(width=32)), max_size=8),
       st.lists(st.one_of(st.none(), st.dates()), max_size=8))
@settings(max_examples=300, deadline=None)
def test_a_typed_column_reads_as_its_cells_one_by_one(unit, times, floats, days):
    """Typed columns (a Parquet file's) go through Arrow or fast paths (`arrow_text`), yet read as `cell_text`
    reads each value alone: times of every unit with and without fractions, floats of both widths, dates."""
    from peakend.ingest.readers import arrow_text

    typed = pa.array(times, pa.timestamp("us"))
    try:
        typed = typed.cast(pa.timestamp(unit))  # a time finer than the unit holds is not one of its values
    except pa.ArrowInvalid:
        typed = typed.cast(pa.timestamp(unit), safe=False)
    for column in (typed, pa.array(floats, pa.float64()), pa.array(floats, pa.float32()), pa.array(days, pa.date32())):
        assert arrow_text(column).to_pylist() == [cell_text(v) for v in column.to_pylist()], column.type


@given(st.lists(st.lists(st.text(alphabet=" \u3000\x1c\x85\xa0\u2028a满", max_size=4), min_size=3, max_size=3),
                max_size=6))
@settings(max_examples=200, deadline=None)
def test_a_csv_file_is_read_column_by_column_as_its_cells_stripped_one_by_one(tmp_path_factory, rows):
    """CSV cells are stripped in Arrow, column by column: each exactly as Python's strip() leaves it (None when
    empty), rows of nothing but spaces skipped, each kept row numbered by its line."""
    import csv as csvlib

    path = tmp_path_factory.mktemp("csv") / "t.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csvlib.writer(f).writerows([["a", "b", "c"], *rows])
    [chunk] = list(read_csv(path, "utf-8", 100, lambda _: None))
    kept = [r for r in rows if "".join(r).strip()]
    read = chunk.to_arrow()
    assert [read[c].to_pylist() for c in "abc"] == [[r[i].strip() or None for r in kept] for i in range(3)]
    assert chunk.size == len(kept) and chunk.problems == []


def test_a_two_row_header_is_read_by_its_lower_names_under_their_group(duck, bp, tmp_path):
    """A workbook's merged header flattened as `group/column`: the contract's own names under a group are
    recognised (`来访/visit_id` is visit_id) unless the file or the mapping names that field otherwise."""
    from peakend.ingest.mapping import Mapping, plan_parts

    columns = ["来访/visit_id", "来访/hall_id", "触点/moment_id", "触点/rating", "备注/说明"]
    (part,) = plan_parts(columns, None, None)
    assert part.kind == "touch" and part.labels["visit_id"] == "来访/visit_id" and not part.missing
    own = plan_parts([*columns, "visit_id"], None, None)[0]
    assert own.labels["visit_id"] == "visit_id"  # the file's own column of that name wins
    mapped = plan_parts([*columns, "单号"], Mapping(columns={"visit_id": "单号"}), None)[0]
    assert mapped.labels["visit_id"] == "单号"  # and so does the mapping
    path = write_csv(tmp_path / "grouped.csv", columns, [["g1", "H1", "greeting", 5, "-"],
                                                          ["g1", "H1", "leaving", 2, "-"]])
    result = ingest_file(duck, path, Context(bp, rating_scale="1-5"))
    assert result.fates.stored == 2 and result.quarantined == 0
    assert duck.rows("SELECT visit_id, hall_id FROM visits") == [("g1", "H1")]


def test_a_survey_without_a_scale_column_takes_the_scale_its_mapping_or_the_run_gives(duck, bp, tmp_path):
    """A long survey export (visit, 1–5 satisfaction, 0–10 recommendation, no scale column) is stored with the scale
    its mapping names (`overall_scale`) or the run's `--rating-scale`; each row was refused for 'no scale'."""
    from dataclasses import replace

    from peakend.ingest.mapping import Mapping

    ingest_records(duck, [{"visit_id": f"c{i}", "hall_id": "西城", "moment_id": "leaving", "rating": 4,
                           "rating_scale": "1-5"} for i in range(3)], "touch", Context(bp), "pad")
    answers = [["c0", 4, 9], ["c1", 2, 3], ["c2", 7, 5]]
    path = write_csv(tmp_path / "s.csv", ["客户号", "总体满意度", "推荐意愿"], answers)
    columns = {"visit_id": "客户号", "overall": "总体满意度", "recommend": "推荐意愿"}
    mapped = ingest_file(duck, path, Context(bp), Mapping(kind="survey", columns=columns, overall_scale="1-5"))
    assert (mapped.stored, mapped.quarantined) == (2, 1)  # 7 is off the 1–5 scale: refused as such
    assert duck.rows("SELECT visit_id, overall, overall_scale FROM surveys ORDER BY 1") == [
        ("c0", 4.0, "1-5"), ("c1", 2.0, "1-5")]
    duck.execute("DELETE FROM surveys")
    run = ingest_file(duck, path, replace(Context(bp), rating_scale="1-5"), Mapping(kind="survey", columns=columns))
    assert (run.stored, run.quarantined) == (2, 1)


def test_rows_of_stored_visits_need_no_hall(store, bp, tmp_path):
    """hall_id is needed only to create a visit: a visit row or a wide row of a stored visit goes in without one
    (and may fill in the visit's empty fields); a row that would create a visit is still quarantined."""
    ingest_records(store, [{"visit_id": "s1", "hall_id": "H", "moment_id": "entering",
                            "start_at": "2026-11-02 09:00"}], "touch", Context(bp), "api")
    visits = write_csv(tmp_path / "v.csv", ["visit_id", "arrival"], [["s1", "2026-11-02 08:59"], ["n1", ""]])
    got = ingest_file(store, visits, Context(bp), kind="visit")
    assert (got.fates.already + got.fates.stored, got.fates.rejected) == (1, 1)
    assert store.rows("SELECT visit_id, hall_id, arrival FROM visits ORDER BY 1") == [
        ("s1", "H", datetime(2026, 11, 2, 8, 59))]
    assert store.rows("SELECT row_number, field, code FROM quarantine") == [(3, "hall_id", "missing")]
    assert any("no column names the hall" in n for n in got.notes)  # said when a row needed one
    (tmp_path / "m.yaml").write_text(yaml.safe_dump({"format": "wide", "columns": {"visit_id": "id"},
                                                     "rating_scale": "1-5",
                                                     "moments": [{"moment": "leaving", "rating": "离开评分"}],
                                                     "survey": {"overall": "总体"}, "overall_scale": "1-5"},
                                                    allow_unicode=True), "utf-8")
    wide = ingest_file(store, write_csv(tmp_path / "w.csv", ["id", "离开评分", "总体"], [["s1", 4, 5]]), Context(bp),
                       load_mapping(tmp_path / "m.yaml"))
    assert (wide.quarantined, wide.fates.stored) == (0, 1)
    assert not any("no column names the hall" in n for n in wide.notes)  # no row needed one: nothing to say
    assert store.rows("SELECT visit_id, overall FROM surveys") == [("s1", 5.0)]
    assert store.rows("SELECT visit_id, moment_id, rating FROM touches ORDER BY moment_id") == [
        ("s1", "entering", None), ("s1", "leaving", 4.0)]
