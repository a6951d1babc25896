"""Users and tokens administered in the browser (`ws.identity`, web/users.py): who may do what, one-time password
codes, disabling, tokens shown once, rotated and revoked, and the activity log of every change."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from peakend.errors import UserError
from peakend.service import Workspace
from peakend.service.identity import NotYours
from peakend.service.people import Principal
from peakend.web.app import create_app
from tests.conftest import add_token, add_user, empty_postgres

A, B = "天河北厅", "花都新华厅"
PASSWORD = "correct horse"
ORIGIN = {"Origin": "http://testserver"}
ADMIN = Principal("admin", "admin")
MGR_A = Principal("mgr_a", "manager", frozenset([A]))


@pytest.fixture
def ws(duck) -> Workspace:
    """A workspace on an embedded store with an admin, hall A's manager, and staff of A and of A and B."""
    return _people(duck)


@pytest.fixture
def ws_any(store) -> Workspace:
    """The same on either store (DuckDB, PostgreSQL)."""
    return _people(store)


def _people(store) -> Workspace:
    w = Workspace(store)
    add_user(store, "admin", PASSWORD, "admin")
    add_user(store, "mgr_a", PASSWORD, "manager", [A])
    add_user(store, "staff_a", PASSWORD, "staff", [A])
    add_user(store, "staff_ab", PASSWORD, "staff", [A, B])
    return w


def test_a_manager_sees_and_manages_only_staff_of_their_own_halls(ws):
    assert [a.username for a in ws.identity.accounts(MGR_A)] == ["staff_a"]  # not staff of A and B, not admins
    assert [a.username for a in ws.identity.accounts(ADMIN)] == ["admin", "mgr_a", "staff_a", "staff_ab"]
    for role, halls in (("admin", []), ("manager", [A]), ("staff", [B]), ("staff", [A, B])):
        with pytest.raises(NotYours):
            ws.identity.create(MGR_A, "new", role, halls)
    with pytest.raises(NotYours):  # staff of another hall too: as if absent
        ws.identity.change(MGR_A, "staff_ab", "staff", [A])
    with pytest.raises(NotYours):  # never their own scope
        ws.identity.change(MGR_A, "mgr_a", "manager", [A, B])
    with pytest.raises(NotYours):  # never widen a staff member past their own halls
        ws.identity.change(MGR_A, "staff_a", "staff", [A, B])
    with pytest.raises(NotYours):  # nor promote them
        ws.identity.change(MGR_A, "staff_a", "manager", [A])
    assert ws.people.user("staff_a") == Principal("staff_a", "staff", frozenset([A]))


def test_a_new_user_sets_their_password_with_a_one_time_code(ws):
    code = ws.identity.create(MGR_A, " zhang ", "staff", [A], None, "10.0.0.9")
    assert ws.people.check_password("zhang", "anything1") is None  # no password anyone knows
    with pytest.raises(UserError, match="at least 8"):
        ws.identity.use_code(code, "short")
    assert ws.identity.use_code(code, "new secret 1") == "zhang"
    assert ws.people.check_password("zhang", "new secret 1") == Principal("zhang", "staff", frozenset([A]))
    with pytest.raises(UserError, match="unknown, used or expired"):
        ws.identity.use_code(code, "new secret 2")  # spent
    log = ws.activity.recent(10)
    saved = log[log.action == "user_saved"].iloc[0]
    assert (saved.actor, saved.target, saved.address) == ("mgr_a", "zhang", "10.0.0.9")
    assert list(log.action[:3]) == ["password_code_refused", "password_set", "user_saved"]
    assert not log.detail.fillna("").str.contains(code).any()  # the code never enters the log


def test_an_expired_code_is_refused(ws):
    code = ws.identity.reset(ADMIN, "staff_a")
    ws.store.execute("UPDATE users SET reset_expires_at = ? WHERE username = 'staff_a'", ["2000-01-01 00:00:00"])
    with pytest.raises(UserError, match="expired"):
        ws.identity.use_code(code, "new secret 1")
    assert ws.people.check_password("staff_a", PASSWORD) is not None  # the old one still works


def test_disabling_ends_the_sessions_and_the_login(ws):
    sid = ws.people.start_session("staff_a", 1)
    assert ws.people.session_user(sid) is not None
    ws.identity.set_disabled(MGR_A, "staff_a", True)
    assert ws.people.session_user(sid) is None
    assert ws.people.check_password("staff_a", PASSWORD) is None
    assert ws.identity.account(ADMIN, "staff_a").disabled
    ws.identity.set_disabled(MGR_A, "staff_a", False)
    assert ws.people.check_password("staff_a", PASSWORD) is not None
    with pytest.raises(NotYours):
        ws.identity.set_disabled(ADMIN, "admin", True)  # nobody locks themselves out


