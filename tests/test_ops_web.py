"""Health, readiness and metrics (scraped and parsed as Prometheus text), and the admins' integrations page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.web.app import create_app
from tests.conftest import add_user, signed_in
from tests.receivers import receiver

A = "天河北厅"


@pytest.fixture
def web(tmp_path):
    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    store = app.state.peakend.store
    add_user(store, "admin", "admin-pass-1", "admin")
    add_user(store, "s1", "staff-pass-1", "staff", [A])
    yield app
    store.close()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of an exposition, by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_health_and_readiness_answer_without_a_login(web):
    c = TestClient(web)
    assert c.get("/healthz").json() == {"status": "ok"}
    ready = c.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert ready.json()["schema"] == ready.json()["expected"] >= 25
    latest = web.state.peakend.store.scalar("SELECT max(version) FROM schema_migrations")
    web.state.peakend.store.execute("DELETE FROM schema_migrations WHERE version = ?", [latest])  # left behind
    behind = c.get("/readyz")
    assert behind.status_code == 503 and behind.json()["schema"] < behind.json()["expected"]


def test_metrics_are_closed_without_a_token_and_parse_with_one(web, bp, monkeypatch):
    c = TestClient(web)
    assert c.get("/metrics").status_code == 403
    monkeypatch.setenv("PEAKEND_METRICS_TOKEN", "t0ken")
    assert c.get("/metrics").status_code == 401
    assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    store = web.state.peakend.store
    good = [{"touch_id": f"T{i}", "visit_id": f"V{i}", "moment_id": "waiting", "seq": 1, "hall_id": A,
             "start_at": "2026-11-02 09:00", "wait_min": 3} for i in range(3)]
    bad = [{"touch_id": "TX", "visit_id": "VX", "moment_id": "waiting", "seq": 1, "hall_id": A,
            "start_at": "2026-11-02 09:00", "wait_min": -5}]  # a negative wait: quarantined
    ingest_records(store, good + bad, "touch", Context(bp), "metrics-test")
    c.get("/healthz")
    text = c.get("/metrics", headers={"Authorization": "Bearer t0ken"})
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    got = samples(text.text)
    assert got[("peakend_records", (("table", "touches"),))] == 3
    assert got[("peakend_records", (("table", "visits"),))] == 3
    assert got[("peakend_quarantine_rows", ())] == 1
    assert got[("peakend_cases_open", ())] == 0
    assert got[("peakend_outbox_unfanned", ())] == 0
    assert got[("peakend_http_request_seconds_count", (("method", "GET"), ("route", "/healthz"),
                                                         ("status", "200")))] >= 1
    assert not any("V1" in str(k) for k in got)  # labels are templates, never ids


def test_deliveries_are_counted(web, monkeypatch):
    monkeypatch.setenv("PEAKEND_METRICS_OPEN", "true")
    monkeypatch.setenv("PEAKEND_WEBHOOK_ALLOW_PRIVATE", "true")
    ws = web.state.peakend.ws
    c = TestClient(web)
    key = ("peakend_webhook_deliveries_total", (("channel", "webhook"), ("outcome", "sent")))
    before = samples(c.get("/metrics").text).get(key, 0)
    from datetime import datetime

    from peakend.service.webhooks import Webhooks  # noqa: F401  (ws.webhooks)

    with receiver() as rcv:
        ws.webhooks.add("webhook", rcv.url, ["*"], ["*"], "admin")
        with ws.store.transaction():
            from peakend.live.outbox import emit

            for i in range(4):
                emit(ws.store, "case.closed", f"C{i}", A, datetime(2026, 11, 2), {"case_id": f"C{i}"})
        assert ws.webhooks.pump() == 4
    after = samples(c.get("/metrics").text)
    assert after[key] - before == 4
    assert after[("peakend_deliveries", (("state", "sent"),))] == 4


def test_admins_manage_endpoints_in_the_browser(web, monkeypatch):
    staff = signed_in(web, "s1", "staff-pass-1")
    assert staff.get("/admin/webhooks").status_code == 403
    admin = signed_in(web, "admin", "admin-pass-1")
    page = admin.get("/admin/webhooks?lang=en")
    assert page.status_code == 200 and 'id="endpoints-none"' in page.text and 'id="deliveries-none"' in page.text
    refused = admin.post("/admin/webhooks", data={"channel": "webhook", "url": "http://127.0.0.1:9/x",
                                                  "halls": "*"})
    assert refused.status_code == 422 and "internal addresses are refused" in refused.text
    monkeypatch.setenv("PEAKEND_WEBHOOK_ALLOW_PRIVATE", "true")
    with receiver("/robot/send?access_token=SECRET-TOKEN") as rcv:
        added = admin.post("/admin/webhooks", data={"channel": "dingtalk", "url": rcv.url, "halls": "*",
                                                    "events": ["alert.raised", "case.overdue"],
                                                    "mention": "13800001111", "secret": "SECabc"})
        assert added.status_code == 200
        assert "SECRET-TOKEN" not in added.text and "access_token=***" in added.text  # the robot's key stays hidden
        assert "13800001111" not in added.text and "SECabc" not in added.text
    [endpoint] = web.state.peakend.ws.webhooks.endpoints()
    assert endpoint["events"] == "alert.raised,case.overdue" and endpoint["mention"] == "•••1111"
    store = web.state.peakend.ws.store
    assert "SECabc" not in str(store.scalar("SELECT secret FROM endpoints"))  # stored sealed
    store.execute("UPDATE endpoints SET disabled_at = now(), disabled_why = 'secret_unreadable'")  # as a changed key
    assert "signing secret unreadable: PEAKEND_SECRET changed or unset" in admin.get("/admin/webhooks?lang=en").text
    assert "签名密钥无法解密" in admin.get("/admin/webhooks?lang=zh").text
    monkeypatch.setenv("PEAKEND_SECRET", "")
    unsealed = admin.post("/admin/webhooks", data={"channel": "webhook", "url": "http://127.0.0.1:9/x", "halls": "*"})
    assert unsealed.status_code == 422 and "请先设置 PEAKEND_SECRET" in unsealed.text  # the page is in Chinese now
    gone = admin.post(f"/admin/webhooks/{endpoint['endpoint_id']}/remove")
    assert gone.status_code == 303 and web.state.peakend.ws.webhooks.endpoints() == []
    actions = set(web.state.peakend.ws.activity.recent(20)["action"])
    assert {"webhook_added", "webhook_removed"} <= actions
    zh = admin.get("/admin/webhooks?lang=zh")
    assert "集成：Webhook 与群机器人" in zh.text


def test_a_complaint_posted_by_a_device_reaches_a_webhook_receiver_signed(web, monkeypatch, capsys):
    """End to end in a running app (its background loop on): a device posts a complaint, the live rules raise an
    alert, the outbox delivers it. The latencies are printed (measured: see the report), not asserted: the test
    waits up to a minute for each, so a loaded machine cannot fail it."""
    import time
    from datetime import datetime

    from standardwebhooks import Webhook

    from tests.conftest import add_token

    monkeypatch.setenv("PEAKEND_WEBHOOK_ALLOW_PRIVATE", "true")
    ws = web.state.peakend.ws
    token = add_token(ws.store, A, "pad 1")
    with receiver() as rcv, TestClient(web, headers={"Authorization": f"Bearer {token}"}) as device:
        _, secret = ws.webhooks.add("webhook", rcv.url, ["alert.raised"], [A], "admin")
        waited = []
        for i in range(5):
            sent = time.perf_counter()
            now = datetime.now().replace(microsecond=0).isoformat(sep=" ")
            answer = device.post("/api/v1/touches", json={
                "touch_id": f"C{i}", "visit_id": f"VC{i}", "moment_id": "complaint", "seq": 1, "hall_id": A,
                "ticket": f"C00{i}", "start_at": now, "outcome": "complaint"})
            assert answer.status_code == 200, answer.text
            while len(rcv.got) <= i and time.perf_counter() - sent < 60:
                time.sleep(0.05)
            waited.append(time.perf_counter() - sent)
        bodies = [Webhook(secret).verify(g.body, g.headers) for g in rcv.got]
    assert sorted(b["data"]["visit_id"] for b in bodies) == [f"VC{i}" for i in range(5)]
    waited.sort()
    with capsys.disabled():
        print(f"\ncomplaint → receiver: p50 {waited[2]:.2f} s, max {waited[-1]:.2f} s")


def test_staff_see_their_halls_alerts_in_the_inbox_and_claim_one(web, bp):
    from datetime import datetime

    from peakend.live.pending import run_pending

    store = web.state.peakend.store
    add_user(store, "s2", "staff-pass-2", "staff", ["花都新华厅"])
    now = datetime.now().replace(microsecond=0)
    for i, hall in enumerate((A, "花都新华厅")):
        ingest_records(store, [{"touch_id": f"I{i}", "visit_id": f"VI{i}", "moment_id": "counter_handling",
                                "seq": 1, "hall_id": hall, "ticket": f"T00{i}", "start_at": now.isoformat(sep=" "),
                                "rating": 1, "rating_scale": "1-5"}], "touch", Context(bp), "device", live=True)
    run_pending(store, bp, now)
    s1 = signed_in(web, "s1", "staff-pass-1")
    page = s1.get("/inbox?lang=en")
    assert page.status_code == 200 and "T000" in page.text and "T001" not in page.text  # only hall A's
    assert "No open cases in your halls" in page.text
    assert s1.post("/inbox/I1:low_e/claim").status_code == 422  # another hall's alert
    assert s1.post("/inbox/I0:low_e/claim").status_code == 303
    assert "ago by s1" in s1.get("/inbox?lang=en").text  # claimed … ago by s1
    s2 = signed_in(web, "s2", "staff-pass-2")
    assert "我来处理" in s2.get("/inbox?lang=zh").text  # s2's own alert, unclaimed


def test_readiness_says_a_worker_whose_heartbeat_went_stale(web):
    import time

    from peakend.service.ops import STALE_S

    c, ops = TestClient(web), web.state.peakend.ws.ops
    never = c.get("/readyz").json()
    assert never["ready"] is True and never["worker"] == "none"  # no worker ever beat: nothing to miss
    ops.beat(time.time() - 5)
    alive = c.get("/readyz")
    assert alive.status_code == 200 and alive.json()["worker"] == "alive" and 5 <= alive.json()["worker_age_s"] < 60
    ops.beat(time.time() - STALE_S - 30)  # the worker died a while ago
    stale = c.get("/readyz")
    assert stale.status_code == 503 and stale.json()["why"] == ["worker_stale"] and stale.json()["worker"] == "stale"
    ops.beat()  # it is back
    assert c.get("/readyz").status_code == 200


def test_the_worker_threads_write_the_heartbeat(web):
    import threading

    from peakend.service.background import run_heartbeat, threads

    class Once(threading.Event):
        def wait(self, timeout=None):  # the first pause ends the loop
            self.set()
            return True

    ws = web.state.peakend.ws
    assert "peakend-heartbeat" in [t.name for t in threads(ws, threading.Event())]
    assert ws.ops.worker()[0] == "none"
    run_heartbeat(ws, Once())
    assert ws.ops.worker()[0] == "alive"


def test_alert_latency_is_scraped_from_the_alerts_stored(web, monkeypatch):
    from datetime import datetime, timedelta

    monkeypatch.setenv("PEAKEND_METRICS_OPEN", "1")
    store, now = web.state.peakend.store, datetime.now().replace(microsecond=0)
    for i, (fired_ago_s, waited_s) in enumerate([(60, 0.5), (60, 3), (120, 40), (60, -2), (90000, 7)]):
        fired = now - timedelta(seconds=fired_ago_s)  # the last: a day ago and more, outside the window
        store.execute("INSERT INTO alerts (alert_id, kind, hall_id, visit_id, fired_at, event_at) "
                      "VALUES (?, 'low_e', ?, ?, ?, ?)", [f"T{i}:low_e", A, f"V{i}", fired,
                                                          fired - timedelta(seconds=waited_s)])
    store.execute("INSERT INTO alerts (alert_id, kind, hall_id, visit_id, fired_at) VALUES ('TN:low_e', 'low_e', ?, "
                  "'VN', ?)", [A, now])  # no touch time: not counted
    got = samples(TestClient(web).get("/metrics").text)
    le = {b: got[("peakend_alert_latency_seconds_bucket", (("le", b),))] for b in ("0.5", "1.0", "5.0", "60.0", "+Inf")}
    assert le == {"0.5": 2, "1.0": 2, "5.0": 3, "60.0": 4, "+Inf": 4}  # 0 (clock skew), 0.5, 3, 40
    assert got[("peakend_alert_latency_seconds_count", ())] == 4
    assert got[("peakend_alert_latency_seconds_sum", ())] == 43.5
