"""Coaching that is measured: the difference in differences by hand, a planted effect found, none reported
where none was planted, too few touches said, and the API end to end."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from peakend.scoring.coaching import MIN_TOUCHES, did, verdict
from peakend.web.app import create_app
from tests.conftest import add_user, run_jobs

A, B = "天河北厅", "花都新华厅"


def touches(effect: float, seed: int, n: int = 40) -> pd.DataFrame:
    """Six staff, n touches each before and after; staff s0 is trained and gains `effect` after."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(6):
        level = rng.normal(0.2, 0.05)
        for after in (0, 1):
            e = level + 0.05 * after + (effect if s == 0 and after else 0) + rng.normal(0, 0.3, n)
            rows += [{"staff_id": f"s{s}", "trained": int(s == 0), "after": after, "e": x} for x in e]
    return pd.DataFrame(rows)


def test_the_effect_is_the_difference_of_the_four_means():
    f = touches(0.3, seed=1)
    m = f.groupby(["trained", "after"])["e"].mean()
    by_hand = (m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0])
    got = did(f)
    assert got.effect == pytest.approx(by_hand, abs=1e-12)
    assert got.cells == {"trained_before": 40, "trained_after": 40, "others_before": 200, "others_after": 200}


def test_a_planted_effect_is_found_and_none_is_reported_where_none_was_planted():
    found = [verdict(did(touches(0.3, seed))) for seed in range(10)]
    none = [verdict(did(touches(0.0, seed))) for seed in range(10)]
    assert found.count("detectable") >= 8  # 0.3 with 40 touches a side: power about 0.9
    assert none.count("detectable") <= 2  # 95% intervals: about one in twenty by chance


def test_too_few_touches_are_said():
    assert verdict(did(touches(0.3, seed=1, n=MIN_TOUCHES - 5))) == "too_few"
    assert np.isnan(did(touches(0.3, 1)[lambda f: f["trained"] == 0]).effect)


def test_assign_and_measure_through_the_api(tmp_path):
    web = create_app(str(tmp_path / "c.duckdb"), secret="s")
    store = web.state.peakend.store
    add_user(store, "mgr", "mgr-pass-1", "manager", [A])
    add_user(store, "admin", "admin-pass-1", "admin")
    admin = TestClient(web, headers={"Origin": "http://testserver"})
    assert admin.post("/api/v1/login", json={"username": "admin", "password": "admin-pass-1"}).status_code == 200
    rng = np.random.default_rng(3)
    sent, day0 = [], date(2026, 10, 1)
    for d in range(20):  # ten days before 11 Oct, ten after; s0 trained on 11 Oct gets better at leaving
        for s in range(4):
            for k in range(3):
                good = rng.random() < (0.9 if s == 0 and d >= 10 else 0.5)
                vid = f"v{d}-{s}-{k}"
                sent.append({"touch_id": vid, "visit_id": vid, "hall_id": A, "moment_id": "leaving", "seq": 1,
                             "start_at": f"{day0 + timedelta(days=d)} 10:0{k}", "staff_id": f"s{s}",
                             "rating": 5 if good else 1, "rating_scale": "1-5"})
    assert admin.post("/api/v1/touches/batch", json=sent).status_code == 200
    assert admin.post("/api/v1/score").status_code == 202 and run_jobs(web) >= 1
    mgr = TestClient(web, headers={"Origin": "http://testserver"})
    assert mgr.post("/api/v1/login", json={"username": "mgr", "password": "mgr-pass-1"}).status_code == 200
    body = {"hall_id": A, "staff_id": "s0", "module_id": "end_leaving", "trained_on": "2026-10-11"}
    assert mgr.post("/api/v1/coaching", json=body).json() == {"coaching_id": "s0:end_leaving:2026-10-11"}
    assert mgr.post("/api/v1/coaching", json={**body, "hall_id": B}).status_code == 404
    assert mgr.post("/api/v1/coaching", json={**body, "module_id": "juggling"}).status_code == 422
    [row] = mgr.get("/api/v1/coaching").json()
    assert row["moments"] == ["leaving"] and row["trained_after"] == 30 and row["others_before"] == 90
    assert row["verdict"] == "detectable" and row["low"] > 0  # e from −1/+1: about 0.8 better, interval above 0
    assert mgr.get("/api/v1/coaching", params={"hall": B}).status_code == 404
    store.close()


def test_the_staff_page_form_and_the_commands(tmp_path):
    from typer.testing import CliRunner

    from peakend.cli import app as cli

    web = create_app(str(tmp_path / "p.duckdb"), secret="s")
    store = web.state.peakend.store
    add_user(store, "mgr", "mgr-pass-1", "manager", [A])
    mgr = TestClient(web, headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert mgr.post("/api/v1/login", json={"username": "mgr", "password": "mgr-pass-1"}).status_code == 200
    sent = [{"touch_id": "t1", "visit_id": "t1", "hall_id": A, "moment_id": "leaving", "seq": 1,
             "start_at": "2026-10-01 10:00", "staff_id": "s0", "rating": 4, "rating_scale": "1-5"}]
    form = {"hall": A, "staff": "s0", "module": "end_leaving", "on": "2026-10-11"}
    assert mgr.post("/staff/coaching", data=form).status_code == 303
    assert mgr.post("/staff/coaching", data={**form, "hall": B}).status_code == 404
    assert mgr.post("/staff/coaching", data={**form, "on": "11/10"}).status_code == 422
    db = store.url
    from peakend.ingest.pipeline import ingest_records
    from peakend.ingest.validate import Context

    ingest_records(store, sent, "touch", Context(web.state.peakend.blueprint), "pad")
    store.close()
    runner = CliRunner()
    assert runner.invoke(cli, ["score", "--db", db]).exit_code == 0
    out = " ".join(runner.invoke(cli, ["train", "effects", "--db", db]).output.split())  # the table wraps
    assert "end_leaving" in out and "no detectable change yet (too few touches)" in out
    bad = runner.invoke(cli, ["train", "assign", "--hall", A, "--staff", "s1", "--module", "x", "--on", "2026-10-11",
                              "--db", db])
    assert bad.exit_code == 2
    ok = runner.invoke(cli, ["train", "assign", "--hall", A, "--staff", "s1", "--module", "end_leaving", "--on",
                             "2026-10-11", "--db", db])
    assert ok.exit_code == 0 and "s1:end_leaving:2026-10-11" in ok.output
