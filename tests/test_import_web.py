"""Import in the browser and through the API: upload, preview with suggested fields (Chinese names included), the
mapping saved as the CLI's YAML, the ingest with its counts and quarantined rows, and who may import what."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from peakend.ingest.mapping import Mapping
from peakend.ingest.suggest import implied_columns, suggest, suggested_kind
from peakend.web.app import create_app
from tests.conftest import add_user, run_jobs, signed_in

TWINS = Path(__file__).parent / "data" / "twins"
A, Z = "天河北厅", "珠江新城厅"


@pytest.fixture
def web(tmp_path, monkeypatch):
    monkeypatch.setenv("PEAKEND_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.setenv("PEAKEND_SCORE_MINUTES", "0")  # no scoring run after each import (the browser test has it)
    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    store = app.state.peakend.store
    add_user(store, "admin", "admin-pass-1", "admin")
    add_user(store, "mgr_a", "mgr-pass-1", "manager", [A])
    add_user(store, "aud", "auditor-pass-1", "auditor", [A])
    yield app
    store.close()


def login(app, user: str, password: str) -> TestClient:
    return signed_in(app, user, password)


def finished(c: TestClient, token: str) -> dict:
    run_jobs(c.app)  # as the server's job runner would
    for _ in range(200):
        got = c.get(f"/api/v1/imports/{token}").json()
        if got["status"] in ("done", "failed"):
            return got
        time.sleep(0.05)
    raise AssertionError("the import never finished")


def test_suggestions_by_name_and_chinese_synonym():
    columns = ["流水号", "营业厅", "触点/时刻", "服务/评分", "等候时长（分钟）", "visit_id_x", "备注"]
    got = {s.column: s.field for s in suggest(columns, "touch")}
    assert got == {"流水号": "visit_id", "营业厅": "hall_id", "触点/时刻": "moment_id", "服务/评分": "rating",
                   "等候时长（分钟）": "wait_min"}  # 备注 is no touch field; visit_id is taken by the surer 流水号
    assert suggested_kind(suggest(["营业厅", "检查项", "是否通过"])) == "audit"
    assert {s.field for s in suggest(["visit_id", "流水号"])} == {"visit_id"}  # each field once, the exact name wins
    for staff in ("柜员", "营业员", "窗口人员", "经办人", "柜台人员"):  # a utility centre's words for the clerk
        assert {s.column: s.field for s in suggest(["流水号", "环节", staff], "touch")}[staff] == "staff_id", staff
    # a name ending in a synonym is that field: 柜员评分 is a rating (of the clerk), 评分柜员 a clerk
    assert [(s.field, s.score) for s in suggest(["柜员评分"], "touch")] == [("rating", 0.62)]
    assert [s.field for s in suggest(["评分柜员"], "touch")] == ["staff_id"]
    assert implied_columns(["流水号", "营业厅", "环节", "柜员"])["staff_id"] == "柜员"  # `peakend ingest`, no mapping


def test_the_gbk_file_through_the_api_with_suggestions_and_a_saved_mapping(web):
    admin = login(web, "admin", "admin-pass-1")
    with (TWINS / "gbk.csv").open("rb") as f:
        up = admin.post("/api/v1/imports", files={"file": ("排队导出.csv", f, "text/csv")})
    assert up.status_code == 200, up.text
    seen = up.json()
    assert seen["encoding"] == "gb18030" and seen["kind"] == "touch" and len(seen["rows"]) == 10
    assert seen["rows"][0]["staff_id"] == "张伟" and seen["suggested"]["hall_id"] == "hall_id"
    columns = {field: column for column, field in seen["suggested"].items()}
    run = admin.post(f"/api/v1/imports/{seen['token']}/run",
                     json={"columns": columns, "rating_scale": "1-5", "save_as": "排队系统"})
    assert run.status_code == 202
    done = finished(admin, seen["token"])
    assert (done["status"], done["rows"], done["stored"], done["quarantined"]) == ("done", 10, 9, 1)
    assert [(p["row_number"], p["field"], p["code"]) for p in done["problems"]] == [(11, "rating", "out_of_range")]
    saved = admin.get("/api/v1/mappings/排队系统.yaml")
    assert saved.status_code == 200
    again = Mapping.model_validate(yaml.safe_load(saved.text))  # the YAML the CLI reads
    assert again.rating_scale == "1-5" and again.columns["visit_id"] == "visit_id"
    with (TWINS / "gbk.csv").open("rb") as f:  # the same file again: nothing stored twice
        token = admin.post("/api/v1/imports", files={"file": ("排队导出.csv", f)}).json()["token"]
    admin.post(f"/api/v1/imports/{token}/run", json={"columns": columns, "rating_scale": "1-5"})
    assert (finished(admin, token)["stored"], finished(admin, token)["already"]) == (0, 9)


def test_the_merged_header_workbook_through_the_pages(web):
    mgr = login(web, "mgr_a", "mgr-pass-1")
    assert "enctype=\"multipart/form-data\"" in mgr.get("/import?lang=en").text
    with (TWINS / "merged.xlsx").open("rb") as f:
        up = mgr.post("/import", files={"file": ("merged.xlsx", f)})
    assert up.status_code == 303
    page = mgr.get(up.headers["location"] + "?lang=en")
    assert page.status_code == 200 and "评价流水" in page.text and "说明" in page.text  # both sheets offered
    assert '<select name="f:2" data-column="触点/时刻">' in page.text
    assert '<option value="moment_id" selected>' in page.text.split('data-column="触点/时刻"')[1].split("</select>")[0]
    form = {"sheet": "评价流水", "kind": "touch", "rating_scale": "1-5", "missing": "", "values": "",
            "f:0": "visit_id", "f:1": "hall_id", "f:2": "moment_id", "f:3": "seq", "f:4": "start_at",
            "f:5": "staff_id", "f:6": "rating", "f:7": "wait_min", "f:8": "outcome"}
    ran = mgr.post(up.headers["location"], data=form)
    assert ran.status_code == 303
    token = up.headers["location"].rsplit("/", 1)[1]
    done = finished(mgr, token)
    # 珠江新城厅 is not the manager's: its rows are refused and kept, hall A's are stored
    assert (done["stored"], done["rows"]) == (6, 10)
    codes = {(p["field"], p["code"]) for p in done["problems"]}
    assert codes == {("营业厅", "forbidden_hall"), ("服务/评分", "out_of_range")}
    result = mgr.get(f"/import/{token}?lang=en").text
    assert 'id="n-stored">6<' in result and "may only write events of 天河北厅" in result
    summary = result.split('id="import-summary"', 1)[1].split("</ul>", 1)[0]  # one line per field, with its count
    assert summary.count("<li>") == 2, summary
    assert "Field 营业厅: 4 rows." in summary, summary  # the four rows of 珠江新城厅 (10 rows, 6 stored)
    assert "Field 服务/评分: 1 row." in summary, summary
    assert web.state.peakend.store.rows("SELECT count(*) FROM visits WHERE hall_id = ?", [Z])[0][0] == 0


def test_a_wrong_mapping_is_refused_with_the_reason_and_the_form_kept(web):
    admin = login(web, "admin", "admin-pass-1")
    with (TWINS / "clean.csv").open("rb") as f:
        up = admin.post("/import", files={"file": ("clean.csv", f)})
    at = up.headers["location"]
    twice = admin.post(at + "?lang=en", data={"f:0": "visit_id", "f:1": "visit_id"})
    assert twice.status_code == 422 and "two columns are mapped to visit_id" in twice.text
    words = admin.post(at, data={"f:0": "visit_id", "values": "满意 5"})
    assert words.status_code == 422 and "is not word=number" in words.text
    api = admin.post(f"/api/v1/imports/{at.rsplit('/', 1)[1]}/run", json={"columns": {"visit_id": "no such"}})
    assert api.status_code == 422 and "not columns of the file: no such" in api.text


def test_who_may_import_and_see_an_import(web, tmp_path):
    admin, mgr, aud = login(web, "admin", "admin-pass-1"), login(web, "mgr_a", "mgr-pass-1"), login(web, "aud",
                                                                                                     "auditor-pass-1")
    with (TWINS / "clean.csv").open("rb") as f:
        token = admin.post("/api/v1/imports", files={"file": ("clean.csv", f)}).json()["token"]
    assert mgr.get(f"/api/v1/imports/{token}").status_code == 404  # another's import
    assert mgr.get(f"/import/{token}").status_code == 404
    assert aud.get("/import").status_code == 403
    assert TestClient(web).get("/import", follow_redirects=False).status_code in (303, 401)
    bad = admin.post("/api/v1/imports", files={"file": ("run.sh", b"rm -rf /")})
    assert bad.status_code == 422 and "not a file peakend reads" in bad.text
    evil = admin.post("/api/v1/imports", files={"file": ("../../etc/x.csv", b"visit_id,hall_id\nv,H\n")})
    assert evil.status_code == 200 and evil.json()["name"] == "x.csv"  # only its last part, inside the uploads
    held = list((tmp_path / "uploads").glob("*/x.csv"))
    assert held  # waiting for its mapping
    admin.post(f"/api/v1/imports/{evil.json()['token']}/run", json={"columns": {"visit_id": "visit_id",
                                                                                "hall_id": "hall_id"}})
    assert finished(admin, evil.json()["token"])["status"] == "done"
    assert not held[0].exists()  # imported: the upload is not kept


def test_an_upload_past_the_limit_is_refused(web, monkeypatch):
    monkeypatch.setenv("PEAKEND_MAX_UPLOAD_BYTES", "1000")
    admin = login(web, "admin", "admin-pass-1")
    big = b"visit_id,hall_id\n" + b"v1,H\n" * 400
    assert admin.post("/api/v1/imports", files={"file": ("big.csv", big)}).status_code == 413


def test_a_wide_export_with_a_pasted_mapping(web):
    """A wide rating-pad export (a row per visit) needs a whole mapping: pasted as YAML, checked, used, saved."""
    admin = login(web, "admin", "admin-pass-1")
    wide = ("流水号,营业厅,到厅时间,柜台评分,离开评分\n"
            "W1,天河北厅,2026-11-02 09:00,5,4\nW2,天河北厅,2026-11-02 09:30,2,\n")
    up = admin.post("/import", files={"file": ("pad.csv", wide.encode("gbk"))})
    at = up.headers["location"]
    bad = admin.post(at, data={"mapping_yaml": "format: wide\ncolumns: {visit_id: 流水号}\n"})
    assert bad.status_code == 422 and "a wide mapping needs a &#39;moments&#39; list" in bad.text
    yaml_text = ("format: wide\ncolumns: {visit_id: 流水号, hall_id: 营业厅, arrival: 到厅时间}\nrating_scale: '1-5'\n"
                 "moments:\n  - {moment: counter_result, rating: 柜台评分}\n  - {moment: leaving, rating: 离开评分}\n")
    ran = admin.post(at, data={"mapping_yaml": yaml_text, "save_as": "评价器宽表"})
    assert ran.status_code == 303
    done = finished(admin, at.rsplit("/", 1)[1])
    assert (done["stored"], done["quarantined"]) == (2, 0)
    assert web.state.peakend.store.rows("SELECT count(*) FROM touches")[0][0] == 3  # W2 did not rate the exit
    assert "moments:" in admin.get("/api/v1/mappings/评价器宽表.yaml").text


def test_saved_mappings_are_scoped_to_their_owner_and_halls(web):
    """Manager B neither reads nor overwrites the mapping manager A saved; an admin sees and replaces any."""
    add_user(web.state.peakend.store, "mgr_z", "mgr-pass-2", "manager", [Z])
    a, z, admin = login(web, "mgr_a", "mgr-pass-1"), login(web, "mgr_z", "mgr-pass-2"), login(web, "admin",
                                                                                              "admin-pass-1")
    body = "visit_id,hall_id,moment_id,rating\nv1,天河北厅,leaving,5\n".encode()
    up = a.post("/api/v1/imports", files={"file": ("a.csv", body, "text/csv")}).json()
    mapping = {"kind": "touch", "rating_scale": "1-5", "save_as": "daily-A",
               "columns": {"visit_id": "visit_id", "hall_id": "hall_id", "moment_id": "moment_id", "rating": "rating"}}
    assert a.post(f"/api/v1/imports/{up['token']}/run", json=mapping).status_code == 202
    assert a.get("/api/v1/mappings/daily-A.yaml").status_code == 200
    assert z.get("/api/v1/mappings/daily-A.yaml").status_code == 404  # as if absent
    zup = z.post("/api/v1/imports", files={"file": ("z.csv", body.replace("天河北厅".encode(), Z.encode()),
                                                    "text/csv")}).json()
    taken = z.post(f"/api/v1/imports/{zup['token']}/run", json=mapping)
    assert taken.status_code == 409 and "someone else" in taken.json()["detail"]
    assert admin.get("/api/v1/mappings/daily-A.yaml").status_code == 200


def test_an_unreadable_upload_is_a_422_naming_what_is_wrong(web):
    c = login(web, "mgr_a", "mgr-pass-1")
    bad = c.post("/api/v1/imports", files={"file": ("pad.xlsx", b"visit_id,hall_id\nv1,H1\n", "application/zip")})
    assert bad.status_code == 422 and "pad.xlsx" in bad.json()["detail"]
    binary = bytes(range(256)) * 8  # a program or an image sent as "pad.csv": its header is no text
    api = c.post("/api/v1/imports", files={"file": ("pad.csv", binary, "text/csv")})
    assert api.status_code == 422 and "first line is not text" in api.json()["detail"], api.text
    page = c.post("/import", files={"file": ("pad.csv", binary, "text/csv")}, follow_redirects=True)
    assert page.status_code == 422 and "first line is not text" in page.text


AIRPORT = ["Queue", "Check-in", "Bag drop", "Boarding"]
WIDE_SURVEY = ("id,Queue,Check-in,Bag drop,Boarding,satisfaction\n"
               "1,4,5,0,4,satisfied\n"  # 0: no bag dropped (not applicable)
               "2,2,N/A,3,2,neutral or dissatisfied\n"
               "3,99,3,不适用,5,Satisfied\n"
               "4,0,0,0,0,\n")  # nothing rated, no answer: a visit only


def airport(app) -> None:
    """The store's blueprint: an airport's check-in, made from its moments (no telecom moment left)."""
    from peakend.service.blueprints import new_text
    text, _ = new_text(AIRPORT, "airport", "Airport check-in")
    app.state.peakend.ws.blueprints.save(text, "admin")


def test_a_wide_survey_mapped_in_the_form_previewed_and_imported(web):
    """One row per respondent, no hall column: `id` suggested as the visit, the moments by their column names, one
    hall for the whole file, N/A codes and a two-valued answer typed in the form; the preview shows the rows as
    they will be stored, and the import stores exactly those."""
    airport(web)
    admin = login(web, "admin", "admin-pass-1")
    at = admin.post("/import", files={"file": ("survey.csv", WIDE_SURVEY.encode())}).headers["location"]
    page = admin.get(at + "?lang=en").text
    assert 'class="on" id="shape-wide"' in page  # told wide: columns named as the blueprint's moments, none a moment
    picked = {c: page.split(f'data-column="{c}"')[1].split("</select>")[0] for c in ["id", "Queue", "Boarding"]}
    assert '<option value="visit_id" selected>' in picked["id"]
    assert '<option value="m:queue" selected>' in picked["Queue"]
    assert '<option value="m:boarding" selected>' in picked["Boarding"]
    form = {"shape": "wide", "f:0": "visit_id", "f:1": "m:queue", "f:2": "m:check_in", "f:3": "m:bag_drop",
            "f:4": "m:boarding", "f:5": "overall", "hall": "T2 值机柜台", "rating_scale": "1-5",
            "overall_scale": "binary", "missing": "0, 99, N/A，不适用",
            "values": "satisfied=1, neutral or dissatisfied=0", "action": "preview"}
    no_hall = admin.post(at + "?lang=en", data={**form, "hall": ""})  # fine for stored visits: no hall needed
    assert no_hall.status_code == 200 and 'id="read-as"' in no_hall.text
    shown = admin.post(at + "?lang=en", data=form)
    assert shown.status_code == 200
    read = shown.text.split('id="read-as"')[1].split("</section>")[0]
    touches = read.split('class="read-touch"')[1].split("</table>")[0]
    # by hand: respondent 1 rated 3 moments (bag drop 0 = N/A), 2 rated 3 (check-in N/A), 3 rated 2, 4 none
    assert touches.count("<tr>") == 1 + 8 and "T2 值机柜台" in touches and "Bag drop" in touches
    surveys = read.split('class="read-survey"')[1].split("</table>")[0]
    assert surveys.count("<tr>") == 1 + 3 and ">1.0<" in surveys and ">0.0<" in surveys
    assert 'value="T2 值机柜台"' in shown.text and 'value="m:check_in" selected' in shown.text  # the form kept
    ran = admin.post(at, data={**form, "action": "run", "save_as": "airport survey"})
    assert ran.status_code == 303
    done = finished(admin, at.rsplit("/", 1)[1])
    assert (done["rows"], done["quarantined"]) == (4, 0), done
    store = web.state.peakend.store
    assert store.rows("SELECT count(*), count(DISTINCT visit_id) FROM touches")[0] == (8, 3)
    assert store.rows("SELECT count(*) FROM visits WHERE hall_id = 'T2 值机柜台'")[0][0] == 4
    assert sorted(store.rows("SELECT overall FROM surveys ORDER BY visit_id")) == [(0.0,), (1.0,), (1.0,)]
    assert store.rows("SELECT moment_id, seq FROM touches WHERE visit_id = '1' ORDER BY seq") == [
        ("queue", 1), ("check_in", 2), ("boarding", 4)]
    saved = yaml.safe_load(admin.get("/api/v1/mappings/airport survey.yaml").text)  # the CLI's YAML
    assert saved["format"] == "wide" and saved["defaults"] == {"hall_id": "T2 值机柜台"}
    assert [m["moment"] for m in saved["moments"]] == ["queue", "check_in", "bag_drop", "boarding"]


def test_the_wide_form_refuses_what_cannot_be_read(web):
    airport(web)
    admin = login(web, "admin", "admin-pass-1")
    at = admin.post("/import", files={"file": ("survey.csv", WIDE_SURVEY.encode())}).headers["location"]
    base = {"shape": "wide", "hall": "T2", "action": "preview"}
    no_visit = admin.post(at, data={**base, "f:1": "m:queue"})
    assert no_visit.status_code == 422 and "names each visit" in no_visit.text
    nothing = admin.post(at, data={**base, "f:0": "visit_id"})
    assert nothing.status_code == 422 and "at least one moment" in nothing.text
    strange = admin.post(at, data={**base, "f:0": "visit_id", "f:1": "m:waiting"})
    assert strange.status_code == 422 and "not moments of the blueprint: waiting" in strange.text
    run = f"/api/v1/imports/{at.rsplit('/', 1)[1]}/run"
    for odd in ({"format": "wide", "columns": ["id"]}, {"format": "wide", "columns": {"visit_id": "id"},
                                                       "defaults": "T2"}, {"columns": {"visit_id": ["id"]}}):
        assert admin.post(run, json=odd).status_code == 422, odd  # never a 500
    api = admin.post(run, json={
        "format": "wide", "columns": {"visit_id": "id"}, "defaults": {"hall_id": "T2"},
        "moments": [{"moment": "queue", "rating": "Queue"}, {"moment": "boarding", "rating": "Boarding"}],
        "rating_scale": "1-5", "missing": ["0", "99"]})
    assert api.status_code == 202, api.text
    assert finished(admin, at.rsplit("/", 1)[1])["stored"] == 4  # each row a visit (its touches and answers)


def test_one_rule_tells_a_long_file_from_a_wide_one():
    from peakend.ingest.suggest import implied_columns, shape, wide_suggestions

    moments = {"Queue": "queue", "queue": "queue", "排队": "queue", "Boarding": "boarding", "boarding": "boarding"}
    assert shape(["visit_id", "moment", "rating", "time"], moments) == "long"
    assert shape(["流水号", "关键时刻", "评分"]) == "long"
    assert shape(["id", "排队", "Boarding", "满意度"], moments) == "wide"
    assert shape(["id", "q1", "q2"], moments) is None  # not told: the page starts on long, the user says
    assert implied_columns(["visit_id", "hall_id", "moment", "rating", "time"]) == {"moment_id": "moment",
                                                                                   "start_at": "time"}
    assert implied_columns(["visit_id", "hall_id", "rating"]) == {}  # no moment column: nothing renamed
    assert wide_suggestions(["id", "排队", "Boarding", "满意度", "备注"], moments) == {
        "id": "visit_id", "排队": "m:queue", "Boarding": "m:boarding", "满意度": "overall"}
    # a column named "<moment>评分" / "<moment> rating" is that moment's rating; a rating of no moment is not
    rated = ["流水号", "排队评分", "Boarding rating", "服务评分", "总体满意度"]
    assert shape(rated, moments) == "wide"
    assert wide_suggestions(rated, moments) == {"流水号": "visit_id", "排队评分": "m:queue",
                                                "Boarding rating": "m:boarding", "总体满意度": "overall"}


def test_an_import_s_notes_are_in_the_page_s_language(web):
    """A rating-pad file without times (its journey order read from its rows): the import page tells that note in
    the page's language, whatever the server's (the job ran in English)."""
    admin = login(web, "admin", "admin-pass-1")
    body = "hall_id,visit_id,moment_id,rating\n" + "".join(f"{A},p{v},{m},4\n" for v in range(2)
                                                          for m in ("entering", "leaving"))
    token = admin.post("/api/v1/imports", files={"file": ("pad.csv", body.encode(), "text/csv")}).json()["token"]
    columns = {"hall_id": "hall_id", "visit_id": "visit_id", "moment_id": "moment_id", "rating": "rating"}
    admin.post(f"/api/v1/imports/{token}/run", json={"columns": columns, "rating_scale": "1-5"})
    assert finished(admin, token)["stored"] == 4
    zh, en = (admin.get(f"/import/{token}", params={"lang": lang}).text for lang in ("zh", "en"))
    assert "2 个来访的触点既无时间" in zh and "have no time" not in zh
    assert "the touches of 2 visit(s) have no time" in en


def test_a_rating_pad_for_stored_visits_attaches_its_ratings_without_a_hall(web):
    """A queue log with times, then a pad file, one row per visit, no hall: its "<moment> rating" column is
    suggested as that moment, and its ratings go to the stored touches (the report says so in both languages)."""
    admin = login(web, "admin", "admin-pass-1")
    queue = f"hall_id,visit_id,moment_id,start_at\n{A},q1,entering,2026-11-02 09:00\n{A},q1,leaving,2026-11-02 09:10\n"
    token = admin.post("/api/v1/imports", files={"file": ("queue.csv", queue.encode(), "text/csv")}).json()["token"]
    admin.post(f"/api/v1/imports/{token}/run", json={"columns": {c: c for c in ("hall_id", "visit_id", "moment_id",
                                                                                  "start_at")}})
    assert finished(admin, token)["stored"] == 2
    pad = "流水号,Leaving rating\nq1,5\n"
    seen = admin.post("/api/v1/imports", files={"file": ("pad.csv", pad.encode(), "text/csv")}).json()
    assert (seen["shape"], seen["wide"]) == ("wide", {"流水号": "visit_id", "Leaving rating": "m:leaving"})
    admin.post(f"/api/v1/imports/{seen['token']}/run", json={
        "format": "wide", "columns": {"visit_id": "流水号"}, "rating_scale": "1-5",
        "moments": [{"moment": "leaving", "rating": "Leaving rating"}]})
    got = finished(admin, seen["token"])
    assert (got["stored"], got["quarantined"], got["attached"]) == (1, 0, 1)
    zh, en = (admin.get(f"/import/{seen['token']}", params={"lang": lang}).text for lang in ("zh", "en"))
    assert "1 条评分已并入已存触点" in zh and "1 ratings attached to stored touches" in en
    store = web.state.peakend.ws.store
    assert store.rows("SELECT moment_id, rating FROM touches ORDER BY start_at") == [("entering", None),
                                                                                  ("leaving", 5.0)]


def test_the_import_pages_say_fields_moments_and_the_upload_in_words(web):
    """The form names fields and moments in the page's language (ids only in the list of what a header types); the
    report names the upload by file and uploader, moments by name and the form's scale, never `--rating-scale`,
    which the CLI's message keeps."""
    admin = login(web, "admin", "admin-pass-1")
    body = f"hall_id,visit_id,moment_id,rating\n{A},p1,entering,4\n{A},p2,coffee,\n"
    up = admin.post("/import", files={"file": ("pad.csv", body.encode(), "text/csv")})
    form = admin.get(up.headers["location"] + "?lang=zh").text
    picks = form.split('data-column="visit_id">', 1)[1].split("</select>", 1)[0]
    assert '<option value="visit_id" selected>来访编号</option>' in picks and ">visit_id<" not in picks
    assert '<option value="wait_min">等候分钟</option>' in picks
    assert "来访编号 <code>visit_id</code>" in form  # what a header types
    assert "进入营业厅 <code>entering</code>" in form
    scales = form.split('name="rating_scale">', 1)[1].split("</select>", 1)[0]  # each scale once, by its name
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', scales) == [
        ("", "–"), ("1-5", "五分制（1–5）"), ("1-10", "十分制（1–10）"), ("0-10", "0–10 分"),
        ("sat3", "满意/一般/不满意"), ("binary", "是/否")]
    en_form = admin.get(up.headers["location"] + "?lang=en").text.split('name="rating_scale">', 1)[1]
    assert ">Yes / no<" in en_form and ">yes/no<" not in en_form and ">3-level<" not in en_form
    token = up.headers["location"].rsplit("/", 1)[1]
    form = {"kind": "touch", "f:0": "hall_id", "f:1": "visit_id", "f:2": "moment_id", "f:3": "rating"}
    assert admin.post(up.headers["location"], data=form).status_code == 303  # no rating scale chosen
    done = finished(admin, token)
    assert [(p["row_number"], p["code"]) for p in done["problems"]] == [(2, "no_scale"), (3, "not_in_set")], done
    assert "--rating-scale" in done["problems"][0]["message_en"]  # the CLI's words, kept for the CLI
    zh, en = (html.unescape(admin.get(f"/import/{token}", params={"lang": lang}).text) for lang in ("zh", "en"))
    assert "--rating-scale" not in zh + en and "upload:admin" not in zh + en
    assert "pad.csv（admin 上传） 第 2 行：字段“评分（rating）”有评分“4”但未给出量表；" \
           "请在导入表单的“评分量表”中选择" in zh
    assert '<p class="note" id="import-source">pad.csv（admin 上传）</p>' in zh
    assert "pad.csv (uploaded by admin) row 2: field 'Rating' has a rating '4' but no scale; choose the " \
           "scale under “Rating scale” in the import form" in en
    assert "应为 寻找营业厅、" in zh and "进入营业厅、" in zh and "实际为“coffee”" in zh  # the moments by their names
    assert "expected one of Finding the hall, Approach," in en
    assert "entering" not in zh.split('id="import-problems"', 1)[1]
