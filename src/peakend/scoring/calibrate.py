"""Fit the remembered score's weights to what these customers report (`peakend calibrate`).

The remembered experience is w_peak·peak + w_end·end + w_mean·mean with the weights non-negative
and summing to 1. Regressing a survey answer on the three with non-negative coefficients (and an
intercept) and dividing the coefficients by their sum gives exactly those weights: the answer's
own scale only stretches them. Intervals come from a bootstrap over visits. Out of sample (the
same shuffled folds for all three), the fitted weights are compared with the blueprint's default
0.5/0.5/0 and with the plain mean, each calibrated to the answer on the training folds; a paired
t-test over the folds says whether the fit predicts detectably better than 0.5/0.5/0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold

from peakend.errors import AnswerDoesNotVary, TooFewAnswers
from peakend.i18n import Lang, say
from peakend.scoring.compare import MIN_ANSWERS

PARTS = ("peak", "end", "mean")
FIXED = {"peak_end": np.array([0.5, 0.5, 0.0]), "mean": np.array([0.0, 0.0, 1.0])}


@dataclass
class Calibration:
    """Fitted weights with bootstrap intervals, and out-of-sample scores of fitted, 0.5/0.5/0 and the mean."""

    target: str
    metric: str  # r2, or auc for a two-valued answer
    answers: int
    weights: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    scores: dict[str, float]  # fitted, peak_end, mean: the mean over folds
    p: float  # fitted vs peak_end, paired t-test over the folds
    seed: int = 0
    fold_scores: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def better(self) -> bool:
        """Whether the fitted weights predict detectably better than 0.5/0.5/0 (5% level)."""
        return self.p < 0.05 and self.scores["fitted"] > self.scores["peak_end"]

    def say(self, lang: Lang) -> str:
        """The fit, its intervals and the out-of-sample comparison as sentences."""
        parts = ", ".join(f"{say('w_' + k, lang)} {self.weights[k]:.2f} ({self.low[k]:.2f}–{self.high[k]:.2f})"
                          for k in PARTS)
        p = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.3f}"
        key = "calibrate_better" if self.better else "calibrate_no_better"
        return say(key, lang, weights=parts, answers=self.answers, target=self.target,
                   metric="R²" if self.metric == "r2" else "AUC", fitted=self.scores["fitted"],
                   default=self.scores["peak_end"], mean=self.scores["mean"], p=p)


def fit_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 of the columns of `x` (peak, end, mean) that best predict `y`.

    NaN when no non-negative combination predicts `y` at all.
    """
    xc, yc = x - x.mean(axis=0), y - y.mean()
    beta, _ = optimize.nnls(xc, yc)
    total = beta.sum()
    return beta / total if total > 0 else np.full(x.shape[1], np.nan)


def calibrate(frame: pd.DataFrame, target: str = "overall", boot: int = 400, folds: int = 5,
              seed: int = 0) -> Calibration:
    """Fit the weights on the visits of `frame` (columns peak, end, mean and `target`)."""
    data = frame[frame[target].notna()].reset_index(drop=True)
    if len(data) < MIN_ANSWERS:
        raise TooFewAnswers(value=MIN_ANSWERS, field=target, got=len(data))
    x, y = data[list(PARTS)].to_numpy(float), data[target].to_numpy(float)
    two = len(np.unique(y)) == 2
    least = int(pd.Series(y).value_counts().min()) if two else len(y)
    if len(np.unique(y)) < 2 or least < folds:
        raise AnswerDoesNotVary(field=target, value=len(np.unique(y)), least=least, folds=folds)
    w = fit_weights(x, y)
    rng = np.random.default_rng(seed)
    draws = np.array([fit_weights(x[i], y[i]) for i in (rng.integers(0, len(y), len(y)) for _ in range(boot))])
    low, high = np.nanpercentile(draws, [2.5, 97.5], axis=0)
    scores = _out_of_sample(x, y, two, folds, seed)
    diff = scores["fitted"] - scores["peak_end"]
    p = float(stats.ttest_rel(scores["fitted"], scores["peak_end"]).pvalue) if np.ptp(diff) > 0 else 1.0
    return Calibration(target, "auc" if two else "r2", len(y), dict(zip(PARTS, map(float, w), strict=True)),
                       dict(zip(PARTS, map(float, low), strict=True)), dict(zip(PARTS, map(float, high), strict=True)),
                       {k: float(v.mean()) for k, v in scores.items()}, p, seed, scores)


def _out_of_sample(x: np.ndarray, y: np.ndarray, two: bool, folds: int, seed: int) -> dict[str, np.ndarray]:
    """Per fold, the test score of each weighting, calibrated to the answer on the training folds."""
    split = (StratifiedKFold if two else KFold)(folds, shuffle=True, random_state=seed)
    out: dict[str, list[float]] = {"fitted": [], **{k: [] for k in FIXED}}
    for train, test in split.split(x, y):
        weightings = {"fitted": fit_weights(x[train], y[train]), **FIXED}
        for name, wt in weightings.items():
            s = x @ np.nan_to_num(wt)
            if two:
                out[name].append(float(roc_auc_score(y[test], s[test])))
            else:
                slope, intercept = np.polyfit(s[train], y[train], 1) if np.ptp(s[train]) > 0 else (0.0, y[train].mean())
                out[name].append(float(r2_score(y[test], intercept + slope * s[test])))
    return {k: np.array(v) for k, v in out.items()}


def with_weights(text: str, weights: dict[str, float], note: str) -> str:
    """Blueprint YAML `text` with its `weights:` replaced (rounded to 2 decimals, still summing to 1)."""
    import yaml

    cents = {k: int(np.floor(weights[k] * 100)) for k in PARTS}  # largest remainders get the cents left over
    for k in sorted(PARTS, key=lambda k: weights[k] * 100 - cents[k], reverse=True)[: 100 - sum(cents.values())]:
        cents[k] += 1
    rounded = {k: cents[k] / 100 for k in PARTS}
    root = yaml.compose(text)
    assert isinstance(root, yaml.MappingNode)
    key, node = next((k, v) for k, v in root.value if k.value == "weights")
    lines = text.splitlines(keepends=True)
    first, last = key.start_mark.line, node.end_mark.line - (1 if node.end_mark.column == 0 else 0)
    new = (f"weights: {{peak: {rounded['peak']}, end: {rounded['end']}, mean: {rounded['mean']}}}  # {note}\n")
    return "".join([*lines[:first], new, *lines[last + 1:]])
