"""Loyalty: the index and NPS by hand, censoring of return visits, driver importances against statsmodels,
contrasts by hand, and the demo, whose customers come back as their visit left them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from typer.testing import CliRunner

from peakend.blueprint.load import load_blueprint
from peakend.cli import app
from peakend.loyalty.drivers import shapley, subset_r2
from peakend.loyalty.effects import contrast
from peakend.loyalty.index import loyalty_index, nps
from peakend.loyalty.returns import lapses, next_visits, return_share, returned_within

runner = CliRunner()


@pytest.fixture(scope="module")
def bp():
    return load_blueprint(None)


def answers(**cols) -> pd.DataFrame:
    base = {key: [np.nan] for key in ("overall", "recommend", "repurchase", "relationship", "switch_resist")}
    return pd.DataFrame({**base, **cols})


def test_loyalty_index_by_hand(bp):
    # overall +0.5 on −1…1 → 0.75; recommend 8 of 10 → 0.8; repurchase 5 of 1–5 → 1; relationship 3 → 0.5;
    # switch_resist unanswered: (0.75 + 0.8 + 1 + 0.5) / 4 = 76.25
    one = answers(overall=[0.5], recommend=[8], repurchase=[5], relationship=[3])
    assert loyalty_index(one, bp).iloc[0] == pytest.approx(76.25)
    heavier = bp.model_copy(update={"loyalty": bp.loyalty.model_copy(update={"weights": {
        "overall": 2, "relationship": 1, "repurchase": 1, "recommend": 1, "switch_resist": 1}})})
    assert loyalty_index(one, heavier).iloc[0] == pytest.approx(100 * (1.5 + 0.8 + 1 + 0.5) / 5)
    assert np.isnan(loyalty_index(answers(), bp).iloc[0])  # nothing answered: no index


def test_nps_and_its_interval_by_hand():
    # 5 promoters, 2 passives, 3 detractors of 10: NPS 20. Adjusted Wald (Rocks 2016): promoters 5.75 and
    # detractors 3.75 of 13, centre 2/13; se = √((9.5/13 − (2/13)²) / 13) = 0.233221
    n = nps(pd.Series([9, 10, 9, 9, 10, 7, 8, 0, 5, 6, None]))
    assert (n.n, n.promoters, n.passives, n.detractors) == (10, 0.5, 0.2, 0.3)
    assert n.score == pytest.approx(20)
    centre, half = 100 * 2 / 13, 1.959963984540054 * math.sqrt((9.5 / 13 - (2 / 13) ** 2) / 13) * 100
    assert half == pytest.approx(45.7105, abs=1e-3)
    assert (n.low, n.high) == (pytest.approx(centre - half), pytest.approx(centre + half))
    assert nps(pd.Series([10] * 4)).high == 100  # clipped to the scale


def visits_of(rows: list[tuple[str, str, str]], last: str) -> pd.DataFrame:
    """Visits (id, customer, arrival) with scores enough for the return figures."""
    who = pd.DataFrame(rows, columns=["visit_id", "customer_key", "arrival"]).assign(
        arrival=lambda f: pd.to_datetime(f["arrival"]))
    scores = pd.DataFrame({"visit_id": who["visit_id"], "hall_id": "H"})
    return next_visits(who, scores, pd.Timestamp(last))


def test_a_customer_whose_window_is_open_is_not_a_non_returner():
    """A back after 5 days; B never, seen for 100 days; C never, but seen for only 3; D back after 50 days.
    Kaplan–Meier by hand: C leaves the risk set at day 3, so at day 5 one of three returns: 1 − 2/3 = 1/3 back
    within 30 days (counting C as a non-returner would say 1/4)."""
    f = visits_of([("a1", "A", "2026-01-01"), ("a2", "A", "2026-01-06"), ("b1", "B", "2026-01-01"),
                   ("c1", "C", "2026-04-08"), ("d1", "D", "2026-01-01"), ("d2", "D", "2026-02-20")], "2026-04-11")
    first = f[f["visit_id"].isin(["a1", "b1", "c1", "d1"])].set_index("visit_id")
    r = return_share(first.reset_index(), 30)
    assert r.share == pytest.approx(1 / 3) and r.returned == 2 and r.low < 1 / 3 < r.high
    within = returned_within(first, 30)
    assert within["a1"] == 1 and within["b1"] == 0 and within["d1"] == 0 and np.isnan(within["c1"])


def test_a_regular_lapses_only_after_a_long_silence(bp):
    # R: every 10 days, silent 101 days since → lapsed (> max(3 × 10, 60)); S: every 10 days, silent 40 → active
    rows = [("r1", "R", "2026-01-01"), ("r2", "R", "2026-01-11"), ("r3", "R", "2026-01-21"),
            ("s1", "S", "2026-02-10"), ("s2", "S", "2026-02-20"), ("s3", "S", "2026-03-02"), ("t1", "T", "2026-03-01")]
    got = lapses(visits_of(rows, "2026-04-11"), bp)
    assert (got.regulars, got.lapsed, got.share) == (2, 1, 0.5)


def test_driver_importances_equal_shapley_over_statsmodels_r2():
    """Shapley values from the correlation matrix against an independent computation: every order of entry of
    four drivers, each R² from statsmodels' OLS; the values add up to the full model's R²."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 4))
    x[:, 1] += 0.6 * x[:, 0]  # correlated drivers: where Shapley and plain coefficients differ
    y = 1.0 * x[:, 0] + 0.5 * x[:, 1] + 0.2 * x[:, 2] + rng.normal(size=300)

    def r2(cols: tuple[int, ...]) -> float:
        return float(sm.OLS(y, sm.add_constant(x[:, list(cols)])).fit().rsquared) if cols else 0.0

    expected = np.zeros(4)
    orders = list(itertools.permutations(range(4)))
    for order in orders:
        for i, j in enumerate(order):
            expected[j] += (r2(tuple(sorted(order[:i + 1]))) - r2(tuple(sorted(order[:i])))) / len(orders)
    got = shapley(subset_r2(x, y), 4)
    assert got == pytest.approx(expected, abs=1e-10)
    assert got.sum() == pytest.approx(r2((0, 1, 2, 3)))


