"""The live loop: a recorded day replayed, and exactly what fires, and when.

The expectations below were worked out by hand from tests/data/recorded_day.jsonl and the
built-in blueprint's `live` rules (alert_e −0.5, waiting tolerance 5 min, survey 10 min
after the visit, quiet 21:00–08:00, fatigue 30 days, complaint case due in 4 h with a
reminder 1 h before, unresolved in 24 h with a reminder 4 h before, 5 waiting per counter).
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import pytest

from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.live import cases, pending
from peakend.live.replay import read_day, replay
from peakend.live.rules import Fired, after_quiet_hours, on_events
from peakend.live.sms import FileGateway, HttpGateway, handle_reply, parse_reply
from peakend.live.timers import tick
from peakend.service.figures import hall_live
from peakend.store.db import Store, connect
from tests.conftest import add_user, other_postgres

DAY = Path(__file__).parent / "data" / "recorded_day.jsonl"
A, B = "天河北厅", "花都新华厅"


def at(hhmm: str, day: int = 2) -> datetime:
    return datetime.fromisoformat(f"2026-11-0{day} {hhmm}")


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def day(request, bp, tmp_path_factory):
    """A store after replaying the recorded day (and the clock run on two days); tests that change it come last."""
    store = connect(":memory:" if request.param == "duckdb" else other_postgres("peakend_test_day"))
    add_user(store, "mgr_a", "password1", "manager", [A])
    gateway = FileGateway(tmp_path_factory.mktemp("day") / "sms.jsonl")
    replay(store, bp, read_day(DAY), gateway)
    store.sms_file = gateway.path
    yield store
    store.close()


def rows(store, sql: str) -> list[tuple]:
    return [tuple(r) for r in store.rows(sql)]


def test_recovery_alerts_fire_while_the_customer_is_in_the_hall(day):
    assert rows(day, "SELECT alert_id, ticket, moment_id, fired_at FROM alerts ORDER BY alert_id") == [
        ("V2-2:long_wait", "A002", "waiting", at("09:23")),  # waited 12 min, tolerance 5
        ("V2-3:low_e", "A002", "counter_handling", at("09:35")),  # rated 1 of 5: e = −1
        ("V3-2:low_e", "A101", "complaint", at("14:05")),  # complaint outcome: e = −1
    ]
    assert rows(day, "SELECT alert_id, staff_id, wait_min, event_at FROM alerts ORDER BY alert_id") == [
        ("V2-2:long_wait", None, 12.0, at("09:23")),  # the touch's end
        ("V2-3:low_e", "S2", None, at("09:35")),
        ("V3-2:low_e", "S3", None, at("14:05")),  # no end given: its start
    ]
    assert rows(day, "SELECT e FROM alerts WHERE kind = 'low_e' ORDER BY alert_id") == [(-1.0,), (-1.0,)]
    [(zh, en)] = rows(day, "SELECT message_zh, message_en FROM alerts WHERE alert_id = 'V2-2:long_wait'")
    assert "A002" in zh and "等候" in zh and "压力大时分流" in zh  # the waiting moment's guideline
    assert "Ticket A002" in en and "Waiting" in en and "divert" in en


def test_cases_are_owned_by_the_first_touch_and_escalate_after_their_deadline(day):
    assert rows(day, "SELECT case_id, kind, owner, opened_at, deadline, escalated_to, status FROM cases "
                     "ORDER BY case_id") == [
        ("V2", "unresolved", "G1", at("09:40"), at("09:40", 3), "mgr_a", "open"),
        ("V3", "complaint", "G1", at("14:30"), at("18:30"), "mgr_a", "open"),
    ]
    assert rows(day, "SELECT notification_id, created_at, recipient FROM notifications ORDER BY created_at") == [
        ("remind:V3", at("17:30"), "G1"),
        ("escalate:V3:mgr_a", at("18:30"), "mgr_a"),
        ("remind:V2", at("05:40", 3), "G1"),
        ("escalate:V2:mgr_a", at("09:40", 3), "mgr_a"),
    ]


def test_surveys_respect_fatigue_quiet_hours_and_opt_out_and_replies_become_answers(day):
    assert rows(day, "SELECT visit_id, status, send_at, sent_at FROM sms_surveys ORDER BY visit_id") == [
        ("V1", "answered", at("09:30"), at("09:30")),
        ("V2", "sent", at("09:50"), at("09:50")),
        ("V3", "skipped_fatigue", None, None),  # V1's customer, surveyed that morning
        ("V4", "sent", at("08:00", 3), at("08:00", 3)),  # 21:05 is quiet: sent at 08:00 next day
        ("V5", "skipped_optout", None, None),  # replied 退订 at 08:30
    ]
    sent = [json.loads(line)["message_id"] for line in day.sms_file.read_text("utf-8").splitlines()]
    assert sent == ["V1", "V2", "V4"]
    assert rows(day, "SELECT survey_id, visit_id, overall, overall_scale, comment, source FROM surveys") == [
        ("sms:V1", "V1", 9.0, "1-10", "很满意，谢谢", "sms")]


def test_queue_pressure_gives_advice_once_per_quarter_hour(day):
    assert rows(day, "SELECT advice_id, advised_at, waiting, counters, predicted_wait_min FROM advice") == [
        (f"{B}:2026-11-02T09:45", at("09:57"), 6, 1, 18.0)]  # 6 per counter > 5; the 7th falls in the same slot


def test_replaying_the_day_again_fires_nothing_new(day, bp, tmp_path):
    before = {t: day.scalar(f"SELECT count(*) FROM {t}") for t in
              ("alerts", "cases", "case_events", "timers", "notifications", "sms_surveys", "advice", "surveys")}
    again = replay(day, bp, read_day(DAY), FileGateway(tmp_path / "again.jsonl"))
    assert (again.fired.alerts, again.fired.cases, again.fired.surveys, again.fired.advice, again.timers) == (
        0, 0, 0, 0, 0)
    assert {t: day.scalar(f"SELECT count(*) FROM {t}") for t in before} == before
    assert not (tmp_path / "again.jsonl").exists()


def test_fatigue_only_within_its_window(store, bp, tmp_path):
    """The same customer 31 days later is surveyed again; 29 days later is not."""
    events = [
        {"at": f"2026-{mon}-{d} 10:00", "kind": "touch", "visit_id": v, "hall_id": A, "moment_id": "leaving",
         "customer_key": "13900000000", "departure": f"2026-{mon}-{d} 10:00"}
        for v, mon, d in (("F1", "10", "01"), ("F2", "10", "30"), ("F3", "11", "01"))
    ]
    replay(store, bp, events, FileGateway(tmp_path / "s.jsonl"))
    assert rows(store, "SELECT visit_id, status FROM sms_surveys ORDER BY visit_id") == [
        ("F1", "sent"), ("F2", "skipped_fatigue"), ("F3", "sent")]


@pytest.mark.parametrize(
    ("ended", "sent"),
    [("20:40", "20:50"), ("20:55", "08:00+1"), ("23:30", "08:00+1"), ("03:00", "08:00"), ("07:55", "08:05")],
)
def test_quiet_hours(bp, ended, sent):
    hh, _, plus = sent.partition("+")
    expected = at(hh, 3 if plus else 2)
    assert after_quiet_hours(bp, at(ended).replace(second=0) + (at("00:10") - at("00:00"))) == expected


def test_opt_out_stops_a_survey_already_scheduled(store, bp, tmp_path):
    gateway = FileGateway(tmp_path / "s.jsonl")
    store.execute("INSERT INTO visits (visit_id, hall_id, customer_key, departure) VALUES ('O1', ?, ?, ?)",
                  [A, "plain-key", at("10:00")])
    store.execute("INSERT INTO touches (touch_id, visit_id, moment_id) VALUES ('O1-1', 'O1', 'leaving')")
    on_events(store, bp, ["O1"], at("10:00"))
    assert handle_reply(store, bp, "plain-key", "TD", at("10:05")).status == "opted_out"
    tick(store, bp, at("12:00"), gateway)
    assert rows(store, "SELECT status FROM sms_surveys") == [("skipped_optout",)]
    assert not gateway.path.exists()


@pytest.mark.parametrize(
    ("text", "opt_out", "score", "comment"),
    [("TD", True, None, None), ("退订", True, None, None), ("td。", True, None, None),
     ("10", False, 10, None), ("8分", False, 8, None), ("９ 很好", False, 9, "很好"), ("十分满意", False, 10, "满意"),
     ("3, waited too long", False, 3, "waited too long"), ("11", False, None, "11"),
     ("排队太久", False, None, "排队太久")],
)
def test_reply_parser(text, opt_out, score, comment):
    r = parse_reply(text)
    assert (r.opt_out, r.score, r.comment) == (opt_out, score, comment)


def test_case_changes_are_kept_in_the_audit_trail(day):
    cases.comment(day, "V3", "G1", "called the customer", at("15:00"))
    cases.reassign(day, "V3", "mgr_a", "S3", at("15:10"))
    cases.resolve(day, "V3", "S3", "refunded the fee", at("16:00", 3))
    with pytest.raises(cases.CaseError):
        cases.resolve(day, "V3", "S3", "again", at("16:30", 3))
    with pytest.raises(cases.CaseError):
        cases.comment(day, "V3", "S3", "  ", at("16:30", 3))
    trail = cases.trail(day, "V3")
    assert list(trail["action"]) == ["opened", "remind", "escalate", "comment", "reassign", "resolve"]
    assert list(trail["detail"])[3:] == ["called the customer", "G1 → S3", "refunded the fee"]
    assert list(cases.inbox(day, owner="S3", status=None)["case_id"]) == ["V3"]
    assert list(cases.inbox(day, halls=[B])["case_id"]) == []
    f = cases.figures(day, A, at("00:00"), at("12:00", 3))
    assert f == {"alerts": 3, "advice": 0, "cases_opened": 2, "resolved_in_time": 0, "overdue": 1}


class Provider(http.server.BaseHTTPRequestHandler):
    """A stand-in SMS provider: records each JSON body; answers 503 while `down`."""

    received: ClassVar[list[dict]] = []
    down = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Provider.down:
            self.send_response(503)
        else:
            Provider.received.append({**body, "auth": self.headers.get("Authorization")})
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_http_gateway_sends_and_a_failed_send_is_retried(duck, bp):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gateway = HttpGateway(f"http://127.0.0.1:{server.server_port}/send", token="k1")
        duck.execute("INSERT INTO visits (visit_id, hall_id, customer_key, departure) VALUES ('H1', ?, 'c-1', ?)",
                     [A, at("10:00")])
        duck.execute("INSERT INTO touches (touch_id, visit_id, moment_id) VALUES ('H1-1', 'H1', 'leaving')")
        on_events(duck, bp, ["H1"], at("10:00"))
        Provider.down, Provider.received = True, []
        assert tick(duck, bp, at("10:30"), gateway) == 0  # the send failed: logged, the timer stays due
        assert rows(duck, "SELECT status FROM sms_surveys") == [("scheduled",)]  # not lost: retried next tick
        Provider.down = False
        assert tick(duck, bp, at("10:31"), gateway) == 1
        assert [(m["message_id"], m["customer_key"], m["auth"]) for m in Provider.received] == [
            ("H1", "c-1", "Bearer k1")]
        assert rows(duck, "SELECT status, sent_at FROM sms_surveys") == [("sent", at("10:31"))]
    finally:
        server.shutdown()


def test_queued_visits_outlive_a_crash_and_a_visit_queued_again_mid_pass_stays_queued(bp, tmp_path, monkeypatch):
    db = tmp_path / "q.duckdb"
    touch = {"touch_id": "Q1-1", "visit_id": "Q1", "hall_id": A, "moment_id": "counter_handling", "seq": 1,
             "start_at": "2026-11-02 10:00", "rating": 1, "rating_scale": "1-5"}
    with connect(db) as store:  # the API stored and queued the touch; the process died before the rules ran
        assert ingest_records(store, [touch], "touch", Context(bp), "api", live=True).stored == 1
        ingest_records(store, [{**touch, "touch_id": "F1-1", "visit_id": "F1"}], "touch", Context(bp), "file")
        assert pending.pending(store) == 1  # file ingest queues nothing
    with connect(db) as store:  # the restarted worker finds it
        real = pending.on_events

        def requeued_meanwhile(store_, bp_, ids, now):
            fired = real(store_, bp_, ids, now)
            later = {**touch, "touch_id": "Q1-2", "seq": 2, "start_at": "2026-11-02 10:05"}
            ingest_records(store_, [later], "touch", Context(bp), "api", live=True)
            return fired

        monkeypatch.setattr(pending, "on_events", requeued_meanwhile)
        assert pending.run_pending(store, bp, at("10:06")) == Fired(alerts=1)
        assert rows(store, "SELECT alert_id FROM alerts") == [("Q1-1:low_e",)]
        assert pending.pending(store) == 1  # Q1 again: its new touch still waits for the rules
        monkeypatch.setattr(pending, "on_events", real)
        assert pending.run_pending(store, bp, at("10:07")) == Fired(alerts=1)  # Q1-2, rated 1 too
        assert pending.pending(store) == 0
        assert pending.run_pending(store, bp, at("10:08")) == Fired()


def test_the_live_workers_reads_go_beside_a_held_store_and_see_what_is_committed(store):
    """`beside` reads (the live worker's) run on their own connection: not blocked by an ingest holding
    the store's lock, and they see committed rows only."""
    store.execute("INSERT INTO live_pending (visit_id, queued_ns) VALUES ('v1', 1)")
    got: list[object] = []
    with store.transaction():  # an ingest holds the store, with a row not yet committed
        store.execute("INSERT INTO live_pending (visit_id, queued_ns) VALUES ('v2', 2)")
        reader = threading.Thread(target=lambda: got.append(
            store.rows("SELECT visit_id FROM live_pending ORDER BY visit_id", beside=True)))
        reader.start()
        reader.join(10)
        assert not reader.is_alive()  # done while the lock is still held
    assert got == [[("v1",)]]
    assert store.rows("SELECT visit_id FROM live_pending ORDER BY visit_id", beside=True) == [("v1",), ("v2",)]


GROWING = {"touches", "visits", "alerts", "advice", "cases", "case_events", "timers", "sms_surveys"}  # with history


def test_on_the_server_store_the_live_loop_reads_by_index_not_by_scanning_history(bp, tmp_path, monkeypatch):
    """Every query the live loop makes on PostgreSQL (a recorded day replayed: rules, timers, the hall's live
    figures) can be answered from an index: planned with sequential scans made prohibitive, none reads a
    table that grows with history from end to end. (Without the server's indexes a live pass over 1,000 new
    touches took 650 ms with 2 million stored, and grew with them; with them, ~150 ms.)"""
    store = connect(other_postgres("peakend_test_index"))
    seen: list[str] = []
    scans: set[tuple[str, str]] = set()
    real = Store._fetch_on

    def recording(self, con, sql, params):
        """Plan each query where and when it runs (temp tables such as ingest's `incoming` live no longer)."""
        seen.append(sql)
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            con.execute("SET enable_seqscan = off")
            try:
                plan = "\n".join(r[0] for r in real(self, con, "EXPLAIN " + sql, params)[1])
            finally:
                con.execute("RESET enable_seqscan")
            scans.update((table, sql[:90]) for table in re.findall(r"Seq Scan on (\w+)", plan) if table in GROWING)
        return real(self, con, sql, params)

    monkeypatch.setattr(Store, "_fetch_on", recording)
    replay(store, bp, read_day(DAY), FileGateway(tmp_path / "sms.jsonl"))
    hall_live(store, A, at("18:00"))
    monkeypatch.undo()
    store.close()
    assert len(seen) > 50  # the day's passes, ticks and the hall's figures were all looked at
    assert sorted(scans) == []


def test_the_survey_asks_about_the_visits_own_peak_and_the_reply_tags_itself_to_it(store, bp, tmp_path):
    """Ratings 4, 1, 4: the counter result (e = −1) is the visit's peak; the survey adds the blueprint's question
    for it, and the reply's comment is read as about the counter result, beside that touch's own e."""
    from peakend.scoring.run import score
    from peakend.text.comments import gathered, peak_answers, read_all

    gateway = FileGateway(tmp_path / "s.jsonl")
    touches = [{"touch_id": f"P1-{i}", "visit_id": "P1", "hall_id": A, "customer_key": "peak-key", "moment_id": m,
                "seq": i, "start_at": f"2026-11-02 09:5{i}", "rating": r, "rating_scale": "1-5",
                "departure": "2026-11-02 10:00"}
               for i, (m, r) in enumerate([("entering", 4), ("counter_result", 1), ("leaving", 4)], start=1)]
    ingest_records(store, touches, "touch", Context(bp), "pad")
    on_events(store, bp, ["P1"], at("10:00"))
    assert rows(store, "SELECT asked_moment FROM sms_surveys") == [("counter_result",)]
    tick(store, bp, at("12:00"), gateway)
    [message] = [json.loads(line) for line in gateway.path.read_text("utf-8").splitlines()]
    assert message["text"].endswith("您今天在柜台办理的结果满意吗？")
    assert handle_reply(store, bp, "peak-key", "2 不满意，没办成", at("12:30")).status == "answered"
    score(store, bp)
    read = read_all(gathered(store), bp)
    [reply] = read.to_dict("records")
    assert reply["asked"] == "counter_result" and reply["about"]["counter_result"] < 0
    [row] = peak_answers(read, store).to_dict("records")
    assert (row["moment"], row["replies"], row["negative"], row["agree"]) == ("counter_result", 1, 1, 1.0)
    assert row["e_negative"] == pytest.approx(-1.0)
