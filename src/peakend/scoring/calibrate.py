"""Fit the remembered score's weights to what these customers report (`peakend calibrate`).

The remembered experience is w_peak·peak + w_end·end + w_mean·mean with the weights non-negative
and summing to 1. Regressing a survey answer on the three with non-negative coefficients (and an
intercept) and dividing the coefficients by their sum gives exactly those weights: the answer's
own scale only stretches them.

Intervals valid at the boundary. A percentile bootstrap of the constrained estimator is not valid when
a true weight lies on the constraint (Andrews 2000, "Inconsistency of the bootstrap when a parameter is
on the boundary of the parameter space", Econometrica 68:399–405): it printed "end 0.00 (0.00–0.00)"
where the constraint, not the data, pinned the weight. The interval of each weight is therefore the
percentile bootstrap interval of the *unconstrained* estimate (least squares without the sign
constraint, divided by the coefficients' sum: a smooth function of the data, where the bootstrap is
valid) intersected with [0, 1]: when the true weight satisfies the constraint, the intersection covers
it whenever the unconstrained interval does, so coverage is kept (measured in tests/test_calibrate.py).
A weight the constraint pins at 0 is said to be "at the constraint", with the unconstrained estimate.

Out of sample, on the repeated folds of `peakend compare` (10 × 5, seeded), the fitted weights are
compared with the blueprint's default 0.5/0.5/0 and with the best single part (peak, end or the mean),
each calibrated to the answer on the training folds, by the Nadeau–Bengio corrected resampled t-test
(R² of a numeric answer; Brier skill of a yes/no one, AUC shown). `recommend` is true only when the fit
predicts detectably better than both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from peakend.errors import AnswerDoesNotVary, PartsAlike, TooFewAnswers
from peakend.i18n import Lang, say
from peakend.scoring.compare import (
    ALPHA,
    MIN_ANSWERS,
    REPEATS,
    Difference,
    auc,
    corrected_t,
    logit,
    one_thread,
    repeated_splits,
)

PARTS = ("peak", "end", "mean")
FIXED = {"peak_end": np.array([0.5, 0.5, 0.0]), "peak": np.array([1.0, 0.0, 0.0]), "end": np.array([0.0, 1.0, 0.0]),
         "mean": np.array([0.0, 0.0, 1.0])}
SINGLE = ("peak", "end", "mean")
ALONE = 0.99  # a fitted weight this large: the fit is that part alone
PINNED = 1e-9  # a constrained weight at most this is at the constraint


@dataclass
class Calibration:
    """Fitted weights with boundary-valid intervals, and out-of-sample comparisons with 0.5/0.5/0 and single parts."""

    target: str
    metric: str  # r2, or auc for a two-valued answer
    answers: int
    weights: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    scores: dict[str, float]  # fitted, peak_end, peak, end, mean: the mean over the folds (R² or AUC)
    p: float  # fitted vs peak_end, corrected resampled t-test
    seed: int = 0
    fold_scores: dict[str, np.ndarray] = field(default_factory=dict)
    unconstrained: dict[str, float] = field(default_factory=dict)  # least squares without the sign constraint
    free_low: dict[str, float] = field(default_factory=dict)  # its bootstrap interval, before meeting [0, 1]
    free_high: dict[str, float] = field(default_factory=dict)
    versus: dict[str, Difference] = field(default_factory=dict)  # fitted − peak_end, fitted − best single
    best_single: str = "mean"  # the single part with the best out-of-sample score
    repeats: int = REPEATS
    folds: int = 5

    @property
    def pinned(self) -> list[str]:
        """The parts whose constrained weight the non-negativity constraint holds at 0."""
        return [k for k in PARTS if self.weights[k] <= PINNED and self.unconstrained.get(k, 0.0) < 0]

    @property
    def better(self) -> bool:
        """Whether the fitted weights predict detectably better than 0.5/0.5/0 (5% level)."""
        d = self.versus.get("peak_end")
        return d is not None and d.p < ALPHA and d.diff > 0

    @property
    def is_single(self) -> bool:
        """Whether the fitted weights are the best single part alone (its weight 0.99 or more)."""
        return self.weights.get(self.best_single, 0.0) >= ALONE

    @property
    def recommend(self) -> bool:
        """Whether to approve the fit: it predicts detectably better than 0.5/0.5/0 and than the best single part —
        or it is that part alone (weights 0/0/1 when the mean predicts best: no better than itself, but better than
        the weights in force)."""
        d = self.versus.get("single")
        return self.better and (self.is_single or (d is not None and d.p < ALPHA and d.diff > 0))

    def say_weights(self, lang: Lang) -> str:
        """Each weight with its 95% interval; a pinned one 'at the constraint' with its unconstrained estimate."""
        out = []
        for k in PARTS:
            text = f"{say('w_' + k, lang)} {self.weights[k]:.2f} ({self.low[k]:.2f}–{self.high[k]:.2f})"
            if k in self.pinned:
                text += say("at_constraint", lang, value=self.unconstrained[k], low=self.free_low[k],
                            high=self.free_high[k])
            out.append(text)
        return ", ".join(out)

    def say(self, lang: Lang) -> str:
        """The fit, its intervals and the out-of-sample comparisons as sentences, ending in the recommendation."""
        pe, single = self.versus.get("peak_end"), self.versus.get("single")
        fields = {"weights": self.say_weights(lang), "answers": self.answers, "target": self.target,
                  "metric": "R²" if self.metric == "r2" else "AUC", "fitted": self.scores["fitted"],
                  "default": self.scores["peak_end"], "mean": self.scores["mean"], "p": _p(self.p),
                  "single": say("w_" + self.best_single, lang), "single_score": self.scores[self.best_single],
                  "repeats": self.repeats, "folds": self.folds}
        for name, d in (("pe", pe), ("one", single)):
            fields |= {f"{name}_diff": d.diff if d else float("nan"), f"{name}_low": d.low if d else float("nan"),
                       f"{name}_high": d.high if d else float("nan")}
        key = ("calibrate_recommend_single" if self.recommend and self.is_single
               else "calibrate_recommend" if self.recommend else "calibrate_not_recommended")
        return say(key, lang, **fields)


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def fit_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 of the columns of `x` (peak, end, mean) that best predict `y`.

    NaN when no non-negative combination predicts `y` at all.
    """
    xc, yc = x - x.mean(axis=0), y - y.mean()
    beta, _ = optimize.nnls(xc, yc)
    total = beta.sum()
    return beta / total if total > 0 else np.full(x.shape[1], np.nan)


