"""The activity log (append-only, hash-chained: an edited or removed row is found) and customers' rights over their
data (export, erasure, retention)."""

from __future__ import annotations

from datetime import datetime, timedelta

from typer.testing import CliRunner

from peakend.cli import app as cli
from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.service import Workspace
from peakend.store.db import connect

PHONE = "13812345678"


def test_the_activity_log_chain_finds_an_edited_or_removed_row(store):
    log = Workspace(store).activity
    for i in range(5):
        log.record("ana", "user_saved", f"u{i}", {"role": "staff"}, "10.0.0.1")
    assert log.verify().intact and log.verify().rows == 5
    assert list(log.recent(2)["seq"]) == [5, 4]
    store.execute("UPDATE activity SET actor = 'bo' WHERE seq = 3")  # a hand-edited row
    assert log.verify().broken_at == 3
    store.execute("UPDATE activity SET actor = 'ana' WHERE seq = 3")
    assert log.verify().intact  # put back exactly: the chain holds again
    store.execute("DELETE FROM activity WHERE seq = 2")  # a removed row
    assert log.verify().broken_at == 3


def test_activity_verify_on_the_command_line_fails_on_a_hand_edited_row(tmp_path):
    db = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    assert runner.invoke(cli, ["token", "add", "--hall", "H1", "--label", "pad", "--db", db]).exit_code == 0
    ok = runner.invoke(cli, ["activity", "verify", "--db", db])
    assert ok.exit_code == 0 and "1 row," in ok.output and "1 rows" not in ok.output
    with connect(db) as s:
        s.execute("UPDATE activity SET target = 'other' WHERE seq = 1")
    bad = runner.invoke(cli, ["activity", "verify", "--db", db])
    assert bad.exit_code == 1 and "row 1" in bad.output


def _customer(store, bp, now: datetime) -> None:
    old, recent = now - timedelta(days=60), now - timedelta(days=10)
    visits = [{"visit_id": "k1", "hall_id": "H1", "customer_key": "+86 138-1234-5678", "arrival": old},
              {"visit_id": "k2", "hall_id": "H1", "customer_key": PHONE, "arrival": recent},
              {"visit_id": "o1", "hall_id": "H1", "customer_key": "13900001111", "arrival": old}]
    touches = [{"visit_id": v["visit_id"], "moment_id": "leaving", "rating": 2, "rating_scale": "1-5"}
               for v in visits]
    surveys = [{"visit_id": v["visit_id"], "recommend": 2, "comment": f"太慢了 {v['visit_id']}",
                "answered_at": v["arrival"] + timedelta(hours=1)} for v in visits]
    for kind, rows in (("visit", visits), ("touch", touches), ("survey", surveys)):
        assert not ingest_records(store, [{k: str(x) for k, x in r.items()} for r in rows], kind, Context(bp),
                                  "test").problems


def test_a_customer_is_exported_then_erased_by_any_spelling_of_their_phone(store, bp):
    ws = Workspace(store)
    _customer(store, bp, datetime.now())
    found = ws.rights.export("138 1234 5678")
    assert sorted(v["visit_id"] for v in found["visits"]) == ["k1", "k2"] and len(found["surveys"]) == 2
    done = ws.rights.forget("+86 138-1234-5678", "admin", "10.0.0.9")
    assert (done.visits, done.comments) == (2, 2)
    assert ws.rights.export(PHONE)["visits"] == []  # their key no longer finds them
    rows = dict(store.rows("SELECT visit_id, comment FROM surveys"))
    assert rows == {"k1": None, "k2": None, "o1": "太慢了 o1"}  # only theirs
    assert store.scalar("SELECT count(*) FROM touches") == 3  # what happened stays
    keys = dict(store.rows("SELECT visit_id, customer_key FROM visits"))
    assert keys["k1"].startswith("forgotten:") and keys["k1"] == keys["k2"] and keys["o1"].startswith("ph_")
    logged = ws.activity.recent(1).iloc[0]
    assert logged["action"] == "erasure" and logged["actor"] == "admin"
    assert "5678" not in f"{logged['target']} {logged['detail']}"  # the erasure is logged without the phone


def test_retention_removes_personal_fields_older_than_their_setting(store, bp, monkeypatch):
    ws = Workspace(store)
    now = datetime.now()
    _customer(store, bp, now)
    assert ws.rights.apply_retention(now) == {"comments": 0, "customer_keys": 0, "sms_replies": 0}  # kept by default
    monkeypatch.setenv("PEAKEND_KEEP_COMMENTS_DAYS", "30")
    monkeypatch.setenv("PEAKEND_KEEP_CUSTOMER_KEYS_DAYS", "30")
    assert ws.rights.apply_retention(now) == {"comments": 2, "customer_keys": 2, "sms_replies": 0}
    comments = dict(store.rows("SELECT visit_id, comment FROM surveys"))
    assert comments == {"k1": None, "k2": "太慢了 k2", "o1": None}  # 60 days old: gone; 10: kept
    keys = dict(store.rows("SELECT visit_id, customer_key FROM visits"))
    assert keys["k1"] is None and keys["o1"] is None and keys["k2"].startswith("ph_")


def test_admins_read_the_activity_log_and_erase_a_customer_in_the_browser(tmp_path, bp):
    """/admin/activity lists the log (filtered by action) with whether its chain holds; /admin/erase erases a
    customer typed twice the same (refused, erasing nothing, when the two differ); other users get 403."""
    from peakend.web.app import create_app
    from tests.conftest import add_user, signed_in

    app = create_app(str(tmp_path / "w.duckdb"), secret="s")
    try:
        store = app.state.peakend.store
        _customer(store, bp, datetime.now())
        add_user(store, "admin", "admin-pass-1", "admin")
        add_user(store, "li", "manager-pass", "manager", ["H1"])
        assert signed_in(app, "li", "manager-pass").get("/admin/activity").status_code == 403
        admin = signed_in(app, "admin", "admin-pass-1")
        page = admin.get("/admin/activity?lang=en").text
        assert 'id="chain-ok"' in page and "user_saved" in page and page.count("<tr>") == 1 + 4  # 2 users, 2 logins
        only = admin.get("/admin/activity?action=login&lang=en").text
        assert only.count("<tr>") == 1 + 2 and "user_saved" not in only.split('id="activity"')[1]
        differ = admin.post("/admin/erase?lang=en", data={"who": PHONE, "again": "13812345670"})
        assert differ.status_code == 422 and 'id="erase-problem"' in differ.text
        assert store.scalar("SELECT count(*) FROM surveys WHERE comment IS NULL") == 0
        done = admin.post("/admin/erase?lang=en", data={"who": "138 1234 5678", "again": "138 1234 5678"})
        assert done.status_code == 200 and "Erased: 2 visits anonymised; 2 comments" in done.text
        assert store.scalar("SELECT count(*) FROM surveys WHERE comment IS NULL") == 2
        assert "5678" not in done.text.split('id="activity"')[1].split("</table>")[0]  # logged without the phone
    finally:
        app.state.peakend.store.close()
