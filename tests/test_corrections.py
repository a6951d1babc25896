"""A real export with every kind of trouble goes in with one mapping file and no hand work: each row is
stored, warned, conflicted, corrected or quarantined, and the counts add up to the file's rows. An id sent
again with different content is never dropped in silence: a conflict with both versions, or (with
--replace / ?replace=true) a correction applied with the previous version kept and the visit queued for scoring."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from peakend.cli import app
from peakend.ingest.mapping import load_mapping
from peakend.ingest.pipeline import ingest_file, ingest_records
from peakend.ingest.validate import Context
from tests.conftest import write_csv

HEADER = ["id", "hall", "arrived", "wifi", "counter", "leaving", "satisfaction"]
MAPPING = {
    "format": "wide",
    "columns": {"visit_id": "id", "hall_id": "hall", "arrival": "arrived"},
    "rating_scale": "1-5",  # 0 is "not applicable" (a missing code), so the ratings are 1–5
    "missing": ["0", "-"],
    "moments": [{"moment": "entering", "rating": "wifi"}, {"moment": "counter_handling", "rating": "counter"},
                {"moment": "leaving", "rating": "leaving"}],
    "survey": {"overall": "satisfaction"},
    "overall_scale": "binary",
    "per_column": {"satisfaction": {"missing": [], "values": {"neutral or dissatisfied": 0, "satisfied": 1}}},
}
ROWS = [
    ["a", "H", "2026-11-02 09:00", "4", "0", "5", "Satisfied"],  # 0: not applicable (no counter touch)
    ["b", "H", "2026-11-02 09:10", "2", "3", "1", " NEUTRAL or dissatisfied"],
    ["a", "H", "2026-11-02 09:00", "4", "0", "2", "satisfied"],  # a again, a different end: a conflict
    ["c", "H", "2026-11-02 09:20", "3", "4", "", "satisfied"],  # a blank end rating: no leaving touch
    ["d", "H", "2026-11-02 09:30", "4", "x", "4", "satisfied"],  # one unreadable rating: that touch dropped
    ["e", "H", "2026-11-02 09:40", "4", "4", "4", "maybe"],  # an answer the scale does not take: rejected
    ["b", "H", "2026-11-02 09:10", "2", "3", "1", "neutral or dissatisfied"],  # b again, the same: a no-op
]


def mapping(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(MAPPING, allow_unicode=True), "utf-8")
    return load_mapping(path)


def fates(result):
    f = result.fates
    return {"stored": f.stored, "already": f.already, "warned": f.warned, "conflicted": f.conflicted,
            "corrected": f.corrected, "rejected": f.rejected}


def test_every_row_of_a_troubled_export_is_accounted_for(store, bp, tmp_path):
    m = mapping(tmp_path)
    path = write_csv(tmp_path / "export.csv", HEADER, ROWS)
    result = ingest_file(store, path, Context(bp), m)
    assert fates(result) == {"stored": 3, "already": 1, "warned": 1, "conflicted": 1, "corrected": 0, "rejected": 1}
    assert sum(fates(result).values()) == result.rows == len(ROWS)
    assert store.rows("SELECT visit_id, moment_id, rating FROM touches ORDER BY visit_id, seq") == [
        ("a", "entering", 4.0), ("a", "leaving", 5.0),  # the first version of a stays
        ("b", "entering", 2.0), ("b", "counter_handling", 3.0), ("b", "leaving", 1.0),
        ("c", "entering", 3.0), ("c", "counter_handling", 4.0),
        ("d", "entering", 4.0), ("d", "leaving", 4.0)]
    [(kind, event, action, before, sent)] = store.rows(
        "SELECT kind, event_id, action, stored_version, sent_version FROM conflicts")
    assert (kind, action, json.loads(before)["rating"], json.loads(sent)["rating"]) == ("touch", "conflict", 5.0, 2.0)
    assert event.startswith("a:") and result.clashes[0].row == 4  # the file's row 4 (after the header)
    assert store.rows("SELECT row_number, code, action FROM quarantine ORDER BY 1") == [
        (6, "not_number", "warned"), (7, "not_number", "rejected")]
    touches = result.kinds["touch"]
    assert (touches.stored, touches.warned, touches.conflicts, touches.rejected) == (9, 1, 1, 3)
    summary = result.summary()
    assert "7 rows read: 3 stored, 1 already there" in summary and "1 in conflict, 1 quarantined" in summary

    again = ingest_file(store, path, Context(bp), m)  # the same file again: nothing new, nothing lost
    assert fates(again) == {"stored": 0, "already": 4, "warned": 1, "conflicted": 1, "corrected": 0, "rejected": 1}
    assert store.scalar("SELECT count(*) FROM conflicts") == 1


def test_a_correction_replaces_keeps_the_old_version_and_queues_the_visit(store, bp, tmp_path):
    m = mapping(tmp_path)
    ingest_file(store, write_csv(tmp_path / "first.csv", HEADER, ROWS[:2]), Context(bp), m)
    fixed = write_csv(tmp_path / "fixed.csv", HEADER, [ROWS[2]])
    plain = ingest_file(store, fixed, Context(bp), m)
    assert fates(plain)["conflicted"] == 1 and not store.rows("SELECT * FROM rescore")
    corrected = ingest_file(store, fixed, Context(bp, replace=True), m)
    assert fates(corrected) == {"stored": 0, "already": 0, "warned": 0, "conflicted": 0, "corrected": 1,
                                "rejected": 0}
    assert store.scalar("SELECT rating FROM touches WHERE visit_id = 'a' AND moment_id = 'leaving'") == 2.0
    kept = store.rows("SELECT action, stored_version FROM conflicts WHERE action = 'replaced'")
    assert [(a, json.loads(v)["rating"]) for a, v in kept] == [("replaced", 5.0)]
    assert store.rows("SELECT visit_id FROM rescore") == [("a",)]
    same = ingest_file(store, fixed, Context(bp, replace=True), m)  # the correction sent again: a no-op
    assert fates(same)["already"] == 1 and store.scalar("SELECT count(*) FROM conflicts") == 2

    from peakend.scoring.run import score

    score(store, bp)
    assert store.scalar("SELECT count(*) FROM rescore") == 0


def test_a_record_sent_again_through_the_api_conflicts_or_corrects(store, bp):
    first = {"touch_id": "t1", "visit_id": "v1", "hall_id": "H", "moment_id": "leaving", "rating": 4,
             "rating_scale": "1-5"}
    assert ingest_records(store, [first], "touch", Context(bp), "api").stored == 1
    assert ingest_records(store, [first], "touch", Context(bp), "api").duplicates == 1  # identical: a no-op
    changed = {**first, "rating": 1}
    got = ingest_records(store, [changed], "touch", Context(bp), "api")
    assert (got.stored, got.duplicates, [c.action for c in got.clashes]) == (0, 1, ["conflict"])
    got = ingest_records(store, [changed], "touch", Context(bp, replace=True), "api")
    assert [c.action for c in got.clashes] == ["replaced"] and got.clashes[0].kept["rating"] == 4.0
    assert store.scalar("SELECT rating FROM touches WHERE touch_id = 't1'") == 1.0
    # a batch naming one id twice with different content: the first kept, the second a conflict
    twice = [{**first, "touch_id": "t2"}, {**first, "touch_id": "t2", "rating": 2}]
    got = ingest_records(store, twice, "touch", Context(bp), "api")
    assert got.stored == 1 and [(c.row, c.action) for c in got.clashes] == [(1, "conflict")]
    assert store.scalar("SELECT rating FROM touches WHERE touch_id = 't2'") == 4.0


def test_cli_reports_conflicts_with_both_versions_and_replace_applies(tmp_path):
    db = str(tmp_path / "s.duckdb")
    header = ["touch_id", "visit_id", "hall_id", "moment_id", "rating", "rating_scale"]
    runner = CliRunner()
    first = write_csv(tmp_path / "a.csv", header, [["t1", "v1", "H", "leaving", 4, "1-5"]])
    assert runner.invoke(app, ["ingest", str(first), "--db", db]).exit_code == 0
    fixed = write_csv(tmp_path / "b.csv", header, [["t1", "v1", "H", "leaving", 2, "1-5"]])
    result = runner.invoke(app, ["ingest", str(fixed), "--db", db])
    assert result.exit_code == 0 and "1 in conflict" in result.output
    assert "sent before with different content" in result.output
    assert 'before {"rating": 4.0}; sent {"rating": 2.0}' in result.output  # the fields that differ
    result = runner.invoke(app, ["ingest", str(fixed), "--db", db, "--replace"])
    assert "1 corrected" in result.output and "replaced" in result.output


def test_the_store_remembers_its_blueprint_and_warns_on_another(tmp_path, bp):
    from peakend.blueprint.load import default_text

    db = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    header = ["touch_id", "visit_id", "hall_id", "moment_id", "seq", "rating", "rating_scale"]
    events = write_csv(tmp_path / "t.csv", header, [["t1", "v1", "H", "entering", 1, 5, "1-5"],
                                                     ["t2", "v1", "H", "leaving", 2, 2, "1-5"]])
    assert runner.invoke(app, ["ingest", str(events), "--db", db]).exit_code == 0
    mine = tmp_path / "mean.yaml"  # the default blueprint with the plain mean as the remembered score
    mine.write_text(default_text().replace("weights: {peak: 0.5, end: 0.5, mean: 0.0}",
                                           "weights: {peak: 0.0, end: 0.0, mean: 1.0}"), "utf-8")
    assert "mean: 1.0" in mine.read_text("utf-8")
    result = runner.invoke(app, ["blueprint", "use", str(mine), "--db", db])
    assert result.exit_code == 0 and "version #1" in result.output, result.output
    assert "already runs" in runner.invoke(app, ["blueprint", "use", str(mine), "--db", db]).output
    assert runner.invoke(app, ["score", "--db", db]).exit_code == 0  # no --blueprint: the store's
    from peakend.store.db import connect

    with connect(db) as store:
        assert store.scalar("SELECT rei FROM visit_scores") == 50 * (1 + (1.0 + -0.5) / 2)  # the mean of +1 and −0.5
    default = tmp_path / "default.yaml"
    default.write_text(default_text(), "utf-8")
    result = runner.invoke(app, ["score", "--db", db, "--blueprint", str(default)])
    assert result.exit_code == 0 and "differs from the store's (version #1" in result.output
    with connect(db) as store:
        assert store.scalar("SELECT rei FROM visit_scores") == 50 * (1 + 0.5 * 1.0 + 0.5 * -0.5)  # peak +1, end −0.5


def test_a_mapping_whose_last_moment_is_not_the_end_is_warned(tmp_path, bp):
    wrong = {**MAPPING, "moments": list(reversed(MAPPING["moments"]))}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(wrong, allow_unicode=True), "utf-8")
    from peakend.store.db import connect

    with connect(":memory:") as store:
        result = ingest_file(store, write_csv(tmp_path / "e.csv", HEADER, ROWS[:1]), Context(bp), load_mapping(path))
    [note] = [n for n in result.notes if "end moment" in n]
    assert "'entering'" in note and "leaving" in note


# -- a property: whatever the order of sends, the store holds the version the rules say, and no send vanishes --
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

send = st.lists(st.tuples(st.sampled_from(["t1", "t2", "t3"]), st.integers(1, 3)), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.tuples(send, st.booleans()), min_size=1, max_size=4))
def test_every_send_is_stored_already_there_or_a_clash_and_the_rules_pick_the_version(bp, batches):
    """Batches of (touch id, rating), each plain or a correction. Expected, worked out batch by batch: a new id
    takes its first row (a correction: its last); a stored id changes only by a correction; every row is
    counted once as new, already there, or a clash."""
    from peakend.store.db import connect

    with connect(":memory:") as store:
        expected: dict[str, int] = {}
        for rows, replace in batches:
            records = [{"touch_id": t, "visit_id": "v", "hall_id": "H", "moment_id": "leaving", "rating": r,
                        "rating_scale": "1-5"} for t, r in rows]
            got = ingest_records(store, records, "touch", Context(bp, replace=replace), "api")
            before = dict(expected)
            for t, r in (reversed(rows) if replace else rows):
                if replace:
                    expected[t] = next(r2 for t2, r2 in reversed(rows) if t2 == t)
                else:
                    expected.setdefault(t, r)
            stored = dict(store.rows("SELECT touch_id, rating FROM touches"))
            assert stored == {t: float(r) for t, r in expected.items()}
            differing = sum(1 for i, (t, r) in enumerate(rows)
                            if (r != before[t] if t in before else
                                r != next(r2 for t2, r2 in (reversed(rows) if replace else rows) if t2 == t)))
            if not replace:
                assert len(got.clashes) == differing and {c.action for c in got.clashes} <= {"conflict"}
            assert got.stored == len({t for t, _ in rows} - set(before))
            assert got.stored + got.duplicates == len(rows)  # every row counted: new, or already there


def test_a_corrected_file_supersedes_the_rows_its_first_import_set_aside(tmp_path, bp):
    """queue.csv imported with a bad rating (row 2), imported again unchanged (the row still bad: still current),
    then corrected under the same name: the first import's row is superseded — kept, listed after the current ones
    and folded on the quality page; another file's problems stay current."""
    from peakend.service import Workspace
    from peakend.store.db import connect
    from peakend.web.app import create_app
    from tests.conftest import add_user, signed_in

    header = ["touch_id", "visit_id", "hall_id", "moment_id", "rating", "rating_scale"]
    db = str(tmp_path / "s.duckdb")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with connect(db) as store:
        ws = Workspace(store)
        first = write_csv(tmp_path / "a" / "queue.csv", header, [["t1", "v1", "H1", "leaving", 4, "1-5"],
                                                                 ["t2", "v2", "H1", "leaving", 9, "1-5"]])
        other = write_csv(tmp_path / "other.csv", header, [["t3", "v3", "H1", "leaving", 0, "1-5"]])
        for f in (first, other, first):
            ingest_file(store, f, Context(bp))
        assert not ws.figures.quarantine()["superseded"].any()  # the same file again: its bad row still bad
        fixed = write_csv(tmp_path / "b" / "queue.csv", header, [["t1", "v1", "H1", "leaving", 4, "1-5"],
                                                                 ["t2", "v2", "H1", "leaving", 5, "1-5"]])
        ingest_file(store, fixed, Context(bp))
        q = ws.figures.quarantine()
        names = q["source"].str.rsplit("/", n=1).str[-1]
        assert list(zip(names, q["superseded"], strict=True)) == [("other.csv", False), ("queue.csv", True)]
        add_user(store, "admin", "admin-pass-1", "admin")
    app = create_app(db, secret="s")
    try:
        page = signed_in(app, "admin", "admin-pass-1").get("/quality?lang=en").text
        main, folded = page.split('id="superseded"', 1)
        assert "other.csv" in main and "queue.csv" not in main.split('id="quarantine"', 1)[1]
        assert "1 quarantined rows superseded by a later import" in folded and "queue.csv" in folded
    finally:
        app.state.peakend.store.close()