def free_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of the columns of `x` (with an intercept, no sign constraint) over their sum."""
    xc, yc = x - x.mean(axis=0), y - y.mean()
    beta = np.linalg.lstsq(xc, yc, rcond=None)[0]
    total = beta.sum()
    return beta / total if total != 0 else np.full(x.shape[1], np.nan)


def weight_intervals(x: np.ndarray, y: np.ndarray, boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile bootstrap intervals (over visits) of the unconstrained weights; `np.clip(…, 0, 1)` of them
    are the constrained weights' intervals (one wholly below 0 becomes 0–0: the data contradict the constraint)."""
    rng = np.random.default_rng(seed)
    draws = np.array([free_weights(x[i], y[i]) for i in (rng.integers(0, len(y), len(y)) for _ in range(boot))])
    low, high = np.nanpercentile(draws, [2.5, 97.5], axis=0)
    return low, high


def calibrate(frame: pd.DataFrame, target: str = "overall", boot: int = 400, folds: int = 5,
              seed: int = 0, repeats: int = REPEATS) -> Calibration:
    """Fit the weights on the visits of `frame` (columns peak, end, mean and `target`)."""
    data = frame[frame[target].notna()].reset_index(drop=True)
    if len(data) < MIN_ANSWERS:
        raise TooFewAnswers(value=MIN_ANSWERS, field=target, got=len(data))
    x, y = data[list(PARTS)].to_numpy(float), data[target].to_numpy(float)
    two = len(np.unique(y)) == 2
    least = int(pd.Series(y).value_counts().min()) if two else len(y)
    if len(np.unique(y)) < 2 or least < folds:
        raise AnswerDoesNotVary(field=target, value=len(np.unique(y)), least=least, folds=folds)
    if np.linalg.matrix_rank(x - x.mean(axis=0)) < len(PARTS):
        raise PartsAlike(answers=len(y))  # e.g. one touch per visit: peak = end = mean, no weight can be told
    if two:
        y = (y == y.max()).astype(float)
    w, free = fit_weights(x, y), free_weights(x, y)
    splits = repeated_splits(y, two, folds, repeats, seed)
    with one_thread():  # small matrices: BLAS threads only contend
        free_low, free_high = weight_intervals(x, y, boot, seed)
        shown, tested = _out_of_sample(x, y, two, splits)
    low, high = np.clip(free_low, 0.0, 1.0), np.clip(free_high, 0.0, 1.0)
    n_test = float(np.mean([len(te) for _, te in splits]))
    best_single = max(SINGLE, key=lambda k: float(tested[k].mean()))
    versus = {name: corrected_t(tested["fitted"] - tested[other], len(y) - n_test, n_test)
              for name, other in (("peak_end", "peak_end"), ("single", best_single))}
    named = {k: dict(zip(PARTS, map(float, v), strict=True)) for k, v in
             (("w", w), ("low", low), ("high", high), ("free", free), ("free_low", free_low),
              ("free_high", free_high))}
    return Calibration(target, "auc" if two else "r2", len(y), named["w"], named["low"], named["high"],
                       {k: float(v.mean()) for k, v in shown.items()}, versus["peak_end"].p, seed, shown,
                       named["free"], named["free_low"], named["free_high"], versus, best_single, repeats, folds)


def _out_of_sample(x: np.ndarray, y: np.ndarray, two: bool,
                   splits: list[tuple[np.ndarray, np.ndarray]]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per fold, the test score (R² or AUC) and the tested skill (R², or Brier skill of a yes/no answer) of each
    weighting, its score calibrated to the answer on the training folds (a line; a logistic curve for yes/no)."""
    names = ["fitted", *FIXED]
    shown: dict[str, list[float]] = {k: [] for k in names}
    tested: dict[str, list[float]] = {k: [] for k in names}
    for train, test in splits:
        weightings = {"fitted": fit_weights(x[train], y[train]), **FIXED}
        for name, wt in weightings.items():
            s = x @ np.nan_to_num(wt)
            if two:
                c = logit(s[train, None], y[train])
                shown[name].append(auc(y[test], s[test]))
                tested[name].append(_r2(y[test], special.expit(c[0] + c[1] * s[test])))
            else:
                slope, intercept = np.polyfit(s[train], y[train], 1) if np.ptp(s[train]) > 0 else (0.0, y[train].mean())
                r2 = _r2(y[test], intercept + slope * s[test])
                shown[name].append(r2)
                tested[name].append(r2)
    return {k: np.array(v) for k, v in shown.items()}, {k: np.array(v) for k, v in tested.items()}


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else 0.0


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
