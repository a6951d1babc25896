"""The first run: a store without users leads the first admin (who must know the console's setup code) through
their account, the blueprint and the first data, instead of an empty page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from peakend.blueprint.load import default_text
from peakend.web import first_run
from peakend.web.app import create_app
from tests.conftest import run_jobs


@pytest.fixture
def fresh(tmp_path):
    app = create_app(str(tmp_path / "new.duckdb"), secret="s")
    yield app
    app.state.peakend.store.close()


def browser(app) -> TestClient:
    return TestClient(app, headers={"Origin": "http://testserver"}, follow_redirects=False)


def test_a_new_store_leads_to_setup_and_only_the_console_s_code_makes_an_admin(fresh):
    c = browser(fresh)
    code = fresh.state.peakend.setup_code
    assert code and c.get("/login").headers["location"] == "/setup"
    assert c.get("/").headers["location"].startswith("/login")  # and from there to /setup
    page = c.get("/setup?lang=en")
    assert "Enter the setup code shown in the terminal" in page.text
    wrong = c.post("/setup?lang=en", data={"code": "nope", "username": "boss", "password": "secret-pass",
                                           "again": "secret-pass"})
    assert wrong.status_code == 422 and "Wrong setup code" in wrong.text
    differ = c.post("/setup?lang=en", data={"code": code, "username": "boss", "password": "secret-pass",
                                            "again": "secret-pas"})
    assert differ.status_code == 422 and "The two passwords differ" in differ.text
    short = c.post("/setup", data={"code": code, "username": "boss", "password": "short", "again": "short"})
    assert short.status_code == 422
    assert fresh.state.peakend.store.rows("SELECT count(*) FROM users")[0][0] == 0
    made = c.post("/setup", data={"code": code, "username": "boss", "password": "secret-pass",
                                  "again": "secret-pass"})
    assert made.headers["location"] == "/setup/blueprint"
    assert c.get("/api/v1/halls").status_code in (200, 409, 503, 422)  # logged in (the store is not scored yet)
    assert fresh.state.peakend.store.rows("SELECT username, role FROM users") == [("boss", "admin")]
    other = browser(fresh)  # the code is spent: nobody else becomes admin
    assert other.post("/setup", data={"code": code, "username": "eve", "password": "secret-pass",
                                      "again": "secret-pass"}).headers["location"] == "/login"
    assert other.get("/setup").headers["location"] == "/login?lang=zh"
    assert other.get("/setup?lang=en").headers["location"] == "/login?lang=en"  # the language asked for kept
    assert fresh.state.peakend.store.rows("SELECT count(*) FROM users")[0][0] == 1


def test_the_blueprint_step_checks_and_saves_and_the_demo_loads(fresh, monkeypatch):
    monkeypatch.setattr(first_run, "DEMO_DAYS", 2)
    c = browser(fresh)
    c.post("/setup", data={"code": fresh.state.peakend.setup_code, "username": "boss", "password": "secret-pass",
                           "again": "secret-pass"})
    broken = c.post("/setup/blueprint", data={"text": default_text().replace("counter_result, leaving]",
                                                                            "nope, leaving]", 1)})
    assert broken.status_code == 422 and "nope" in broken.text
    mine = default_text().replace("2026.11-1", "2026.12-mine")
    assert c.post("/setup/blueprint", data={"text": mine}).headers["location"] == "/setup/data"
    assert fresh.state.peakend.blueprint.version == "2026.12-mine"
    assert "Load the demo" in c.get("/setup/data?lang=en").text
    assert "Load the demo" in c.get("/?lang=en").text  # the empty network page says where to start
    c.post("/setup/demo")
    loading = c.get("/setup/data?lang=en").text  # a job: the page follows it
    assert 'id="setup-loading"' in loading and 'id="setup-job"' in loading
    c.post("/setup/demo")  # a second click follows the first load
    assert run_jobs(fresh) == 1
    (job,) = fresh.state.peakend.ws.jobs.recent(kinds=("demo",))
    assert job.state == "done" and job.params == {"days": 2}
    assert 'id="setup-done"' in c.get("/setup/data").text
    assert len(c.get("/api/v1/halls").json()) == 8


def test_a_service_of_its_own_is_set_up_from_its_moments_in_order(fresh):
    """An airline's check-in desk in the browser alone: its moments in order (any separators), the last the end; a
    blank list is refused with why."""
    c = browser(fresh)
    c.post("/setup", data={"code": fresh.state.peakend.setup_code, "username": "boss", "password": "secret-pass",
                           "again": "secret-pass"})
    page = c.get("/setup/blueprint?lang=zh").text
    assert 'id="setup-own"' in page and "按客户经历的顺序" in page
    blank = c.post("/setup/blueprint?lang=en", data={"moments": " ，\n", "name": "x"})
    assert blank.status_code == 422 and "at least one moment" in blank.text
    zh = c.post("/setup/blueprint?lang=zh", data={"moments": "、", "name": "x"})
    assert zh.status_code == 422 and "至少需要一个关键时刻" in zh.text and "at least" not in zh.text
    made = c.post("/setup/blueprint", data={"moments": "排队\n办理值机，托运行李、登机", "name": "机场值机柜台"})
    assert made.headers["location"] == "/setup/data"
    bp = fresh.state.peakend.ws.blueprint
    assert [m.zh for m in bp.moments] == ["排队", "办理值机", "托运行李", "登机"] and bp.name.zh == "机场值机柜台"
    assert bp.moments[-1].role == "end" and bp.live.diversion.queue_moment in bp.moment_ids()
    again = c.get("/setup/blueprint?lang=en").text  # back to the step: the blueprint in force, not the built-in
    assert "already runs blueprint version 1 (4 moments)" in again and "built-in telecom" not in again
    assert "已在使用蓝图第 1 版（4 个关键时刻）" in c.get("/setup/blueprint?lang=zh").text


def test_a_store_with_data_is_offered_no_demo(fresh):
    """The data step of a store that holds the user's own visits says how many, of how many halls, and offers the
    ranking and more imports, not the demo (which would put eight demo halls beside them); a post is refused."""
    from peakend.ingest.pipeline import ingest_records

    ws = fresh.state.peakend.ws
    touches = [{"visit_id": f"v{v}", "hall_id": f"厅{v % 2}", "moment_id": "leaving", "rating": 4,
                "rating_scale": "1-5"} for v in range(3)]
    assert not ingest_records(ws.store, touches, "touch", ws.files.context(), "pad").problems
    c = browser(fresh)
    c.post("/setup", data={"code": fresh.state.peakend.setup_code, "username": "boss", "password": "secret-pass",
                           "again": "secret-pass"})
    en, zh = c.get("/setup/data?lang=en").text, c.get("/setup/data?lang=zh").text
    assert "already holds 3 visits of 2 halls" in en and "已有 2 个营业厅的 3 次来访" in zh
    assert 'id="setup-demo"' not in en and 'id="setup-ranking"' in en and 'id="setup-import"' in en
    assert c.post("/setup/demo").headers["location"] == "/setup/data"
    assert ws.jobs.recent(kinds=("demo",)) == []


def test_setup_pages_are_for_admins_only(fresh):
    from tests.conftest import add_user

    add_user(fresh.state.peakend.store, "li", "manager-pass", "manager", ["天河北厅"])
    c = browser(fresh)
    assert c.post("/api/v1/login", json={"username": "li", "password": "manager-pass"}).status_code == 200
    assert c.get("/setup").headers["location"] == "/login?lang=zh"  # a user exists: no setup
    assert c.get("/setup/data").status_code == 403 and c.post("/setup/demo").status_code == 403


def test_pages_show_hall_names_in_their_language(tmp_path):
    from typer.testing import CliRunner

    from peakend.cli import app as cli
    from tests.conftest import add_user

    db = str(tmp_path / "named.duckdb")
    run = CliRunner().invoke(cli, ["hall", "name", "GZ0301", "--zh", "天河北厅", "--en", "Tianhe North", "--db", db])
    assert run.exit_code == 0 and "GZ0301" in run.output
    assert CliRunner().invoke(cli, ["hall", "name", "GZ0301", "--zh", " ", "--en", "x", "--db", db]).exit_code == 2
    app = create_app(db, secret="s")
    add_user(app.state.peakend.store, "li", "manager-pass", "manager", ["GZ0301", "GZ0302"])
    c = browser(app)
    assert c.post("/api/v1/login", json={"username": "li", "password": "manager-pass"}).status_code == 200
    en = c.get("/audits?lang=en").text
    assert '<option value="GZ0301">Tianhe North</option>' in en and '<option value="GZ0302">GZ0302</option>' in en
    zh = c.get("/audits?lang=zh").text
    assert '<option value="GZ0301">天河北厅</option>' in zh
    app.state.peakend.store.close()
    listed = CliRunner().invoke(cli, ["hall", "list", "--db", db])
    assert re.search(r"GZ0301\s+天河北厅\s+Tianhe North", listed.output)


def test_setup_codes_are_not_guessed_fast(fresh, monkeypatch):
    monkeypatch.setenv("PEAKEND_LOGIN_ATTEMPTS", "3")
    c = browser(fresh)
    wrong = {"code": "00000000", "username": "eve", "password": "secret-pass", "again": "secret-pass"}
    assert [c.post("/setup", data=wrong).status_code for _ in range(4)] == [422, 422, 422, 429]
    right = {**wrong, "code": fresh.state.peakend.setup_code}
    assert c.post("/setup", data=right).status_code == 429  # even the right code waits its turn
    assert fresh.state.peakend.store.rows("SELECT count(*) FROM users")[0][0] == 0


def test_the_demo_s_store_is_set_up_its_first_admin_lands_on_the_network(fresh):
    """`peakend demo`'s store has its blueprint, data and scores: after the account, no blueprint or data step."""
    from peakend.demo import today

    today.mark(fresh.state.peakend.store, 3, 1)  # as `peakend demo` leaves it
    c = browser(fresh)
    made = c.post("/setup", data={"code": fresh.state.peakend.setup_code, "username": "boss",
                                  "password": "secret-pass", "again": "secret-pass"})
    assert made.headers["location"] == "/"


def test_the_language_asked_on_a_redirect_stays_for_the_whole_setup(fresh):
    """`/?lang=en` on a new store answers with a redirect; English is remembered there, so every setup step that
    follows (the account, the blueprint) is in English without asking again."""
    c = browser(fresh)
    first = c.get("/?lang=en")
    assert first.status_code in (302, 303, 307) and c.cookies.get("lang") == "en"
    assert "setup code" in c.get("/setup").text.lower() and "设置码" not in c.get("/setup").text
    ok = c.post("/setup", data={"code": fresh.state.peakend.setup_code, "username": "boss",
                                "password": "secret-pass", "again": "secret-pass"})
    assert ok.status_code == 303
    step = c.get(ok.headers["location"])
    assert step.status_code == 200 and "<html lang=\"en\"" in step.text.replace("'", '"'), step.text[:300]
