"""Logs as JSON lines (service/logs.py): one line per request under its request id, the standard loggers' lines
through the same setup, and no phone number or secret in any of them — whatever form the phone takes."""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peakend.service import logs
from peakend.web.app import create_app
from tests.conftest import add_user, signed_in

FULL = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str]:
    """(a Chinese mobile number as a person might write it, its 11 digits)."""
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    sep = draw(st.sampled_from(["", " ", "-", ".", "  "]))
    text = sep.join([digits[:3], digits[3:7], digits[7:]])
    text = draw(st.sampled_from(["", "+86", "+86 ", "86-", "(+86)"])) + text
    return (text.translate(FULL) if draw(st.booleans()) else text), digits


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    app = create_app(str(tmp_path_factory.mktemp("logs") / "s.duckdb"), secret="s")
    add_user(app.state.peakend.store, "admin", "admin-pass-1", "admin")
    yield app
    app.state.peakend.store.close()


def lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def flat(text: str) -> str:
    """`text` in ASCII digits with the separators a phone is written with taken out."""
    return re.sub(r"[\s\-.()+/]", "", unicodedata.normalize("NFKC", text))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(phone=phones(), secret=st.from_regex(r"[a-z]{6}-[A-Z]{6}", fullmatch=True))
def test_no_phone_or_secret_reaches_a_log_line(web, phone, secret):
    text, digits = phone
    buf = io.StringIO()
    logs.configure(stream=buf)
    c = TestClient(web)
    c.get(f"/api/v1/visits/{text}", params={"phone": text, "q": f"call {text}"})
    c.get(f"/nowhere/{text}/x", params={"token": secret})
    logs.get("peakend.test").info(f"sms to {text}", customer=text, numbers=[text, {"password": secret}],
                                  api_key=secret, note={"secret_token": secret, "said": f"ring me {text} pls"})
    logging.getLogger("peakend.jobs").error("job for %s failed", text, extra={"phone": text, "password": secret})
    out = buf.getvalue()
    assert len(lines(buf)) == 4  # two requests, two lines of the server's loggers: each one JSON
    assert digits not in flat(out) and text not in out
    assert secret not in out


def test_a_request_is_one_line_under_its_request_id(web):
    buf = io.StringIO()
    logs.configure(stream=buf)
    c = signed_in(web, "admin", "admin-pass-1")
    buf.truncate(0), buf.seek(0)
    r = c.get("/api/v1/visits/V-nope")
    rid = r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", rid)
    kept = c.get("/healthz", headers={"X-Request-ID": "edge-abc-123_X"})
    assert kept.headers["x-request-id"] == "edge-abc-123_X"
    for bad in ("13800138000abc", "no spaces allowed", "short"):  # a phone, bad characters, too short: replaced
        assert c.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"] != bad
    got = [line for line in lines(buf) if line["event"] == "request"]
    assert len(got) == 5
    first = got[0]
    assert (first["method"], first["route"], first["status"], first["request_id"]) == (
        "GET", "/api/v1/visits/{visit_id}", r.status_code, rid)
    assert first["level"] == "info" and first["logger"] == "peakend.http" and first["ms"] >= 0
    assert got[1]["request_id"] == "edge-abc-123_X" and got[1]["route"] == "/healthz"


def test_mask_keeps_what_is_not_a_phone_and_drops_secret_keys():
    event = {"event": "job 42 of 6 took 12.5 ms", "status": 404, "ms": 3.25, "n": 123456,
             "landline": "010-12345678", "wide": 13800138000, "Authorization": "Bearer x", "db_password": "p",
             "deep": [{"refresh_token": "t", "ok": "room 1203"}]}
    assert logs.mask(event) == {"event": "job 42 of 6 took 12.5 ms", "status": 404, "ms": 3.25, "n": 123456,
                                "landline": "***", "wide": "***", "deep": [{"ok": "room 1203"}]}


def test_the_servers_own_lines_during_a_request_carry_its_id(web):
    @web.get("/zz-log-inside")
    def inside() -> dict:
        logging.getLogger("peakend.jobs").warning("a line written while answering")
        return {}

    buf = io.StringIO()
    logs.configure(stream=buf)
    rid = TestClient(web).get("/zz-log-inside", headers={"X-Request-ID": "trace-0001-ab"}).headers["x-request-id"]
    got = lines(buf)
    assert rid == "trace-0001-ab" and [(g["logger"], g["request_id"]) for g in got] == [
        ("peakend.jobs", rid), ("peakend.http", rid)]


def test_a_library_that_turns_its_logger_to_debug_stays_out_of_the_log():
    buf = io.StringIO()
    logs.configure(stream=buf)
    chatty = logging.getLogger("chatty_library")
    chatty.setLevel(logging.DEBUG)  # as bm25s does: its debug lines once reached `peakend train search` output
    chatty.debug("building index")
    chatty.warning("index is stale")
    assert [line["event"] for line in lines(buf)] == ["index is stale"]
