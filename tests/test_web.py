"""The web app: ingest API, roles and hall scoping on every endpoint, pages, exports.

Runs on the embedded store and on the PostgreSQL server. Two halls, A and B; a manager of
A must never see B, by page or by API.
"""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
from urllib.parse import quote

import openpyxl
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from peakend.live.pending import run_pending
from peakend.live.rules import Fired
from peakend.service.figures import moment_figures
from peakend.web import api, exports, live, pages, whatif
from peakend.web.app import create_app
from tests.conftest import add_token, add_user, empty_postgres, run_jobs, scored_through_api

A, B = "天河北厅", "花都新华厅"
PASSWORD = "correct horse"


def touches(hall: str, visit: str, ratings: list[tuple[str, int]]) -> list[dict]:
    """Rated touches of one visit, one minute apart."""
    return [
        {"touch_id": f"{visit}-{i}", "visit_id": visit, "hall_id": hall, "moment_id": m, "seq": i,
         "start_at": f"2026-11-02 10:0{i}", "rating": r, "rating_scale": "1-5"}
        for i, (m, r) in enumerate(ratings, start=1)
    ]


def make_app(url: str):
    """The web app on `url` with an admin, hall A's manager and staff, a device token of A (`token_a`), one of B
    (`token_b`) and the SMS gateway's tokens for every hall (`token_sms`) and for A (`sms_a`)."""
    app = create_app(url, secret="test-secret")
    store = app.state.peakend.store
    add_user(store, "admin", PASSWORD, "admin")
    add_user(store, "mgr_a", PASSWORD, "manager", [A])
    add_user(store, "staff_a", PASSWORD, "staff", [A])
    app.state.token_a = add_token(store, A, "pad")
    app.state.token_b = add_token(store, B, "pad b")
    app.state.token_sms = add_token(store, "*", "gateway", "sms")
    app.state.sms_a = add_token(store, A, "sms", "sms")
    return app


@pytest.fixture(params=["duckdb", "postgres"])
def app(request, tmp_path):
    url = str(tmp_path / "web.duckdb") if request.param == "duckdb" else empty_postgres()
    app = make_app(url)
    store = app.state.peakend.store
    yield app
    store.close()


ORIGIN = {"Origin": "http://testserver"}  # as a browser names the page a form was posted from


def client(app, who: str | None = None) -> TestClient:
    c = TestClient(app, follow_redirects=False, headers=ORIGIN)
    if who:
        assert c.post("/api/v1/login", json={"username": who, "password": PASSWORD}).status_code == 200
    return c


def device(app) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {app.state.token_a}"})


def live_rules(app) -> Fired:
    """One pass of the live worker (its thread runs only inside the app's lifespan, which these clients skip)."""
    st = app.state.peakend
    assert st.live_wake.is_set()  # the API woke the worker
    st.live_wake.clear()
    return run_pending(st.store, st.blueprint, st.clock())


@pytest.fixture
def scored(app):
    d = device(app)
    assert d.post("/api/v1/touches/batch", json=touches(A, "a1", [("entering", 4), ("counter_result", 1),
                                                                    ("leaving", 5)])).status_code == 200
    admin = client(app, "admin")
    b_touches = touches(B, "b1", [("entering", 2), ("leaving", 2)])
    assert admin.post("/api/v1/touches/batch", json=b_touches).status_code == 200
    live_rules(app)
    assert scored_through_api(admin, app)["visits"] == 2
    return app


def test_batch_stores_good_records_names_bad_ones_and_quarantines_them(app):
    d = device(app)
    batch = [*touches(A, "v1", [("entering", 4), ("leaving", 5)]),
             {"visit_id": "v1", "moment_id": "coffee", "seq": 3},
             {"visit_id": "v1", "moment_id": "leaving", "rating": 9, "rating_scale": "1-5", "seq": 4}]
    r = d.post("/api/v1/touches/batch", json=batch)
    assert r.status_code == 422
    body = r.json()
    assert body["stored"] == 2
    assert [(x["index"], x["field"], x["code"]) for x in body["rejected"]] == [
        (2, "moment_id", "not_in_set"), (3, "rating", "out_of_range")]
    assert "coffee" in body["rejected"][0]["message_en"] and "coffee" in body["rejected"][0]["message_zh"]
    again = d.post("/api/v1/touches/batch", json=batch[:2])  # a retry stores once
    assert again.status_code == 200 and again.json() == {"stored": 0, "duplicates": 2, "rejected": [], "conflicts": [],
                                                         "queued": 1}
    q = client(app, "admin").get("/api/v1/quarantine").json()
    assert sorted((x["row_number"], x["field"]) for x in q) == [(2, "moment_id"), (3, "rating")]


def test_single_event_and_device_scope(app):
    d = device(app)
    ok = d.post("/api/v1/visits", json={"visit_id": "s1", "arrival": "2026-11-02 09:00"})
    assert ok.status_code == 200 and ok.json()["stored"] == 1  # hall filled in from the token
    other = d.post("/api/v1/visits", json={"visit_id": "s2", "hall_id": B})
    assert other.status_code == 403 and other.json()["rejected"][0]["code"] == "forbidden_hall"
    assert d.get("/api/v1/halls").status_code == 403  # devices only write
    assert TestClient(app).post("/api/v1/visits", json={"visit_id": "s3", "hall_id": A}).status_code == 401
    bad_token = TestClient(app, headers={"Authorization": "Bearer nope"})
    assert bad_token.post("/api/v1/visits", json={"visit_id": "s3", "hall_id": A}).status_code == 401
    assert client(app, "mgr_a").post("/api/v1/visits", json={"visit_id": "s4", "hall_id": A}).status_code == 403


def test_posts_arriving_during_an_ingest_are_answered_by_one_more(app):
    """Group commit through the API: a known device's posts get past auth while the store is busy, and
    the posts that waited are ingested together, each answered as its own."""
    st = app.state.peakend
    d = device(app)
    assert d.post("/api/v1/touches", json=touches(A, "w0", [("entering", 4)])[0]).status_code == 200
    answers: dict[int, object] = {}
    groups = st.ws.intake.group.groups

    def post(k: int) -> None:
        answers[k] = device(app).post("/api/v1/touches/batch", json=touches(A, f"g{k}", [("entering", 4)] * (k + 1)))

    st.ws.override = st.ws.blueprint  # the blueprint held: no look for a newer one (it waits for the store held here)
    with st.store.lock:  # an ingest (or a pass of the live rules) holds the store
        first = threading.Thread(target=post, args=(0,))
        first.start()
        deadline = time.monotonic() + 120  # (a bound, not a timing: it goes on as soon as the post is there)
        while not st.ws.intake.group._turn.locked() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert st.ws.intake.group._turn.locked()  # the first post passed auth without the store and waits to ingest
        others = [threading.Thread(target=post, args=(k,)) for k in (1, 2)]
        for t in others:
            t.start()
        while len(st.ws.intake.group._waiting) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
    for t in [first, *others]:
        t.join(30)
    assert st.ws.intake.group.groups == groups + 2  # the first post alone, then the two that waited for it together
    assert [(answers[k].status_code, answers[k].json()["stored"]) for k in (0, 1, 2)] == [(200, 1), (200, 2), (200, 3)]


