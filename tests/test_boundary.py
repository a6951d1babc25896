"""The trust boundary, class by class, with generated input (Hypothesis): markup never reaches a page
as markup, extreme values never stop the live worker or a page, a post the store refuses fails alone,
phone numbers in any form and any field are never stored in clear, and roles stay in their halls.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from peakend.contract import FIELDS, KEY_FIELDS, SET_FIELDS
from peakend.ingest import pipeline
from peakend.ingest.group_commit import GroupCommit, _Job
from peakend.ingest.pipeline import Post, ingest_file
from peakend.ingest.validate import Context
from peakend.live import cases as cases_mod
from peakend.live.pending import parked, pending, run_pending
from peakend.store.db import connect
from tests.conftest import run_jobs, write_csv
from tests.test_web import PASSWORD, A, B, make_app

ORIGIN = {"Origin": "http://testserver"}
# Each example builds a store, so few of them, drawn the same way every run, and not shrunk (too slow here:
# a failure prints the example as drawn).
FEW = settings(max_examples=5, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
               suppress_health_check=list(HealthCheck))


@pytest.fixture
def app(tmp_path):
    app = make_app(str(tmp_path / "b.duckdb"))
    yield app
    app.state.peakend.store.close()


def login(app, who: str) -> TestClient:
    c = TestClient(app, follow_redirects=False, headers=ORIGIN)
    assert c.post("/api/v1/login", json={"username": who, "password": PASSWORD}).status_code == 200
    return c


def device(app, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


# -- 1. markup ---------------------------------------------------------------------------------------------
TAGS = ("script", "img", "svg", "iframe", "object", "embed", "body", "a", "style", "math", "input")
EVENTS = ("onerror", "onload", "onclick", "onfocus", "onmouseover")


@st.composite
def markup(draw) -> str:
    """A piece of hostile markup: a tag with an event handler, a closed script, a broken-out attribute…"""
    tag, event = draw(st.sampled_from(TAGS)), draw(st.sampled_from(EVENTS))
    core = draw(st.sampled_from([
        f"<{tag} {event}=alert(1)>", f"<{tag} src=x {event}='alert(1)'>", f"</script><{tag} {event}=alert(1)>",
        f"\"><{tag} {event}=alert(1)>", f"'><{tag}>", "<!--<script>alert(1)</script>-->", "javascript:alert(1)",
        f"</textarea><{tag} {event}=1>", f"</title><{tag}>", "{{7*7}}<b>x</b>",
    ]))
    around = draw(st.text(alphabet="厅客户 abc-_", max_size=6))
    return around + core + around


class Elements(HTMLParser):
    """Every element of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.found.append((tag, dict(attrs)))


SCRIPTS_OK = {"/static/vega.js", "/static/peakend.js"}
OUR_TAGS = {"html", "head", "meta", "title", "style", "script", "body", "header", "strong", "a", "span", "form",
            "button", "main", "h1", "h2", "h3", "p", "table", "tr", "th", "td", "div", "b", "small", "input",
            "label", "textarea", "ul", "li", "br", "select", "option", "details", "summary", "section", "nav",
            "code", "pre", "em", "i", "thead", "tbody", "dl", "dt", "dd", "ol", "hr", "fieldset", "legend", "abbr",
            "colgroup", "col", "progress"}


SVG_TAGS = {"svg", "g", "rect", "text", "title", "polyline", "marker", "path", "circle", "line"}
FLOOR = re.compile(r'<div class="chart" id="floor">.*?</svg>', re.S)  # the touchpoint map: our own SVG


