"""The hall simulator against queueing theory, small hand-worked cases, and the ingest contract.

Theory: Erlang C for M/M/c (probability of waiting, mean wait) and Pollaczek–Khinchine for
M/G/1 (mean wait), each compared with the simulation's 95% confidence interval from batch
means over one long run after a warm-up.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from peakend.ingest.pipeline import ingest_file
from peakend.ingest.validate import Context
from peakend.scoring.run import score
from peakend.simulate.config import ConfigError, Dist, HallConfig
from peakend.simulate.plan import Targets, staff
from peakend.simulate.run import simulate, write_events
from peakend.simulate.stations import BALKED, DIVERTED, RENEGED, SERVED, Policy, duty_intervals, serve


def erlang_c(c: int, load: float) -> float:
    """Probability of waiting in M/M/c with offered load `load` = λ/μ (textbook formula)."""
    rho = load / c
    top = load**c / math.factorial(c) / (1 - rho)
    return top / (sum(load**k / math.factorial(k) for k in range(c)) + top)


def batch_ci(x: np.ndarray, batches: int = 40, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval (95% unless told) of the long-run mean of `x` by batch means."""
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    half = stats.t.ppf(0.5 + level / 2, batches - 1) * means.std(ddof=1) / math.sqrt(batches)
    return means.mean() - half, means.mean() + half


def poisson_run(rng, rate: float, n: int) -> np.ndarray:
    return np.cumsum(rng.exponential(1 / rate, n))


