"""Staff scorecards: empirical-Bayes shrinkage by hand, the card's figures on a small store, and who sees
which cards (staff their own, managers their halls', another hall's a 404)."""

from __future__ import annotations

import math
import re
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from peakend.cli import app as cli
from peakend.scoring.staff import shrink
from peakend.web.app import create_app
from tests.conftest import add_token, add_user, run_jobs, signed_in

A, B = "天河北厅", "花都新华厅"


def test_shrinkage_by_hand():
    """n = 4 and 100, means 1 and 0, within variance 0.5: σ² = 0.5, σ²/n = 0.125 and 0.005, τ² = var(1, 0) −
    mean(0.125, 0.005) = 0.435, v = 0.56 and 0.44, μ̂ = (1/0.56) / (1/0.56 + 1/0.44) = 0.44, w = 0.435/v."""
    got = shrink(pd.Series([4, 100]), pd.Series([1.0, 0.0]), pd.Series([0.5, 0.5]))
    assert got["sigma2"].iloc[0] == pytest.approx(0.5) and got["tau2"].iloc[0] == pytest.approx(0.435)
    assert got["prior"].iloc[0] == pytest.approx(0.44)
    w = np.array([0.435 / 0.56, 0.435 / 0.44])
    assert got["weight"].to_numpy() == pytest.approx(w)
    assert got["shrunk"].to_numpy() == pytest.approx(0.44 + w * (np.array([1.0, 0.0]) - 0.44))
    prior_var = 1 / (1 / 0.56 + 1 / 0.44)
    half = 1.959963984540054 * np.sqrt(w * np.array([0.125, 0.005]) + (1 - w) ** 2 * prior_var)
    assert (got["high"] - got["shrunk"]).to_numpy() == pytest.approx(half)


def test_five_lucky_visits_are_pulled_back_and_their_interval_says_how_little_is_known():
    """Ten staff who do not differ (200 touches each) and one with five lucky touches 0.4 above: shrinkage pulls
    the lucky mean a good part of the way back, and its interval is far wider than the others' (it is also not
    ranked: fewer than MIN_TOUCHES touches, see test_a_card_by_hand_and_who_sees_it)."""
    rng = np.random.default_rng(1)
    n = pd.Series([200] * 10 + [5])
    means = pd.Series([*(0.2 + rng.normal(0, 0.3, (10, 200)).mean(axis=1)), 0.6])
    got = shrink(n, means, pd.Series([0.09] * 11))
    prior = got["prior"].iloc[0]
    assert got["shrunk"].iloc[-1] < prior + 0.7 * (0.6 - prior)
    width = got["high"] - got["low"]
    assert width.iloc[-1] > 2 * width.iloc[:-1].max()


def test_when_staff_do_not_differ_the_interval_is_the_halls_mean_not_a_point():
    got = shrink(pd.Series([50, 50, 50]), pd.Series([0.2, 0.2, 0.2]), pd.Series([0.1, 0.1, 0.1]))
    assert got["tau2"].iloc[0] == 0 and got["shrunk"].to_numpy() == pytest.approx([0.2] * 3)
    assert (got["high"] - got["low"]).iloc[0] == pytest.approx(2 * 1.959963984540054 * math.sqrt(0.1 / 150))


@pytest.fixture
def web(tmp_path):
    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    store = app.state.peakend.store
    add_user(store, "admin", "admin-pass-1", "admin")
    add_user(store, "s1", "staff-pass-1", "staff", [A])
    add_user(store, "mgr_a", "mgr-pass-1", "manager", [A])
    app.state.token = add_token(store, A, "pad")
    admin = login(app, "admin", "admin-pass-1")
    # s1 serves three visits: ratings 5, 1, 5 at the counter result, then a leaving touch by s2 rated 4, 4, 2
    touches = []
    for i, (r1, r2) in enumerate([(5, 4), (1, 4), (5, 2)]):
        v = f"v{i}"
        touches += [{"touch_id": f"{v}-1", "visit_id": v, "hall_id": A, "moment_id": "counter_result", "seq": 1,
                     "start_at": f"2026-11-02 10:0{i}", "staff_id": "s1", "rating": r1, "rating_scale": "1-5"},
                    {"touch_id": f"{v}-2", "visit_id": v, "hall_id": A, "moment_id": "leaving", "seq": 2,
                     "start_at": f"2026-11-02 10:1{i}", "staff_id": "s2", "rating": r2, "rating_scale": "1-5"}]
    touches.append({"touch_id": "b-1", "visit_id": "b", "hall_id": B, "moment_id": "leaving", "seq": 1,
                    "start_at": "2026-11-02 11:00", "staff_id": "sb", "rating": 3, "rating_scale": "1-5"})
    assert admin.post("/api/v1/touches/batch", json=touches).status_code == 200
    audits = [{"audit_id": f"a{i}", "hall_id": A, "audited_at": "2026-11-02 15:00", "item": "smile_welcome",
               "passed": p, "staff_id": "s1"} for i, p in enumerate([True, True, False, True])]
    assert admin.post("/api/v1/audits/batch", json=audits).status_code == 200
    assert admin.post("/api/v1/score").status_code == 202 and run_jobs(app) >= 1
    yield app
    store.close()