def test_survey_of_another_halls_visit_is_answered_as_if_absent(scored):
    d = device(scored)
    assert d.post("/api/v1/surveys", json={"visit_id": "a1", "overall": 9, "overall_scale": "1-10"}).status_code == 200
    r = d.post("/api/v1/surveys", json={"visit_id": "b1", "overall": 9, "overall_scale": "1-10"})
    assert r.status_code == 422 and r.json()["rejected"][0]["code"] == "unknown_visit" and B not in r.text


def test_unreadable_body_is_422_not_500(app):
    d = device(app)
    assert d.post("/api/v1/touches/batch", content=b"{not json", headers={"content-type": "application/json"}
                  ).status_code == 422
    assert d.post("/api/v1/touches/batch", json={"not": "a list"}).status_code == 422
    r = d.post("/api/v1/touches/batch", json=[{"visit_id": "v1", "rating": {"value": 4}}, 7])
    assert r.status_code == 422  # a contract field must be a scalar; each record an object
    assert [(x["loc"], x["type"]) for x in r.json()["detail"]] == [
        (["body", 0, "rating"], "scalar_type"), (["body", 1], "dict_type")]
    assert d.post("/api/v1/touches", json=[]).status_code == 422  # one event is an object
    odd = touches(A, "v9", [("entering", 4)])[0] | {"staff_id": "S[1]{x}", "end_at": None, "note": ["kept"]}
    r = d.post("/api/v1/touches", json=odd)  # brackets in text, an explicit null, a list outside the contract
    assert r.status_code == 200 and r.json()["stored"] == 1
    assert client(app, "admin").get("/api/v1/visits/v9").json()["touches"][0]["staff_id"] == "S[1]{x}"


def b_paths() -> list[str]:
    """Every read of hall B's data, by page and by API."""
    b = quote(B)
    return [
        f"/api/v1/halls/{b}", f"/api/v1/halls/{b}/moments/leaving", "/api/v1/visits/b1",
        f"/api/v1/export/moments.csv?hall={b}", f"/api/v1/export/falls.xlsx?hall={b}",
        f"/api/v1/export/distribution.csv?hall={b}&moment=leaving",
        f"/api/v1/export/worst_visits.csv?hall={b}&moment=leaving", "/api/v1/export/visit_touches.csv?visit=b1",
        f"/halls/{b}", f"/halls/{b}/moments/leaving", "/visits/b1",
        f"/api/v1/halls/{b}/live", f"/api/v1/cases?hall={b}", f"/cases?hall={b}", "/api/v1/cases/b1", "/cases/b1",
        f"/halls/{b}/whatif", f"/api/v1/halls/{b}/whatif", f"/api/v1/export/whatif.csv?hall={b}",
        f"/api/v1/halls/{b}/loyalty", f"/api/v1/export/loyalty_moments.csv?hall={b}",
        f"/api/v1/export/audit_checks.csv?hall={b}", f"/staff?hall={b}", f"/api/v1/staff?hall={b}",
    ]


def test_manager_of_a_never_sees_b(scored):
    mgr = client(scored, "mgr_a")
    for path in b_paths():
        assert mgr.get(path).status_code in (403, 404), path
    assert [h["hall_id"] for h in mgr.get("/api/v1/halls").json()] == [A]
    assert B not in mgr.get("/api/v1/export/halls.csv").content.decode("utf-8-sig")
    for path in ("/api/v1/quarantine", "/api/v1/export/quarantine.csv", "/api/v1/live/backlog"):
        assert mgr.get(path).status_code == 403, path
    assert B not in mgr.get("/quality").text  # the quarantine of their halls only
    assert mgr.post("/blueprint", data={"text": "x"}).status_code == 403
    admin = client(scored, "admin")
    for path in b_paths():  # figures computed as jobs answer 202 (API) until they are computed
        assert admin.get(path).status_code in ((202, 200) if "whatif" in path or "loyalty" in path else (200,)), path
    run_jobs(scored)
    for path in b_paths():
        assert admin.get(path).status_code == 200, path
    assert admin.get("/halls/NOPE").status_code == 404  # a hall the store has never heard of: no empty dashboard
    assert mgr.get(f"/halls/{A}").status_code == 200


def test_staff_sees_the_playbook_only(scored):
    staff = client(scored, "staff_a")
    assert staff.get("/blueprint").status_code == 200
    for path in ["/", "/api/v1/halls", f"/halls/{quote(A)}", f"/api/v1/halls/{quote(A)}"]:
        assert staff.get(path).status_code == 403, path


def test_staff_start_at_their_inbox_and_a_refusal_names_the_role_and_the_pages_onward(tmp_path):
    """Staff land on their halls' inbox (not the playbook); a page their role does not include answers 403 with a
    page in the reader's language: what they tried (escaped), their role by its name, links to what they can open."""
    app = make_app(str(tmp_path / "r.duckdb"))
    try:
        add_user(app.state.peakend.store, "aud_a", PASSWORD, "auditor", [A])
        staff = TestClient(app, follow_redirects=False, headers=ORIGIN)
        landed = staff.post("/login", data={"username": "staff_a", "password": PASSWORD, "next": "/"})
        assert landed.status_code == 303 and landed.headers["location"] == "/inbox"
        assert staff.get("/inbox").status_code == 200
        for lang, role, tried in (("zh", "（员工）", "营业厅页面"), ("en", "(Staff)", "hall page")):
            page = staff.get(f"/halls/{quote('x<b>y')}", params={"lang": lang})
            assert page.status_code == 403 and role in page.text and tried in page.text, page.text
            assert "x&lt;b&gt;y" in page.text and "x<b>y" not in page.text  # the path as text, not markup
            links = re.findall(r'<ul id="refused-pages">(.*?)</ul>', page.text, re.S)[0]
            assert re.findall(r'href="([^"]+)"', links) == ["/inbox", "/cases", "/staff", "/blueprint", "/training"]
            assert all(staff.get(link).status_code == 200 for link in ["/inbox", "/cases", "/staff", "/blueprint"])
        network = staff.get("/", params={"lang": "en"})
        assert network.status_code == 403 and "You tried to open: <b>Network</b>" in network.text
        auditor = client(app, "aud_a")
        page = auditor.get("/", params={"lang": "zh"})
        assert page.status_code == 403 and "（暗访员）" in page.text and 'href="/audit"' in page.text
        page = client(app, "mgr_a").get("/admin/activity", params={"lang": "zh"})
        assert page.status_code == 403 and "（厅经理）" in page.text and "操作日志" in page.text
        assert f'href="/halls/{quote(A, safe="")}"' in page.text  # their hall's page, by the hall's name
    finally:
        app.state.peakend.store.close()


