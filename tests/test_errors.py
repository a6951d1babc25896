"""One error root: every product error has a status, an exit code and a message in both languages, told
once by the web app and once by the command line."""

from __future__ import annotations

import inspect

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from peakend import errors
from peakend.cli import app as cli
from peakend.i18n import MESSAGES
from peakend.web.app import create_app
from tests.conftest import add_user

KINDS = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.PeakendError)]


@pytest.mark.parametrize("kind", KINDS, ids=lambda c: c.__name__)
def test_every_error_kind_has_a_status_an_exit_code_and_a_bilingual_default(kind):
    assert 400 <= kind.status < 600 and kind.exit_code in (1, 2)
    assert set(MESSAGES[kind.key]) == {"en", "zh"}


def test_the_cli_tells_an_error_once_in_the_session_language(tmp_path, monkeypatch):
    db = str(tmp_path / "e.duckdb")
    result = CliRunner().invoke(cli, ["score", "--db", db])
    assert result.exit_code == 1 and "nothing to score" in result.output and "Traceback" not in result.output
    bad = CliRunner().invoke(cli, ["user", "add", "x", "--role", "boss", "--password", "password1", "--db", db])
    assert bad.exit_code == 2 and "role must be one of admin, manager, auditor, staff" in bad.output
    zh = CliRunner().invoke(cli, ["--lang", "zh", "report", "--db", db])  # --lang holds for the rest of the process
    assert zh.exit_code == 1 and "还没有评分结果" in zh.output


def test_the_web_app_answers_an_error_with_its_status_in_both_languages(tmp_path):
    app = create_app(str(tmp_path / "w.duckdb"), secret="e")
    add_user(app.state.peakend.store, "admin", "password1", "admin")
    c = TestClient(app, headers={"Origin": "http://testserver"})
    assert c.post("/api/v1/login", json={"username": "admin", "password": "password1"}).status_code == 200
    r = c.get("/api/v1/halls")
    assert r.status_code == 409 and "peakend score" in r.json()["detail"] and "评分" in r.json()["detail_zh"]
    r = c.post("/api/v1/score")
    assert r.status_code == 409 and "nothing to score" in r.json()["detail"]
    page = c.get("/cases/nope?lang=en")
    assert page.status_code == 404 and "no such case: nope" in page.text
    app.state.peakend.store.close()