@pytest.mark.parametrize("rho", [0.5, 0.7, 0.85, 0.95])
def test_mmc_reproduces_erlang_c(rho):
    c, mu = 3, 1.0
    rng = np.random.default_rng(11)
    n = 400_000 if rho < 0.9 else 1_500_000
    lam = rho * c * mu
    run = serve(poisson_run(rng, lam, n), rng.exponential(1 / mu, n), [c], 0)
    wait = run.wait[n // 20 :]
    pw, wq = erlang_c(c, lam / mu), erlang_c(c, lam / mu) / (c * mu - lam)
    lo, hi = batch_ci((wait > 0).astype(float))
    assert lo <= pw <= hi, (pw, lo, hi)
    lo, hi = batch_ci(wait)
    assert lo <= wq <= hi, (wq, lo, hi)


def impatient_run(rho: float, servers: int, service: float, patience: float, n: int, seed: int):
    """An M/M/n+M station at load `rho` with exponential service and patience: its arrival rate, the pass,
    and the customers kept (the first 5% dropped as warm-up)."""
    lam = rho * servers / service
    rng = np.random.default_rng(seed)
    run = serve(poisson_run(rng, lam, n), rng.exponential(service, n), [servers], 0,
                patience=rng.exponential(patience, n))
    return lam, run, slice(n // 20, None)


@pytest.mark.parametrize("rho", [0.5, 0.8, 1.0, 1.2])
def test_a_station_with_impatient_customers_reproduces_erlang_a(rho):
    """M/M/n+M (Garnett, Mandelbaum & Reiman 2002): probability of waiting, mean wait of all arrivals, the
    share who leave and the mean wait of those served, each inside the simulation's batch-means interval,
    at loads up to 1.2 (a queue with abandonment is stable past load 1). Twenty comparisons in all, so each
    interval is at 99.75% (Bonferroni: 95% for the family)."""
    from peakend.simulate.erlang import erlang_a

    n_servers, service, patience = 4, 5.0, 10.0
    lam, run, keep = impatient_run(rho, n_servers, service, patience, 1_000_000, 23)
    theory = erlang_a(lam, service, n_servers, patience)
    for name, values, expected in (("p_wait", (run.wait[keep] > 1e-12).astype(float), theory.p_wait),
                                   ("mean_wait", run.wait[keep], theory.mean_wait),
                                   ("abandon", (run.status[keep] == RENEGED).astype(float), theory.abandon)):
        lo, hi = batch_ci(values, level=0.9975)
        assert lo <= expected <= hi, (name, expected, lo, hi)
    served = run.status[keep] == SERVED
    lo, hi = batch_ci(run.wait[keep][served], level=0.9975)
    assert lo <= theory.mean_wait_served <= hi, (theory.mean_wait_served, lo, hi)


@pytest.mark.parametrize("rho", [0.8, 1.1])
def test_share_served_within_a_wait_matches_the_simulation(rho):
    """Erlang-A's P(served within t) — the phase-type passage to service — against the station pass, at t = 0
    (it must be 1 − P(wait)) and at t = 2 minutes."""
    from peakend.simulate.erlang import erlang_a, served_within

    n_servers, service, patience = 3, 4.0, 8.0
    lam, run, keep = impatient_run(rho, n_servers, service, patience, 600_000, 31)
    within = ((run.status[keep] == SERVED) & (run.wait[keep] <= 2.0)).astype(float)
    lo, hi = batch_ci(within, level=0.995)
    assert lo <= served_within(lam, service, n_servers, patience, 2.0) <= hi
    assert served_within(lam, service, n_servers, patience, 0.0) == pytest.approx(
        1 - erlang_a(lam, service, n_servers, patience).p_wait, abs=1e-9)


def test_priority_serves_the_higher_class_first_by_hand_and_conserves_work():
    """One server. A (0, class 0, 5 min), B (1, class 0), C (2, class 1): when A ends at 5, C goes before B.
    And over a long M/M/3 run with a fifth in class 1, the mean wait of all equals FCFS's (Kleinrock's
    conservation law: the same work, the same servers), while class 1 waits a small part of it."""
    from peakend.simulate.stations import serve_priority

    run = serve_priority(np.array([0.0, 1.0, 2.0]), np.array([5.0, 1.0, 1.0]), [1], 0, np.array([0, 0, 1]))
    assert run.start.tolist() == [0.0, 6.0, 5.0] and run.wait.tolist() == [0.0, 5.0, 3.0]
    rng = np.random.default_rng(1)
    n, lam = 300_000, 0.9 * 3
    arrival, service = poisson_run(rng, lam, n), rng.exponential(1.0, n)
    klass = (rng.random(n) < 0.2).astype(int)
    ahead, fcfs = serve(arrival, service, [3], 0, priority=klass), serve(arrival, service, [3], 0)
    assert ahead.wait.mean() == pytest.approx(fcfs.wait.mean(), rel=0.03)
    assert ahead.wait[klass == 1].mean() < 0.2 * ahead.wait[klass == 0].mean()


def test_erlang_a_by_hand_and_its_limits():
    """One server, λ = μ = θ = 1: π_k ∝ 1/k! for k ≥ 1 past the server (death rates 1, 2, 3, …), so π is Poisson(1):
    P(wait) = 1 − e⁻¹, E[queue] = E[(K − 1)⁺] = 1 − 1 + e⁻¹ = e⁻¹. And with patience far longer than any
    wait, Erlang-A is Erlang C."""
    from peakend.simulate.erlang import erlang_a

    a = erlang_a(1.0, 1.0, 1, 1.0)
    assert a.p_wait == pytest.approx(1 - math.exp(-1), abs=1e-9)
    assert a.mean_wait == pytest.approx(math.exp(-1), abs=1e-9) and a.abandon == pytest.approx(math.exp(-1), abs=1e-9)
    c = erlang_a(2.0, 1.0, 3, 1e7)
    assert c.p_wait == pytest.approx(erlang_c(3, 2.0), rel=1e-4)
    assert c.mean_wait == pytest.approx(erlang_c(3, 2.0) / (3 - 2.0), rel=1e-4)


@pytest.mark.parametrize(("rho", "cv"), [(0.5, 0.5), (0.8, 0.5), (0.9, 1.5)])
def test_mg1_reproduces_pollaczek_khinchine(rho, cv):
    rng = np.random.default_rng(5)
    n = 600_000 if rho < 0.85 else 1_500_000
    service = Dist(kind="gamma", mean=2.0, cv=cv)
    lam = rho / service.mean
    es2 = service.mean**2 * (1 + cv**2)
    wq = lam * es2 / (2 * (1 - rho))
    run = serve(poisson_run(rng, lam, n), service.sample(rng, n), [1], 0)
    lo, hi = batch_ci(run.wait[n // 20 :])
    assert lo <= wq <= hi, (wq, lo, hi)


def test_hall_simulation_reproduces_erlang_c(bp):
    """The whole simulator (routes, NHPP arrivals, stations) on a hall that is an M/M/2 queue all day."""
    c, rho, mean = 2, 0.7, 4.0
    cfg = HallConfig(
        hall_id="T", opens=0, closes=24, arrivals={h: rho * c / mean * 60 for h in range(24)},
        routes={"business_handling": 1}, stations={"counter": {"moments": ["counter_handling"], "servers": c}},
        service={"counter_handling": Dist(kind="exponential", mean=mean)},
        default_service=Dist(kind="fixed", mean=1.0),
    )
    sim = simulate(cfg, bp, date(2026, 10, 5), days=30, seed=3)
    w = sim.touches[sim.touches.moment_id == "waiting"].merge(sim.visits[["visit_id", "arrival"]], on="visit_id")
    w = w[w.arrival.dt.hour >= 2]  # each day starts empty: leave out its first hours
    wait = w.wait_min.to_numpy()
    pw = erlang_c(c, rho * c)
    lo, hi = batch_ci((wait > 0.005).astype(float), 30)  # waits are stored to 0.01 min
    assert lo <= pw <= hi, (pw, lo, hi)
    lo, hi = batch_ci(wait, 30)
    assert lo <= pw / (c / mean - rho * c / mean) <= hi


def test_reneging_balking_and_hourly_servers_by_hand():
    # one server, three at once, 10 minutes each; the second gives up after 5 minutes
    run = serve(np.zeros(3), np.full(3, 10.0), [1], 0, patience=np.array([math.inf, 5, 20]))
    assert run.status.tolist() == [SERVED, RENEGED, SERVED]
    assert run.start.tolist() == [0, 5, 10] and run.end.tolist() == [10, 5, 20]
    # balking at 2 waiting per server: the fourth sees two waiting and leaves
    run = serve(np.zeros(4), np.full(4, 10.0), [1], 0, policy=Policy(balk_per_server=2))
    assert run.status.tolist() == [SERVED, SERVED, SERVED, BALKED]
    # a second counter opens at 10:00: the second customer starts then, not when the first finishes
    run = serve(np.array([540.0, 541.0]), np.array([100.0, 100.0]), [1, 2], 9)
    assert run.start.tolist() == [540, 600] and run.end.tolist() == [640, 700]
    # diversion only for those allowed, once one waits per server
    run = serve(np.zeros(3), np.full(3, 10.0), [1], 0, policy=Policy(divert_per_server=1),
                divertible=np.array([True, True, True]))
    assert run.status.tolist() == [SERVED, SERVED, DIVERTED]


def test_a_fractional_server_works_that_share_of_each_quarter_hour():
    """1.5 servers: one all hour, one on duty the first 7.5 minutes of each quarter hour. With a queue that never
    empties and 0.5-minute services, the full server serves 120 an hour and the half one 15 a spell, 60 an hour
    (worked by hand): 180 in the hour, and the priority pass agrees."""
    assert duty_intervals([1.5], 9)[1] == [(540.0, 547.5), (555.0, 562.5), (570.0, 577.5), (585.0, math.inf)]
    arrival, service = np.full(400, 540.0), np.full(400, 0.5)
    for run in (serve(arrival, service, [1.5, 0], 9, patience=np.full(400, 60.0)),
                serve(arrival, service, [1.5, 0], 9, patience=np.full(400, 60.0), priority=np.arange(400) % 2)):
        assert (run.start[run.status == SERVED] < 600).sum() == 180
    with pytest.raises(ValueError, match='greater than or equal to 0'):
        HallConfig.model_validate({**busy_hall().model_dump(), "stations": {
            "counter": {"moments": ["counter_handling"], "servers": {9: -0.5}}}})


def busy_hall(**changes) -> HallConfig:
    """A hall whose counters cannot keep up in the late morning."""
    base = dict(
        hall_id="忙厅", arrivals={9: 30, 10: 80, 11: 80, 12: 30}, opens=9, closes=13,
        routes={"business_handling": 0.8, "self_service_route": 0.2},
        stations={"counter": {"moments": ["counter_handling"], "servers": {9: 2, 11: 3}},
                  "kiosk": {"moments": ["self_service"], "servers": 4}},
        service={"counter_handling": Dist(mean=6, cv=0.5), "self_service": Dist(mean=3, cv=0.5)},
        outcomes={"counter_result": {"resolved": 0.9, "unresolved": 0.1}},
    )
    return HallConfig.model_validate({**base, **changes})


def test_patience_and_diversion_shape_the_visits(bp):
    patient = simulate(busy_hall(), bp, date(2026, 10, 5), seed=1)
    impatient = simulate(busy_hall(patience={"kind": "fixed", "mean": 10}), bp, date(2026, 10, 5), seed=1)
    waits = impatient.touches[impatient.touches.moment_id == "waiting"]
    assert waits.wait_min.max() <= 10.0 and patient.touches.wait_min.max() > 10
    left = waits[waits.outcome == "abandoned"]
    assert len(left) > 0 and (left.wait_min == 10.0).all()
    # an abandoning visit ends at once: waiting, then its last touch, abandoned too
    ends = impatient.touches[impatient.touches.visit_id.isin(left.visit_id)].groupby("visit_id").moment_id.last()
    assert set(ends) == {"leaving"}
    steer = {"station": "counter", "waiting_per_server": 2, "routes": ["business_handling"],
             "to_route": "waiting_diversion"}
    diverted = simulate(busy_hall(diversion=steer), bp, date(2026, 10, 5), seed=1)
    moved = diverted.visits[diverted.visits.route == "waiting_diversion"]
    assert len(moved) > 0
    steps = diverted.touches[diverted.touches.visit_id.isin(moved.visit_id)].groupby("visit_id").moment_id.agg(list)
    assert set(map(tuple, steps)) == {("entering", "greeting", "waiting", "self_service", "leaving")}
    assert diverted.touches[diverted.touches.moment_id == "waiting"].wait_min.mean() < \
        patient.touches[patient.touches.moment_id == "waiting"].wait_min.mean()


def test_a_fixed_seed_reproduces_exactly_and_another_differs(bp):
    a = simulate(busy_hall(survey_share=0.3, ratings={"counter_result": {"share": 0.7}}), bp, date(2026, 10, 5),
                 seed=9)
    b = simulate(busy_hall(survey_share=0.3, ratings={"counter_result": {"share": 0.7}}), bp, date(2026, 10, 5),
                 seed=9)
    c = simulate(busy_hall(), bp, date(2026, 10, 5), seed=10)
    assert a.touches.equals(b.touches) and a.surveys.equals(b.surveys) and a.visits.equals(b.visits)
    assert not a.visits.arrival.equals(c.visits.arrival)


def test_simulated_days_are_scored_by_the_stores_own_statements(bp):
    """The simulator runs scoring's statements compiled once (cached per blueprint and schema): a rated day scores
    exactly as Ibis itself runs the same definition, and a day with other ratings reuses the statements."""
    import ibis

    from peakend.scoring.experience import touch_experience
    from peakend.scoring.visits import visit_scores
    from peakend.simulate import experience

    day = simulate(busy_hall(ratings={"counter_result": {"share": 0.7}, "leaving": {"share": 0.5, "scale": "sat3"}}),
                   bp, date(2026, 10, 5), seed=3)
    touches, visits = experience.score(day, bp)
    te = touch_experience(ibis.memtable(experience._with_ratings(day.touches)), bp)
    con = ibis.duckdb.connect()
    by_ibis = [con.to_pandas(e) for e in (te, visit_scores(te, ibis.memtable(day.visits), bp.weights))]
    for got, want, key in ((touches, by_ibis[0], "touch_id"), (visits, by_ibis[1], "visit_id")):
        got, want = got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=False, atol=1e-12)
    assert touches["e_source"].eq("rating").any() and touches["e_source"].eq("inferred").any()
    compiled = len(experience._SQL)
    experience.score(simulate(busy_hall(ratings={"counter_result": {"share": 0.7}, "leaving": {"share": 0.5,
                                                                                            "scale": "sat3"}}),
                              bp, date(2026, 10, 6), seed=4), bp)
    assert len(experience._SQL) == compiled  # the same blueprint and schemas: nothing compiled again


def test_a_bad_configuration_is_named(bp):
    with pytest.raises(ConfigError, match="unknown route 'vip_lounge'"):
        simulate(busy_hall(routes={"vip_lounge": 1}), bp, date(2026, 10, 5))
    with pytest.raises(ValueError, match="closes"):
        busy_hall(opens=12, closes=10)


def test_simulated_events_pass_the_contract_and_score(store, bp, tmp_path):
    sim = simulate(busy_hall(survey_share=0.3, ratings={"counter_result": {"share": 0.7},
                                                        "leaving": {"share": 0.3, "scale": "sat3"}}),
                   bp, date(2026, 10, 5), days=2, seed=4)
    results = [ingest_file(store, f, Context(bp)) for f in write_events(sim, tmp_path)]
    assert [r.quarantined for r in results] == [0, 0]
    assert results[0].stored == len(sim.touches) and results[1].stored == len(sim.surveys)
    score(store, bp)
    assert store.scalar("SELECT count(*) FROM visit_scores") == len(sim.visits)


def test_plan_finds_the_erlang_c_staffing(bp):
    """λ = 5.6/min, service 0.5 min: 3 servers leave 42% waiting over a minute (Erlang C), 4 servers 4% → 4."""
    lam, mean = 5.6, 0.5
    assert 1 - erlang_c(3, lam * mean) * math.exp(-(3 / mean - lam)) < 0.5
    assert 1 - erlang_c(4, lam * mean) * math.exp(-(4 / mean - lam)) > 0.95
    cfg = HallConfig(hall_id="T", opens=9, closes=13, arrivals={h: lam * 60 for h in range(24)},
                     routes={"business_handling": 1}, stations={"counter": {"moments": ["counter_handling"]}},
                     service={"counter_handling": Dist(kind="exponential", mean=mean)},
                     default_service=Dist(kind="fixed", mean=1.0))
    planned, table = staff(cfg, bp, "counter", Targets(wait_min=1, share=0.8, rei=0), date(2026, 10, 5), reps=6)
    assert table["servers"].tolist() == [4, 4, 4, 4] and table["meets"].all()
    assert planned.stations["counter"].schedule(9, 13) == [4, 4, 4, 4]
    again = staff(cfg, bp, "counter", Targets(wait_min=1, share=0.8, rei=0), date(2026, 10, 5), reps=6)[1]
    assert again.equals(table)  # a fixed seed reproduces the plan exactly


def test_plan_names_targets_out_of_reach_meets_abandonment_and_agrees_with_erlang_a(bp):
    """An REI no staffing reaches is named before the search (and does not drive servers to the maximum); an
    abandonment target is met; the servers found agree with Erlang-A's for the same targets within one."""
    from peakend.simulate.plan import erlang_a_servers

    lam, mean = 3.0, 1.0  # 3 a minute, a minute each: load 3
    cfg = HallConfig(hall_id="T", opens=9, closes=12, arrivals={h: lam * 60 for h in range(24)},
                     routes={"business_handling": 1}, stations={"counter": {"moments": ["counter_handling"]}},
                     service={"counter_handling": Dist(kind="exponential", mean=mean)},
                     default_service=Dist(kind="fixed", mean=1.0), patience=Dist(kind="exponential", mean=3.0))
    assert cfg.queued_station(bp) == "counter"
    targets = Targets(wait_min=0.5, share=0.8, rei=99, abandon=0.02)
    _, table = staff(cfg, bp, "counter", targets, date(2026, 10, 5), reps=6, most=12)
    assert table["unreachable"].str.contains("REI 99 above its ceiling").all()
    assert (table["servers"] < 12).all()  # the unreachable REI did not push every hour to the maximum
    assert (table["abandoned"] <= 0.02 + table["abandoned_ci"]).all()
    theory = erlang_a_servers(cfg, bp, "counter", targets, date(2026, 10, 5))
    assert all(abs(s - theory[h]) <= 1 for h, s in zip(table["hour"], table["servers"], strict=True)), (table, theory)


def test_simulate_and_plan_commands(tmp_path):
    from typer.testing import CliRunner

    from peakend.cli import app

    runner = CliRunner()
    cfg = tmp_path / "hall.yaml"
    cfg.write_text(busy_hall().model_dump_json(), "utf-8")  # JSON is YAML too
    db = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["simulate", str(cfg), "--days", "2", "--out", str(tmp_path / "ev"), "--db", db])
    assert result.exit_code == 0, result.output
    assert "predicted REI" in result.output and "0 quarantined" in result.output
    more = tmp_path / "more.yaml"
    more.write_text(busy_hall(stations={"counter": {"moments": ["counter_handling"], "servers": 6}}).model_dump_json())
    result = runner.invoke(app, ["plan", str(cfg), str(more), "--reps", "3", "--rei", "0",
                                 "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "servers at counter on" in result.output and "erlang_a" in result.output  # station from the config
    assert (tmp_path / "p" / "hall_plan.csv").exists() and (tmp_path / "p" / "more_plan.csv").exists()
    side = pd.read_csv(tmp_path / "p" / "compare.csv").set_index("config")
    assert side.loc["more", "wait"] < side.loc["hall", "wait"]  # six counters all day beat two or three
    assert "vega" in (tmp_path / "p" / "hall_plan.html").read_text("utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("hall_id: X\narrivals: {9: 10}\nroutes: {vip: 1}\n", "utf-8")
    result = runner.invoke(app, ["simulate", str(bad)])
    assert result.exit_code == 2 and "unknown route 'vip'" in result.output


def test_a_day_without_arrivals_is_an_empty_day_not_an_error(bp):
    quiet = HallConfig(hall_id="空厅", opens=10, closes=11, arrivals={10: 0.0}, routes={"self_service_route": 1})
    sim = simulate(quiet, bp, date(2026, 10, 5))
    assert (len(sim.visits), len(sim.touches)) == (0, 0) and "wait_min" in sim.touches


@pytest.mark.parametrize("impatient", [False, True])
def test_lean_station_passes_equal_the_general_pass(impatient):
    """The lean loops for fixed servers (`_plain`, `_patient`) give what the general pass gives: a balking
    threshold nobody reaches sends the same customers through the general loop, draw for draw."""
    rng = np.random.default_rng(5)
    n = 3000
    arrival = np.sort(rng.uniform(0, 600, n))
    service = rng.exponential(0.55, n)  # ρ ≈ 0.92 on 3 servers: long queues, and reneging when impatient
    patience = rng.exponential(2.0, n) if impatient else None
    lean = serve(arrival, service, [3] * 10, 0, patience)
    general = serve(arrival, service, [3] * 10, 0, patience, Policy(balk_per_server=10.0**9))
    for field in ("status", "start", "end", "wait"):
        assert np.array_equal(getattr(lean, field), getattr(general, field)), field
    assert (lean.status == RENEGED).any() == impatient
    assert (lean.wait > 0).mean() > 0.3


def test_ids_written_by_numpy_equal_the_f_string():
    """The NumPy-written ids (every number within its width) and Arrow's pad-and-join (some number past it) both
    give what an f-string gives: `head` + zero-padded numbers, wider numbers in full."""
    from peakend.simulate.hall import _numbered

    visit, seq = np.array([0, 7, 42, 9999, 3]), np.array([1, 2, 9, 3, 1])
    want = [f"S1-261005-{v:04d}-{s}" for v, s in zip(visit, seq, strict=True)]
    assert _numbered("S1-261005-", (visit, 4), "-", (seq, 1)).to_pylist() == want
    wide, tens = np.array([5, 12345]), np.array([10, 1])  # past their widths: the general path
    assert _numbered("厅", (wide, 4), "-", (tens, 1)).to_pylist() == ["厅0005-10", "厅12345-1"]
    assert _numbered("C", (np.zeros(0, dtype=np.int64), 7)).to_pylist() == []