def assert_inert(html: str, where: str) -> None:
    """No element, attribute or script on the page that data could have planted (our SVG map only SVG's own
    shapes, without a handler)."""
    for floor in FLOOR.findall(html):
        drawn = Elements()
        drawn.feed(floor)
        assert {t for t, _ in drawn.found} <= SVG_TAGS | {"div"}, where
        assert not [a for _, attrs in drawn.found for a in attrs if a.startswith("on")], where
    parser = Elements()
    parser.feed(FLOOR.sub("", html))
    for tag, attrs in parser.found:
        assert tag in OUR_TAGS, (where, tag)
        assert not [a for a in attrs if a.startswith("on")], (where, tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript"), (where, attrs)
        if tag == "script":
            assert attrs.get("src") in SCRIPTS_OK or attrs.get("type") == "application/json", (where, attrs)
        if tag == "input":
            assert set(attrs) <= {"type", "name", "value", "autocomplete", "required", "min", "max", "step", "id",
                                  "size", "placeholder", "maxlength", "class", "aria-label"}, (where, attrs)


@FEW
@given(st.lists(markup(), min_size=8, max_size=8))
def test_markup_in_every_field_renders_as_text_on_every_page(tmp_path_factory, bads):
    app = make_app(str(tmp_path_factory.mktemp("m") / "m.duckdb"))
    st_ = app.state.peakend
    try:
        admin = login(app, "admin")
        v = "v" + bads[0].replace("/", "")
        sent = [{"touch_id": f"t{i}", "visit_id": v, "hall_id": A, "moment_id": m, "seq": i,
                 "start_at": f"2026-11-02 10:0{i}", "rating": r, "rating_scale": "1-5", "staff_id": "staff_a",
                 "ticket": bads[1], "segment": bads[2], "source": bads[3]}
                for i, (m, r) in enumerate([("entering", 4), ("counter_result", 1)], start=1)]
        assert admin.post("/api/v1/touches/batch", json=sent).status_code == 200
        elsewhere = [{**sent[0], "touch_id": "t9", "visit_id": "w", "hall_id": "H" + bads[3].replace("/", "")}]
        assert admin.post("/api/v1/touches/batch", json=elsewhere).status_code == 200
        bad = [{"visit_id": bads[4], "hall_id": A, "moment_id": bads[5]}]  # quarantined: its moment is no moment
        assert admin.post("/api/v1/touches/batch", json=bad).status_code == 422
        survey = {"visit_id": v, "overall": 3, "overall_scale": "1-10", "comment": bads[6]}
        assert admin.post("/api/v1/surveys", json=survey).status_code == 200
        run_pending(st_.store, st_.blueprint, st_.clock())
        assert admin.post("/api/v1/score").status_code == 202 and run_jobs(app) >= 1
        case_id = st_.store.scalar("SELECT case_id FROM cases")
        staff = login(app, "staff_a")
        if case_id is not None:
            assert staff.post(f"/api/v1/cases/{quote(case_id, safe='')}/comment", json={"text": bads[7]}).status_code \
                == 200
        pages = ["/", f"/halls/{quote(A)}", f"/halls/{quote(A)}/moments/counter_result", f"/visits/{quote(v, safe='')}",
                 "/quality", "/cases", "/blueprint", f"/login?next={quote(bads[0])}", f"/cases?hall={quote(bads[1])}",
                 f"/?lang={quote(bads[2])}", "/comments", f"/comments?q={quote(bads[6])}",
                 f"/comments?q={quote(bads[1])}&hall={quote(A)}"]
        if case_id is not None:
            pages.append(f"/cases/{quote(case_id, safe='')}")
        for path in pages:  # the figures computed as jobs (comments, verdicts) start, and are computed
            admin.get(path)
        run_jobs(app)
        for path in pages:
            for who in (admin, staff, TestClient(app)):
                r = who.get(path)
                assert r.status_code < 500, path
                if r.headers.get("content-type", "").startswith("text/html"):
                    assert_inert(r.text, path)
    finally:
        st_.store.close()


def test_pages_carry_a_policy_without_inline_script_and_refuse_framing(app):
    r = TestClient(app).get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text  # every script has a source


def test_forms_may_go_on_only_to_a_plain_oidc_issuer_origin(app, monkeypatch):
    """Logout sends the browser on to the OIDC provider: form-action names its origin, and nothing else an issuer
    setting could smuggle into the policy."""
    for issuer, allowed in [("https://sso.example.com:8443/realms/x", "'self' https://sso.example.com:8443;"),
                            ("https://a.example; script-src *", "'self';"), ("javascript:alert(1)", "'self';")]:
        monkeypatch.setenv("PEAKEND_OIDC_ISSUER", issuer)
        csp = TestClient(app).get("/login").headers["content-security-policy"]
        assert f"form-action {allowed}" in csp and csp.count("script-src") == 1, issuer


# -- CSRF, sessions, logins ----------------------------------------------------------------------------------
def test_cookie_writes_need_this_sites_origin(app):
    admin = login(app, "admin")
    assert admin.post("/api/v1/score", headers={"Origin": "https://evil.example"}).status_code == 403
    cookie_only = TestClient(app, cookies=dict(admin.cookies))
    assert cookie_only.post("/api/v1/score").status_code == 403  # no Origin, no Referer: refused
    assert cookie_only.post("/api/v1/score", headers={"Referer": "http://testserver/"}).status_code == 409  # no data
    assert admin.post("/blueprint", data={"text": "x"}, headers={"Origin": "http://evil.example"}).status_code == 403
    forged_login = TestClient(app).post("/login", data={"username": "admin", "password": PASSWORD},
                                        headers={"Origin": "https://evil.example"})
    assert forged_login.status_code == 403
    assert device(app, app.state.token_a).post("/api/v1/visits", json={"visit_id": "x1"}).status_code == 200


def test_logout_ends_the_session_on_the_server(app):
    admin = login(app, "admin")
    stolen = dict(admin.cookies)
    assert admin.get("/api/v1/quarantine").status_code == 200
    assert admin.post("/logout").status_code == 303
    assert TestClient(app, cookies=stolen).get("/api/v1/quarantine").status_code == 401


def test_logins_are_limited_per_user_and_per_address(app, monkeypatch):
    monkeypatch.setenv("PEAKEND_LOGIN_ATTEMPTS", "3")
    c = TestClient(app, headers=ORIGIN)
    for _ in range(3):
        assert c.post("/api/v1/login", json={"username": "admin", "password": "wrong"}).status_code == 401
    r = c.post("/api/v1/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0  # even the right password waits
    assert c.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 429
    assert c.post("/api/v1/login", json={"username": "mgr_a", "password": PASSWORD}).status_code == 200
    monkeypatch.setenv("PEAKEND_LOGIN_ATTEMPTS_ADDRESS", "4")  # 3 failures counted for this address so far
    assert c.post("/api/v1/login", json={"username": "staff_a", "password": "wrong"}).status_code == 401
    assert c.post("/api/v1/login", json={"username": "staff_a", "password": PASSWORD}).status_code == 429


# -- 2. extreme values ---------------------------------------------------------------------------------------
EXTREME = st.one_of(
    st.sampled_from(["9999-12-31 23:59:59", "0001-01-01", "1677-09-21", "2262-04-12", "1970-01-01", "2026-02-30",
                     "2026-11-02T10:00:00+14:00", "nan", "inf", "-inf", "1e308", "-1e308", "NaN", "", " "]),
    st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5), st.booleans(),
)
TYPED = {k: [f.name for f in FIELDS[k] if f.type != "text"] for k in FIELDS}


@FEW
@given(st.lists(st.tuples(st.sampled_from(TYPED["touch"] + TYPED["visit"]), EXTREME), min_size=1, max_size=6),
       st.lists(st.tuples(st.sampled_from(TYPED["survey"]), EXTREME), min_size=1, max_size=4))
def test_extreme_values_never_stop_the_live_worker_or_a_page(tmp_path_factory, touch_values, survey_values):
    app = make_app(str(tmp_path_factory.mktemp("x") / "x.duckdb"))
    st_ = app.state.peakend
    try:
        d, admin = device(app, app.state.token_a), login(app, "admin")
        good = {"visit_id": "ok", "moment_id": "entering", "start_at": "2026-11-02 10:00", "rating": 1,
                "rating_scale": "1-5"}
        odd = {"visit_id": "odd", "moment_id": "counter_result", **dict(touch_values)}
        r = d.post("/api/v1/touches/batch", json=[good, odd])
        assert r.status_code in (200, 422)
        d.post("/api/v1/surveys", json={"visit_id": "odd", **dict(survey_values)})
        run_pending(st_.store, st_.blueprint, st_.clock())
        assert pending(st_.store) == 0 and parked(st_.store).empty  # the checks let nothing through the rules choke on
        assert st_.store.scalar("SELECT count(*) FROM touches WHERE visit_id = 'ok'") == 1
        for vid in ("ok", "odd"):
            if st_.store.scalar("SELECT count(*) FROM visits WHERE visit_id = ?", [vid]):
                assert admin.get(f"/visits/{vid}").status_code == 200
                assert admin.get(f"/api/v1/export/visit_touches.xlsx?visit={vid}").status_code == 200
                assert admin.get(f"/api/v1/export/visit_touches.csv?visit={vid}").status_code == 200
        assert admin.get(f"/halls/{quote(A)}").status_code == 200
        assert admin.post("/api/v1/score").status_code == 202 and run_jobs(app) >= 1
        assert admin.get(f"/halls/{quote(A)}").status_code == 200
    finally:
        st_.store.close()


def test_range_checks_name_the_field_and_what_was_expected(duck, bp):
    records = [{"visit_id": "v1", "hall_id": "H", "moment_id": "entering", "seq": 2**31},
               {"visit_id": "v2", "hall_id": "H", "moment_id": "entering", "start_at": "9999-01-01"},
               {"visit_id": "v3", "hall_id": "H", "moment_id": "entering", "wait_min": "inf"},
               {"visit_id": "v4", "hall_id": "H", "moment_id": "entering", "staff_id": "s" * 201},
               {"visit_id": "v5", "hall_id": "H", "moment_id": "entering", "seq": 2**31 - 1}]
    got = pipeline.ingest_records(duck, records, "touch", Context(bp), "api")
    assert got.stored == 1
    by_row = {p["row"]: (p["field"], p["code"], p["message_en"]) for p in got.problems}
    assert by_row[0][:2] == ("seq", "out_of_range") and "0–2,147,483,647" in by_row[0][2]
    assert by_row[1][:2] == ("start_at", "out_of_range") and "…" in by_row[1][2]
    assert by_row[2][:2] == ("wait_min", "out_of_range") and "0–1,440" in by_row[2][2]
    assert by_row[3][:2] == ("staff_id", "too_long") and "at most 200 characters" in by_row[3][2]
    assert duck.scalar("SELECT count(*) FROM quarantine") == 4


# -- one bad record harms only itself ------------------------------------------------------------------------
POISON = "poison"


def refusing_store_rows(original):
    """`store_rows` of a store that refuses every row naming visit id `poison` (as a store error would)."""

    def store_rows(store, kind, replace=False):
        if store.stage.execute(f"SELECT count(*) FROM typed_ok WHERE visit_id LIKE '{POISON}%'").fetchone()[0]:
            raise RuntimeError("store refused a row")
        return original(store, kind, replace)

    return store_rows


def touch(i: int, visit: str) -> dict:
    return {"touch_id": f"{visit}-{i}", "visit_id": visit, "hall_id": "H", "moment_id": "entering", "seq": i}


@settings(max_examples=8, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(1, 5), st.sets(st.integers(0, 4), max_size=2)), min_size=2, max_size=5))
@example(shape=[(3, {0, 2}), (2, set()), (5, {4}), (1, {0})])  # poisoned first, last, whole and none
def test_a_post_the_store_refuses_fails_alone_in_its_group(bp, monkeypatch, shape):
    """Posts of 1–5 records, some poisoned, ingested as one group: each post is answered as if only its
    poisoned records were refused, and only they are missing from the store."""
    posts = [Post([touch(i, f"{POISON}{k}-{i}" if i in bad else f"p{k}") for i in range(n)], "touch", f"api:{k}")
             for k, (n, bad) in enumerate(shape)]
    store = connect(":memory:")
    with monkeypatch.context() as m:
        m.setattr(pipeline, "store_rows", refusing_store_rows(pipeline.store_rows))
        group = GroupCommit(store)
        jobs = [_Job(post, Context(bp), False) for post in posts]
        group._waiting = list(jobs)  # all arrived while an ingest ran: the next turn takes them as one group
        group._run(group._take())
    assert group.groups == 1
    for job, (n, bad) in zip(jobs, shape, strict=True):
        poisoned = sorted(i for i in bad if i < n)
        assert job.error is None and job.result.stored == n - len(poisoned)
        assert [p["row"] for p in job.result.problems] == poisoned
        assert {p["code"] for p in job.result.problems} <= {"store_refused"}
    stored = {r[0] for r in store.rows("SELECT touch_id FROM touches")}
    assert not [t for t in stored if t.startswith(POISON)]
    assert len(stored) == sum(n - len([i for i in bad if i < n]) for n, bad in shape)
    assert store.scalar("SELECT count(*) FROM quarantine WHERE code = 'store_refused'") == len(
        [1 for n, bad in shape for i in bad if i < n])
    store.close()


