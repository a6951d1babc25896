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
