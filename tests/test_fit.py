"""`peakend fit`: estimators worked by hand, and a known hall recovered from its own ingested events."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from peakend.cli import app
from peakend.ingest.pipeline import ingest_file
from peakend.ingest.validate import Context
from peakend.simulate.config import Dist, HallConfig, load_config
from peakend.simulate.fit import (
    TOUCH_COLUMNS,
    FitError,
    Observed,
    check,
    class_check,
    fit,
    infer_routes,
    latest_day,
    observed,
    servers_by_hour,
)
from peakend.simulate.run import simulate, write_events

T = pd.Timestamp


def test_servers_are_the_most_services_begun_in_the_hour_at_once():
    """Hour 10: three overlap at 10:06. Hour 11: the 10:50 service runs on, but only two begun in 11 overlap."""
    begin = pd.Series([T("2026-10-05 10:00"), T("2026-10-05 10:05"), T("2026-10-05 10:06"), T("2026-10-05 10:50"),
                       T("2026-10-05 11:00"), T("2026-10-05 11:05"), T("2026-10-06 10:00")])
    end = pd.Series([T("2026-10-05 10:10"), T("2026-10-05 10:20"), T("2026-10-05 10:08"), T("2026-10-05 11:30"),
                     T("2026-10-05 11:10"), T("2026-10-05 11:15"), T("2026-10-06 10:05")])
    # day 2 saw one server in hour 10; the 90th percentile of (3, 1) taken at an observed value is 3
    assert servers_by_hour(begin, end, 9, 13) == {10: 3, 11: 2}
    # one service ending the second the next begins is one server, not two (timestamps kept to the second)
    back_to_back = servers_by_hour(pd.Series([T("2026-10-05 09:00"), T("2026-10-05 09:10")]),
                                   pd.Series([T("2026-10-05 09:10"), T("2026-10-05 09:20")]), 9, 13)
    assert back_to_back == {9: 1}


def hand_observed() -> Observed:
    """Mon–Tue and one Saturday; a queue at `waiting` before the counter; one customer left the queue."""
    arrivals = ["2026-10-05 09:10", "2026-10-05 09:20", "2026-10-05 10:05", "2026-10-06 09:30",
                "2026-10-10 09:00", "2026-10-10 09:10", "2026-10-10 09:20", "2026-10-10 10:00"]
    visits = pd.DataFrame({"visit_id": [f"V{i}" for i in range(8)],
                           "route": ["business_handling"] * 6 + ["self_service_route", None],
                           "segment": ["大众"] * 8, "arrival": pd.to_datetime(arrivals)})
    rows = []
    for i, (a, wait, service, left) in enumerate([("2026-10-05 09:10", 2.0, 4.0, False),
                                                  ("2026-10-05 09:20", 4.0, 8.0, False),
                                                  ("2026-10-05 10:05", 6.0, None, True)]):
        t0 = T(a)
        rows.append([f"V{i}-1", f"V{i}", "waiting", 1, t0, t0 + pd.Timedelta(minutes=wait), None, None, None, wait,
                     None, "abandoned" if left else None])
        if not left:
            s0 = t0 + pd.Timedelta(minutes=wait)
            rows.append([f"V{i}-2", f"V{i}", "counter_handling", 2, s0, s0 + pd.Timedelta(minutes=service), "G1", None,
                         None, None, service, None])
        rows.append([f"V{i}-3", f"V{i}", "leaving", 3, None, None, None, None, None, None, None, "resolved"])
    return Observed("手算厅", visits, pd.DataFrame(rows, columns=TOUCH_COLUMNS))


def test_a_new_service_s_queue_is_where_people_wait_not_a_station():
    """A blueprint of any service names its queue moment (`live.diversion.queue_moment`, here `wait`): the fit reads
    waits there and makes no counter of it (a trial's what-if offered servers at its waiting moment)."""
    from peakend.blueprint.load import check_text
    from peakend.blueprint.new import new_blueprint_text

    new, _ = check_text(new_blueprint_text(["取号|Ticket", "等候|Wait", "柜台|Counter", "离开|Leave"]), "w.yaml")
    assert new is not None
    obs = hand_observed()
    renamed = {"waiting": "wait", "counter_handling": "counter", "leaving": "leave"}
    obs = Observed(obs.hall_id, obs.visits.assign(route="main"), obs.touches.replace({"moment_id": renamed}))
    cfg = fit(obs, new).cfg
    assert cfg.queue_moments == ["wait"] and [s.moments for s in cfg.stations.values()] == [["counter"]]


def test_estimators_by_hand(bp):
    fitted = fit(hand_observed(), bp)
    cfg = fitted.cfg
    assert (cfg.opens, cfg.closes) == (9, 11)
    assert cfg.arrivals == {9: 1.5, 10: 0.5}  # weekdays: three arrivals at 9 and one at 10 over two days
    assert cfg.weekend_factor == 2.0  # 4 visits on the one Saturday over 2 per weekday
    assert cfg.routes == {"business_handling": 0.8571, "self_service_route": 0.1429}  # 6 and 1 of 7 named
    assert any("1 of 8 visits name no route" in n for n in fitted.notes)
    assert list(cfg.stations) == ["counter_handling"]  # it follows the queue moment
    assert cfg.stations["counter_handling"].schedule(9, 11) == [1, 1]
    service = cfg.service["counter_handling"]  # 4 and 8 minutes: mean 6, sd 2.83, cv 0.471
    assert (service.kind, service.mean, service.cv) == ("gamma", 6.0, 0.471)
    assert cfg.patience == Dist(kind="exponential", mean=12.0)  # 2 + 4 + 6 minutes waited, one left


def test_routes_not_sent_are_inferred_from_the_moments_touched(bp):
    obs = hand_observed()
    routes = infer_routes(obs.touches, bp)
    # waiting → counter → leaving: business handling (6 moments) before the whole hall (10);
    # V2 left the queue (waiting → leaving): it stays in the queue it left, the route the served took —
    # not waiting and diversion, the shortest route holding both (an abandoned wait is no self-service visit)
    assert routes.to_dict() == {"V0": "business_handling", "V1": "business_handling", "V2": "business_handling"}
    odd = pd.DataFrame({"visit_id": ["X", "X"], "moment_id": ["leaving", "entering"]})  # no route runs backwards
    assert infer_routes(odd, bp).to_dict() == {"X": None}
    no_routes = Observed(obs.hall_id, obs.visits.assign(route=None), obs.touches)
    assert fit(no_routes, bp).cfg.routes == {"business_handling": 1.0}


def test_a_hall_without_data_or_routes_is_refused(duck, bp):
    with pytest.raises(FitError, match="no visits"):
        observed(duck, "无此厅")
    obs = hand_observed()
    nothing_known = Observed(obs.hall_id, obs.visits.assign(route=None), obs.touches.iloc[0:0])
    with pytest.raises(FitError, match="--like"):
        fit(nothing_known, bp)


def test_the_day_to_fit_and_compare_with_is_the_latest_before_today_when_there_is_one(store):
    rows = [("v1", "甲厅", "2026-12-05 10:00"), ("v2", "甲厅", "2026-12-06 23:30"), ("v3", "甲厅", "2026-12-08 00:20"),
            ("v4", "乙厅", "2026-12-08 09:00")]
    for visit, hall, arrival in rows:
        store.execute("INSERT INTO visits (visit_id, hall_id, arrival) VALUES (?, ?, ?)", [visit, hall, arrival])
    today = date(2026, 12, 8)
    assert latest_day(store, "甲厅") == today  # no clock: the latest day with a visit
    assert latest_day(store, "甲厅", today) == date(2026, 12, 6)  # today is not over: the day before it with visits
    assert latest_day(store, "甲厅", date(2026, 12, 9)) == today  # yesterday is over
    assert latest_day(store, "乙厅", today) == today  # only today's: today, rather than nothing
    assert latest_day(store, "丙厅", today) is None


TRUE = HallConfig.model_validate(dict(
    hall_id="拟合厅", opens=9, closes=13, arrivals={9: 24, 10: 30, 11: 30, 12: 18}, weekend_factor=1.5,
    routes={"business_handling": 0.7, "self_service_route": 0.3},
    stations={"counter": {"moments": ["counter_handling"], "servers": {9: 2, 10: 3, 12: 2}},
              "kiosk": {"moments": ["self_service"], "servers": 2}},
    service={"counter_handling": Dist(kind="exponential", mean=6), "self_service": Dist(mean=3, cv=0.5),
             "greeting": Dist(kind="fixed", mean=1)},
    outcomes={"counter_result": {"resolved": 0.9, "unresolved": 0.1}},
    patience={"kind": "exponential", "mean": 30},
    ratings={"counter_result": {"share": 0.7}}, character={"counter_result": 0.3}))


def test_fit_recovers_a_known_hall_from_its_ingested_events(store, bp, tmp_path):
    """Four weeks simulated from a known configuration, ingested, fitted: every estimate within 4 standard errors."""
    sim = simulate(TRUE, bp, date(2026, 10, 5), days=28, seed=7)
    for f in write_events(sim, tmp_path):
        assert ingest_file(store, f, Context(bp)).quarantined == 0
    obs = observed(store, "拟合厅")
    fitted = fit(obs, bp)
    cfg, weekdays = fitted.cfg, 20
    assert (fitted.visits, fitted.days) == (len(sim.visits), 28)
    assert (cfg.opens, cfg.closes) == (9, 13)
    for hour, rate in TRUE.arrivals.items():
        assert abs(cfg.arrivals[hour] - rate) <= 4 * math.sqrt(rate / weekdays)
    assert abs(cfg.weekend_factor - 1.5) <= 0.2
    n = len(sim.visits)
    assert abs(cfg.routes["business_handling"] - 0.7) <= 4 * math.sqrt(0.21 / n)
    # the stations are found (named for their moments) and their servers recovered hour by hour
    assert {k: s.schedule(9, 13) for k, s in cfg.stations.items()} == {
        "counter_handling": [2, 3, 3, 2], "self_service": [2, 2, 2, 2]}
    served = int(sim.touches["moment_id"].eq("counter_handling").sum())
    counter = cfg.service["counter_handling"]
    assert abs(counter.mean - 6) <= 4 * 6 / math.sqrt(served) and abs(counter.cv - 1) <= 0.1
    assert abs(cfg.service["self_service"].mean - 3) <= 0.15 and abs(cfg.service["self_service"].cv - 0.5) <= 0.1
    assert cfg.service["greeting"] == Dist(kind="fixed", mean=1.0)
    left = int(sim.touches["outcome"].eq("abandoned").sum())
    assert left > 20 and abs(cfg.patience.mean - 30) <= 4 * 30 / math.sqrt(left)
    assert abs(cfg.outcomes["counter_result"]["resolved"] - 0.9) <= 4 * math.sqrt(0.09 / served)
    # pads pressed at 70% of counter results; felt 0.3 above the inferred experience there (less a little
    # for ratings clipped at the top of the scale)
    assert abs(cfg.ratings["counter_result"].share - 0.7) <= 0.03 and cfg.ratings["counter_result"].scale == "1-5"
    assert 0.22 <= cfg.character["counter_result"] <= 0.33
    table = check(cfg, bp, obs, reps=10).set_index("hour")
    busy = table.loc[9:12]
    assert np.allclose(busy["simulated_per_day"], busy["observed_per_day"], rtol=0.15)
    # the fitted model reproduces the observed waits: each hour's observed figure inside the model's 95%
    # prediction interval for one replication of these dates (no slack added)
    assert busy["mean_ok"].all() and busy["p90_ok"].sum() >= 3 and busy["abandon_ok"].sum() >= 3


def test_fit_command(tmp_path):
    runner = CliRunner()
    cfg = tmp_path / "true.yaml"
    cfg.write_text(TRUE.model_dump_json(), "utf-8")
    db = str(tmp_path / "f.duckdb")
    result = runner.invoke(app, ["simulate", str(cfg), "--days", "7", "--out", str(tmp_path / "ev"), "--db", db])
    assert result.exit_code == 0, result.output
    out = tmp_path / "fitted.yaml"
    result = runner.invoke(app, ["fit", "拟合厅", "--db", db, "--out", str(out), "--reps", "2", "--like", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "fitted 拟合厅 from" in result.output and "observed vs simulated" in result.output
    from peakend.blueprint.load import load_blueprint

    again = load_config(out, load_blueprint())  # the written configuration is one `simulate` and `plan` take
    assert list(again.stations) == ["counter", "kiosk"]  # the base's layout, servers refitted
    assert pd.read_csv(tmp_path / "fitted.check.csv")["hour"].tolist()[:4] == [9, 10, 11, 12]
    result = runner.invoke(app, ["fit", "无此厅", "--db", db])
    assert result.exit_code == 2 and "has no visits" in result.output


# -- a queue log with a known answer: effective servers, patience, a Sunday–Thursday week, idle staff -------------
CALL_LAMBDA = {8: 20, 9: 40, 10: 55, 11: 60, 12: 45, 13: 40, 14: 50, 15: 55, 16: 50, 17: 40, 18: 30, 19: 15}
CALL_SERVERS = {8: 2, 9: 4, 10: 6, 11: 6, 12: 5, 13: 4, 14: 5, 15: 6, 16: 5, 17: 4, 18: 3, 19: 2}
IDLE_SHARE = 0.5  # two idle staff, each 6 minutes an hour plus the caller they finish (mean 4): about 0.33 server


def call_centre_blueprint():
    from peakend.blueprint.load import check_text
    from peakend.blueprint.new import new_blueprint_text

    bp, problems = check_text(new_blueprint_text(["waiting", "service"], "centre", "Service centre"))
    assert not problems
    return bp


def queue_log(days: int = 28, idle: int = 2, seed: int = 5, vip: float = 0.0, patience_mean: float = 6) -> Observed:
    """A service centre's contacts: Poisson arrivals per hour (a third as many on Friday and Saturday, its
    weekend), lognormal service (mean 4 min, cv 0.9), exponential patience (mean 6 min), CALL_SERVERS regular
    servers, and `idle` staff who each serve only in one random six-minute spell an hour — counted by raw
    concurrency, hardly by the capacity callers meet. A share `vip` of callers are served ahead of the rest
    (non-preemptive priority). Built minute by minute with the station pass itself (time scaled by 60, so its
    hourly schedule is a schedule per minute)."""
    from peakend.simulate.stations import RENEGED, serve

    rng = np.random.default_rng(seed)
    visits, touches = [], []
    for d in range(days):
        day = T("2026-09-06") + pd.Timedelta(days=d)  # a Sunday
        factor = 1 / 3 if day.weekday() in (4, 5) else 0.1 if day == T("2026-09-16") else 1.0  # 16 Sept: a holiday
        arrival = np.sort(np.concatenate([h * 60 + rng.uniform(0, 60, rng.poisson(rate * factor))
                                          for h, rate in CALL_LAMBDA.items()]))
        n = len(arrival)
        service = rng.lognormal(np.log(4 / np.sqrt(1 + 0.81)), np.sqrt(np.log(1.81)), n)
        patience = rng.exponential(patience_mean, n)
        minutes = []
        for h in range(8, 20):
            spells = [rng.integers(0, 55) for _ in range(idle)]
            minutes += [CALL_SERVERS[h] + sum(s <= m < s + 6 for s in spells) for m in range(60)]
        ahead = rng.random(n) < vip
        run = serve(arrival * 60, service * 60, minutes, 8 * 60, patience * 60, priority=ahead.astype(int))
        wait = np.where(run.status == RENEGED, patience, run.wait / 60)  # the pass caps waits at midnight, in its units
        for i in range(n):
            vid, t0 = f"C{d:02d}-{i:04d}", day + pd.Timedelta(minutes=float(arrival[i]))
            left = run.status[i] == RENEGED
            visits.append({"visit_id": vid, "route": None, "segment": "vip" if ahead[i] else "public",
                           "arrival": t0})
            touches.append([f"{vid}-1", vid, "waiting", 1, t0, t0 + pd.Timedelta(minutes=float(wait[i])), None,
                            None, None, round(float(wait[i]), 2), None, "abandoned" if left else None])
            if not left:
                s0 = t0 + pd.Timedelta(minutes=float(wait[i]))
                touches.append([f"{vid}-2", vid, "service", 2, s0, s0 + pd.Timedelta(minutes=float(service[i])),
                                "S1", None, None, None, round(float(service[i]), 2), "resolved"])
    frame = pd.DataFrame(touches, columns=TOUCH_COLUMNS)
    for col in ("start_at", "end_at"):
        frame[col] = frame[col].dt.round("s")
    return Observed("centre", pd.DataFrame(visits), frame.sort_values(["visit_id", "seq"], ignore_index=True))


def test_fit_holds_on_a_queue_log_with_idle_staff_and_its_own_weekend():
    """Raw concurrency counts the idle staff and makes a hall where nobody waits; the true capacity (regular
    servers plus the idle staff's share of an hour) overlaps the effective servers' intervals in ≥ 80% of hours,
    the check covers the observed mean wait in ≥ 80% of hours, and abandonment overall is within 2 points.
    Callers who left stay in the queue they left (the route ends at the station: no other touch), and
    Friday–Saturday is found to be the weekend. Fitted on the first 21 days, checked on the last 7 (held out): the
    capacity tuned to the training waits is not scored on them. An hour thinned to two days is too few to check."""
    from peakend.simulate.check import check_cells
    from peakend.simulate.fit import agreement, split

    bp = call_centre_blueprint()
    parts = split(queue_log())
    assert (parts.describe()["train_days"], parts.describe()["test_days"]) == (21, 7)
    assert max(parts.train.dates()) < min(parts.test.dates())
    obs, test = parts.train, parts.test
    fitted = fit(obs, bp, reps=3)
    cfg, cap = fitted.cfg, fitted.capacity
    assert cfg.weekend == [4, 5] and any("Fri, Sat" in n for n in fitted.notes)
    assert cfg.holidays == [date(2026, 9, 16)]
    assert abs(cfg.weekday_factors[4] - 1 / 3) < 0.06 and abs(cfg.weekday_factors[2] - 1) < 0.1
    assert cfg.routes == {"main": 1.0}
    table = cap.table.set_index("hour")
    assert (table["raw"] > pd.Series(CALL_SERVERS)).sum() >= 6  # idle staff inflate raw concurrency
    assert table["effective"].mod(1).gt(0).any()  # the idle staff's part of an hour is a fraction of a server
    held = sum(table.loc[h, "low"] <= c + IDLE_SHARE and c <= table.loc[h, "high"] for h, c in CALL_SERVERS.items())
    assert held >= 0.8 * len(CALL_SERVERS), table
    assert abs(cfg.patience.mean - 6) <= 1.0  # about 330 who left: a standard error near 0.35 min
    [note] = [n for n in fitted.notes if n.startswith("patience")]
    low, high = (float(x) for x in note.split("median ")[1].split("95% ")[1].split(")")[0].split("–"))
    assert low <= 6 * math.log(2) <= high  # the true median patience (exponential: ln 2 × mean) inside its interval
    assert "beyond every observed wait" in note  # waits here stop at 6 min: the mean is an extrapolation
    day = test.touches["start_at"].dt.date
    late = (test.touches["start_at"].dt.hour == 19) & day.isin(test.dates()[2:])
    thinned = Observed(test.hall_id, test.visits[~test.visits["visit_id"].isin(test.touches.loc[late, "visit_id"])],
                       test.touches[~test.touches["visit_id"].isin(test.touches.loc[late, "visit_id"])])
    checked = check(cfg, bp, thinned, reps=10)
    good = agreement(checked, thinned)
    assert good.reproduces(0.8), good
    assert abs(good.abandon_observed - good.abandon_simulated) <= 0.02
    late_row = checked.set_index("hour").loc[19]
    assert good.too_few == [19] and late_row["mean_status"] == "too_few" and late_row["mean_ok"] is None
    cells = check_cells(checked, "en").set_index("hour")
    assert cells.loc[19, "mean wait"] == "too few to check" and "✓" not in cells.loc[19, "model"]
    assert "nan" not in cells.to_string()
    sim = simulate(cfg, bp, date(2026, 10, 4), days=2, seed=1, rated=False)
    left = sim.touches[sim.touches["outcome"] == "abandoned"]["visit_id"]
    assert len(left) and not sim.touches[sim.touches["visit_id"].isin(left)]["moment_id"].eq("service").any()
    raw = HallConfig.model_validate({**cfg.model_dump(), "stations": {
        cap.station: {"moments": cfg.stations[cap.station].moments, "servers": {int(h): int(r) for h, r in
                                                                                 table["raw"].items()}}}})
    bad = agreement(check(raw, bp, test, reps=10), test)
    assert not bad.reproduces(0.8)  # the raw concurrency does not reproduce the centre, and the check says so


def test_a_class_served_ahead_is_found_and_each_class_checked():
    """15% of callers served ahead (non-preemptive priority): the fit finds the class, each class's mean wait
    lies inside the model's interval, and the check covers the observed hourly mean wait in ≥ 80% of hours.
    (With whole servers only, coverage was 8 of 12 hours: the idle staff's part of an hour at the edge hours
    lies between two whole counts; fractional capacity brought it to 12.)"""
    from peakend.simulate.fit import agreement

    bp = call_centre_blueprint()
    obs = queue_log(vip=0.15)
    fitted = fit(obs, bp, reps=3)
    cfg = fitted.cfg
    assert cfg.priority == {"vip": 1} and any("priority class 1" in n for n in fitted.notes)
    classes = class_check(cfg, bp, obs, reps=10).set_index("segment")
    assert classes["ok"].all(), classes
    assert classes.loc["vip", "observed_mean"] < classes.loc["public", "observed_mean"]
    assert agreement(check(cfg, bp, obs, reps=10), obs).reproduces(0.8)