def test_a_store_that_does_not_answer_is_503_never_500(app, monkeypatch):
    d = device(app, app.state.token_a)

    def down(*_a, **_k):
        raise ConnectionError("server closed the connection")

    monkeypatch.setattr(pipeline, "ingest_posts", down)
    monkeypatch.setattr(app.state.peakend.store, "scalar", down)
    from peakend.ingest import group_commit
    monkeypatch.setattr(group_commit, "ingest_posts", down)
    r = d.post("/api/v1/visits", json={"visit_id": "x"})
    assert r.status_code == 503 and r.headers["retry-after"]


def test_a_poisoned_visit_is_parked_and_a_restart_drains_the_rest(tmp_path, bp, monkeypatch):
    from peakend.live import rules

    db = tmp_path / "p.duckdb"
    with connect(db) as store:
        for v in ("a", "b", POISON, "c"):
            pipeline.ingest_records(store, [touch(1, v) | {"rating": 1, "rating_scale": "1-5"}], "touch",
                                    Context(bp), "api", live=True)
        assert pending(store) == 4
    real = rules.on_events

    def choking(store, bp_, ids, now):
        if POISON in ids:
            raise ValueError("rules choke on this visit")
        return real(store, bp_, ids, now)

    monkeypatch.setattr("peakend.live.pending.on_events", choking)
    with connect(db) as store:  # the server starts again with the poisoned visit in the queue
        fired = run_pending(store, bp, datetime(2026, 11, 2, 11))
        assert fired.alerts == 3 and pending(store) == 0
        got = parked(store)
        assert list(got.visit_id) == [POISON] and "rules choke" in got.reason[0]
    with connect(db) as store:  # and again: nothing left to retry, nothing fires twice
        assert run_pending(store, bp, datetime(2026, 11, 2, 11)).alerts == 0


