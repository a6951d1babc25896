"""The frontline inbox's actions (claim, hand to a colleague, handled: timed, scoped, logged), the small question its
live stream asks, and the stream itself. The browser test (new row within 2 s, no reload) is in test_browser.py."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from peakend.errors import BadOption
from peakend.service import Workspace
from tests.conftest import add_user, signed_in


class StepClock:
    """The stream's clock, moved on 10 ms by each look at it: a stream of STREAM_S asks the same questions however
    busy the machine is (on the real clock a loaded run could end it before its first question)."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        self.t += 0.01
        return self.t

    @staticmethod
    def time() -> float:
        import time

        return time.time()

A, B = "天河北厅", "花都新华厅"


def alert(store, alert_id: str, hall: str, fired_at: datetime, ticket: str = "T1") -> None:
    """A recovery alert as the live rules store one."""
    store.insert_rows("alerts", [{"alert_id": alert_id, "kind": "low_e", "hall_id": hall, "visit_id": alert_id,
                                  "ticket": ticket, "moment_id": "counter_handling", "message_zh": f"差评 {ticket}",
                                  "message_en": f"poor rating {ticket}", "fired_at": fired_at}])


def people(store, *logging_in: str) -> None:
    """Users of halls A and B (those `logging_in` with a password hash, which takes Argon2's time)."""
    for name, role, halls in [("admin", "admin", []), ("s1", "staff", [A]), ("s2", "staff", [A, B]),
                              ("mb", "manager", [B]), ("au", "auditor", [A])]:
        if name in logging_in:
            add_user(store, name, f"{name}-pass-1", role, halls)
        else:
            store.execute("INSERT INTO users (username, password_hash, role, halls) VALUES (?, 'x', ?, ?)",
                          [name, role, ",".join(halls)])


def test_actions_are_timed_scoped_to_the_halls_and_logged(store):
    ws, now = Workspace(store), datetime.now()
    people(store)
    alert(store, "a1", A, now)
    alert(store, "b1", B, now)
    assert ws.inbox.colleagues({A, B}) == {A: ["s1", "s2"], B: ["mb", "s2"]}  # no admin, no auditor
    with pytest.raises(BadOption):
        ws.inbox.claim("b1", "s1", {A})  # another hall's alert
    with pytest.raises(BadOption):
        ws.inbox.handled("b1", "s1", {A})
    with pytest.raises(BadOption):
        ws.inbox.claim("nothing", "s1", {A})
    assert ws.inbox.claim("a1", "s1", {A}) is True
    assert ws.inbox.claim("a1", "s2", {A}) is False  # the first claim wins
    with pytest.raises(BadOption, match="mb"):
        ws.inbox.hand("a1", "mb", "s1", {A})  # B's manager is no colleague in hall A
    with pytest.raises(BadOption):
        ws.inbox.hand("a1", "au", "s1", {A})  # an auditor of A neither
    assert ws.inbox.hand("a1", "s2", "s1", {A}) is True
    [row] = [r for r in ws.inbox.alerts({A}) if r["alert_id"] == "a1"]
    assert (row["claimed_by"], row["handed_by"], row["handled_at"]) == ("s2", "s1", None)
    assert now <= row["handed_at"] <= datetime.now()
    assert ws.inbox.handled("a1", "s2", {A, B}) is True
    assert ws.inbox.handled("a1", "s1", {A}) is False  # once
    assert ws.inbox.hand("a1", "s1", "s2", {A}) is False  # a handled alert stays with who handled it
    assert ws.inbox.claim("a1", "s1", {A}) is False
    [row] = [r for r in ws.inbox.alerts(None) if r["alert_id"] == "a1"]
    assert (row["claimed_by"], row["handled_by"]) == ("s2", "s2") and row["handed_at"] <= row["handled_at"]
    assert ws.inbox.handled("b1", "mb", {B}) is True  # handled unclaimed: claimed by the same person then
    [row] = ws.inbox.alerts({B})
    assert (row["claimed_by"], row["handled_by"], row["claimed_at"]) == ("mb", "mb", row["handled_at"])
    log = ws.activity.recent(action=None)
    mine = log[log["action"].str.startswith("inbox_")].sort_values("seq")
    assert list(zip(mine["actor"], mine["action"], mine["target"], strict=True)) == [
        ("s1", "inbox_claim", "a1"), ("s1", "inbox_hand", "a1"), ("s2", "inbox_handled", "a1"),
        ("mb", "inbox_handled", "b1")]  # refused and no-op actions write nothing
    assert '"to": "s2"' in mine.iloc[1]["detail"] and A in mine.iloc[1]["detail"]


def test_the_pulse_moves_only_for_the_askers_halls(duck):
    ws, now = Workspace(duck), datetime.now()
    first = ws.inbox.pulse({A})
    alert(duck, "b1", B, now)
    assert ws.inbox.pulse({A}) == first  # another hall's alert
    alert(duck, "old", A, now - timedelta(hours=13))
    assert ws.inbox.pulse({A}) == first  # older than the inbox's 12 hours
    alert(duck, "a1", A, now)
    second = ws.inbox.pulse({A})
    assert second != first
    ws.inbox.claim("a1", "s1", {A})
    third = ws.inbox.pulse({A})
    assert third != second
    duck.insert_rows("cases", [{"case_id": "V1", "visit_id": "V1", "hall_id": A, "kind": "complaint", "owner": "s1",
                                "status": "open", "opened_at": now, "deadline": now + timedelta(hours=4)}])
    assert ws.inbox.pulse({A}) != third
    assert ws.inbox.pulse(None) != ws.inbox.pulse({A})  # every hall: B's alert counts


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from peakend.web.app import create_app

    app = create_app(str(tmp_path_factory.mktemp("inbox") / "s.duckdb"), secret="s")
    store = app.state.peakend.store
    people(store, "s1", "au")
    now = datetime.now()
    alert(store, f"{A}-1:low_e", A, now, "A001")
    alert(store, "b1", B, now, "B001")
    yield app
    store.close()