def test_every_route_refuses_strangers(scored):
    """Each API route answers 401 and each page sends to the login form without a session."""
    stranger = client(scored)
    open_paths = {"/login", "/static/vega.js", "/static/peakend.js", "/api/v1/login", "/openapi.json", "/docs",
                  "/docs/oauth2-redirect", "/redoc"}
    checked = 0
    for route in [*api.router.routes, *pages.router.routes, *live.router.routes, *exports.router.routes,
                  *whatif.router.routes]:
        if not isinstance(route, APIRoute) or route.path in open_paths:
            continue
        path = route.path.replace("{hall_id}", quote(A)).replace("{moment_id}", "leaving").replace(
            "{visit_id}", "a1").replace("{table}.{fmt}", "halls.csv").replace("{case_id}", "b1").replace(
            "{job_id}", "nope")
        for method in route.methods:
            if path.startswith("/api/"):
                body = [] if path.endswith("batch") else {"text": "x", "to": "x", "sender": "x"}
                r = stranger.request(method, path, json=body)
            else:
                form = {"text": "x", "action": "comment"} if method == "POST" else None
                r = stranger.request(method, path, data=form)
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, path, r.status_code)
            else:
                assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, path)
            checked += 1
    assert checked >= 20


def test_hall_figures_and_visit_timeline(scored):
    admin = client(scored, "admin")
    hall = admin.get(f"/api/v1/halls/{quote(A)}").json()
    leaving = next(m for m in hall["moments"] if m["moment_id"] == "leaving")
    assert leaving["mean_e"] == pytest.approx(1.0)
    v = admin.get("/api/v1/visits/a1").json()
    # e = [0.5, -1, 1]: |e| ties between -1 and 1, the later (leaving) is the peak; end is 1.
    assert [t["is_peak"] for t in v["touches"]] == [False, False, True]
    assert [t["is_end"] for t in v["touches"]] == [False, False, True]
    assert v["visit"]["rei"] == pytest.approx(100.0)
    assert "customer_key" not in v["visit"]


def test_phone_shows_masked_never_in_clear(app):
    sent = [{**t, "customer_key": "+86 138 1234 5678"} for t in touches(A, "a7", [("entering", 4), ("leaving", 5)])]
    assert device(app).post("/api/v1/touches/batch", json=sent).status_code == 200
    admin = client(app, "admin")
    v = admin.get("/api/v1/visits/a7").json()["visit"]
    assert v["customer_mask"] == "138****5678" and "customer_key" not in v
    page = admin.get("/visits/a7").text
    assert "138****5678" in page and "1234 5678" not in page and "12345678" not in page


def test_a_visit_without_an_arrival_arrived_at_its_first_touch(app):
    """No arrival time and no survey: the visit page shows its earliest touch's time (10:02, though sent second) as
    the arrival and says so; with no time at all it shows "–" and why; a visit with no touch says why it has no
    timeline."""
    sent = [{**t, "start_at": at} for t, at in zip(touches(A, "a9", [("entering", 4), ("leaving", 5)]),
                                                 ["2026-11-02 10:05", "2026-11-02 10:02"], strict=True)]
    sent += [{k: v for k, v in t.items() if k != "start_at"} for t in touches(A, "a10", [("leaving", 2)])]
    assert device(app).post("/api/v1/touches/batch", json=sent).status_code == 200
    app.state.peakend.store.execute("INSERT INTO visits (visit_id, hall_id) VALUES ('a11', ?)", [A])
    admin = client(app, "admin")
    v = admin.get("/api/v1/visits/a9").json()["visit"]
    assert v["arrival"].startswith("2026-11-02T10:02") and v["arrival_from"] == "touch"
    for lang, said in (("en", "(from its first touch)"), ("zh", "（按第一个触点的时间）")):
        arrival = re.search(r'<span id="arrival">(.*?)</span></p>', admin.get(f"/visits/a9?lang={lang}").text, re.S)
        assert " ".join(re.sub(r"<[^>]+>", " ", arrival.group(1)).split()) == f"2026-11-02 10:02 {said}"
    touches_table = admin.get("/visits/a9?lang=zh").text.split('id="touches"')[1].split("</table>")[0]
    assert "来源" not in touches_table and touches_table.count("<td>") == 2 * 3  # no source: #, moment, peak mark
    untimed = admin.get("/visits/a10?lang=en").text
    assert "— <small" in untimed and "(neither the visit nor its touches have a time)" in untimed
    empty = {lang: admin.get(f"/visits/a11?lang={lang}").text for lang in ("zh", "en")}
    assert 'id="no-touches"' in empty["en"] and "This visit has no touches recorded" in empty["en"]
    assert "这次来访没有触点记录" in empty["zh"] and 'id="touches"' not in empty["zh"]


def test_a_visit_all_neutral_marks_no_peak(app):
    """Ratings of 3 (of 1–5) are e 0: the visit's peak is 0, which is no peak to mark (its end still is)."""
    admin = client(app, "admin")
    sent = visit_touches(A, "z0", "2026-11-02", [("entering", 3), ("leaving", 3)])
    assert admin.post("/api/v1/touches/batch", json=sent).status_code == 200
    scored_through_api(admin, app)
    page = admin.get("/visits/z0?lang=en").text
    assert '<span class="end">' in page and '<span class="peak">' not in page