def test_a_timer_that_fails_does_not_hold_up_the_others(duck, bp):
    from peakend.live.timers import tick

    duck.execute("INSERT INTO timers (timer_id, kind, ref, due_at) VALUES ('survey:x', 'survey', 'x', ?), "
                 "('remind:y', 'remind', 'y', ?)", [datetime(2026, 1, 1), datetime(2026, 1, 2)])
    duck.execute("INSERT INTO sms_surveys (visit_id, customer_key, hall_id, triggered_at, status) "
                 "VALUES ('x', 'k', 'H', ?, 'scheduled')", [datetime(2026, 1, 1)])

    class Down:
        def send(self, message):
            raise OSError("gateway down")

    assert tick(duck, bp, datetime(2026, 1, 3), Down()) == 1  # the reminder ran; the send stays due
    assert duck.rows("SELECT timer_id FROM timers WHERE done_at IS NULL") == [("survey:x",)]


# -- 3. scope ------------------------------------------------------------------------------------------------
def test_a_device_cannot_tell_another_halls_visit_from_no_visit(app):
    admin, d = login(app, "admin"), device(app, app.state.token_a)
    assert admin.post("/api/v1/visits", json={"visit_id": "b1", "hall_id": B}).status_code == 200
    app.state.peakend.store.execute("DELETE FROM live_pending")  # the admin's post queued it
    for kind, record in (("surveys", {"overall": 9, "overall_scale": "1-10"}), ("touches", {"moment_id": "entering"})):
        elsewhere = d.post(f"/api/v1/{kind}", json={"visit_id": "b1", **record}).json()
        absent = d.post(f"/api/v1/{kind}", json={"visit_id": "zz", **record}).json() if kind == "surveys" else None
        text = json.dumps(elsewhere, ensure_ascii=False)
        assert B not in text and elsewhere["stored"] == 0
        assert elsewhere["rejected"][0]["code"] == "unknown_visit"
        if absent is not None:
            assert absent["rejected"][0]["message_en"].replace("zz", "b1") == elsewhere["rejected"][0]["message_en"]
    taken = d.post("/api/v1/visits", json={"visit_id": "b1", "hall_id": A, "customer_key": "13812345678"}).json()
    assert taken["rejected"][0]["code"] == "visit_elsewhere" and B not in json.dumps(taken, ensure_ascii=False)
    store = app.state.peakend.store
    assert store.rows("SELECT hall_id, customer_key FROM visits WHERE visit_id = 'b1'") == [(B, None)]  # untouched
    assert store.scalar("SELECT count(*) FROM live_pending WHERE visit_id = 'b1'") == 0  # not re-queued
    refused = d.post("/api/v1/touches", json={"visit_id": "b2", "hall_id": B, "moment_id": "entering"})
    assert refused.status_code == 403
    kept = store.rows("SELECT source, code FROM quarantine WHERE record LIKE '%b2%'")
    assert kept == [("api:device:pad:touch", "forbidden_hall")]  # refused records are kept, as promised


