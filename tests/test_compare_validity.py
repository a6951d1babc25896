"""The verdict's test measured on generated data: false positives on null data, power on a known difference, and
stability across the fold seed (300 visits, 10 × 5 folds, the corrected resampled t-test)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from peakend.scoring.compare import compare_models


def visits(effect: float, seed: int, yes_no: bool = False, n: int = 300) -> pd.DataFrame:
    """Peak, end and mean of five uniform touches; the answer effect·(peak + end) + N(0, 1) (yes/no: its sign)."""
    rng = np.random.default_rng(seed)
    e = rng.uniform(-1, 1, (n, 5))
    frame = pd.DataFrame({"peak": e[np.arange(n), np.argmax(np.abs(e), axis=1)], "end": e[:, -1],
                          "mean": e.mean(axis=1)})
    y = effect * (frame.peak + frame.end) + rng.normal(0, 1, n)
    frame["overall"] = (y > 0).astype(float) if yes_no else y
    return frame


def winners(effect: float, sets: range, seed: int = 0, yes_no: bool = False) -> list[str | None]:
    return [compare_models(visits(effect, s, yes_no), "overall", seed=seed, models=("mean", "peak_end"), nested=0)
            .verdict().winner for s in sets]


def test_on_null_data_the_verdict_rarely_names_a_winner_and_not_by_the_seed():
    """Ratings and a numeric answer drawn independently, 200 sets: measured 1 winner (0.5%); a valid 5% test stays
    ≤ 8% (at a true 5%, more than 16 of 200 happens with probability 2%). Seed 1 changes ≤ 3% of the first 100
    verdicts (measured: 1 of 200)."""
    first, second = winners(0.0, range(200)), winners(0.0, range(100), seed=1)
    named = sum(w is not None for w in first)
    assert named <= 16, named
    assert sum(a != b for a, b in zip(first[:100], second, strict=True)) <= 3


def test_on_null_yes_no_answers_the_verdict_rarely_names_a_winner():
    """A yes/no answer drawn independently of the ratings (the issue's experiment), 100 sets: ≤ 8 winners."""
    named = sum(w is not None for w in winners(0.0, range(100), yes_no=True))
    assert named <= 8, named


def test_a_known_difference_is_found_whatever_the_seed():
    """answer = 0.6·(peak + end) + N(0, 1): peak + end predicts better; measured power 96% (100 sets); here ≥ 85%
    of 60 sets, the seed changing ≤ 10% of the verdicts, and never naming the mean."""
    first, second = winners(0.6, range(60)), winners(0.6, range(60), seed=1)
    assert sum(w == "peak_end" for w in first) >= 51 and "mean" not in first + second
    assert sum(a != b for a, b in zip(first, second, strict=True)) <= 6


def test_the_verdicts_interval_covers_the_true_difference():
    """answer = 0.3·(peak + end) + N(0, 1). The truth the interval estimates — the expected difference in test-fold
    R² of peak + end and the mean, each fitted on 240 visits and scored on 60 — computed independently by numpy
    over 1500 fresh data sets; 150 sets' nominal 95% intervals hold it in 91–99% of them (measured: 97% of 200)."""
    rng = np.random.default_rng(99)
    diffs = []
    for s in range(1500):
        f = visits(0.3, 50_000 + s)
        y = f.overall.to_numpy()
        r2 = []
        test = rng.permutation(300)[:60]
        train = np.setdiff1d(np.arange(300), test)
        for cols in (["peak", "end"], ["mean"]):
            a = np.column_stack([np.ones(300), f[cols].to_numpy()])
            coef = np.linalg.lstsq(a[train], y[train], rcond=None)[0]
            r2.append(1 - ((y[test] - a[test] @ coef) ** 2).sum() / ((y[test] - y[test].mean()) ** 2).sum())
        diffs.append(r2[0] - r2[1])
    truth = float(np.mean(diffs))
    covered = 0
    for s in range(150):
        v = compare_models(visits(0.3, s), "overall", models=("mean", "peak_end"), nested=0).verdict()
        covered += v.low <= truth <= v.high
    assert 137 <= covered <= 148, covered / 150