def test_exports_match_the_api(scored):
    admin = client(scored, "admin")
    csv = admin.get("/api/v1/export/halls.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("hall_id,") and len(lines) == 3
    xlsx = admin.get(f"/api/v1/export/moments.xlsx?hall={quote(A)}")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    api = admin.get(f"/api/v1/halls/{quote(A)}").json()["moments"]
    assert len(rows) - 1 == len(api) and rows[0][: 2] == ("hall_id", "moment_id")
    logged = scored.state.peakend.ws.activity.recent(2, "export")  # who downloaded what: in the activity log
    assert list(zip(logged["actor"], logged["target"], strict=True)) == [("admin", "moments.xlsx"),
                                                                         ("admin", "halls.csv")]
    assert '"rows": 2' in logged["detail"].iloc[1]


def test_pages_switch_language(scored):
    admin = client(scored, "admin")
    zh = admin.get(f"/halls/{quote(A)}")
    assert zh.status_code == 200 and "<h2>实时服务</h2>" in zh.text
    en = admin.get(f"/halls/{quote(A)}?lang=en")
    assert "<h2>Live service</h2>" in en.text and "实时服务" not in en.text and en.cookies.get("lang") == "en"


def test_blueprint_edit_is_checked_and_versioned(scored):
    admin = client(scored, "admin")
    page = admin.get("/blueprint/yaml")
    text = html.unescape(page.text.split('id="blueprint-text">', 1)[1].split("</textarea>", 1)[0])
    broken = text.replace("counter_result, leaving]", "no_such_moment, leaving]", 1)
    assert broken != text
    r = admin.post("/blueprint", data={"text": broken})
    assert r.status_code == 422 and "no_such_moment" in r.text
    ok = admin.post("/blueprint", data={"text": text.replace("2026.11-1", "2026.11-2")})
    assert ok.status_code == 200 and 'id="saved"' in ok.text
    assert scored.state.peakend.blueprint.version == "2026.11-2"


def test_wrong_password(app):
    c = client(app)
    assert c.post("/api/v1/login", json={"username": "admin", "password": "nope"}).status_code == 401
    assert c.post("/login", data={"username": "ghost", "password": "x"}).status_code == 401


def test_live_rules_fire_from_the_api_and_cases_follow_roles(scored):
    d, mgr, staff = device(scored), client(scored, "mgr_a"), client(scored, "staff_a")
    # A customer still in hall A rates a counter 1 of 5: a recovery alert at once; a retry fires nothing.
    bad = touches(A, "a2", [("entering", 4), ("counter_result", 1)])
    bad[0]["staff_id"] = "staff_a"
    assert d.post("/api/v1/touches/batch", json=bad).json()["queued"] == 1
    assert client(scored, "admin").get("/api/v1/live/backlog").json() == {"pending": 1, "parked": 0}
    assert live_rules(scored) == Fired(alerts=1)
    assert d.post("/api/v1/touches/batch", json=bad).json()["queued"] == 1
    assert live_rules(scored) == Fired()
    live_a = mgr.get(f"/api/v1/halls/{quote(A)}/live").json()
    assert [a["alert_id"] for a in live_a["alerts"]] == ["a2-2:low_e"] and live_a["figures"]["alerts"] == 1
    from peakend.text.training import library

    serves = {m.id: m.moments for m in library().modules}
    train = live_a["alerts"][0]["train"]  # what to train for the alert's moment: modules that serve it
    assert len(train) == 2 and all("counter_result" in serves[d["id"]] for d in train)
    assert f'href="/training#{train[0]["id"]}"' in mgr.get(f"/halls/{quote(A)}").text
    # The customer leaves unresolved: a case owned by the first touch's staff member.
    leave = {"touch_id": "a2-3", "visit_id": "a2", "moment_id": "leaving", "seq": 3, "outcome": "unresolved",
             "start_at": "2026-11-02 10:09", "departure": "2026-11-02 10:10"}
    assert d.post("/api/v1/touches", json=leave).status_code == 200
    assert live_rules(scored).cases == 1
    assert [c["case_id"] for c in staff.get("/api/v1/cases").json()] == ["a2"]  # own cases only
    assert [c["case_id"] for c in mgr.get("/api/v1/cases").json()] == ["a2"]  # hall A only (b1 is B's)
    assert [c["case_id"] for c in client(scored, "admin").get("/api/v1/cases").json()] == ["a2", "b1"]
    assert staff.post("/api/v1/cases/a2/reassign", json={"to": "x"}).status_code == 403
    assert staff.post("/api/v1/cases/a2/comment", json={"text": "回电客户"}).status_code == 200
    assert mgr.post("/api/v1/cases/a2/resolve", json={"text": "办结：已补办"}).status_code == 200
    assert mgr.post("/api/v1/cases/a2/resolve", json={"text": "again"}).status_code == 409
    trail = mgr.get("/api/v1/cases/a2").json()["trail"]
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("system", "opened"), ("staff_a", "comment"), ("mgr_a", "resolve")]
    page = mgr.get(f"/halls/{quote(A)}?lang=en").text
    assert "Recovery alerts today" in page and "Live service" in page
    floor = page.split('id="floor">')[1].split("</svg>")[0]  # the touchpoint map, today's alert pinned at counters
    assert '<g class="pin" data-zone="counters">' in floor and "<script" not in floor


def test_case_page_forms(scored):
    admin = client(scored, "admin")
    assert "b1" in admin.get("/cases?lang=en").text
    r = admin.post("/cases/b1", data={"action": "resolve", "text": ""})
    assert r.status_code == 422 and "resolution note" in r.text
    assert admin.post("/cases/b1", data={"action": "reassign", "text": "S9"}).status_code == 303
    logged = scored.state.peakend.ws.activity.recent(1, "case_reassigned")
    assert logged[["actor", "target", "detail"]].iloc[0].tolist() == ["admin", "b1", '{"to": "S9"}']
    assert admin.post("/cases/b1", data={"action": "resolve", "text": "called back"}).status_code == 303
    page = admin.get("/cases/b1?lang=en").text
    assert "resolved" in page and "called back" in page and "S9" in page


def test_sms_reply_by_the_gateway_only(scored):
    gateway = TestClient(scored, headers={"Authorization": f"Bearer {scored.state.token_sms}"})
    r = gateway.post("/api/v1/sms/replies", json={"sender": "13800000009", "text": "TD"})
    assert r.json() == {"status": "opted_out", "visit_id": None}
    assert device(scored).post("/api/v1/sms/replies", json={"sender": "1", "text": "5"}).status_code == 403
    assert client(scored, "mgr_a").post("/api/v1/sms/replies", json={"sender": "1", "text": "5"}).status_code == 403


