"""The verdict's test measured on generated data: false positives on null data, power on a known difference,
stability across the fold seed and the coverage of its interval (300 visits, 10 × 5 folds, the corrected resampled
t-test). Each figure is asserted in a band around the value measured, so that a change of the test shows.

Which null. The test's hypothesis is equal expected out-of-sample error of the two models fitted on 240 visits.
Answers drawn independently of the ratings (`visits(0.0)`) make neither model informative, yet peak + end fits one
coefficient more, so the mean predicts slightly better (expected difference in R² −0.004, in Brier skill −0.005):
a test exact at equal error names the mean there in more than 5% of sets (measured: a per-visit paired test 7% of
numeric, 17% of yes/no sets). `visits(0.09)` is the boundary itself: answers weakly made from peak + end, whose gain
just pays for the extra coefficient (expected difference 0, computed here independently)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from peakend.scoring.compare import compare_models


def draw(effect: float, seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Peak, end and mean of five uniform touches per visit, and the answer effect·(peak + end) + N(0, 1)."""
    rng = np.random.default_rng(seed)
    e = rng.uniform(-1, 1, (n, 5))
    peak, end = e[np.arange(n), np.argmax(np.abs(e), axis=1)], e[:, -1]
    return peak, end, e.mean(axis=1), effect * (peak + end) + rng.normal(0, 1, n)


def visits(effect: float, seed: int, yes_no: bool = False, n: int = 300) -> pd.DataFrame:
    """`draw` as a frame; a yes/no answer is the sign of the numeric one."""
    peak, end, mean, y = draw(effect, seed, n)
    return pd.DataFrame({"peak": peak, "end": end, "mean": mean, "overall": (y > 0).astype(float) if yes_no else y})


def winners(effect: float, sets: range, seed: int = 0, yes_no: bool = False) -> list[str | None]:
    return [compare_models(visits(effect, s, yes_no), "overall", seed=seed, models=("mean", "peak_end"), nested=0)
            .verdict().winner for s in sets]


def expected_difference(effect: float, sets: int) -> float:
    """The truth the interval estimates, by numpy alone: the expected difference in test-fold R² of peak + end and the
    mean, each fitted by least squares on 240 fresh visits and scored on 60, averaged over `sets` fresh data sets."""
    rng = np.random.default_rng(99)
    diffs = []
    for s in range(sets):
        peak, end, mean, y = draw(effect, 50_000 + s)
        test = rng.permutation(300)[:60]
        train = np.setdiff1d(np.arange(300), test)
        r2 = []
        for x in (np.column_stack([peak, end]), mean[:, None]):
            a = np.column_stack([np.ones(300), x])
            coef = np.linalg.lstsq(a[train], y[train], rcond=None)[0]
            r2.append(1 - ((y[test] - a[test] @ coef) ** 2).sum() / ((y[test] - y[test].mean()) ** 2).sum())
        diffs.append(r2[0] - r2[1])
    return float(np.mean(diffs))


def test_on_null_data_the_verdict_rarely_names_a_winner_and_not_by_the_seed():
    """Ratings and a numeric answer drawn independently, 200 sets: measured 1 winner (0.5%, the mean; seed 1: 1 too),
    conservative — below the 5% ± 3 the issue asks, as every valid test tried (method page). Seed 1 changes 2 of 200
    verdicts (1%)."""
    first, second = winners(0.0, range(200)), winners(0.0, range(200), seed=1)
    assert sum(w is not None for w in first) <= 4 and sum(w is not None for w in second) <= 4
    assert "peak_end" not in first + second  # the rule is never credited on null data
    assert sum(a != b for a, b in zip(first, second, strict=True)) <= 5


def test_on_null_yes_no_answers_the_verdict_rarely_names_a_winner_and_not_by_the_seed():
    """A yes/no answer drawn independently of the ratings (the issue's experiment), 200 sets: measured 0 winners
    (seed 1: 4 of 200, 2%, all the mean); here ≤ 2% and never peak + end. Seed 1 changes 1 of the first 100."""
    first, second = winners(0.0, range(200), yes_no=True), winners(0.0, range(100), seed=1, yes_no=True)
    assert sum(w is not None for w in first) <= 4 and "peak_end" not in first + second
    assert sum(a != b for a, b in zip(first[:100], second, strict=True)) <= 3


def test_at_equal_expected_error_the_verdict_rarely_names_a_winner():
    """answer = 0.09·(peak + end) + N(0, 1): the expected R² difference, by numpy over 1500 fresh sets, is +0.0013
    (standard error 0.0008; over 3000 other sets +0.00002), within ±0.002 of 0, a quarter of the estimate's spread
    (0.008); the verdict names a winner in 0 of 200 sets (a per-visit paired test instead: 1.5%)."""
    assert abs(expected_difference(0.09, 1500)) < 0.002
    found = winners(0.09, range(200))
    assert sum(w is not None for w in found) <= 4