def test_contrast_by_hand_says_no_detectable_effect_when_the_interval_holds_none():
    # 5 of 20 against 20 of 40: RR 0.5, se(log RR) = √(1/5 − 1/20 + 1/20 − 1/40) = 0.41833
    c = contrast(pd.Series([1.0] * 5 + [0.0] * 15), pd.Series([1.0] * 20 + [0.0] * 20))
    assert c is not None and c.change == pytest.approx(-0.5)
    assert c.low == pytest.approx(0.5 * math.exp(-1.959963984540054 * math.sqrt(0.175)) - 1)
    assert c.high == pytest.approx(0.5 * math.exp(1.959963984540054 * math.sqrt(0.175)) - 1)
    assert not c.detectable  # −78% to +14%: the data are too few to tell
    assert contrast(pd.Series([1.0] * 5), pd.Series([0.0] * 50)) is None  # under ten in a group


def test_the_demo_customers_who_ended_badly_come_back_less_and_the_product_finds_it(demo, bp):
    from peakend.loyalty.summary import loyalty
    from peakend.store.db import connect

    with connect(str(demo / "peakend.duckdb")) as store:
        result = loyalty(store, bp, drivers=False)
    assert result.days == 6 and result.asked == 90  # arrivals over 13.5 days: returns read within 6
    bad_end = result.moments.set_index(["moment", "kind", "outcome"]).loc[("leaving", "end", "returned")]
    assert bad_end["high"] < 0 and bad_end["detectable"]  # back less often, the interval excluding zero
    network = result.halls.set_index("hall_id").loc["*"]
    assert 0 < network["return_share"] < 1 and network["return_low"] < network["return_share"]
    assert network["nps_low"] < network["nps"] < network["nps_high"]
    returned = result.models[(result.models["outcome"] == "returned") & (result.models["predictor"] == "rei")]
    assert returned["low"].iloc[0] > 1  # a better remembered visit: more likely back


