"""LDAP logins against a real OpenLDAP slapd (Debian's, started by scripts/services.sh with the directory of
scripts/ldap/): bind as the user and search-then-bind with a service account, over StartTLS and LDAPS checked
against the test CA; group → role and halls; wrong passwords, an empty one, a user whose groups map to no role, a
group change that narrows a manager's halls at the next login, and local accounts that keep working."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection, Server

from peakend.web.app import create_app
from tests.conftest import add_user

pytestmark = pytest.mark.xdist_group("ldap")  # one worker: a test changes a group of the directory
A, B = "天河北厅", "花都新华厅"
ORIGIN = {"Origin": "http://testserver"}
PEOPLE, GROUPS = "ou=people,dc=example,dc=org", "ou=groups,dc=example,dc=org"
MAPPING = {"SSO_ROLES": "peakend-admins=admin,peakend-managers=manager,peakend-staff=staff",
           "SSO_HALLS": f"hall-tianhe={A},hall-huadu={B}"}
SEARCH = {"LDAP_BIND_DN": "cn=peakend-reader,dc=example,dc=org", "LDAP_BIND_PASSWORD": "reader-pass",
          "LDAP_USER_BASE": PEOPLE, "LDAP_GROUP_BASE": GROUPS}


def env(name: str) -> str:
    value = os.environ.get(f"PEAKEND_TEST_{name}")
    if not value:
        pytest.fail(f"PEAKEND_TEST_{name} is not set: run the tests with `make test`, which starts slapd")
    return value


def use(monkeypatch, **values: str) -> None:
    for name, value in {**MAPPING, **values}.items():
        monkeypatch.setenv(f"PEAKEND_{name}", value)


@pytest.fixture
def app(tmp_path, monkeypatch):
    use(monkeypatch, LDAP_URL=env("LDAP"), LDAP_CA_FILE=env("LDAP_CA"), **SEARCH)
    app = create_app(str(tmp_path / "ldap.duckdb"), secret="ldap-test")
    add_user(app.state.peakend.ws.store, "admin", "local-admin-pass", "admin")
    yield app
    app.state.peakend.ws.store.close()


def browser(app) -> TestClient:
    return TestClient(app, follow_redirects=False, headers=ORIGIN, cookies={"lang": "en"})


def login(app, user: str, password: str):
    return browser(app).post("/login", data={"username": user, "password": password})


def test_search_then_bind_makes_the_manager_and_a_narrowed_group_narrows_their_halls(app):
    ws = app.state.peakend.ws
    assert login(app, "zhao", "zhao-pass").headers["location"] == "/"
    zhao = ws.identity.account(ws.people.user("admin"), "zhao")
    assert (zhao.role, set(zhao.halls), zhao.source, zhao.last_login_source) == ("manager", {A, B}, "ldap", "ldap")
    admin = Connection(Server(env("LDAP")), "cn=admin,dc=example,dc=org", "admin-ldap-pass", auto_bind=True)
    member = {"member": [(MODIFY_DELETE, [f"uid=zhao,{PEOPLE}"])]}
    assert admin.modify(f"cn=hall-huadu,{GROUPS}", member)
    try:
        assert login(app, "zhao", "zhao-pass").status_code == 303
        assert ws.people.user("zhao").halls == {A}  # narrowed at this login
    finally:
        admin.modify(f"cn=hall-huadu,{GROUPS}", {"member": [(MODIFY_ADD, [f"uid=zhao,{PEOPLE}"])]})
    assert login(app, "zhao", "zhao-pass").status_code == 303 and ws.people.user("zhao").halls == {A, B}


def test_wrong_or_empty_passwords_and_unknown_users_are_refused(app):
    for user, password in [("zhao", "not-it"), ("zhao", ""), ("nobody", "zhao-pass"), ("zhao*", "zhao-pass"),
                           ("*", "zhao-pass")]:
        assert login(app, user, password).status_code in (401, 422), (user, password)
    assert app.state.peakend.ws.people.user("zhao") is None


def test_groups_that_map_to_no_role_are_refused_with_a_clear_page(app):
    page = login(app, "sun", "sun-pass")
    assert page.status_code == 403 and "grant no role" in page.text and "finance" in page.text
    assert app.state.peakend.ws.people.user("sun") is None


def test_a_local_account_keeps_its_password_and_is_never_taken_over(app):
    assert login(app, "admin", "dir-admin-pass").status_code == 401  # the directory's admin is not ours
    assert login(app, "admin", "local-admin-pass").status_code == 303


@pytest.mark.parametrize("how", ["starttls", "ldaps"])
def test_binding_as_the_user_over_tls_reads_memberof_or_groups(app, monkeypatch, how):
    """Bind as the user (a DN template), over StartTLS or LDAPS, the server's certificate checked against the CA."""
    for name in SEARCH:
        monkeypatch.delenv(f"PEAKEND_{name}")
    use(monkeypatch, LDAP_URL=env("LDAPS") if how == "ldaps" else env("LDAP"), LDAP_STARTTLS=str(how == "starttls"),
        LDAP_USER_DN=f"uid={{username}},{PEOPLE}", LDAP_GROUP_BASE=GROUPS)
    assert login(app, "qian", "qian-pass").headers["location"] == "/inbox"
    assert app.state.peakend.ws.people.user("qian").halls == {A}
    monkeypatch.delenv("PEAKEND_LDAP_CA_FILE")  # the test CA unknown: its certificate is not trusted
    page = login(app, "qian", "qian-pass")
    assert page.status_code == 403 and "LDAP directory does not answer properly" in page.text