def test_nul_in_path_query_or_text_is_422_not_500(scored):
    admin = client(scored, "admin")
    for path in ("/api/v1/cases?hall=%00", "/api/v1/cases/a%00", f"/api/v1/halls/{quote(A)}%00", "/visits/x%00"):
        assert admin.get(path).status_code == 422, path
    assert admin.post("/api/v1/cases/b1/comment", json={"text": "a\u0000b"}).status_code == 422
    assert admin.post("/api/v1/sms/replies", json={"sender": "1\u0000", "text": "5"}).status_code == 422
    assert client(scored).post("/api/v1/login", json={"username": "a\u0000", "password": "x"}).status_code == 401
    assert admin.post("/cases/b1", data={"action": "comment", "text": "a\u0000"}).status_code == 422


def test_what_if_page_and_api(app, bp, tmp_path):
    """A week of a known hall: its fitted self unchanged predicts exactly itself; three more counters cut waits."""
    from datetime import date

    from peakend.ingest.pipeline import ingest_file
    from peakend.ingest.validate import Context
    from peakend.simulate.run import simulate, write_events
    from tests.test_fit import TRUE

    store = app.state.peakend.store
    for f in write_events(simulate(TRUE.model_copy(update={"hall_id": A}), bp, date(2026, 10, 5), days=7), tmp_path):
        assert ingest_file(store, f, Context(bp)).quarantined == 0
    mgr = client(app, "mgr_a")
    asked = mgr.get(f"/api/v1/halls/{quote(A)}/whatif")  # a job: nothing computed yet
    assert asked.status_code == 202 and asked.json()["job"]["state"] == "queued"
    assert mgr.get(f"/api/v1/jobs/{asked.json()['job']['job_id']}").json()["state"] == "queued"
    assert run_jobs(app) == 1
    same = mgr.get(f"/api/v1/halls/{quote(A)}/whatif").json()
    assert same["day"] == "2026-10-11" and same["change"] == {}
    days = {d["series"]: d for d in same["day_figures"]}
    assert days["whatif"]["wait"] == days["now"]["wait"]  # the same random numbers: no change, no difference
    assert days["today"]["visits"] == int(store.scalar(
        "SELECT count(*) FROM visits WHERE CAST(arrival AS DATE) = DATE '2026-10-11'"))
    assert mgr.get(f"/api/v1/halls/{quote(A)}/whatif?add.counter_handling=3&closes=12").status_code == 202
    run_jobs(app)
    more = mgr.get(f"/api/v1/halls/{quote(A)}/whatif?add.counter_handling=3&closes=12").json()
    figures = {d["series"]: d for d in more["day_figures"]}
    assert figures["whatif"]["wait"] < figures["now"]["wait"]
    assert figures["whatif"]["visits"] < figures["now"]["visits"]  # closing at 12 turns the last hour away
    opened = [h["hour"] for h in more["hours"] if (h["visits_whatif"] or 0) > 0]
    assert more["whatif"]["closes"] == 12 and max(opened) == 11
    bad = mgr.get(f"/api/v1/halls/{quote(A)}/whatif?add.counter_handling=lots")
    assert bad.status_code == 422 and "servers added in every hour takes a whole number, not “lots”" in (
        bad.json()["detail"]) and bad.json()["param"] == "add.counter_handling"  # the words, and the parameter
    computing = mgr.get(f"/halls/{quote(A)}/whatif?add.counter_handling=3&lang=en")
    assert computing.status_code == 200 and 'id="whatif-job"' in computing.text and "whatif-day" not in computing.text
    run_jobs(app)
    page = mgr.get(f"/halls/{quote(A)}/whatif?add.counter_handling=3&lang=en")
    assert page.status_code == 200 and 'id="whatif-job"' not in page.text
    assert re.search(r"computed \d+ (s|min) ago", page.text)  # the answer's age
    assert page.status_code == 200 and 'id="whatif-day"' in page.text and "spec-whatif" in page.text
    assert "<td>Counter handling</td>" in page.text and "<td>counter_handling</td>" not in page.text  # names
    assert 'id="misfit"' not in page.text  # the fitted hall reproduces the day it was fitted on
    assert "<td>11:00–12:00</td>" in page.text and "in every open hour" in page.text  # hours read as spans
    assert re.search(r"<td>\d\d:00–\d\d:00 \d", page.text)  # servers now, by runs of hours
    assert mgr.get(f"/halls/{quote(A)}/whatif?closes=99").status_code == 422
    assert mgr.get(f"/halls/{quote(A)}/whatif?closes=6").status_code == 200  # before opening: the job says so
    run_jobs(app)
    early = mgr.get(f"/halls/{quote(A)}/whatif?closes=6&lang=en")
    assert early.status_code == 422 and "the closing hour must be from " in early.text and ", not 6" in early.text
    assert mgr.get(f"/api/v1/export/whatif.csv?hall={quote(A)}&add.counter_handling=3").status_code == 200
    csv = mgr.get(f"/api/v1/export/whatif.csv?hall={quote(A)}&add.counter_handling=3").content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("hour,visits_today,visits_now,visits_whatif")
    from datetime import datetime

    ws = app.state.peakend.ws  # the hall page names the hall's latest day "today" only when it is today
    ws.clock = lambda: datetime(2026, 10, 11, 15)
    assert '<h2 id="today-title">Today · 2026-10-11</h2>' in mgr.get(f"/halls/{quote(A)}?lang=en").text
    ws.clock = lambda: datetime(2026, 10, 20, 9)
    assert '<h2 id="today-title">最近有数据的一天 · 2026-10-11</h2>' in mgr.get(f"/halls/{quote(A)}?lang=zh").text


def problem_of(page: str) -> str:
    """The text of a page's problem paragraph."""
    return html.unescape(re.search(r'<p class="problem" id="problem">(.*?)</p>', page, re.S).group(1))