def test_loyalty_command_prints_and_exports_in_both_languages(demo, tmp_path):
    db = str(demo / "peakend.duckdb")
    result = runner.invoke(app, ["loyalty", "--db", db, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "returns are read within 6 days" in result.output
    assert "visits that ended badly at Leaving came back within 6 days" in result.output
    assert "key drivers of likelihood to recommend" in result.output  # the answer by its name
    halls = pd.read_csv(tmp_path / "loyalty_halls.csv")
    assert set(halls["hall_id"]) >= {"天河北厅", "*"}
    zh = runner.invoke(app, ["--lang", "zh", "loyalty", "--db", db, "--no-drivers", "--hall", "天河北厅"])
    assert zh.exit_code == 0 and "各厅忠诚度" in zh.output and "黄埔大沙厅" not in zh.output


def test_hall_page_panel_api_and_export_show_the_halls_loyalty(demo):
    from urllib.parse import quote

    from fastapi.testclient import TestClient

    from peakend.web.app import create_app
    from tests.conftest import add_user, run_jobs

    app = create_app(str(demo / "peakend.duckdb"), secret="s")
    add_user(app.state.peakend.store, "boss", "boss-pass-1", "manager", ["天河北厅"])
    c = TestClient(app, headers={"Origin": "http://testserver"})
    assert c.post("/api/v1/login", json={"username": "boss", "password": "boss-pass-1"}).status_code == 200
    hall = quote("天河北厅")
    computing = c.get(f"/halls/{hall}?lang=en").text  # the panel is a job: the page answers without it
    assert 'id="loyalty-job"' in computing and 'id="loyalty"' not in computing
    assert run_jobs(app) == 1
    page = c.get(f"/halls/{hall}?lang=en").text
    assert 'id="loyalty-age"' in page and 'id="loyalty-job"' not in page
    assert 'id="loyalty"' in page and "Back within 6 days" in page and "Net Promoter Score" in page
    assert "visits that ended badly at Leaving came back within 6 days" in page
    body = c.get(f"/api/v1/halls/{hall}/loyalty").json()
    [figures] = body["figures"]
    assert body["return_days"] == 6 and figures["nps_low"] < figures["nps"] < figures["nps_high"]
    csv = c.get(f"/api/v1/export/loyalty_moments.csv?hall={hall}").content.decode("utf-8-sig")
    assert csv.startswith("moment,kind,outcome")
    assert c.get(f"/api/v1/halls/{quote('黄埔大沙厅')}/loyalty").status_code in (403, 404)
    halls = c.get("/api/v1/export/loyalty.csv").content.decode("utf-8-sig")
    assert "天河北厅" in halls and "黄埔大沙厅" not in halls  # the manager's hall (and the whole, '*') only
    app.state.peakend.store.close()


def test_the_report_has_a_loyalty_section_with_the_quadrant(demo):
    html = (demo / "report.html").read_text("utf-8")
    assert "6. Loyalty: how many customers a visit keeps" in html and "六、忠诚度" in html
    assert 'data-chart="quadrant"' in html and '"quadrant": {' in html
    assert "visits that ended badly at Leaving came back within 6 days" in html


def test_the_loyalty_interval_stays_on_the_index_s_0_to_100(bp):
    """Three recommendation answers of 0, 0 and 10 (index 0, 0, 100 on the one component answered): mean 33.3, the
    t interval 33.3 ± 4.30 · 57.7 / √3 = −110 to 177, shown cut to 0–100 (a user read −0.8 as a bug)."""
    import numpy as np
    import pandas as pd

    from peakend.loyalty.index import COMPONENTS, summary

    frame = pd.DataFrame({c: [np.nan] * 3 for c in COMPONENTS} | {"recommend": [0.0, 0.0, 10.0], "hall_id": "A"})
    row = summary(frame, bp, "hall_id").iloc[0]
    assert abs(row["loyalty"] - 100 / 3) < 1e-9 and (row["loyalty_low"], row["loyalty_high"]) == (0.0, 100.0)
