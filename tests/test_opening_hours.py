"""Opening hours per weekday on a forecast worked out by hand: the window keeping the share of arrivals asked at
the fewest server-hours, the customers turned away and waiting past the target."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from peakend.simulate.hours import best_hours, opening_hours

MON = date(2026, 12, 7)
# Monday 9–14: arrivals 2, 10, 20, 10, 8 (50); Tuesday 9–14: 10 every hour (50)
ARRIVALS = {MON: [2, 10, 20, 10, 8], MON + timedelta(days=1): [10, 10, 10, 10, 10]}
SERVERS = {MON: [1, 2, 3, 2, 2], MON + timedelta(days=1): [2, 2, 2, 2, 2]}


def tables(meets_at_11: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = pd.DataFrame([(d, 9 + i, float(a)) for d, xs in ARRIVALS.items() for i, a in enumerate(xs)],
                     columns=["day", "hour", "mean"])
    # two stations: the servers split 1 + the rest, as the needs table gives them
    rows = []
    for d, xs in SERVERS.items():
        for i, s in enumerate(xs):
            meets = not (d == MON and 9 + i == 11 and not meets_at_11)
            rows += [(d, 9 + i, "a", 1, meets), (d, 9 + i, "b", s - 1, True)]
    n = pd.DataFrame(rows, columns=["day", "hour", "station", "servers", "meets"])
    return f, n


def test_each_weekday_gets_the_cheapest_window_keeping_the_share():
    f, n = tables()
    mon, tue = opening_hours(f, n, keep=0.8, target_share=0.8)
    # Monday: 80% of 50 = 40. 10–13 keeps 40 with 7 server-hours; 10–14 keeps 48 with 9; 9–13 keeps 42 with 8.
    assert (mon.weekday, mon.today, mon.best) == (0, (9, 14), (10, 13))
    assert mon.turned_away == pytest.approx(10) and mon.kept == pytest.approx(0.8)
    assert (mon.server_hours, mon.server_hours_today) == (7, 10)
    assert mon.waiting == pytest.approx(40 * 0.2)  # every hour kept meets the targets: 1 − 0.8 of its arrivals
    # Tuesday: any four consecutive hours keep 40 with 8 server-hours; the first found (9–13) is kept
    assert (tue.weekday, tue.best, tue.turned_away, tue.server_hours) == (1, (9, 13), 10, 8)


def test_an_hour_that_misses_the_targets_counts_all_its_customers_as_waiting():
    f, n = tables(meets_at_11=False)
    mon = opening_hours(f, n, keep=0.8, target_share=0.8)[0]
    assert mon.waiting == pytest.approx(20 + (10 + 10) * 0.2)


def test_keeping_everyone_keeps_today_s_hours_and_ties_prefer_the_wider():
    f, n = tables()
    assert [h.best for h in opening_hours(f, n, keep=1.0, target_share=0.8)] == [(9, 14), (9, 14)]
    free = pd.DataFrame({"hour": [9, 10, 11], "arrivals": [0.0, 5.0, 0.0], "servers": [0, 1, 0]})
    assert best_hours(free, 1.0) == (9, 12)  # the empty hours cost nothing: the wider window wins the tie


def test_the_use_case_and_its_lines_in_both_languages(duck, monkeypatch):
    from peakend.errors import PeakendError
    from peakend.service import Workspace
    from peakend.service import rosters as service

    f, n = tables()
    asked = []

    def needs(self, hall, days, targets, upper=False, reps=5, seed=0, stations=None, step=None):
        asked.append((hall, days[0], len(days), targets.share))
        return service.Needed(hall, service.Forecasted(hall, f, 0.9, None, [], 0), n, targets, upper)

    monkeypatch.setattr(service.Rosters, "needs", needs)
    ws = Workspace(duck)
    rows = ws.rosters.opening_hours("h", "2026-W50", 10, 0.8, keep=0.8)
    assert asked == [("h", MON, 7, 0.8)] and [r.best for r in rows] == [(10, 13), (9, 13)]
    en = service.hours_shown("h", "2026-W50", 0.8, rows, "en")
    assert en[1] == ("Mon: today 09:00–14:00, proposed 10:00–13:00 (keeps 80%); turned away 10, waiting past target "
                     "up to 8; 7 server-hours instead of 10")
    zh = service.hours_shown("h", "2026-W50", 0.8, rows, "zh")
    assert zh[2].startswith("周二：现为 09:00–14:00，建议 09:00–13:00") and "拒之门外 10 人" in zh[2]
    with pytest.raises(PeakendError, match="share of arrivals to keep"):
        ws.rosters.opening_hours("h", "2026-W50", 10, 0.8, keep=1.5)