def test_last_login_and_its_source(ws):
    ws.people.start_session("staff_a", 1)
    ws.people.start_session("mgr_a", 1, source="oidc")
    by_name = {a.username: a for a in ws.identity.accounts(ADMIN)}
    assert by_name["staff_a"].last_login_source == "local" and by_name["staff_a"].last_login_at is not None
    assert by_name["mgr_a"].last_login_source == "oidc"
    assert by_name["admin"].last_login_at is None


def test_tokens_are_rotated_and_revoked(ws_any):
    ws = ws_any
    old = ws.identity.add_token(ADMIN, A, "pad 1", "device", "10.0.0.1")
    assert ws.people.token_principal(old) == Principal("device:pad 1", "device", frozenset([A]))
    (token,) = ws.identity.tokens(ADMIN)
    assert (token.label, token.hall_id, token.scope, token.created_by) == ("pad 1", A, "device", "admin")
    assert token.last_used_at is not None  # the lookup just now
    new = ws.identity.rotate(ADMIN, token.token_id)
    assert ws.people.token_principal(old) is None and ws.people.token_principal(new) is not None
    ws.identity.relabel(ADMIN, token.token_id, "front pad")
    ws.identity.revoke(ADMIN, token.token_id)
    assert ws.people.token_principal(new) is None
    (token,) = ws.identity.tokens(ADMIN)
    assert token.label == "front pad" and token.revoked_at is not None and token.rotated_at is not None
    with pytest.raises(UserError, match="revoked"):
        ws.identity.rotate(ADMIN, token.token_id)
    with pytest.raises(NotYours):
        ws.identity.tokens(MGR_A)
    actions = list(ws.activity.recent(5).action)
    assert actions[:4] == ["token_revoked", "token_labelled", "token_rotated", "token_added"]
    assert not ws.activity.recent(10).detail.fillna("").str.contains(old[3:]).any()


def test_single_sign_on_creates_then_updates_and_never_takes_over_a_local_account(ws_any):
    ws = ws_any
    p = ws.identity.provision("oidc", "chen", "manager", [A, B], "chen@example.com")
    assert p == Principal("chen", "manager", frozenset([A, B]))
    p = ws.identity.provision("oidc", "chen", "manager", [A], None)  # the group narrowed
    assert p.halls == {A} and ws.identity.account(ADMIN, "chen").source == "oidc"
    with pytest.raises(UserError, match="local account"):
        ws.identity.provision("oidc", "staff_a", "admin", [], None)
    with pytest.raises(UserError, match="kept there"):
        ws.identity.reset(ADMIN, "chen")


# ----- the pages -----------------------------------------------------------------------------------------------
@pytest.fixture(params=["duckdb", "postgres"])
def app(request, tmp_path):
    url = str(tmp_path / "web.duckdb") if request.param == "duckdb" else empty_postgres()
    app = create_app(url, secret="test-secret")
    store = app.state.peakend.store
    add_user(store, "admin", PASSWORD, "admin")
    add_user(store, "mgr_a", PASSWORD, "manager", [A])
    add_user(store, "staff_a", PASSWORD, "staff", [A])
    app.state.token_a = add_token(store, A, "pad")
    yield app
    store.close()


def client(app, who: str | None = None) -> TestClient:
    c = TestClient(app, follow_redirects=False, headers=ORIGIN)
    if who:
        assert c.post("/login", data={"username": who, "password": PASSWORD}).status_code == 303
    return c


def test_a_manager_adds_staff_who_set_their_password_and_log_in(app):
    mgr = client(app, "mgr_a")
    page = mgr.get("/admin/users?lang=en")
    assert page.status_code == 200 and "staff_a" in page.text and ">admin<" not in page.text
    refused = mgr.post("/admin/users?lang=en", data={"username": "boss", "role": "admin", "halls": ""})
    assert refused.status_code == 403 and "not a user you manage" in refused.text
    made = mgr.post("/admin/users?lang=en", data={"username": "<b>zhao</b>", "role": "staff", "hall": [A]})
    assert made.status_code == 200 and "&lt;b&gt;zhao&lt;/b&gt;" in made.text and "<b>zhao" not in made.text
    code = re.search(r'<code id="code">([^<]+)</code>', made.text).group(1)
    fresh = client(app)
    assert fresh.post("/password", data={"code": code, "password": "pw-of-zhao", "again": "pw-of-zhao"}
                      ).headers["location"] == "/login?password=set"
    assert fresh.post("/login", data={"username": "<b>zhao</b>", "password": "pw-of-zhao"}).status_code == 303
    assert mgr.get("/admin/users/admin").status_code == 404  # out of reach: as if absent
    wider = mgr.post(f"/admin/users/{quote('<b>zhao</b>', safe='/')}/change?lang=en",
                     data={"role": "staff", "hall": [A, "B"]})
    assert wider.status_code == 403  # a hall not theirs, ticked by hand
    assert client(app, "staff_a").get("/admin/users").status_code == 403
    assert mgr.get("/admin/tokens").status_code == 403