def test_power_on_a_known_difference_and_the_seed():
    """answer = effect·(peak + end) + N(0, 1), 100 sets each: measured power 5% at 0.2, 65% at 0.4, 96% at 0.6
    (never the mean); seed 1 changes 2 of the first 60 verdicts at 0.6. Yes/no (its sign) at 0.6: 55 of 60 (92%;
    of 100: 1% at 0.2, 45% at 0.4, 92% at 0.6)."""
    power = {e: winners(e, range(100)) for e in (0.2, 0.4, 0.6)}
    assert all("mean" not in w for w in power.values())
    found = {e: sum(x == "peak_end" for x in w) for e, w in power.items()}
    assert found[0.2] <= 15 and 52 <= found[0.4] <= 78 and found[0.6] >= 88, found
    second = winners(0.6, range(60), seed=1)
    assert sum(a != b for a, b in zip(power[0.6][:60], second, strict=True)) <= 6
    yes_no = winners(0.6, range(60), yes_no=True)
    assert sum(x == "peak_end" for x in yes_no) >= 50 and "mean" not in yes_no


def test_the_verdicts_interval_covers_the_true_difference():
    """answer = 0.3·(peak + end) + N(0, 1). The truth by numpy over 1500 fresh data sets (`expected_difference`);
    150 sets' nominal 95% intervals hold it in 91–99% of them (measured: 97% of 200)."""
    truth = expected_difference(0.3, 1500)
    covered = 0
    for s in range(150):
        v = compare_models(visits(0.3, s), "overall", models=("mean", "peak_end"), nested=0).verdict()
        covered += v.low <= truth <= v.high
    assert 137 <= covered <= 148, covered / 150


def penalised_logit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights of logistic regressions as scikit-learn's default fits them (C = 1, intercept not penalised), one per
    data set along the first axis of `x` (sets × visits × columns, the first column ones), by batched Newton steps."""
    pen = np.ones(x.shape[2])
    pen[0] = 0.0
    w = np.zeros((x.shape[0], x.shape[2]))
    for _ in range(25):
        p = 1 / (1 + np.exp(-np.einsum("svc,sc->sv", x, w)))
        grad = np.einsum("svc,sv->sc", x, p - y) + pen * w
        hess = np.einsum("svc,sv,svd->scd", x, p * (1 - p), x) + np.diag(pen)
        w -= np.linalg.solve(hess, grad[..., None])[..., 0]
    return w


def expected_brier_difference(effect: float, sets: int) -> float:
    """As `expected_difference` for the yes/no answer (its sign): the expected difference in test-fold Brier skill of
    logistic regressions on peak + end and on the mean, fitted on 240 visits and scored on 60 (both classes in their
    share), averaged over `sets` fresh data sets."""
    rng = np.random.default_rng(98)
    xs: dict[str, list[np.ndarray]] = {"peak_end": [], "mean": []}
    labels = []
    for s in range(sets):
        peak, end, mean, y = draw(effect, 60_000 + s)
        label = (y > 0).astype(float)
        ones, zeros = np.flatnonzero(label == 1), np.flatnonzero(label == 0)
        k = round(60 * len(ones) / 300)
        test = np.zeros(300, bool)
        test[np.concatenate([rng.choice(ones, k, replace=False), rng.choice(zeros, 60 - k, replace=False)])] = True
        order = np.concatenate([np.flatnonzero(~test), np.flatnonzero(test)])  # 240 training visits, then 60 test
        xs["peak_end"].append(np.column_stack([np.ones(300), peak, end])[order])
        xs["mean"].append(np.column_stack([np.ones(300), mean])[order])
        labels.append(label[order])
    y = np.array(labels)
    skill = {}
    for model, parts in xs.items():
        x = np.array(parts)
        w = penalised_logit(x[:, :240], y[:, :240])
        p = 1 / (1 + np.exp(-np.einsum("svc,sc->sv", x[:, 240:], w)))
        t = y[:, 240:]
        skill[model] = 1 - ((t - p) ** 2).sum(axis=1) / ((t - t.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    return float(np.mean(skill["peak_end"] - skill["mean"]))


def test_the_verdicts_interval_covers_the_true_difference_on_yes_no_answers():
    """The sign of 0.3·(peak + end) + N(0, 1): the truth over 1500 fresh sets (`expected_brier_difference`, +0.031;
    scikit-learn's LogisticRegression on other splits of the same sets: +0.032); 100 sets' nominal 95% intervals of
    the Brier skill difference hold it in 91–99 of them (measured: 97 of the first 100, 189 of 200)."""
    truth = expected_brier_difference(0.3, 1500)
    covered = 0
    for s in range(100):
        v = compare_models(visits(0.3, s, True), "overall", models=("mean", "peak_end"), nested=0).verdict()
        covered += v.low <= truth <= v.high
    assert 91 <= covered <= 99, covered