def test_staff_see_only_their_own_cases_in_their_own_halls(app):
    store, now = app.state.peakend.store, app.state.peakend.clock()
    for case, hall, owner in (("c1", A, "staff_a"), ("c2", B, "staff_a"), ("c3", A, "other")):
        store.execute("INSERT INTO cases (case_id, visit_id, hall_id, kind, owner, status, opened_at, deadline) "
                      "VALUES (?, ?, ?, 'complaint', ?, 'open', ?, ?)", [case, case, hall, owner, now, now])
    staff = login(app, "staff_a")
    assert [c["case_id"] for c in staff.get("/api/v1/cases").json()] == ["c1"]
    assert staff.get("/api/v1/cases/c2").status_code == 404  # same name, another hall: nothing
    assert staff.post("/api/v1/cases/c2/comment", json={"text": "x"}).status_code == 404
    assert staff.get("/cases/c3").status_code == 404
    assert staff.post("/api/v1/cases/c1/comment", json={"text": "回电 138 1234 5678"}).status_code == 200
    assert "138****5678" in store.scalar("SELECT detail FROM case_events WHERE case_id = 'c1'")


def test_sms_replies_only_from_the_gateway_and_only_for_its_surveys(app):
    store, now = app.state.peakend.store, app.state.peakend.clock()
    for visit, hall in (("va", A), ("vb", B)):
        store.execute("INSERT INTO visits (visit_id, hall_id) VALUES (?, ?)", [visit, hall])
        store.execute("INSERT INTO sms_surveys (visit_id, customer_key, hall_id, triggered_at, sent_at, status) "
                      "VALUES (?, 'k1', ?, ?, ?, 'sent')", [visit, hall, now, now])
    reply = {"sender": "k1", "text": "9 很好，请打 +86 138-1234-5678"}
    assert device(app, app.state.token_a).post("/api/v1/sms/replies", json=reply).status_code == 403
    assert login(app, "admin").post("/api/v1/sms/replies", json=reply).status_code == 403
    far = device(app, app.state.sms_a).post("/api/v1/sms/replies", json={**reply, "received_at": "9999-01-01T00:00"})
    assert far.status_code == 422 and "outside" in far.text  # a gateway's clock is range-checked too
    got = device(app, app.state.sms_a).post("/api/v1/sms/replies", json=reply).json()
    assert got == {"status": "answered", "visit_id": "va"}  # vb is hall B's: this gateway token never reaches it
    assert store.rows("SELECT visit_id FROM sms_surveys WHERE status = 'answered'") == [("va",)]
    assert store.rows("SELECT reply FROM sms_surveys WHERE visit_id = 'va'") == [("9 很好，请打 138****5678",)]
    assert store.rows("SELECT comment FROM surveys") == [("很好，请打 138****5678",)]


