"""The demo's live side: on the demo's store a server feeds today's simulated traffic up to now through the live
loop, so that alerts, cases and the hall page's live counters are non-zero and true; once a day, never twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from peakend.demo import today
from peakend.service import Workspace
from peakend.store.db import connect

NOON = datetime(2026, 12, 7, 13, 30)  # the demo halls are open
DAWN = datetime(2026, 12, 7, 5, 0)  # closed: the day is moved so that they opened three hours ago


def test_a_store_that_is_not_the_demo_gets_nothing(tmp_path):
    with connect(str(tmp_path / "s.duckdb")) as store:
        ws = Workspace(store, clock=lambda: NOON)
        assert ws.demo.start_today() is None and today.marked(store) is None


def test_todays_traffic_fires_the_live_rules_once_a_day(tmp_path):
    with connect(str(tmp_path / "d.duckdb")) as store:
        ws = Workspace(store, clock=lambda: NOON)
        today.mark(store, 3, 7)
        job = ws.demo.start_today()
        assert job is not None and job.kind == "demo_today"
        assert ws.jobs.run_next()
        done = ws.jobs.get_or_fail(job.job_id)
        assert done.state == "done", done.error
        touches = store.query("SELECT visit_id, start_at FROM touches")
        assert len(touches) == done.result["touches"] > 500
        assert touches["visit_id"].str.match(r"^D0\d-\d-261207-\d{4}$").all()
        assert touches["start_at"].max() <= NOON and touches["start_at"].min().date() == NOON.date()
        alerts = store.query("SELECT visit_id, fired_at FROM alerts")
        assert len(alerts) == done.result["alerts"] > 0 and (alerts["fired_at"] <= NOON + timedelta(minutes=15)).all()
        assert set(alerts["visit_id"]) <= set(touches["visit_id"])
        assert store.scalar("SELECT count(*) FROM cases") == done.result["cases"] > 0
        live = [ws.figures.hall_live(h)["figures"] for h in ws.figures.known_halls()]
        assert sum(f["cases_opened"] for f in live) == done.result["cases"]
        assert ws.demo.start_today() is None  # fed: not again today
        again = today.feed_today(store, ws.blueprint, ws.gateway, NOON)
        assert again.stored == 0 and store.scalar("SELECT count(*) FROM touches") == len(touches)


def test_before_opening_the_day_is_shown_as_three_hours_old(tmp_path):
    with connect(str(tmp_path / "d.duckdb")) as store:
        today.mark(store, 3, 7)
        rows = today.today_rows(Workspace(store).blueprint, today.marked(store), DAWN)
        start = rows["start_at"].map(datetime.fromisoformat)
        assert start.max() <= DAWN and start.min() >= DAWN - timedelta(hours=today.OPEN_HOURS, minutes=1)
        assert start.max() >= DAWN - timedelta(minutes=15)  # traffic right up to now


def test_just_after_midnight_the_day_starts_at_midnight_not_yesterday(tmp_path):
    late = datetime(2026, 12, 8, 0, 40)  # three hours ago was yesterday: the day would spill into it
    with connect(str(tmp_path / "d.duckdb")) as store:
        today.mark(store, 3, 7)
        rows = today.today_rows(Workspace(store).blueprint, today.marked(store), late)
        start = rows["start_at"].map(datetime.fromisoformat)
        assert len(rows) > 0 and start.min() >= datetime(2026, 12, 8) and start.max() <= late
