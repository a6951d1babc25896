"""Rosters as use cases and pages: the staff file (every bad value named, nothing stored while any is), the roster
job's tables, the page (staff, the last roster, the form) and its Excel export, scoped to the hall's managers."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from peakend.errors import PeakendError
from peakend.service import Workspace
from peakend.service import rosters as service
from peakend.simulate.roster import solve
from peakend.simulate.roster_rei import Compared, Estimate
from peakend.simulate.staff_file import StaffFileError, people_of, rows_of
from tests.conftest import add_user, run_jobs, signed_in

HALL = "天河北厅"
GOOD = """staff_id,name,stations,max_day,max_week,contract,days_off,unavailable
a1,王芳,counter_handling,8,40,36,Sun,
a2,李娜,counter_handling;data_experience,6,30,30,Sat;周日,2026-12-08 09-13; 2026-12-09
"""


def test_a_good_file_reads_as_people():
    a1, a2 = people_of(rows_of(GOOD.encode(), "staff.csv"), "staff.csv")
    assert (a1.staff_id, a1.name, a1.stations, a1.days_off) == ("a1", "王芳", frozenset({"counter_handling"}),
                                                                frozenset({6}))
    assert a2.stations == frozenset({"counter_handling", "data_experience"}) and a2.days_off == frozenset({5, 6})
    assert (a2.max_day, a2.max_week, a2.contract) == (6, 30, 30)
    assert a2.unavailable == ((date(2026, 12, 8), 9, 13), (date(2026, 12, 9), 0, 24))


def test_yaml_reads_the_same():
    text = "staff:\n  - {staff_id: a1, stations: [counter_handling], days_off: [Sat, Sun]}\n"
    (a1,) = people_of(rows_of(text.encode(), "staff.yaml"), "staff.yaml")
    assert a1.stations == frozenset({"counter_handling"}) and a1.days_off == frozenset({5, 6}) and a1.max_day == 8


def test_every_bad_value_is_named_by_row_field_and_expectation():
    bad = ("staff_id,stations,max_day,days_off,unavailable\n"
           ",counter,8,,\n"
           "b1,,30,Funday,2026-13-01\n"
           "b2,counter,7.5,,2026-12-08 14-09\n"
           "b2,counter,8,,\n")
    with pytest.raises(StaffFileError) as err:
        people_of(rows_of(bad.encode(), "s.csv"), "s.csv")
    assert err.value.problems == [
        "s.csv row 2, staff_id: empty; expected the staff member's id as in the events",
        "s.csv row 3, stations: empty; expected the stations the person can work, e.g. counter_handling",
        "s.csv row 3, max_day: 30; expected a whole number of hours 1–16",
        "s.csv row 3, days_off: 'Funday'; expected weekdays Mon…Sun, 周一…周日 or 0–6",
        "s.csv row 3, unavailable: '2026-13-01'; expected YYYY-MM-DD or YYYY-MM-DD HH-HH (e.g. 2026-12-08 09-13), "
        "several separated by ';'",
        "s.csv row 4, max_day: 7.5; expected a whole number of hours 1–16",
        "s.csv row 4, unavailable: '2026-12-08 14-09'; expected YYYY-MM-DD or YYYY-MM-DD HH-HH (e.g. 2026-12-08 "
        "09-13), several separated by ';'",
        "s.csv row 5, staff_id: 'b2' appears twice; expected one row a person"]


def test_a_bad_file_stores_nothing_and_a_good_one_replaces_the_list(store):
    ws = Workspace(store)
    assert ws.rosters.load_staff(HALL, GOOD.encode(), "staff.csv", "li") == 2
    with pytest.raises(PeakendError, match="row 2, max_week"):
        ws.rosters.load_staff(HALL, b"staff_id,stations,max_week\nz,counter,99\n", "x.csv", "li")
    with pytest.raises(PeakendError, match="not UTF-8"):
        ws.rosters.load_staff(HALL, "staff_id,stations\n张,c\n".encode("gbk"), "x.csv", "li")
    assert ws.rosters.staff_table(HALL)["staff_id"].tolist() == ["a1", "a2"]  # the bad files changed nothing
    ws.rosters.load_staff(HALL, b"staff_id,stations\nz9,counter_handling\n", "y.csv", "li")
    assert ws.rosters.staff_table(HALL)["staff_id"].tolist() == ["z9"]
    assert ws.rosters.staff("another hall") == []


def test_iso_weeks():
    assert service.iso_week("2026-W50")[0] == date(2026, 12, 7) and len(service.iso_week("2026-w50")) == 7
    for bad in ("2026-50", "2026-W54", "W50", ""):
        with pytest.raises(PeakendError, match="YYYY-Www"):
            service.iso_week(bad)


def tiny_roster(self: service.Rosters, hall: str, week: str, targets, upper=False, reps=3, seed=0, time_limit=20.0,
                step=lambda *_: None) -> service.Rostered:
    """A stand-in for the forecast and the planner (slow, tested elsewhere): a fixed need, the real solver."""
    days = service.iso_week(week)
    need = pd.DataFrame([(d, h, "counter_handling", 2 if h < 13 else 1) for d in days[:2] for h in range(9, 17)],
                        columns=["day", "hour", "station", "need"])
    roster = solve(self.staff(hall), need)
    table = need.rename(columns={"need": "servers"}).assign(erlang_a=need["need"] + 1, arrivals=10.0, meets=True,
                                                            unreachable="")
    forecast = service.Forecasted(hall, pd.DataFrame(), 0.9, None, [], 0)
    gain = Compared(Estimate(80.0, 79.0, 81.0), Estimate(78.5, 77.5, 79.5), Estimate(1.5, 0.5, 2.5), 3, 100)
    return service.Rostered(hall, week, service.Needed(hall, forecast, table, targets, upper), roster, [], gain)


@pytest.fixture
def app_with_roster(duck, monkeypatch):
    from peakend.web.app import create_app

    app = create_app(":memory:", secret="test")
    ws = app.state.peakend.ws
    add_user(ws.store, "li", "manager-pass", "manager", [HALL])
    add_user(ws.store, "zhao", "manager-pass", "manager", ["北京路厅"])
    add_user(ws.store, "wang", "auditor-pass", "auditor", [HALL])
    ws.rosters.load_staff(HALL, GOOD.encode(), "staff.csv", "li")
    monkeypatch.setattr(service.Rosters, "roster", tiny_roster)
    return app


def test_the_roster_job_keeps_its_tables_and_the_page_shows_them(app_with_roster):
    ws = app_with_roster.state.peakend.ws
    job = ws.jobs.run_here("roster", {"hall": HALL, "week": "2026-W50"}, "li", frozenset([HALL]))
    assert job.state == "done", job.error("en")
    # two days × (2 needed 9–13, 1 needed 13–17) = 24 server-hours. Monday: a1 9–17 with a break, a2 from 9 over
    # that break: all covered. Tuesday a2 cannot work 09–13, so a1 is alone there: 4 uncovered, a2 13–17.
    assert job.result["need"] == 24 and job.result["uncovered"] == 4
    frames = ws.jobs.frames(job.job_id)
    cov = frames["coverage"]
    assert job.result["uncovered"] == int(cov["uncovered"].sum()) and (cov["why"] != "").sum() == (
        cov["uncovered"] > 0).sum()
    c = signed_in(app_with_roster, "li", "manager-pass")
    page = c.get(f"/halls/{HALL}/roster?lang=en")
    assert page.status_code == 200
    assert "王芳" in page.text and "2026-W50" in page.text and "server-hours covered" in page.text
    book = c.get(f"/api/v1/export/roster.xlsx?hall={HALL}")
    assert book.status_code == 200
    shifts = pd.read_excel(io.BytesIO(book.content))
    assert set(shifts["name"]) <= {"王芳", "李娜"} and shifts["hours"].sum() == frames["hours"]["hours"].sum()
    zh = c.get(f"/halls/{HALL}/roster?lang=zh")
    assert "排班" in zh.text and "server-hours" not in zh.text
    # the predicted REI against the skill-blind roster's, on the page in both languages and in the CLI's lines
    assert job.result["rei"]["gain"] == [1.5, 0.5, 2.5]
    assert "this roster 80.0 [79.0, 81.0]" in page.text and "difference +1.50 [+0.50, +2.50]" in page.text
    assert "本排班 80.0 [79.0, 81.0]" in zh.text and "差值 +1.50 [+0.50, +2.50]" in zh.text
    lines = service.roster_shown(job.result, frames, "en")
    assert any(isinstance(x, str) and "a skill-blind roster 78.5 [77.5, 79.5]" in x for x in lines)


def test_a_roster_without_cards_says_why_it_has_no_rei_comparison(duck):
    from peakend.simulate.roster import Person

    ws = Workspace(duck)
    people = [Person("a", "A", frozenset({"x"})), Person("b", "B", frozenset({"x"}), score=0.2)]
    assert ws.rosters.rei_why(people, frozenset({"x"}), "optimal") == "roster_rei_no_cards"
    assert ws.rosters.rei_why(people, frozenset(), "optimal") == "roster_rei_no_peak"
    assert ws.rosters.rei_why(people, frozenset({"x"}), "unknown") == "roster_rei_unsolved"
    result = {"rei": None, "rei_why": "roster_rei_no_cards"}
    assert "fewer than two staff" in service.rei_line(result, "en") and "不足两人" in service.rei_line(result, "zh")


def test_the_page_makes_a_roster_as_a_job_and_never_solves_inline(app_with_roster):
    ws = app_with_roster.state.peakend.ws
    c = signed_in(app_with_roster, "li", "manager-pass")
    sent = c.post(f"/halls/{HALL}/roster", data={"week": "2026-W51"}, headers={"Origin": "http://testserver"})
    assert sent.status_code == 303
    queued = ws.jobs.recent(kinds=("roster",))
    assert [j.state for j in queued] == ["queued"] and queued[0].params["week"] == "2026-W51"
    page = c.get(f"/halls/{HALL}/roster?lang=en")
    assert 'id="roster-job"' in page.text and "No roster yet" in page.text
    bad = c.post(f"/halls/{HALL}/roster", data={"week": "next week"}, headers={"Origin": "http://testserver"})
    assert "YYYY-Www" in bad.text
    assert run_jobs(app_with_roster) == 1  # a job runner, not the page, solves it
    shown = c.get(f"/halls/{HALL}/roster?lang=en")
    assert "2026-W51" in shown.text and 'id="roster-job"' not in shown.text and 'id="roster-shifts"' in shown.text


def test_only_the_hall_s_managers_load_staff_or_make_rosters(app_with_roster):
    files = {"file": ("staff.csv", b"staff_id,stations\nq,counter_handling\n", "text/csv")}
    origin = {"Origin": "http://testserver"}
    c = signed_in(app_with_roster, "zhao", "manager-pass")
    assert c.get(f"/halls/{HALL}/roster").status_code == 404
    assert c.post(f"/halls/{HALL}/roster/staff", files=files, headers=origin).status_code == 404
    c = signed_in(app_with_roster, "wang", "auditor-pass")
    assert c.post(f"/halls/{HALL}/roster", data={"week": "2026-W50"}, headers=origin).status_code in (403, 404)
    c = signed_in(app_with_roster, "li", "manager-pass")
    bad = c.post(f"/halls/{HALL}/roster/staff?lang=en", files={"file": ("s.csv", b"staff_id,stations\n,x\n")},
                 headers=origin)
    assert "row 2, staff_id" in bad.text
    ok = c.post(f"/halls/{HALL}/roster/staff", files=files, headers=origin)
    assert ok.status_code == 303
    ws = app_with_roster.state.peakend.ws
    assert ws.rosters.staff_table(HALL)["staff_id"].tolist() == ["q"]
    logged = ws.activity.recent(50, action="roster_staff")
    assert logged["actor"].tolist()[:1] == ["li"] and len(logged) == 2  # the fixture's load and this one