# -- 4. phone numbers ----------------------------------------------------------------------------------------
# Zeros of scripts whose ten digits follow one another: full-width, Arabic-Indic, Extended Arabic-Indic,
# Devanagari, Bengali, Thai, mathematical bold, and the circled (NFKC reads them as 0–9).
ZEROS = ["０", "٠", "۰", "०", "০", "๐", "𝟎"]
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]  # zero-width, joiners, BOM, soft hyphen


@st.composite
def phone(draw) -> tuple[str, str]:
    """A China mobile (its 11 digits) and one way people write it: separators, prefixes, another script's digits,
    invisible characters between digits, or a space between every digit."""
    digits = "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                                                              min_size=9, max_size=9)))
    sep = draw(st.sampled_from(["", " ", "-", "."]))
    body = draw(st.sampled_from([digits, f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}", " ".join(digits)]))
    zero = draw(st.sampled_from(["0", "0", *ZEROS, "circled"]))
    if zero == "circled":
        body = "".join(CIRCLED[int(c)] if c.isdigit() else c for c in body)
    else:
        body = "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in body)
    for at in sorted(draw(st.lists(st.integers(1, len(body) - 1), max_size=4)), reverse=True):
        body = body[:at] + draw(st.sampled_from(INVISIBLE)) + body[at:]
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86", "(+86) ", "tel:", "tel:+86-", "TEL:"]))
    return digits, prefix + body


def digit_runs(text: str) -> list[str]:
    """The digits of each run of digits and phone separators in a text, read as a person would: compatibility forms
    (full-width, circled) as ASCII, invisible characters ignored, any script's digits as 0–9."""
    seen = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")
    narrow = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in seen)
    return [re.sub(r"[^0-9]", "", run) for run in re.findall(r"[0-9][0-9 ().+\-]*", narrow)]


def assert_no_phone(store, phones: list[str]) -> None:
    """Sweep every text cell of every table for each phone's digits (separators and widths ignored)."""
    tables = [r[0] for r in store.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                                       " AND table_type = 'BASE TABLE'")]
    for t in tables:
        for row in store.rows(f"SELECT * FROM {t}"):
            for cell in row:
                if isinstance(cell, str):
                    runs = digit_runs(cell)
                    assert not [p for p in phones for run in runs if p in run], (t, cell)


TEXT_FIELDS = {k: [f.name for f in FIELDS[k] if f.type == "text" and f.name not in SET_FIELDS] for k in FIELDS}