def test_a_disabled_user_is_logged_out_at_once(app):
    staff = client(app, "staff_a")
    assert staff.get("/blueprint").status_code == 200
    done = client(app, "mgr_a").post("/admin/users/staff_a/disable?lang=en")
    assert done.status_code == 200 and 'id="state">Disabled' in done.text
    assert staff.get("/blueprint").status_code == 303  # back to the login form
    assert client(app).post("/login", data={"username": "staff_a", "password": PASSWORD}).status_code == 401


def test_an_admin_rotates_and_revokes_a_token_and_the_device_is_refused(app):
    admin = client(app, "admin")
    pad = TestClient(app, headers={"Authorization": f"Bearer {app.state.token_a}"})
    assert pad.post("/api/v1/touches/batch", json=[]).status_code == 200
    page = admin.get("/admin/tokens?lang=en")
    assert "pad" in page.text and app.state.token_a not in page.text
    token_id = re.search(r'id="tok-([0-9a-f]{12})"', page.text).group(1)
    rotated = admin.post(f"/admin/tokens/{token_id}/rotate?lang=en")
    new = re.search(r'<code id="secret">([^<]+)</code>', rotated.text).group(1)
    assert pad.post("/api/v1/touches/batch", json=[]).status_code == 401  # the old secret, at once in this process
    pad2 = TestClient(app, headers={"Authorization": f"Bearer {new}"})
    assert pad2.post("/api/v1/touches/batch", json=[]).status_code == 200
    assert new not in admin.get("/admin/tokens").text  # shown once
    admin.post(f"/admin/tokens/{token_id}/revoke")
    assert pad2.post("/api/v1/touches/batch", json=[]).status_code == 401
    made = admin.post("/admin/tokens?lang=en", data={"hall": "*", "label": "gw", "scope": "device"})
    assert made.status_code == 422  # '*' is only for the SMS gateway
    log = admin.get("/admin/activity?lang=en").text
    assert "token revoked" in log and "token rotated" in log


def test_the_group_mapping_grants_only_what_the_settings_say(monkeypatch):
    from peakend.errors import SettingError
    from peakend.service.sso import MOST_VALUES, Mapping, SsoRefused, texts, username_of

    monkeypatch.setenv("PEAKEND_SSO_ROLES", "g-admin=admin, g-mgr=manager,g-staff=staff")
    monkeypatch.setenv("PEAKEND_SSO_HALLS", f"h-a={A},h-ab={A} {B}")
    m = Mapping.from_settings()
    assert m.grant(["g-staff", "g-mgr", "h-a"], [], set()) == ("manager", [A])  # the highest role mapped
    assert m.grant(["g-staff"], [B, "made-up"], {A, B}) == ("staff", [B])  # a claimed hall counts if known
    assert m.grant(["g-admin", "h-ab"], [], set()) == ("admin", [])  # an admin sees every hall anyway
    for groups, why in [(["finance"], "sso_no_role"), (["g-staff"], "sso_no_hall"), ([], "sso_no_role")]:
        with pytest.raises(SsoRefused) as refused:
            m.grant(groups, ["made-up"], {A})
        assert refused.value.key == why
    assert texts(["ok", 3, None, "x" * 201, "tab\there", " spaced "]) == ["ok", "spaced"]
    with pytest.raises(SsoRefused):
        texts(["g"] * (MOST_VALUES + 1))
    for bad in (None, "", "a,b", "x" * 201, ["list"]):
        with pytest.raises(SsoRefused):
            username_of(bad)
    monkeypatch.setenv("PEAKEND_SSO_ROLES", "g-x=superuser")
    with pytest.raises(SettingError, match="PEAKEND_SSO_ROLES"):
        create_app(":memory:")  # a wrong mapping stops the start


def test_a_session_holds_across_a_restart_without_a_server_secret(tmp_path, monkeypatch):
    """No PEAKEND_SECRET: the cookie key is made once and kept in the store, so a restart (a new app on the same
    store) keeps its users logged in; a logout still ends the session."""
    monkeypatch.delenv("PEAKEND_SECRET")
    db = str(tmp_path / "s.duckdb")
    first = create_app(db)
    add_user(first.state.peakend.store, "li", "li-password-1", "admin")
    c = TestClient(first, headers={"Origin": "http://testserver"})
    assert c.post("/api/v1/login", json={"username": "li", "password": "li-password-1"}).status_code == 200
    cookies = dict(c.cookies)
    key = first.state.peakend.ws.people.cookie_key()
    first.state.peakend.store.close()
    again = create_app(db)  # the restart
    d = TestClient(again, headers={"Origin": "http://testserver"}, cookies=cookies)
    asked = {"q": "queue"}
    assert d.get("/api/v1/training", params=asked).status_code == 200
    assert again.state.peakend.ws.people.cookie_key() == key
    assert TestClient(again).get("/api/v1/training", params=asked).status_code == 401  # (no cookie: not logged in)
    d.post("/logout")
    assert d.get("/api/v1/training", params=asked).status_code == 401
    again.state.peakend.store.close()
