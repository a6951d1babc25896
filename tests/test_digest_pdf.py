"""Reports people forward: the weekly digest through a real SMTP server (aiosmtpd) or as files, its figures worked
out independently from the score tables, and the report printed to PDF by Chromium."""

from __future__ import annotations

import email
import os
import shutil
import socket
from datetime import timedelta
from email.message import Message

import duckdb
import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from peakend.cli import app
from peakend.store.db import connect
from tests.conftest import add_user

runner = CliRunner()
A, B = "天河北厅", "北京路厅"


class Inbox:
    """An SMTP handler that keeps what it is sent."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.mails.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def store_copy(demo, tmp_path) -> str:
    db = tmp_path / "digest.duckdb"
    shutil.copy(demo / "peakend.duckdb", db)
    with connect(str(db)) as store:
        add_user(store, "li", "manager-pass", "manager", [A, B], "li@example.com")
        add_user(store, "wu", "manager-pass", "manager", ["黄埔大沙厅"])  # no e-mail: no mail, a file with --out
        add_user(store, "boss", "admin-pass-1", "admin")
    return str(db)


def body(m: Message) -> str:
    return next(p.get_payload(decode=True).decode("utf-8") for p in m.walk() if p.get_content_type() == "text/plain")


def test_the_digest_goes_through_a_real_smtp_server_with_figures_worked_out_independently(store_copy, monkeypatch):
    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        monkeypatch.setenv("PEAKEND_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PEAKEND_SMTP_PORT", str(port))
        monkeypatch.setenv("PEAKEND_SMTP_FROM", "digest@peakend.test")
        result = runner.invoke(app, ["digest", "--db", store_copy])
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "1 digest(s) sent by e-mail" in result.output and "1 manager(s) without an e-mail" in result.output
    [(to, mail)] = inbox.mails
    assert to == ["li@example.com"] and mail["From"] == "digest@peakend.test"
    text = body(mail)
    con = duckdb.connect(store_copy, read_only=True)
    for hall in (A, B):  # the week ending on the halls' last day, by a query of our own
        last = con.execute("SELECT max(day) FROM visit_scores WHERE hall_id IN (?, ?)", [A, B]).fetchone()[0]
        rei = con.execute("SELECT avg(rei) FROM visit_scores WHERE hall_id = ? AND day > ? AND day <= ?",
                          [hall, last - timedelta(days=7), last]).fetchone()[0]
        worst = con.execute("SELECT moment_id FROM moment_scores WHERE hall_id = ? ORDER BY lift DESC LIMIT 1",
                            [hall]).fetchone()[0]
        section = text.split(f"== {hall} ==")[1].split("==")[0]
        assert f"REI 本周 this week: {rei:.1f}" in section
        assert {"leaving": "Leaving", "counter_result": "Counter result"}.get(worst, worst) in section.splitlines()[4]
    assert "黄埔大沙厅" not in text  # another manager's hall


def test_digests_as_files_and_an_smtp_server_that_is_not_there(store_copy, tmp_path, monkeypatch):
    out = tmp_path / "digests"
    result = runner.invoke(app, ["digest", "--db", store_copy, "--out", str(out)])
    assert result.exit_code == 0 and "2 digest(s) written" in result.output
    wu = email.message_from_bytes((out / "wu.eml").read_bytes())
    assert "黄埔大沙厅" in body(wu) and "北京路厅" not in body(wu)
    monkeypatch.setenv("PEAKEND_SMTP_PORT", "1")  # nothing listens there
    down = runner.invoke(app, ["digest", "--db", store_copy])
    assert down.exit_code == 1 and "did not take the digests" in down.output and "Traceback" not in down.output


def test_the_report_prints_to_pdf_with_its_charts(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("PEAKEND_CHROMIUM", os.environ.get("PEAKEND_CHROMIUM", "/usr/bin/chromium"))
    db = tmp_path / "r.duckdb"
    shutil.copy(demo / "peakend.duckdb", db)
    result = runner.invoke(app, ["--lang", "en", "report", "--db", str(db), "-o", str(tmp_path / "r.html"), "--pdf"])
    assert result.exit_code == 0, result.output
    with connect(str(db)) as store:  # the demo's report computed the network's verdicts once, as the pages' job
        runs = store.scalar("SELECT count(*) FROM score_runs")
        assert store.rows("SELECT state, basis, halls FROM jobs WHERE kind = 'verdicts'") == [("done", runs, None)]
    assert (tmp_path / "r.html").read_text("utf-8").count('<p class="verdict">') >= 1  # shown from the kept job
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + pdf.count(
        b"/Type /Page/") + pdf.count(b"/Type /Page>") >= 3  # several pages: the charts and tables were drawn
    monkeypatch.setenv("PEAKEND_CHROMIUM", str(tmp_path / "no-chromium"))
    missing = runner.invoke(app, ["report", "--db", str(db), "-o", str(tmp_path / "s.html"), "--pdf"])
    assert missing.exit_code == 1 and "PEAKEND_CHROMIUM" in missing.output and "Traceback" not in missing.output


def test_a_wrong_email_is_refused(duck):
    from peakend.errors import UserError

    with pytest.raises(UserError):
        add_user(duck, "x", "password-1", "manager", [A], "not an address")


def test_the_touchpoint_map_by_hand(bp):
    """Zones coloured and edged by hand-made figures, flow-lines through the laid-out zones, pins for alerts."""
    import pandas as pd

    from peakend.report.floor import ZoneFigures, alerts_by_zone, colour, floor_svg

    assert (colour(-0.6), colour(0.0), colour(0.6), colour(-0.15)) == ("#b2182b", "#ffffff", "#2166ac", "#ecc5ca")
    figures = {"exit": ZoneFigures(40, -0.15, 0.5), "counters": ZoneFigures(100, 0.6, 0.0)}
    alerts = alerts_by_zone(bp, pd.DataFrame({"moment_id": ["leaving", "leaving", "counter_result", None]}))
    assert alerts == {"exit": 2, "counters": 1}
    svg = floor_svg(bp, figures, alerts, "en")
    exit_box = svg.split('data-zone="exit"><rect')[1].split("/>")[0]
    assert 'fill="#ecc5ca"' in exit_box and 'stroke-width="5.0"' in exit_box  # e −0.15: a quarter red; 1 + 8 × 0.5
    assert 'fill="#2166ac"' in svg.split('data-zone="counters"><rect')[1].split("/>")[0]
    assert svg.count('class="route"') == len(bp.routes) and svg.count('class="pin"') == 2
    assert ">2</text>" in svg.split('class="pin" data-zone="exit"')[1]
    assert "e −0.15" in svg.replace("-", "−") and "no data" in svg  # zones without touches say so
    assert floor_svg(bp.model_copy(update={"layout": {}}), figures, alerts, "en") == ""


def test_a_layout_off_the_floor_or_of_an_unknown_zone_is_refused():
    from peakend.blueprint.load import check_text, default_text

    text = default_text().replace("  exit: {x: 63, y: 42, w: 19, h: 8}", "  exit: {x: 90, y: 42, w: 19, h: 8}\n"
                                  "  lobby: {x: 1, y: 1, w: 1, h: 1}")
    _, problems = check_text(text)
    said = "\n".join(str(p) for p in problems)
    assert "zone 'exit' runs off the 100 × 60 floor" in said and "layout names unknown zone 'lobby'" in said