@FEW
@given(st.lists(phone(), min_size=12, max_size=12), st.sampled_from(["api", "file"]))
def test_phone_numbers_in_any_form_in_any_field_are_never_stored_in_clear(tmp_path_factory, phones, way):
    folder = tmp_path_factory.mktemp("ph")
    app = make_app(str(folder / "ph.duckdb"))
    st_ = app.state.peakend
    try:
        it = iter(phones)
        visit = {f: f"{f} 号码 {next(it)[1]}" for f in TEXT_FIELDS["visit"] if f not in KEY_FIELDS - {"customer_key"}}
        touch_row = {"visit_id": f"访客{phones[0][1]}", "hall_id": A, "moment_id": "counter_result", "rating": 1,
                     "rating_scale": "1-5", "touch_id": f"t{phones[1][1]}", "staff_id": f"工号{phones[2][1]}",
                     "outcome": "complaint", "start_at": "2026-11-02 10:00", "arrival": "2026-11-02 09:50",
                     "departure": "2026-11-02 10:30", **visit}
        bad_row = {**touch_row, "touch_id": "t-bad", "visit_id": f"x{phones[3][1]}", "moment_id": f"m{phones[4][1]}"}
        survey = {"visit_id": touch_row["visit_id"], "overall": 2, "overall_scale": "1-5",
                  "comment": f"请回电 {phones[5][1]}", "survey_id": f"s{phones[6][1]}"}
        audit = {"hall_id": A, "item": st_.blueprint.checklist[0].id, "passed": "no", "note": f"见 {phones[7][1]}",
                 "auditor": f"审{phones[8][1]}", "staff_id": phones[9][1]}
        if way == "api":
            d = device(app, app.state.token_a)
            d.post("/api/v1/touches/batch", json=[touch_row, bad_row])
            d.post("/api/v1/surveys", json=survey)
            d.post("/api/v1/audits", json=audit)
        else:
            for name, rows in (("t", [touch_row, bad_row]), ("s", [survey]), ("a", [audit])):
                header = list(rows[0])
                csv = write_csv(folder / f"{name}.csv", header, [[r[h] for h in header] for r in rows])
                ingest_file(st_.store, csv, Context(st_.blueprint))
            st_.store.execute("INSERT INTO live_pending (visit_id, queued_ns) SELECT visit_id, 1 FROM visits "
                              "ON CONFLICT DO NOTHING")
        assert st_.store.scalar("SELECT count(*) FROM touches") == 1
        run_pending(st_.store, st_.blueprint, st_.clock())
        case = st_.store.scalar("SELECT case_id FROM cases")
        assert case is not None
        mgr = login(app, "mgr_a")
        assert mgr.post(f"/api/v1/cases/{quote(case, safe='')}/comment", json={"text": f"打 {phones[10][1]}"}) \
            .status_code == 200
        assert mgr.post(f"/api/v1/cases/{quote(case, safe='')}/reassign", json={"to": phones[11][1]}).status_code \
            == 200
        assert_no_phone(st_.store, [p for p, _ in phones])
    finally:
        st_.store.close()


def test_phone_ids_still_join(duck, bp):
    """A phone in an id is its keyed hash: the touch finds its visit, the survey its visit."""
    sent = pipeline.ingest_records(duck, [{"visit_id": "13812345678", "hall_id": "H", "moment_id": "entering"}],
                                   "touch", Context(bp), "api")
    later = pipeline.ingest_records(duck, [{"visit_id": "+86 138-1234-5678", "moment_id": "leaving"}],
                                    "touch", Context(bp), "api")
    wide = {"visit_id": "１３８１２３４５６７８", "overall": 4, "overall_scale": "1-5"}
    survey = pipeline.ingest_records(duck, [wide], "survey", Context(bp), "api")
    assert (sent.stored, later.stored, survey.stored) == (1, 1, 1)
    assert duck.rows("SELECT count(DISTINCT visit_id), min(visit_id) LIKE 'ph_%' FROM touches") == [(1, True)]