def test_what_if_of_a_store_without_waits_says_so_and_refusals_are_plain_words(tmp_path):
    """A store of touches only (times and ratings, no wait, no arrival): every wait of the what-if is unknown ("–",
    null), never a measured-looking 0.0 ± 0.0, and the page says why; a refused change and a hall without times are
    told in the page's language in plain words (no parameter names, backticks or paths)."""
    from peakend.ingest.pipeline import ingest_records
    from peakend.service import Workspace

    app = make_app(str(tmp_path / "w.duckdb"))
    sent = [{"touch_id": f"w{d}{v}-{i}", "visit_id": f"w{d}{v}", "hall_id": A, "moment_id": m, "seq": i,
             "start_at": f"2026-11-0{d} {10 + v // 2}:{(v % 2) * 30 + 2 * i:02d}", "rating": 1 + (v + i) % 5,
             "rating_scale": "1-5"} for d in (2, 3, 4) for v in range(8)
            for i, m in enumerate(["entering", "counter_handling", "leaving"])]
    sent += [{"touch_id": "b1", "visit_id": "b1", "hall_id": B, "moment_id": "leaving", "rating": 4,
              "rating_scale": "1-5"}]  # hall B: no time at all
    store = app.state.peakend.store
    assert not ingest_records(store, sent, "touch", Workspace(store).files.context(), "test").problems
    admin = client(app, "admin")
    for path in (f"/api/v1/halls/{quote(A)}/whatif", f"/api/v1/halls/{quote(A)}/whatif?closes=3",
                 f"/api/v1/halls/{quote(B)}/whatif"):
        admin.get(path)
    run_jobs(app)
    found = admin.get(f"/api/v1/halls/{quote(A)}/whatif").json()
    assert found["day"] == "2026-11-04" and found["waits"] is False
    days = {d["series"]: d for d in found["day_figures"]}
    assert days["today"]["visits"] == 8 and all(d["wait"] is None and d["within"] is None for d in days.values())
    assert all(h[f"wait_{s}"] is None for h in found["hours"] for s in ("today", "now", "whatif"))
    for lang, why in (("zh", "数据中没有等候时间"), ("en", "no waiting times in the data")):
        page = admin.get(f"/halls/{quote(A)}/whatif?lang={lang}").text
        assert 'id="no-waits"' in page and why in page and "spec-whatif" not in page  # no chart of unknown waits
        assert 'id="no-stations"' in page  # no wait, no queue: no station fitted, and the form says so
        cells = re.findall(r'<tr data-series="(\w+)"><td>[^<]*</td><td class="num">[^<]*</td>\s*'
                           r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>', page)
        assert cells == [(s, "–", "–") for s in ("today", "now", "whatif")]  # mean wait, share within the target

    def problem(hall: str, query: str, lang: str) -> str:
        return problem_of(admin.get(f"/halls/{quote(hall)}/whatif?{query}&lang={lang}").text)

    assert re.fullmatch(r"无法模拟此改变：关门时间须在 1\d 到 24 之间，不能是 3", problem(A, "closes=3", "zh"))
    assert re.fullmatch(r"this change cannot be simulated: the closing hour must be from 1\d to 24, not 3",
                        problem(A, "closes=3", "en"))
    assert problem(A, "add.counter_handling=lots", "zh") == "改动有误：每个时段增减人数须为整数，不能是“lots”"
    assert problem(A, "add.counter_handling=lots", "en") == (
        "The change cannot be used: servers added in every hour takes a whole number, not “lots”")
    assert problem(B, "", "zh") == ("本厅还没有可拟合的来访数据：来访和触点都没有时间（到达时间或触点开始时间），"
                                    "而模拟需要知道客户何时到来")
    assert problem(B, "", "en").startswith("No visits of this hall to fit yet: neither its visits nor their touches")
    assert not re.search(r"[`/]|docs|start_at|--", problem(B, "", "zh") + problem(B, "", "en"))
    store.close()


def test_a_model_that_does_not_reproduce_its_day_is_flagged():
    """More than 2 min and half the observed wait apart: the what-if page warns (the trial's 0.1 against 12.8)."""
    import pandas as pd

    from peakend.service.planning import fit_gap

    def days(now: float, today: float) -> pd.DataFrame:
        return pd.DataFrame({"series": ["today", "now", "whatif"], "wait": [today, now, now]})

    assert fit_gap(days(0.1, 12.8)) == (0.1, 12.8)
    assert fit_gap(days(3.0, 4.0)) is None and fit_gap(days(10.0, 4.0)) == (10.0, 4.0)  # 1 < 2; 6 > max(2, 2)
    assert fit_gap(days(13.0, 20.0)) is None and fit_gap(days(9.0, 20.0)) == (9.0, 20.0)  # 7 < 10; 11 > 10
    assert fit_gap(days(float("nan"), 4.0)) is None and fit_gap(pd.DataFrame()) is None  # no waits: nothing to say


def test_a_halls_latest_day_is_found_in_the_last_week_and_else_in_all_history(store):
    """The hall page's figures of its latest day up to today, worked out by hand: a touch's day is its start's,
    else its visit's arrival's; later days (after today) and other halls do not count."""
    from datetime import date, datetime

    from peakend.service.figures import hall_today

    store.executemany("INSERT INTO visits (visit_id, hall_id, arrival) VALUES (?, ?, ?)", [
        ("old", "H", datetime(2026, 1, 5, 9)), ("late", "H", datetime(2026, 3, 9, 9)),
        ("nostart", "H", datetime(2026, 3, 10, 16)), ("other", "X", datetime(2026, 3, 11, 9)),
        ("future", "H", datetime(2026, 3, 12, 9))])
    store.executemany("INSERT INTO touches (touch_id, visit_id, moment_id, start_at, rating, rating_scale, outcome) "
                      "VALUES (?, ?, 'm', ?, ?, '1-5', ?)", [
        ("o1", "old", datetime(2026, 1, 5, 9), 1, None), ("o2", "old", datetime(2026, 1, 5, 10), 5, "unresolved"),
        ("l1", "late", datetime(2026, 3, 10, 9, 30), 2, "complaint"),  # started the day after its visit's arrival
        ("n1", "nostart", None, 4, None), ("n2", "nostart", None, None, "resolved"),
        ("x1", "other", datetime(2026, 3, 11, 9), 1, None), ("f1", "future", datetime(2026, 3, 12, 9), 1, None)])
    assert hall_today(store, "H", date(2026, 3, 11)) == {  # l1, n1, n2 on 10 March: 1 of 2 rated low
        "day": date(2026, 3, 10), "is_today": False, "visits": 2, "touches": 3, "negative_share": pytest.approx(1 / 3),
        "unresolved": 1}
    assert hall_today(store, "H", date(2026, 3, 10))["is_today"]  # a page names it "today" only then
    assert hall_today(store, "H", date(2026, 3, 9)) == {  # late's only touch started on the 10th: 5 January
        "day": date(2026, 1, 5), "is_today": False, "visits": 1, "touches": 2, "negative_share": 0.5, "unresolved": 1}
    assert hall_today(store, "H", date(2026, 1, 4))["day"] is None


def test_a_halls_latest_day_is_looked_for_from_its_latest_scored_day_and_a_stale_one_misleads_nothing(store):
    """Past the last week, the search starts at the hall's latest scored day (`hall_parts`); when that day and the
    days after it hold no touch (a scored day whose touches went), all history still answers: 5 January."""
    from datetime import date, datetime

    from peakend.service.figures import hall_today

    store.executemany("INSERT INTO visits (visit_id, hall_id, arrival) VALUES (?, ?, ?)", [
        ("old", "H", datetime(2026, 1, 5, 9)), ("other", "X", datetime(2026, 2, 20, 9))])
    store.executemany("INSERT INTO touches (touch_id, visit_id, moment_id, start_at, rating, rating_scale, outcome) "
                      "VALUES (?, ?, 'm', ?, ?, '1-5', ?)", [
        ("o1", "old", datetime(2026, 1, 5, 9), 1, None), ("o2", "old", datetime(2026, 1, 5, 10), 5, "unresolved"),
        ("x1", "other", datetime(2026, 2, 20, 9), 1, None)])
    store.execute("CREATE TABLE hall_parts (hall_id VARCHAR, day DATE)")
    jan5 = {"day": date(2026, 1, 5), "is_today": False, "visits": 1, "touches": 2, "negative_share": 0.5,
            "unresolved": 1}
    for scored in (date(2026, 1, 5), date(2026, 2, 1)):  # the true latest day; a stale one with no touch since
        store.execute("DELETE FROM hall_parts")
        store.executemany("INSERT INTO hall_parts VALUES (?, ?)", [("H", scored), ("X", date(2026, 2, 20)),
                                                                   ("H", date(1900, 1, 1))])
        assert hall_today(store, "H", date(2026, 3, 1)) == jan5, scored


def test_the_network_page_states_the_verdict_of_the_model_comparison(app):
    """Answers that follow the visit's end: the page says peak + end predicts them better than the plain mean."""
    import random

    rng = random.Random(4)
    admin = client(app, "admin")
    events, answers = [], []
    for i in range(80):
        r = [rng.randint(1, 5) for _ in range(3)]
        events += touches(A, f"v{i}", list(zip(["entering", "counter_result", "leaving"], r, strict=True)))
        answers.append({"survey_id": f"s{i}", "visit_id": f"v{i}", "overall": r[2], "overall_scale": "1-5"})
    assert admin.post("/api/v1/touches/batch", json=events).status_code == 200
    assert admin.post("/api/v1/surveys/batch", json=answers).status_code == 200
    assert "Not scored yet" in admin.get("/?lang=en").text
    assert scored_through_api(admin, app)["visits"] == 80
    assert 'id="verdicts-job"' in admin.get("/?lang=en").text  # the page answers at once: the verdict is a job
    run_jobs(app)
    page = admin.get("/?lang=en").text
    assert re.search(r"computed \d+ (s|min) ago", page) and 'id="verdicts-job"' not in page
    assert "Here Peak + end predicts overall satisfaction better than the plain mean" in page  # the answer by name
    assert "Does the peak-end rule hold here?" in page


def test_a_device_cannot_see_or_correct_another_halls_event_by_its_id(scored):
    """Hall A's pad sends hall B's touch id (b1-1) into its own visit, as a plain send and as a correction:
    refused as an id it cannot use, no conflict showing B's version, B's touch unchanged."""
    d = device(scored)
    before = scored.state.peakend.store.rows("SELECT visit_id, rating FROM touches WHERE touch_id = 'b1-1'")
    for query in ("", "?replace=true"):
        r = d.post(f"/api/v1/touches/batch{query}", json=[{"touch_id": "b1-1", "visit_id": "a1", "moment_id": "leaving",
                                                           "rating": 1, "rating_scale": "1-5", "seq": 9}])
        body = r.json()
        assert r.status_code == 422 and [x["code"] for x in body["rejected"]] == ["id_elsewhere"]
        assert body["conflicts"] == [] and B not in r.text
    assert scored.state.peakend.store.rows("SELECT visit_id, rating FROM touches WHERE touch_id = 'b1-1'") == before


def test_hour_runs_by_hand():
    from peakend.web.whatif import hour_runs

    assert hour_runs([2, 2, 2.25, 3, 3], 9) == "09:00–11:00 2 · 11:00–12:00 2.25 · 12:00–14:00 3"
    assert hour_runs([1], 20) == "20:00–21:00 1"


def test_every_page_showing_rei_says_its_weights_and_when_the_verdict_contradicts_them(scored, monkeypatch):
    """The hall, moment and visit pages say which weights REI runs on (the built-in 0.5/0.5/0 here); once this
    store's last verdict says the plain mean predicts an answer better, each shows the banner too — as its reader
    may see it: a manager of A, by the answer's name in the page's language."""
    from peakend.scoring.compare import Verdict
    from peakend.service.analysis import Analysis

    mgr = client(scored, "mgr_a")
    pages_ = [f"/halls/{quote(A)}", f"/halls/{quote(A)}/moments/counter_result", "/visits/a1"]
    for path in pages_:
        page = mgr.get(path + "?lang=en").text
        assert "REI here weighs peak 0.5, end 0.5, mean 0 (the built-in blueprint)." in page, path
        assert "weights-warning" not in page
    asked: list = []

    def mean_wins(self, halls):
        asked.append(halls)
        return [Verdict("overall", "r2", "peak_end", 0.20, 0.25, 0.01, "mean")]

    monkeypatch.setattr(Analysis, "last_verdicts", mean_wins)
    for path in pages_:
        page = html.unescape(mgr.get(path + "?lang=zh").text)
        assert "此处 REI 的权重：峰值 0.5、终值 0.5、平均 0（内置蓝图）。" in page, path
        assert 'id="weights-warning"' in page and "单纯平均比峰值+终值更能预测“总体满意度”" in page, path
    assert asked and all(h == frozenset({A}) for h in asked)  # the manager's own halls' verdict, not the network's


def visit_touches(hall: str, visit: str, day: str, ratings: list[tuple[str, int]]) -> list[dict]:
    """Rated touches of one visit on `day`, one minute apart."""
    return [{**t, "start_at": f"{day} 10:0{t['seq']}"} for t in touches(hall, visit, ratings)]


def test_moment_page_shows_its_job_then_the_hall_s_figures(app, monkeypatch):
    """The moment page computes nothing inline: its first load shows the hall's figures job, and once it ran, the
    distribution and worst visits of that hall only. Ratings 1, 3, 5 (of 1–5) are e −1, 0, 1; at counter_result
    hall A has m1 (−1, Nov 2), m2 (0) and m3 (−1, Nov 3): bins −1 ×2 and 0 ×1, worst m3 (later), m1, m2; B's b9
    (−1) is not A's."""
    admin = client(app, "admin")
    sent = [*visit_touches(A, "m1", "2026-11-02", [("entering", 5), ("counter_result", 1), ("leaving", 5)]),
            *visit_touches(A, "m2", "2026-11-02", [("counter_result", 3), ("leaving", 3)]),
            *visit_touches(A, "m3", "2026-11-03", [("counter_result", 1), ("leaving", 1)]),
            *visit_touches(B, "b9", "2026-11-04", [("counter_result", 1)])]
    assert admin.post("/api/v1/touches/batch", json=sent).status_code == 200
    live_rules(app)
    scored_through_api(admin, app)
    path = f"/halls/{quote(A)}/moments/counter_result?lang=en"
    first = admin.get(path).text
    assert 'id="moment-job"' in first and "Being computed" in first and 'id="worst"' not in first
    assert run_jobs(app) >= 1
    page = admin.get(path).text
    assert 'id="moment-job"' not in page and 'id="moment-none"' not in page  # up to date with the scoring run
    assert re.findall(r'<a href="/visits/(\w+)">', page.split('id="worst"')[1].split("</table>")[0]) == [
        "m3", "m1", "m2"]
    figures, found = app.state.peakend.ws.figures.moment_answer("admin", A, "counter_result")
    assert found.running is None and figures is not None
    dist, worst = figures
    assert dist.to_dict("records") == [{"bin": -1.0, "touches": 2}, {"bin": 0.0, "touches": 1}]
    assert list(worst.e) == [-1.0, -1.0, 0.0]
    _, top = moment_figures(app.state.peakend.store, A, limit=2)  # the worst 2 of each moment (entering: m1 alone)
    assert list(top[top.moment_id == "counter_result"].visit_id) == ["m3", "m1"] and len(top) == 1 + 2 + 2
    api = {m: admin.get(f"/api/v1/halls/{quote(A)}/moments/{m}").json() for m in ("entering", "counter_result")}
    for moment in ("entering", "counter_result", "leaving"):  # the same as the one-moment queries, on any engine
        (d, w), _ = app.state.peakend.ws.figures.moment_answer("admin", A, moment)
        assert d.to_dict("records") == app.state.peakend.ws.figures.moment_distribution(A, moment).to_dict("records")
        assert list(w.visit_id) == list(app.state.peakend.ws.figures.worst_visits(A, moment).visit_id)
    figures_type = type(app.state.peakend.ws.figures)  # the API and exports read the current job: nothing inline
    monkeypatch.setattr(figures_type, "moment_distribution", lambda *_: pytest.fail("computed inline"))
    monkeypatch.setattr(figures_type, "worst_visits", lambda *_: pytest.fail("computed inline"))
    for moment, before in api.items():
        assert admin.get(f"/api/v1/halls/{quote(A)}/moments/{moment}").json() == before
    assert [row["visit_id"] for row in api["counter_result"]["worst_visits"]] == ["m3", "m1", "m2"]
    exported = admin.get(f"/api/v1/export/worst_visits.csv?hall={quote(A)}&moment=counter_result").content
    assert [line.split(",")[0] for line in exported.decode("utf-8-sig").splitlines()[1:]] == ["m3", "m1", "m2"]
    for lang, said in (("en", "The latest scoring run has no touch of this moment at this hall"),
                       ("zh", "本厅在最近一次评分中没有这个时刻的触点")):
        none = admin.get(f"/halls/{quote(A)}/moments/waiting?lang={lang}").text
        assert 'id="moment-none"' in none and said in none and 'id="worst"' not in none


def picked_rows(page: str) -> list[str]:
    """The keys of the quarantined rows a data-quality page offers to dismiss."""
    return [html.unescape(k) for k in re.findall(r'name="row" value="([^"]*)"', page)]


def test_a_manager_dismisses_the_quarantined_rows_of_their_halls_only(app):
    """Hall A's bad row and hall B's: A's manager sees and dismisses A's (kept, marked with who and when, hidden, a
    count shown); B's, posted by hand, is a 404 and nothing changes; a cross-site post is refused."""
    bad = [{"touch_id": f"{v}-9", "visit_id": v, "hall_id": h, "moment_id": "coffee", "seq": 1}
           for v, h in (("a9", A), ("b9", B))]
    assert client(app, "admin").post("/api/v1/touches/batch", json=bad).status_code == 422
    store = app.state.peakend.store
    held = dict(store.rows("SELECT hall_id, source_hash FROM quarantine"))
    assert sorted(held) == sorted([A, B])  # each row knows its hall
    key_b = json.dumps([held[B], 1, "moment_id"])
    mgr = client(app, "mgr_a")
    page = mgr.get("/quality?lang=en")
    assert page.status_code == 200 and f'<td class="hn">{A}</td>' in page.text and B not in page.text
    assert picked_rows(page.text) == [json.dumps([held[A], 0, "moment_id"], ensure_ascii=False)]
    assert mgr.post("/quality/dismiss", data={"row": key_b}).status_code == 404
    assert mgr.post("/quality/dismiss", data={"row": [picked_rows(page.text)[0], key_b]}).status_code == 404
    assert store.scalar("SELECT count(*) FROM quarantine WHERE dismissed_at IS NOT NULL") == 0  # nothing changed
    forged = TestClient(app, follow_redirects=False, headers={"Origin": "http://evil.example"},
                        cookies=mgr.cookies).post("/quality/dismiss", data={"row": picked_rows(page.text)})
    assert forged.status_code == 403
    done = mgr.post("/quality/dismiss", data={"row": picked_rows(page.text)})
    assert done.status_code == 303 and done.headers["location"] == "/quality?done=1"
    assert store.rows("SELECT hall_id, dismissed_by, dismissed_at IS NOT NULL FROM quarantine ORDER BY hall_id"
                      ) == sorted([(A, "mgr_a", True), (B, None, False)])  # kept, marked; B's untouched
    after = mgr.get("/quality?lang=zh").text
    assert f'<td class="hn">{A}</td>' not in after and "1 行已标为已处理" in after
    shown = mgr.get("/quality?dismissed=1&lang=en").text
    assert f'<td class="hn">{A}</td>' in shown and "dismissed by mgr_a" in shown
    assert f'<td class="hn">{B}</td>' in client(app, "admin").get("/quality").text  # the admin still sees B's row
    assert client(app, "staff_a").get("/quality").status_code == 403
    assert client(app, "staff_a").post("/quality/dismiss", data={"row": key_b}).status_code == 403
    for depth in (2, 50, 5_000, 200_000):  # a key not the page's, nested past any parser's depth too: refused
        hostile = "[" * depth + "]" * depth
        assert mgr.post("/quality/dismiss", data={"row": hostile}).status_code in (400, 422), depth  # (400: too big)