def test_the_stream_sends_the_askers_lists_and_ends(web, monkeypatch):
    from peakend.web import inbox

    monkeypatch.setattr(inbox, "time", StepClock())
    monkeypatch.setattr(inbox, "STREAM_S", 0.2)  # one tick, then the stream ends (the browser would reconnect)
    monkeypatch.setattr(inbox, "TICK_S", 0.01)
    s1 = signed_in(web, "s1", "s1-pass-1")
    answer = s1.get("/inbox/events?lang=en")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    text = answer.text
    assert text.startswith("retry: 1000\n\n") and text.count("event: inbox\n") == 1  # sent once: nothing changed
    body = text.split("event: inbox\n", 1)[1]
    assert all(line.startswith("data: ") for line in body.strip().split("\n"))
    assert "A001" in body and "B001" not in body and "Hand to" in body
    assert signed_in(web, "au", "au-pass-1").get("/inbox/events").status_code == 403
    monkeypatch.setattr(inbox, "KEEPALIVE_S", 0.05)
    assert ": keep-alive\n\n" in s1.get("/inbox/events").text


def test_the_stream_sends_again_when_an_alert_of_the_askers_halls_appears(web, monkeypatch):
    from peakend.web import inbox

    monkeypatch.setattr(inbox, "time", StepClock())
    monkeypatch.setattr(inbox, "STREAM_S", 0.3)
    monkeypatch.setattr(inbox, "TICK_S", 0.01)
    ws, asked = web.state.peakend.ws, []
    real = ws.inbox.pulse

    def pulse(halls, now=None):  # alerts fired between the stream's questions: B's at the 2nd, A's at the 4th
        asked.append(halls)
        if len(asked) in (2, 4):
            hall, ticket = (B, "B777") if len(asked) == 2 else (A, "A777")
            alert(ws.store, f"new-{ticket}", hall, datetime.now(), ticket)
        return real(halls, now)

    monkeypatch.setattr(ws.inbox, "pulse", pulse)
    text = signed_in(web, "s1", "s1-pass-1").get("/inbox/events?lang=en").text
    assert len(asked) >= 4 and asked[0] == {A}
    events = text.split("event: inbox\n")[1:]
    assert len(events) == 2  # the lists as they were, then once more with A's new alert (B's changed nothing)
    assert "A777" not in events[0] and "A777" in events[1] and "B777" not in text
    assert TestClient(web, follow_redirects=False).get("/inbox/events").status_code == 303  # to the login


def test_the_forms_hand_and_mark_handled_within_the_hall(web):
    s1 = signed_in(web, "s1", "s1-pass-1")
    target = "/inbox/" + f"{A}-1:low_e".replace(":", "%3A")
    assert s1.post(target + "/hand", data={"to": "mb"}).status_code == 422  # not of hall A
    assert s1.post("/inbox/b1/handled").status_code == 422  # hall B's alert
    assert s1.post(target + "/hand", data={"to": "s2"}).status_code == 303
    page = s1.get("/inbox?lang=en").text
    assert re.search(r"handed to s2 \d+ s ago by s1", page)
    assert s1.post(target + "/handled").status_code == 303
    assert re.search(r"s1 \d+ 秒前已处理", s1.get("/inbox?lang=zh").text)


def test_a_stream_has_no_request_deadline_and_a_page_has(monkeypatch):
    from peakend import deadline
    from peakend.web.guard import Guard

    seen: dict[str, float] = {}

    async def app(scope, receive, send):
        found = deadline._DEADLINE.get()
        seen[scope["path"]] = found.seconds if found else -1

    async def call(path: str) -> None:
        scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
        await Guard(app)(scope, None, None)

    asyncio.run(call("/inbox/events"))
    asyncio.run(call("/inbox"))
    assert seen["/inbox/events"] == float("inf") and 0 < seen["/inbox"] < 3600


def test_the_stream_ends_once_its_asker_is_logged_out(web, monkeypatch):
    from peakend.web import inbox

    monkeypatch.setattr(inbox, "time", StepClock())
    monkeypatch.setattr(inbox, "STREAM_S", 2.0)
    monkeypatch.setattr(inbox, "TICK_S", 0.01)
    ws, asked = web.state.peakend.ws, []
    real = ws.inbox.pulse
    s1 = signed_in(web, "s1", "s1-pass-1")

    def pulse(halls, now=None):  # at the 2nd question: every session ended, and a new alert for hall A
        asked.append(halls)
        if len(asked) == 2:
            ws.store.execute("DELETE FROM sessions")
            alert(ws.store, "after-logout", A, datetime.now(), "A888")
        return real(halls, now)

    monkeypatch.setattr(ws.inbox, "pulse", pulse)
    text = s1.get("/inbox/events?lang=en").text
    assert len(asked) == 2 and text.count("event: inbox\n") == 1 and "A888" not in text  # ended, sent nothing
