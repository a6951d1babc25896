"""OIDC single sign-on against a real OpenID provider (panva's certified `oidc-provider`, started by
scripts/services.sh): the whole authorization-code flow with PKCE over HTTP, the claim → role and halls mapping, a
narrowed group at the next login, refusals (no role, wrong password, a changed nonce, a replayed answer, another
client's token, an expired or tampered one), a local account never taken over, and logout at the provider too."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from peakend.service.sso import SsoRefused
from peakend.web.app import create_app
from tests.conftest import add_user

A, B = "天河北厅", "花都新华厅"
ORIGIN = {"Origin": "http://testserver"}
pytestmark = pytest.mark.xdist_group("oidc")  # one worker: a test changes a provider user's groups
SETTINGS = {"OIDC_CLIENT_ID": "peakend", "OIDC_CLIENT_SECRET": "peakend-test-secret",
            "OIDC_SCOPES": "openid email profile groups", "OIDC_HALLS_CLAIM": "halls",
            "SSO_ROLES": "peakend-admins=admin,peakend-managers=manager,peakend-staff=staff",
            "SSO_HALLS": f"hall-tianhe={A},hall-huadu={B}"}


def provider() -> str:
    url = os.environ.get("PEAKEND_TEST_OIDC")
    if not url:
        pytest.fail("PEAKEND_TEST_OIDC is not set: run the tests with `make test`, which starts the OpenID provider")
    return url


@pytest.fixture
def app(tmp_path, monkeypatch):
    issuer = provider()
    httpx.delete(f"{issuer}/_test/users", timeout=10).raise_for_status()  # every test user's claims as they start
    monkeypatch.setenv("PEAKEND_OIDC_ISSUER", issuer)
    for name, value in SETTINGS.items():
        monkeypatch.setenv(f"PEAKEND_{name}", value)
    app = create_app(str(tmp_path / "sso.duckdb"), secret="sso-test")
    ws = app.state.peakend.ws
    add_user(ws.store, "admin", "local-admin-pass", "admin")
    ws.people.name_hall(A, A, "Tianhe North")
    ws.people.name_hall(B, B, "Huadu Xinhua")
    yield app
    ws.store.close()


def browser(app) -> TestClient:
    """A browser of the app, reading its pages in English."""
    return TestClient(app, follow_redirects=False, headers=ORIGIN, cookies={"lang": "en"})


def at_provider(url: str, user: str, password: str) -> httpx.Response:
    """Follow the provider from its authorization URL, logging in as `user`, until it sends the browser back to the
    app (that redirect returned) or stops (its page returned)."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        r, posted = browser.get(url), False
        while True:
            if r.is_redirect:
                target = urljoin(str(r.url), r.headers["location"])
                if target.startswith("http://testserver"):
                    return r
                r = browser.get(target)
            elif r.status_code == 200 and "/interaction/" in str(r.url) and not posted:
                r, posted = browser.post(str(r.url), data={"login": user, "password": password}), True
            else:
                return r


def sso_login(c: TestClient, user: str, password: str, tamper: Callable[[str], str] = lambda u: u):
    """Log in through the provider as `user`; the app's answer to the provider's redirect (or the provider's page)."""
    start = c.get("/sso/oidc/start")
    assert start.status_code == 303, start.text
    back = at_provider(tamper(start.headers["location"]), user, password)
    if not back.is_redirect:
        return back
    parts = urlsplit(back.headers["location"])
    return c.get(f"{parts.path}?{parts.query}")


def test_first_login_creates_the_manager_and_a_narrowed_group_narrows_their_halls(app):
    ws, c = app.state.peakend.ws, browser(app)
    assert 'id="sso-oidc"' in c.get("/login").text
    me = f"chen-{uuid.uuid4().hex[:8]}"  # a user of this test's own: another test run may share the provider
    claims = {"password": "chen-pass", "groups": ["peakend-managers", "hall-tianhe", "hall-huadu"]}
    httpx.put(f"{provider()}/_test/users/{me}", json=claims, timeout=10).raise_for_status()
    done = sso_login(c, me, "chen-pass")
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert c.get("/admin/users").status_code == 200  # logged in, as a manager
    chen = ws.identity.account(ws.people.user("admin"), me)
    assert (chen.role, set(chen.halls), chen.source, chen.last_login_source) == ("manager", {A, B}, "oidc", "oidc")
    httpx.put(f"{provider()}/_test/users/{me}", json={"groups": ["peakend-managers", "hall-tianhe"]},
              timeout=10).raise_for_status()
    again = browser(app)
    assert sso_login(again, me, "chen-pass").status_code == 303
    assert ws.people.user(me).halls == {A}  # narrowed at this login
    changed = ws.activity.recent(20)
    changed = changed[changed.action == "user_changed"].iloc[0]
    assert changed.actor == "oidc" and changed.target == me


def test_a_halls_claim_counts_only_halls_this_store_knows(app):
    c = browser(app)
    assert sso_login(c, "lin", "lin-pass").headers["location"] == "/inbox"  # staff start at their halls' alerts
    assert app.state.peakend.ws.people.user("lin").halls == {A}  # 'no-such-hall' was dropped