def login(app, user: str, password: str) -> TestClient:
    return signed_in(app, user, password, follow_redirects=True)


def test_a_card_by_hand_and_who_sees_it(web):
    """s1's touches: e 1, −1, 1 (mean 1/3); the second visit's peak is s1's −1 (|−1| > s2's 0.5), so one negative
    peak in three; every end is s2's. Audits: 3 of 4 passed. Three touches: shown, not ranked."""
    mgr = login(web, "mgr_a", "mgr-pass-1")
    cards = {c["staff_id"]: c for c in mgr.get("/api/v1/staff").json()}
    assert set(cards) == {"s1", "s2"}  # hall B's sb is not the manager's
    s1 = cards["s1"]
    assert (s1["touches"], s1["mean_e"], s1["negative_peak_share"], s1["end_share"]) == (
        3, pytest.approx(1 / 3), pytest.approx(1 / 3), 0.0)
    assert (s1["audits"], s1["audit_pass"]) == (4, 0.75) and s1["ranked"] is False
    assert cards["s2"]["end_share"] == 1.0
    staff = login(web, "s1", "staff-pass-1")
    own = staff.get("/api/v1/staff").json()
    assert [c["staff_id"] for c in own] == ["s1"]
    assert staff.get("/api/v1/staff", params={"hall": B}).status_code == 404
    assert mgr.get("/api/v1/staff", params={"hall": B}).status_code == 404
    page = staff.get("/staff?lang=en").text
    assert "Staff scorecards" in page and "s2" not in page.split('id="cards"')[1]
    assert TestClient(web, headers={"Authorization": f"Bearer {web.state.token}"}).get(
        "/api/v1/staff").status_code == 401
    csv = mgr.get("/api/v1/export/staff.csv").content.decode("utf-8-sig")
    assert "s1" in csv and "sb" not in csv
    admin = login(web, "admin", "admin-pass-1")
    assert {c["staff_id"] for c in admin.get("/api/v1/staff").json()} == {"s1", "s2", "sb"}
    assert admin.get(f"/staff?hall={quote(B)}").status_code == 200
    web.state.peakend.ws.people.name_staff("s1", "李明", "Li Ming")  # staff by name, in the page's language
    en, zh = (admin.get(f"/staff?lang={lang}").text.split('id="cards"')[1] for lang in ("en", "zh"))
    assert "Li Ming" in en and ">s1<" not in en and "李明" not in en and "李明" in zh and ">s2<" in zh


