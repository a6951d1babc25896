"""Limits on guessing, kept in the store: every process of a server counts failed logins together; wrong setup
codes lock out only the address that sent them; a client cannot name its own address."""

from __future__ import annotations

from fastapi.testclient import TestClient

from peakend.web.app import create_app
from peakend.web.processes import proxies
from tests.conftest import add_user, empty_postgres

ORIGIN = {"Origin": "http://testserver"}


def test_two_processes_share_the_login_limits(monkeypatch):
    """Two apps on one PostgreSQL store stand for two web processes: the failures on either count for both."""
    monkeypatch.setenv("PEAKEND_LOGIN_ATTEMPTS", "5")
    url = empty_postgres()
    one, two = create_app(url, secret="s"), create_app(url, secret="s")
    add_user(one.state.peakend.store, "ana", "right-password", "admin")
    a, b = TestClient(one, headers=ORIGIN), TestClient(two, headers=ORIGIN)
    for i in range(5):  # alternating: each process saw fewer than five
        client = a if i % 2 else b
        assert client.post("/api/v1/login", json={"username": "ana", "password": "wrong"}).status_code == 401
    for client in (a, b):
        r = client.post("/api/v1/login", json={"username": "ana", "password": "right-password"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    for app in (one, two):
        app.state.peakend.store.close()


def test_wrong_setup_codes_lock_out_only_their_own_address(tmp_path, monkeypatch):
    monkeypatch.setenv("PEAKEND_LOGIN_ATTEMPTS", "3")
    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    code = app.state.peakend.setup_code
    guesser = TestClient(app, headers=ORIGIN, client=("203.0.113.7", 5000))
    form = {"username": "boss", "password": "secret-pass", "again": "secret-pass"}
    for _ in range(3):
        assert guesser.post("/setup", data={**form, "code": "nope"}).status_code == 422
    locked = guesser.post("/setup", data={**form, "code": code})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0  # the page says when, too
    owner = TestClient(app, headers=ORIGIN, client=("198.51.100.2", 5000), follow_redirects=False)
    assert owner.post("/setup", data={**form, "code": code}).status_code == 303  # the real admin is not locked out
    app.state.peakend.store.close()


def test_no_proxy_is_trusted_unless_configured(monkeypatch):
    assert proxies() == {"proxy_headers": False, "forwarded_allow_ips": None}
    monkeypatch.setenv("PEAKEND_TRUSTED_PROXIES", "10.0.0.5")
    assert proxies() == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5"}


def test_the_console_issues_a_fresh_setup_code_every_process_accepts(monkeypatch):
    """`peakend setup-code` on the store of a running two-process server: the old code stops working in both
    processes, the new one works in either, the address locked out by its own wrong guesses is forgiven, and once the
    first admin exists no code opens the store and the command says so."""
    from typer.testing import CliRunner

    from peakend.cli import app as cli

    monkeypatch.setenv("PEAKEND_LOGIN_ATTEMPTS", "2")
    monkeypatch.setenv("PEAKEND_SETUP_CODE", "c0ffee12")  # as `serve --workers 2` gives both processes
    url = empty_postgres()
    one, two = create_app(url, secret="s"), create_app(url, secret="s")
    old = "c0ffee12"
    form = {"username": "boss", "password": "secret-pass", "again": "secret-pass"}
    me = TestClient(one, headers=ORIGIN, client=("198.51.100.2", 5000), follow_redirects=False)
    for _ in range(2):
        assert me.post("/setup", data={**form, "code": "nope"}).status_code == 422
    assert me.post("/setup", data={**form, "code": old}).status_code == 429  # locked out by my own typos
    out = CliRunner().invoke(cli, ["setup-code", "--db", url])
    assert out.exit_code == 0, out.output
    fresh = out.output.split("setup code is ")[1].split()[0]
    assert fresh != old
    other = TestClient(two, headers=ORIGIN, client=("198.51.100.2", 5000), follow_redirects=False)
    assert other.post("/setup", data={**form, "code": old}).status_code == 422  # the old one is gone everywhere
    assert other.post("/setup", data={**form, "code": fresh}).status_code == 303
    assert me.post("/setup", data={**form, "code": fresh}).status_code == 303  # the store has its admin: to login
    assert "already has users" in CliRunner().invoke(cli, ["setup-code", "--db", url]).output
    for app in (one, two):
        app.state.peakend.store.close()


def test_a_server_started_after_setup_code_keeps_that_code(monkeypatch, tmp_path):
    """`peakend setup-code` before `serve`: the server keeps the code the console printed (and says so) instead of
    replacing it; a code given in PEAKEND_SETUP_CODE still wins; a store without a hand-made code gets a fresh one."""
    from typer.testing import CliRunner

    from peakend.cli import app as cli

    db = str(tmp_path / "s.duckdb")
    out = CliRunner().invoke(cli, ["--lang", "en", "setup-code", "--db", db])
    made = out.output.split("setup code is ")[1].split()[0]
    app = create_app(db, secret="s")
    assert app.state.peakend.setup_code == ""  # kept: nothing new to print
    form = {"username": "boss", "password": "secret-pass", "again": "secret-pass"}
    me = TestClient(app, headers=ORIGIN, client=("198.51.100.2", 5000), follow_redirects=False)
    assert me.post("/setup", data={**form, "code": made}).status_code == 303
    app.state.peakend.store.close()
    other = str(tmp_path / "t.duckdb")
    CliRunner().invoke(cli, ["setup-code", "--db", other])
    monkeypatch.setenv("PEAKEND_SETUP_CODE", "c0ffee34")
    given = create_app(other, secret="s")
    assert given.state.peakend.setup_code == "c0ffee34" and given.state.peakend.ws.limits.setup_code_right("c0ffee34")
    given.state.peakend.store.close()
    monkeypatch.delenv("PEAKEND_SETUP_CODE")
    fresh = create_app(str(tmp_path / "u.duckdb"), secret="s")
    assert len(fresh.state.peakend.setup_code or "") == 8
    fresh.state.peakend.store.close()