def test_groups_that_map_to_no_role_are_refused_with_a_clear_page(app):
    c = browser(app)
    page = sso_login(c, "wu", "wu-pass")
    assert page.status_code == 403 and "grant no role" in page.text and "finance" in page.text
    assert app.state.peakend.ws.people.user("wu") is None
    assert c.get("/").status_code == 303  # no session


def test_a_wrong_password_stays_at_the_provider(app):
    c = browser(app)
    page = sso_login(c, "chen", "not-the-password")
    assert page.status_code == 401 and "wrong user name or password" in page.text
    assert app.state.peakend.ws.people.user("chen") is None


def test_a_changed_nonce_is_refused(app):
    """The nonce in the authorization request is changed on its way: the provider signs an ID token with that
    nonce, which is not the one this login keeps."""
    c = browser(app)
    page = sso_login(c, "chen", "chen-pass", tamper=lambda u: u.replace("nonce=", "nonce=x"))
    assert page.status_code == 403 and "Invalid claim: &#39;nonce&#39;" in page.text
    assert app.state.peakend.ws.people.user("chen") is None
    assert "sso_id_token_bad" in app.state.peakend.ws.activity.recent(1).detail.iloc[0]


def test_an_answer_replayed_or_without_a_login_is_refused(app):
    c = browser(app)
    start = c.get("/sso/oidc/start")
    back = urlsplit(at_provider(start.headers["location"], "chen", "chen-pass").headers["location"])
    assert c.get(f"{back.path}?{back.query}").status_code == 303
    replayed = c.get(f"{back.path}?{back.query}")
    assert replayed.status_code == 403 and "belongs to no login started here" in replayed.text
    other = browser(app)  # another browser with the same answer
    assert other.get(f"{back.path}?{back.query}").status_code == 403


def _id_token(app, monkeypatch, client_id: str, secret: str) -> tuple[str, str]:
    """A real ID token the provider issued to `client_id` for chen, and the nonce it carries."""
    monkeypatch.setenv("PEAKEND_OIDC_CLIENT_ID", client_id)
    monkeypatch.setenv("PEAKEND_OIDC_CLIENT_SECRET", secret)
    oidc = app.state.peakend.ws.sso.oidc
    url, pending = oidc.start("http://testserver/sso/oidc/callback")
    answer = dict(parse_qsl(urlsplit(at_provider(url, "chen", "chen-pass").headers["location"]).query))
    _, id_token = oidc.finish(pending, answer)
    monkeypatch.setenv("PEAKEND_OIDC_CLIENT_ID", SETTINGS["OIDC_CLIENT_ID"])
    monkeypatch.setenv("PEAKEND_OIDC_CLIENT_SECRET", SETTINGS["OIDC_CLIENT_SECRET"])
    return id_token, pending.nonce


def test_another_client_s_expired_or_tampered_id_token_is_refused(app, monkeypatch):
    oidc = app.state.peakend.ws.sso.oidc
    ours, nonce = _id_token(app, monkeypatch, "peakend", SETTINGS["OIDC_CLIENT_SECRET"])
    assert oidc.validate(ours, nonce)["sub"] == "chen"  # the real token passes …
    head, body, signature = ours.split(".")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    theirs, their_nonce = _id_token(app, monkeypatch, "other-app", "other-test-secret")
    for token, nonce_kept, now, why in [
        (ours, "another nonce", None, "nonce"),
        (ours, nonce, time.time() + 7200, "exp"),  # the provider gives an hour
        (f"{head}.{flipped}.{signature}", nonce, None, "bad_signature"),
        (theirs, their_nonce, None, "aud"),  # issued to another client: not for us
    ]:
        with pytest.raises(SsoRefused) as refused:
            oidc.validate(token, nonce_kept, now=now)
        assert refused.value.key == "sso_id_token_bad" and why in str(refused.value.fields["value"]), why


def test_a_local_account_is_never_taken_over_and_still_logs_in(app):
    c = browser(app)
    page = sso_login(c, "admin", "admin-sso-pass")  # the provider's "admin" claims the admin group
    assert page.status_code == 403 and "local account" in page.text
    assert c.post("/login", data={"username": "admin", "password": "local-admin-pass"}).status_code == 303
    assert c.get("/admin/users").status_code == 200


def test_logout_ends_the_session_here_and_at_the_provider(app):
    c = browser(app)
    assert sso_login(c, "chen", "chen-pass").status_code == 303
    out = c.post("/logout")
    end = out.headers["location"]
    assert end.startswith(f"{provider()}/session/end?") and "id_token_hint=" in end
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Flogin" in end
    assert f"form-action 'self' {provider()};" in out.headers["content-security-policy"]  # browsers may go there
    assert c.get("/admin/users").status_code == 303  # our session is over
    assert httpx.get(end, timeout=10).status_code == 200  # the provider accepts the hint: its logout page