# -- 5. size limits ------------------------------------------------------------------------------------------
def test_sizes_are_limited_before_parsing_with_the_limit_named(app, monkeypatch):
    d = device(app, app.state.token_a)
    monkeypatch.setenv("PEAKEND_MAX_BODY_BYTES", "1000")
    r = d.post("/api/v1/touches/batch", content=b"[" + b" " * 2000 + b"]", headers={"content-type": "application/json"})
    assert r.status_code == 413 and "1,000 bytes" in r.json()["detail"]

    def chunks():
        yield b"["
        for _ in range(100):
            yield b" " * 50
        yield b"]"

    r = d.post("/api/v1/touches/batch", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413  # no Content-Length: counted as it streams in
    monkeypatch.setenv("PEAKEND_MAX_BODY_BYTES", str(10**7))
    monkeypatch.setenv("PEAKEND_MAX_BATCH", "3")
    r = d.post("/api/v1/visits/batch", json=[{"visit_id": f"v{i}"} for i in range(4)])
    assert r.status_code == 413 and "at most 3 records" in r.json()["detail"]
    monkeypatch.setenv("PEAKEND_MAX_TEXT_CHARS", "10")
    staff_note = d.post("/api/v1/surveys/batch", json=[{"visit_id": "v0", "comment": "x" * 11}]).json()
    assert staff_note["rejected"][0]["code"] in ("too_long", "unknown_visit")


def test_case_notes_are_limited_in_forms_and_api_alike(app, monkeypatch):
    store, now = app.state.peakend.store, app.state.peakend.clock()
    store.execute("INSERT INTO cases (case_id, visit_id, hall_id, kind, owner, status, opened_at, deadline) "
                  "VALUES ('c1', 'c1', ?, 'complaint', 'staff_a', 'open', ?, ?)", [A, now, now])
    monkeypatch.setenv("PEAKEND_MAX_TEXT_CHARS", "20")
    staff = login(app, "staff_a")
    assert staff.post("/api/v1/cases/c1/comment", json={"text": "x" * 21}).status_code == 422
    page = staff.post("/cases/c1?lang=en", data={"action": "comment", "text": "x" * 21})
    assert page.status_code == 422 and "at most 20 characters" in page.text
    page = staff.post("/cases/c1?lang=zh", data={"action": "comment", "text": "x" * 21})
    assert "最多 20 个字符" in page.text
    assert staff.post("/cases/c1", data={"action": "comment", "text": "ok"}).status_code == 303
    assert cases_mod.trail(store, "c1").detail.tolist() == ["ok"]


# -- 6. pages read what is stored ----------------------------------------------------------------------------
def test_a_visit_ingested_after_scoring_shows_its_touches(app):
    admin = login(app, "admin")
    first = [{"touch_id": "a1", "visit_id": "v1", "hall_id": A, "moment_id": "entering", "rating": 4,
              "rating_scale": "1-5", "start_at": "2026-11-02 10:00"}]
    assert admin.post("/api/v1/touches/batch", json=first).status_code == 200
    assert admin.post("/api/v1/score").status_code == 202 and run_jobs(app) >= 1
    later = [{"touch_id": f"b{i}", "visit_id": "v2", "hall_id": A, "moment_id": m, "rating": r, "rating_scale": "1-5",
              "start_at": f"2026-11-02 11:0{i}", "seq": i} for i, (m, r) in enumerate([("entering", 5),
                                                                                       ("leaving", 2)])]
    assert admin.post("/api/v1/touches/batch", json=later).status_code == 200
    got = admin.get("/api/v1/visits/v2").json()
    assert [t["touch_id"] for t in got["touches"]] == ["b0", "b1"]
    # by hand: e = 1 (5 of 1–5) then −0.5 (2 of 1–5); peak 1 (largest |e|), end −0.5: REI = 50·(1 + 0.25) = 62.5
    assert got["visit"]["rei"] == pytest.approx(62.5) and got["visit"]["peak_moment"] == "entering"
    page = admin.get("/visits/v2")
    assert page.status_code == 200 and page.text.count('class="end"') == 1
    store, now = app.state.peakend.store, app.state.peakend.clock()
    store.execute("INSERT INTO cases (case_id, visit_id, hall_id, kind, owner, status, opened_at, deadline) "
                  "VALUES ('v2', 'v2', ?, 'negative_end', 'staff_a', 'open', ?, ?)", [A, now, now])
    case = login(app, "staff_a").get("/cases/v2?lang=en")
    rows = case.text.split('id="case-touches"')[1].split("</table>")[0]
    assert rows.count("<tr>") == 3 and "Leaving" in rows and rows.count('class="peak"') == 1


def test_exports_never_hand_a_spreadsheet_a_formula(app):
    import io

    import openpyxl

    admin = login(app, "admin")
    sent = [{"touch_id": "f1", "visit_id": "=HYPERLINK(\"http://x\")", "hall_id": A, "moment_id": "entering",
             "staff_id": "@SUM(1+1)", "source": "+cmd|' /C calc'!A0"}]
    assert admin.post("/api/v1/touches/batch", json=sent).status_code == 200
    visit = quote(sent[0]["visit_id"], safe="")
    text = admin.get(f"/api/v1/export/visit_touches.csv?visit={visit}").content.decode("utf-8-sig")
    assert "'@SUM(1+1)" in text and "'+cmd" in text and ",=HYPERLINK" not in text
    book = openpyxl.load_workbook(io.BytesIO(admin.get(f"/api/v1/export/visit_touches.xlsx?visit={visit}").content))
    cells = [c.value for row in book.active.iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://x\")" in cells and not [c for c in cells if isinstance(c, str) and c.startswith("=")]


def test_login_sends_only_to_this_site_and_refuses_huge_credentials(app):
    c = TestClient(app, follow_redirects=False, headers=ORIGIN)
    for evil in ("//evil.example/", "/\\evil.example", "https://evil.example/", "/\\/evil.example"):
        r = c.post("/login", data={"username": "admin", "password": PASSWORD, "next": evil})
        assert r.status_code == 303 and r.headers["location"] == "/", evil
    assert c.post("/api/v1/login", json={"username": "a" * 201, "password": "x"}).status_code == 422
    assert c.post("/api/v1/login", json={"username": "admin", "password": "x" * 1025}).status_code == 422


def test_a_request_cannot_make_thousands_of_columns(app):
    d = device(app, app.state.token_a)
    wide = [{"visit_id": f"w{i}", **{f"x{i}_{k}": 1 for k in range(20)}} for i in range(10)]
    r = d.post("/api/v1/visits/batch", json=wide)
    assert r.status_code == 422 and "at most 64 field names" in r.text
    assert d.post("/api/v1/visits/batch", json=wide[:3]).status_code == 200  # 60 extra names: kept as noted