QUEUE = [  # a queue log: times and staff, no ratings (visit, moment, start, staff)
    ["v1", "H", "entering", "2026-11-02 09:00", ""], ["v1", "H", "counter_handling", "2026-11-02 09:05", "S1"],
    ["v1", "H", "leaving", "2026-11-02 09:20", ""],
    ["v2", "H", "counter_handling", "2026-11-02 10:00", "S1"],  # two counter touches: which one is rated?
    ["v2", "H", "counter_handling", "2026-11-02 10:10", "S2"], ["v2", "H", "leaving", "2026-11-02 10:20", ""],
    ["v3", "H", "entering", "2026-11-02 11:00", ""], ["v3", "H", "leaving", "2026-11-02 11:20", ""],  # no counter
]
PAD = {"format": "wide", "columns": {"visit_id": "id"}, "rating_scale": "1-5",  # no hall: the visits are stored
       "moments": [{"moment": "counter_handling", "rating": "counter"}, {"moment": "leaving", "rating": "leaving"}],
       "survey": {"overall": "overall"}, "overall_scale": "1-5"}


def test_ratings_of_stored_visits_are_attached_to_their_stored_touches(store, bp, tmp_path):
    from peakend.scoring.run import score

    ingest_file(store, write_csv(tmp_path / "queue.csv", ["visit_id", "hall_id", "moment_id", "start_at",
                                                          "staff_id"], QUEUE), Context(bp))
    score(store, bp)
    # leaving unrated: its rule's base, 0.2
    assert store.scalar("SELECT \"end\" FROM visit_scores WHERE visit_id = 'v1'") == 0.2
    (tmp_path / "pad.yaml").write_text(yaml.safe_dump(PAD, allow_unicode=True), "utf-8")
    pad = write_csv(tmp_path / "pad.csv", ["id", "counter", "leaving", "overall"],
                    [["v1", 2, 5, 4], ["v2", 4, 3, 3], ["v3", 3, 1, 2], ["v4", 5, 5, 5]])  # v4: not stored, no hall
    result = ingest_file(store, pad, Context(bp), load_mapping(tmp_path / "pad.yaml"))
    assert fates(result) == {"stored": 3, "already": 0, "warned": 0, "conflicted": 0, "corrected": 0, "rejected": 1}
    touches = result.kinds["touch"]
    assert (touches.attached, touches.stored, touches.unattached_none, touches.unattached_several) == (4, 2, 1, 1)
    notes = " ".join(result.notes)
    assert "4 ratings attached to stored touches" in notes
    assert "warning: 1 ratings without a time were stored as new touches" in notes and "no stored touch" in notes
    assert "several stored touches of that moment" in notes
    assert store.rows("SELECT visit_id, moment_id, staff_id, rating, rating_scale, start_at IS NULL FROM touches "
                      "ORDER BY visit_id, start_at NULLS LAST, moment_id") == [
        ("v1", "entering", None, None, None, False), ("v1", "counter_handling", "S1", 2.0, "1-5", False),
        ("v1", "leaving", None, 5.0, "1-5", False),
        ("v2", "counter_handling", "S1", None, None, False), ("v2", "counter_handling", "S2", None, None, False),
        ("v2", "leaving", None, 3.0, "1-5", False), ("v2", "counter_handling", None, 4.0, "1-5", True),  # new
        ("v3", "entering", None, None, None, False), ("v3", "leaving", None, 1.0, "1-5", False),
        ("v3", "counter_handling", None, 3.0, "1-5", True)]  # no counter touch stored: a new one
    assert store.rows("SELECT visit_id FROM rescore ORDER BY 1") == [("v1",), ("v2",), ("v3",)]
    assert store.rows("SELECT row_number, field, code FROM quarantine ORDER BY 3") == [  # v4 only: no hall, unknown
        (5, "hall_id", "missing"), (5, "id", "unknown_visit")]

    again = ingest_file(store, pad, Context(bp), load_mapping(tmp_path / "pad.yaml"))  # the same file: no change
    assert fates(again) == {"stored": 0, "already": 3, "warned": 0, "conflicted": 0, "corrected": 0, "rejected": 1}
    assert again.kinds["touch"].attached == 0 and "attached" not in " ".join(again.notes)
    assert store.scalar("SELECT count(*) FROM touches") == 10

    score(store, bp)  # incremental: the attached ratings are scored; v1 ends on its rated leaving (5 of 1–5: +1)
    assert store.rows("SELECT \"end\", touches FROM visit_scores WHERE visit_id = 'v1'") == [(1.0, 3)]
    assert store.scalar("SELECT e FROM touch_scores WHERE visit_id = 'v1' AND moment_id = 'counter_handling'") == -0.5