def test_staff_command(web, tmp_path):
    db = web.state.peakend.store.url
    web.state.peakend.store.close()  # DuckDB: one program holds the file at a time
    out = tmp_path / "cards.csv"
    result = CliRunner().invoke(cli, ["staff", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "staff scorecards" in result.output and set(pd.read_csv(out)["staff_id"]) == {"s1", "s2", "sb"}
    named = CliRunner().invoke(cli, ["hall", "name", "s2", "--staff", "--zh", "王芳", "--en", "Wang Fang", "--db", db])
    assert named.exit_code == 0 and "staff member s2 named 王芳 / Wang Fang" in named.output


def test_the_demo_has_staff_who_differ_and_a_coached_one_who_improves(demo):
    """The demo plants a warmer second and a curter fifth staff member in every hall, and coaches one halfway: the
    scorecards and the coaching measure find what was planted."""
    from peakend.scoring.coaching import effects
    from peakend.scoring.staff import scorecards
    from peakend.store.db import connect
    from peakend.text.training import library

    with connect(str(demo / "peakend.duckdb")) as store:
        cards = scorecards(store)
        measured = effects(store, {m.id: m.moments for m in library().modules})
        raw = store.query("SELECT v.hall_id, t.staff_id, t.moment_id, t.e, v.peak, v.peak_moment, v.\"end\", "
                          "v.end_moment FROM touch_scores t JOIN visit_scores v USING (visit_id) "
                          "WHERE t.staff_id IS NOT NULL AND t.e IS NOT NULL")
        two = sorted(cards["hall_id"].unique())[:2]
        pd.testing.assert_frame_equal(scorecards(store, set(two)),  # two halls: their cards as among all
                                      cards[cards["hall_id"].isin(two)].reset_index(drop=True), rtol=0, atol=1e-12)
    # the cards summed in the store equal pandas over every scored touch with a staff member (an independent sum)
    raw["peak_here"] = (raw["peak"] < 0) & (raw["moment_id"] == raw["peak_moment"]) & ((raw["e"] - raw["peak"]).abs()
                                                                                       < 1e-9)
    raw["end_here"] = (raw["moment_id"] == raw["end_moment"]) & ((raw["e"] - raw["end"]).abs() < 1e-9)
    by = raw.groupby(["hall_id", "staff_id"])
    want = by.agg(touches=("e", "size"), mean_e=("e", "mean"), var_e=("e", "var"), negative_peak_share=(
        "peak_here", "mean"), end_share=("end_here", "mean"))
    got = cards.set_index(["hall_id", "staff_id"]).loc[want.index, list(want.columns)]
    assert len(cards) == len(want) and np.allclose(got.astype(float), want.astype(float), rtol=0, atol=1e-9)
    each = raw.groupby(["hall_id", "staff_id", "moment_id"])["e"].agg(["mean", "size"])
    weakest = each[each["size"] >= 10].groupby(level=[0, 1])["mean"].min()
    assert np.allclose(cards.set_index(["hall_id", "staff_id"]).loc[weakest.index, "weakest_e"], weakest, atol=1e-9)
    shrunk = cards.set_index(["hall_id", "staff_id"])["shrunk"]
    warmer = [shrunk[(h, f"{h[:2]}02")] > shrunk[(h, f"{h[:2]}05")] for h in cards["hall_id"].unique()]
    assert sum(warmer) >= 7  # the coached one (白云05) may have caught up after its training
    (row,) = measured.to_dict("records")
    assert (row["hall_id"], row["staff_id"], row["module_id"]) == ("白云新市厅", "白云05", "node_control")
    assert row["verdict"] == "detectable" and row["low"] > 0


def test_the_staff_page_says_when_the_training_library_has_nothing(web, monkeypatch):
    """No module for the weakest moment: the cell names the moment and says the library has none (never a bare
    'moment:'); no module at all: the coaching form is not shown, a note says why. With modules, each field is
    labelled."""
    admin = login(web, "admin", "admin-pass-1")
    with_modules = admin.get("/staff?lang=en").text.split('id="coaching-form"')[1].split("</form>")[0]
    assert re.findall(r"<label>([^<]+) <", with_modules) == ["Hall", "Staff", "Module", "Day"]
    figures = type(web.state.peakend.ws.figures)
    monkeypatch.setattr(figures, "what_to_train", lambda self, moment, lang, k=3: [])
    monkeypatch.setattr(figures, "modules", lambda self: {})
    cards = figures.staff_cards  # every card's weakest moment: the counter's result (its ten touches are not here)
    monkeypatch.setattr(figures, "staff_cards",
                        lambda self, *a: cards(self, *a).assign(weakest_moment="counter_result"))
    for lang, said, why in (("en", "no module for this moment in the training library",
                             "The training library has no module for this service, so no training can be recorded"),
                            ("zh", "培训库中没有针对这个时刻的课程", "培训库中没有这项服务的课程，因此还不能记录培训")):
        page = admin.get(f"/staff?lang={lang}").text
        cells = re.findall(r'<td data-label="[^"]+">([^<]*)<span class="note">([^<]*)</span></td></tr>', page)
        assert cells == [(("Counter result: " if lang == "en" else "人工柜台办理结果："), said)] * 3, cells
        assert why in page and '<select name="module">' not in page and 'action="/staff/coaching"' not in page