def test_another_rating_for_a_rated_stored_touch_conflicts_or_corrects(store, bp, tmp_path):
    ingest_file(store, write_csv(tmp_path / "queue.csv", ["visit_id", "hall_id", "moment_id", "start_at",
                                                          "staff_id"], QUEUE[:3]), Context(bp))
    (tmp_path / "pad.yaml").write_text(yaml.safe_dump(PAD, allow_unicode=True), "utf-8")
    m = load_mapping(tmp_path / "pad.yaml")
    cols = ["id", "counter", "leaving", "overall"]  # the columns the mapping names (blank: no counter, no answer)
    ingest_file(store, write_csv(tmp_path / "a.csv", cols, [["v1", "", 5, ""]]), Context(bp), m)
    other = write_csv(tmp_path / "b.csv", cols, [["v1", "", 2, ""]])
    got = ingest_file(store, other, Context(bp), m)
    assert fates(got)["conflicted"] == 1 and [c.action for c in got.clashes] == ["conflict"]
    assert (got.clashes[0].kept["rating"], got.clashes[0].sent["rating"]) == (5.0, 2.0)
    assert store.scalar("SELECT rating FROM touches WHERE visit_id = 'v1' AND moment_id = 'leaving'") == 5.0
    fixed = ingest_file(store, other, Context(bp, replace=True), m)
    assert fates(fixed)["corrected"] == 1
    assert store.rows("SELECT moment_id, rating FROM touches WHERE visit_id = 'v1' ORDER BY start_at") == [
        ("entering", None), ("counter_handling", None), ("leaving", 2.0)]
