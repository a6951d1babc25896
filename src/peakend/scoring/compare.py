"""Which remembered experience predicts these customers' answers? Repeated, cross-validated model comparison.

On visits with a survey answer, each model predicts the answer from per-visit features; R² for a numeric answer
(overall satisfaction, recommend 0–10), ROC AUC for a yes/no answer (promoter: recommend ≥ 9). Models: the mean,
peak, end, first impression, trend (the slope of e over the visit), worst, best, share of negative touches,
peak + end, peak + end + mean, peak + end + mean + duration (only when some visit has a duration) and all moments
(each moment's mean e, 0 where absent, with an indicator of whether the visit had it; regularised, its penalty
chosen by an inner cross-validation). A model whose features the data lack is left out.

Every model is scored on the same folds: `repeats` × `folds` (default 10 × 5) shuffled splits, repeat r seeded
from the recorded `seed` (repeat 0 by `seed` itself). Folds share training data, so their scores are correlated
and a paired t-test over them is anticonservative (on null data the old test over one 5-fold split named a
winner in 5 of 20 sets). The verdict therefore uses the corrected resampled t-test of Nadeau & Bengio (2003,
"Inference for the generalization error", Machine Learning 52:239–281), recommended for repeated k-fold CV by
Bouckaert & Frank (2004, "Evaluating the replicability of significance tests for comparing learning
algorithms", PAKDD): the variance of the mean difference over the J = repeats·folds scores is
(1/J + n_test/n_train)·s² rather than s²/J, with J − 1 degrees of freedom. The corrected test is conservative on
squared-error scores and was measured anticonservative on fold AUCs (11% of 200 yes/no null sets), so for a
yes/no answer the verdict tests the Brier skill score (R² of the predicted probabilities) while the table still
shows AUC.

Measured (tests/test_compare_validity.py, 300 visits, 10 × 5 folds): a winner in 0.5% of 200 numeric null sets
(answers independent of the ratings) and 0–2% of yes/no ones (by the seed), never peak + end — valid but
conservative, below the 5% ± 3 band of issue 32; power 5% / 65% / 96% at answers = 0.2 / 0.4 / 0.6·(peak + end) +
N(0, 1); the seed changed the verdict in 1% of null sets (both kinds); the 95% interval held the true difference in
97% of 200 numeric and 94.5% of 200 yes/no sets. "Null" needs care: the test's hypothesis is equal expected error of
the two fitted models, and with answers independent of the ratings peak + end pays for its extra coefficient
(expected R² −0.004 against the mean, Brier skill −0.005), so a test exact at equal error names the mean there more
often than 5%. At the boundary itself (answers 0.09·(peak + end) + noise, expected difference 0) the corrected test
named a winner in 0 of 200 sets. Measured on 400 null sets each and rejected, none landing in 2–8% on both numeric
and yes/no answers without a tuned constant (numeric / yes/no): 10 × 10 folds (Bouckaert & Frank) 0% / 2%;
Dietterich's (1998) 5×2cv t 16% / 22% and Alpaydin's (1999) combined 5×2cv F 25% / 42%; a paired test of per-visit
out-of-fold losses averaged over the repeats — the naive cross-validation interval of Bates, Hastie & Tibshirani
(2023, "Cross-validation: what does it estimate and how well does it do it?", JASA) — 7% / 16.5%, every one naming
the mean (as the paired bootstrap of those losses before, 9.5% / 16%): its width is right here (0.009 against a true
spread of 0.008) but the null difference is shifted by the extra coefficient and skewed, and at the boundary it
still named the mean in 1.5% / 8.5%; their nested-CV estimate of the variance inflation (50 repeats) came out 1.6 /
1.8 — wider than the corrected test — and named no winner in 100 null sets each; the Nadeau–Bengio correction
applied to the per-visit differences (variance (1/n + n_test/n_train)·s²) widens them 8.7-fold and found nothing in
100 sets even at an effect of 0.6.

Two statements come out (`Comparison.verdict`):
- the rule: peak + end against the plain mean (pre-specified, so no choice flatters it), difference with its
  95% interval; a winner only when the corrected test finds one at the 5% level;
- the best model, chosen by nested cross-validation so that choosing does not flatter the winner: in each outer
  training set (the first `nested` repeats), every model is scored by an inner `folds`-fold cross-validation and
  the best one is refitted and scored on the outer test fold; the chosen model's outer scores against the mean's,
  by the same corrected test, say how much choosing the best beats the mean.
Words are non-causal: a model "predicts … better"; no detectable difference is stated with its interval,
never as agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd
from scipy import special, stats
from threadpoolctl import ThreadpoolController

from peakend.contract import SCALES
from peakend.errors import AnswerDoesNotVary, TooFewAnswers
from peakend.i18n import Lang, say
from peakend.store.db import Store

MODELS: dict[str, list[str]] = {
    "mean": ["mean"],
    "peak": ["peak"],
    "end": ["end"],
    "first": ["first"],
    "trend": ["trend"],
    "worst": ["worst"],
    "best": ["best"],
    "negative_share": ["negative_share"],
    "peak_end": ["peak", "end"],
    "peak_end_mean": ["peak", "end", "mean"],
    "peak_end_mean_duration": ["peak", "end", "mean", "duration_min"],
    "all_moments": [],  # filled with one column per moment
}
MODEL_NAMES = {
    "mean": ("仅平均", "Mean only"),
    "peak": ("仅峰值", "Peak only"),
    "end": ("仅终值", "End only"),
    "first": ("首印象", "First impression"),
    "trend": ("趋势（斜率）", "Trend (slope)"),
    "worst": ("最差", "Worst"),
    "best": ("最好", "Best"),
    "negative_share": ("负面触点占比", "Share of negative touches"),
    "peak_end": ("峰值+终值", "Peak + end"),
    "peak_end_mean": ("峰值+终值+平均", "Peak + end + mean"),
    "peak_end_mean_duration": ("峰值+终值+平均+时长", "Peak + end + mean + duration"),
    "all_moments": ("全部关键时刻", "All moments"),
}
Target = Literal["overall", "recommend", "repurchase", "relationship", "switch_resist", "promoter"]
# Each answer field of a survey, and the metric used when it takes more than two values (two: AUC).
TARGETS: dict[Target, str] = {"overall": "r2", "recommend": "r2", "repurchase": "r2", "relationship": "r2",
                              "switch_resist": "r2", "promoter": "auc"}
ANSWERS = ("overall", "recommend", "repurchase", "relationship", "switch_resist")
MIN_ANSWERS = 20
REPEATS = 10
NESTED = 2  # outer repeats of the nested choice of the best model
ALPHA = 0.05
ALPHAS = np.logspace(-3, 3, 13)  # ridge penalties of the all-moments model
Split = tuple[np.ndarray, np.ndarray]
_POOLS: list[ThreadpoolController] = []  # found once: scanning the loaded BLAS libraries is slow


def one_thread() -> Any:
    """A context with BLAS limited to one thread: the fits here are small, and threads only contend."""
    if not _POOLS:
        _POOLS.append(ThreadpoolController())
    return _POOLS[0].limit(limits=1)


@dataclass(frozen=True)
class Difference:
    """A mean difference of fold scores with its corrected-t 95% interval and p-value."""

    diff: float
    low: float
    high: float
    p: float


def corrected_t(diff: np.ndarray, n_train: float, n_test: float, alpha: float = ALPHA) -> Difference:
    """Nadeau–Bengio corrected resampled t-test of fold-score differences `diff` (J = repeats·folds of them)."""
    j, mean = len(diff), float(np.mean(diff))
    se = float(np.sqrt((1 / j + n_test / n_train) * np.var(diff, ddof=1))) if j > 1 else 0.0
    if not se > 0:  # identical scores in every fold: no spread to test against
        return Difference(mean, mean, mean, 1.0 if mean == 0 else 0.0)
    q = float(stats.t.ppf(1 - alpha / 2, j - 1))
    p = float(2 * stats.t.sf(abs(mean) / se, j - 1))
    return Difference(mean, mean - q * se, mean + q * se, p)


def repeated_splits(y: np.ndarray, stratify: bool, folds: int, repeats: int, seed: int) -> list[Split]:
    """`repeats` shuffled `folds`-fold splits; repeat 0 is seeded by `seed`, repeat r by SeedSequence([seed, r])."""
    out: list[Split] = []
    for r in range(repeats):
        state = seed if r == 0 else int(np.random.SeedSequence([seed, r]).generate_state(1)[0])
        from sklearn.model_selection import KFold, StratifiedKFold  # (loads in a second: only when asked)

        cv = (StratifiedKFold if stratify else KFold)(folds, shuffle=True, random_state=state)
        out += list(cv.split(np.zeros(len(y)), y))
    return out


@dataclass(frozen=True)
class Verdict:
    """Peak + end against the plain mean by the corrected test, and the best model chosen by nested CV."""

    target: str
    metric: str
    model: str  # the peak-end model compared with the mean
    score: float
    mean_score: float
    p: float
    winner: str | None  # the model that predicts better at the 5% level; None: no detectable difference
    low: float = float("nan")  # 95% interval of score − mean_score (corrected resampled t)
    high: float = float("nan")
    repeats: int = 1
    folds: int = 5
    seed: int = 0
    best: str | None = None  # the model nested cross-validation picks most often; None: not computed
    best_score: float = float("nan")  # outer score of the nested choice (honest: choosing is inside)
    best_diff: Difference | None = None  # the nested choice's score − the mean's, corrected interval
    best_picks: int = 0
    outer: int = 0  # outer folds of the nested choice
    diff: float = float("nan")  # the tested difference: R² of a numeric answer, Brier skill of a yes/no one
    tested: str = "r2"  # r2 or brier: the fold scores the corrected test compares

    @property
    def best_beats_mean(self) -> bool:
        """Whether the nested choice predicts detectably better than the mean alone (5% level)."""
        return self.best_diff is not None and self.best_diff.low > 0

    def say(self, lang: Lang) -> str:
        """The verdict in words: the rule's comparison, then (when computed) the best model; non-causal."""
        name = MODEL_NAMES[self.model][0 if lang == "zh" else 1]
        fields = {"metric": "R²" if self.metric == "r2" else "AUC", "target": self.target, "model": name,
                  "ours": self.score, "mean": self.mean_score, "p": _p(self.p), "diff": self.diff,
                  "low": self.low, "high": self.high, "repeats": self.repeats, "folds": self.folds,
                  "tested": _tested(self.tested, lang)}
        key = "verdict_none" if self.winner is None else "verdict_peak_end" if self.winner != "mean" else "verdict_mean"
        return " ".join([say(key, lang, **fields), *([self.say_best(lang)] if self.best else [])])

    def say_best(self, lang: Lang) -> str:
        """The nested choice: which model predicts best, its score, and how much it beats the mean alone."""
        if self.best is None or self.best_diff is None:
            return ""
        d = self.best_diff
        fields = {"metric": "R²" if self.metric == "r2" else "AUC", "target": self.target,
                  "model": MODEL_NAMES[self.best][0 if lang == "zh" else 1], "score": self.best_score,
                  "picks": self.best_picks, "outer": self.outer, "diff": d.diff, "low": d.low, "high": d.high,
                  "p": _p(d.p), "tested": _tested(self.tested, lang)}
        key = ("verdict_best_mean" if self.best == "mean" else "verdict_best" if self.best_beats_mean
               else "verdict_best_none")
        return say(key, lang, **fields)


def _tested(tested: str, lang: Lang) -> str:
    return "R²" if tested == "r2" else say("brier_skill", lang)


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@dataclass
class Comparison:
    """Per-model scores of one target, each fold's score kept (`fold_scores`, the same folds for every model)."""

    target: str
    metric: str
    answers: int
    table: pd.DataFrame  # model, name_zh, name_en, score, sd, folds, repeats
    fold_scores: dict[str, np.ndarray]
    seed: int = 0
    repeats: int = 1
    folds: int = 5
    n_test: float = 0.0  # mean visits per test fold (for the corrected test)
    nested: dict[str, Any] = field(default_factory=dict)  # picks (model per outer fold), scores, mean
    skill_scores: dict[str, np.ndarray] = field(default_factory=dict)  # per fold: R², or Brier skill (yes/no)

    @property
    def tested(self) -> dict[str, np.ndarray]:
        """The fold scores the verdict tests: R² of a numeric answer; of a yes/no one the Brier skill score."""
        return self.skill_scores or self.fold_scores

    def difference(self, model: str, other: str = "mean", alpha: float = ALPHA) -> Difference:
        """`model`'s fold scores minus `other`'s, by the corrected resampled t-test."""
        return corrected_t(self.tested[model] - self.tested[other], self.answers - self.n_test,
                           self.n_test, alpha)

    def verdict(self, alpha: float = ALPHA) -> Verdict:
        """Peak + end against the plain mean (corrected resampled t over the repeated folds), and the best model."""
        best = "peak_end"
        d = self.difference(best, alpha=alpha)
        winner = None if not d.p < alpha else best if d.diff > 0 else "mean"
        extra: dict[str, Any] = {}
        if self.nested:
            picks = list(self.nested["picks"])
            chosen = max(dict.fromkeys(picks), key=picks.count)  # most often, the first listed on a tie
            n_test = self.nested["n_test"]
            extra = {"best": chosen, "best_score": float(np.mean(self.nested["scores"])),
                     "best_diff": corrected_t(self.nested["scores"] - self.nested["mean"], self.answers - n_test,
                                              n_test, alpha),
                     "best_picks": picks.count(chosen), "outer": len(picks)}
        return Verdict(self.target, self.metric, best, float(self.fold_scores[best].mean()),
                       float(self.fold_scores["mean"].mean()), d.p, winner, d.low, d.high, self.repeats, self.folds,
                       self.seed, **extra, diff=d.diff, tested="brier" if self.skill_scores else "r2")


def survey_frame(store: Store, halls: set[str] | None = None) -> pd.DataFrame:
    """Scored visits (of `halls`, default all) with their latest survey answers, per-moment mean e (`m_<id>`)
    and the journey's first e, trend and share of negative touches (`journey_figures`)."""
    s = store.table("surveys")
    latest = (
        s.mutate(_n=ibis.row_number().over(group_by=s.visit_id,
                                           order_by=[s.answered_at.desc(nulls_first=False), s.survey_id.desc()]))
        .filter(lambda t: t._n == 0)
        .select("visit_id", "overall_scale", *ANSWERS)
    )
    v = store.table("visit_scores").select("visit_id", "hall_id", "segment", "day", "peak", "peak_moment", "end",
                                           "end_moment", "mean", "best", "worst", "rei", "duration_min")
    if halls is not None:
        v = v.filter(v.hall_id.isin(sorted(halls)))
    t = store.table("touch_scores")
    answered = t.filter(t.visit_id.isin(s.visit_id))
    with store.lock:
        visits = v.join(latest, "visit_id").order_by("visit_id").to_pandas()
        moments = answered.group_by(["visit_id", "moment_id"]).agg(e=answered.e.mean()).to_pandas()
        touches = answered.filter(answered.e.notnull()).select("visit_id", "start_at", "seq", "touch_id",
                                                               "e").to_pandas()
    frame = with_moments(visits, moments).astype(dict.fromkeys(ANSWERS, "float64"))
    frame = frame.merge(journey_figures(touches), left_on="visit_id", right_index=True, how="left")
    lo = frame.overall_scale.map(lambda s: SCALES.get(s, (np.nan, np.nan))[0]).astype("float64")
    hi = frame.overall_scale.map(lambda s: SCALES.get(s, (np.nan, np.nan))[1]).astype("float64")
    frame["overall"] = 2 * (frame.overall - lo) / (hi - lo) - 1
    frame["promoter"] = np.where(frame.recommend.isna(), np.nan, (frame.recommend >= 9).astype(float))
    return frame


def journey_figures(touches: pd.DataFrame) -> pd.DataFrame:
    """Per visit (index visit_id) from touches visit_id, start_at, seq, touch_id, e in journey order (start time,
    then seq, then id): `first` e, `trend` (least-squares slope of e over the journey scaled to 0–1, so the fitted
    change from first to last touch; 0 with one touch) and `negative_share` (share of touches with e < 0)."""
    if touches.empty:
        return pd.DataFrame(columns=["first", "trend", "negative_share"], index=pd.Index([], name="visit_id"))
    t = touches.assign(_t=pd.to_datetime(touches.start_at).fillna(pd.Timestamp(0)), _s=touches.seq.fillna(0))
    t = t.sort_values(["visit_id", "_t", "_s", "touch_id"], kind="stable")
    g = t.groupby("visit_id", sort=False)
    n = g.e.transform("size").to_numpy(float)
    x = np.where(n > 1, g.cumcount().to_numpy(float) / np.maximum(n - 1, 1), 0.0)
    e = t.e.to_numpy(float)
    parts = pd.DataFrame({"visit_id": t.visit_id.to_numpy(), "x": x, "e": e, "xx": x * x, "xe": x * e})
    sums = parts.groupby("visit_id", sort=False).agg(n=("x", "size"), x=("x", "sum"), e=("e", "sum"),
                                                     xx=("xx", "sum"), xe=("xe", "sum"))
    sxx = sums.xx - sums.x ** 2 / sums.n
    slope = ((sums.xe - sums.x * sums.e / sums.n) / sxx.where(sxx > 0)).fillna(0.0)
    negative = (t.e < 0).astype(float).groupby(t.visit_id, sort=False).mean()
    return pd.DataFrame({"first": g.e.first(), "trend": slope, "negative_share": negative})


def with_moments(visits: pd.DataFrame, moments: pd.DataFrame) -> pd.DataFrame:
    """`visits` with each moment's mean e (`m_<moment>`, NaN where not passed) from rows visit_id, moment_id, e."""
    if moments.empty:
        return visits.copy()
    wide = moments.pivot_table(index="visit_id", columns="moment_id", values="e").add_prefix("m_")
    return visits.merge(wide, left_on="visit_id", right_index=True, how="left")


def available(frame: pd.DataFrame, models: Sequence[str] | None = None) -> list[str]:
    """The models of `models` (default all) whose features `frame` has: a column wholly missing or empty (no visit
    with a duration, say) leaves its model out; all moments needs at least one moment column."""
    moment_cols = [c for c in frame.columns if c.startswith("m_")]
    out = []
    for model in models or MODELS:
        cols = MODELS[model]
        if (cols and all(c in frame.columns and frame[c].notna().any() for c in cols)) or (not cols and moment_cols):
            out.append(model)
    return out


def compare_models(frame: pd.DataFrame, target: Target = "overall", folds: int = 5, seed: int = 0,
                   repeats: int = REPEATS, models: Sequence[str] | None = None, nested: int = NESTED) -> Comparison:
    """Score every available model of `models` (default all) on `repeats` × `folds` shared folds for `target`;
    with `nested` > 0, also choose the best by nested CV over the first `nested` repeats. Raise TooFewAnswers or
    AnswerDoesNotVary when the answers cannot be compared."""
    data = frame[frame[target].notna()].reset_index(drop=True)
    # A two-valued answer (promoter, or a yes/no satisfaction on the binary scale) is told apart by AUC.
    metric = "auc" if data[target].nunique() == 2 else TARGETS[target]
    if len(data) < MIN_ANSWERS:
        raise TooFewAnswers(value=MIN_ANSWERS, field=target, got=len(data))
    least = data[target].value_counts().min() if metric == "auc" else len(data)
    if data[target].nunique() < 2 or least < folds:
        raise AnswerDoesNotVary(field=target, value=data[target].nunique(), least=int(least), folds=folds)
    chosen = available(data, [*dict.fromkeys(["mean", "peak_end", *(models or MODELS)])])
    y = (data[target] == data[target].max()).to_numpy(int) if metric == "auc" else data[target].to_numpy(float)
    xs = _features(data, chosen)
    splits = repeated_splits(y, metric == "auc", folds, repeats, seed)
    with one_thread():  # small matrices: BLAS threads only contend (a 600 × 30 SVD took 0.1 s under load)
        both = {m: np.array([_score(m, xs[m], y, tr, te, metric) for tr, te in splits]) for m in chosen}
    kept = {m: b[:, 0] for m, b in both.items()}
    skill = {m: b[:, 1] for m, b in both.items()} if metric == "auc" else {}
    rows = [{"model": m, "name_zh": MODEL_NAMES[m][0], "name_en": MODEL_NAMES[m][1], "score": float(s.mean()),
             "sd": float(s.std(ddof=1)), "folds": folds, "repeats": repeats} for m, s in kept.items()]
    n_test = float(np.mean([len(te) for _, te in splits]))
    try:
        with one_thread():
            choice = _nested(xs, y, metric, splits[: nested * folds], skill or kept, folds, seed) if nested else {}
    except ValueError:  # a class too rare for the inner folds: no nested choice, the rest stands
        choice = {}
    return Comparison(target, metric, len(data), pd.DataFrame(rows), kept, seed, repeats, folds, n_test, choice,
                      skill)


def _features(data: pd.DataFrame, models: list[str]) -> dict[str, np.ndarray]:
    """Each model's feature matrix (missing values 0; all moments with a seen/not-seen indicator per moment)."""
    moment_cols = sorted(c for c in data.columns if c.startswith("m_"))
    seen = data[moment_cols].notna().astype(float).add_prefix("seen_")  # "not applicable" as a feature
    wide = pd.concat([data, seen], axis=1)
    return {m: wide[MODELS[m] or moment_cols + list(seen.columns)].fillna(0.0).to_numpy(float) for m in models}


def _nested(xs: dict[str, np.ndarray], y: np.ndarray, metric: str, outer: list[Split],
            kept: dict[str, np.ndarray], folds: int, seed: int) -> dict[str, Any]:
    """Per outer split: the model with the best inner `folds`-fold score on its training part, and its outer score
    (already in `kept`: the same model refitted on the same outer training set) beside the mean's."""
    picks, scores = [], []
    for j, (train, _) in enumerate(outer):
        inner = repeated_splits(y[train], metric == "auc", folds, 1, seed + 1 + j)
        means = {m: np.mean([_score(m, x[train], y[train], tr, te, metric)[1] for tr, te in inner])
                 for m, x in xs.items()}
        pick = max(means, key=lambda m: means[m])
        picks.append(pick)
        scores.append(kept[pick][j])
    return {"picks": picks, "scores": np.array(scores), "mean": kept["mean"][: len(outer)],
            "n_test": float(np.mean([len(te) for _, te in outer]))}


def _score(model: str, x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
           metric: str) -> tuple[float, float]:
    """The test-fold score and skill of `model` fitted on the training fold: R² (both) of least squares (numpy, as
    LinearRegression) or AUC of a logistic regression (Newton's method, as scikit-learn's default C = 1);
    all moments regularised, its penalty chosen by an inner 3-fold cross-validation (RidgeCV; for AUC the
    Cs of LogisticRegressionCV by log loss)."""
    regularised = model == "all_moments"
    if metric == "r2" and not regularised:
        a = np.column_stack([np.ones(len(train)), x[train]])
        coef = np.linalg.lstsq(a, y[train], rcond=None)[0]
        r2 = _r2(y[test], coef[0] + x[test] @ coef[1:])
        return r2, r2
    if metric == "r2":
        w = ridge(x[train], y[train])
        r2 = _r2(y[test], _linear(w, x[test]))
        return r2, r2
    c = _logit_c(x[train], y[train]) if regularised else 1.0
    w = logit(x[train], y[train], c)
    z = w[0] + x[test] @ w[1:]
    return auc(y[test], z), _r2(y[test].astype(float), special.expit(z))  # AUC; Brier skill of the probabilities


def logit(x: np.ndarray, y: np.ndarray, c: float = 1.0, start: np.ndarray | None = None) -> np.ndarray:
    """Intercept and coefficients of an L2-penalised logistic regression, min C·Σ log loss + ½‖w‖² (intercept
    not penalised), as scikit-learn's LogisticRegression(C=c) fits it, by Newton's method (from `start`)."""
    a = np.column_stack([np.ones(len(y)), x])
    pen = np.full(a.shape[1], 1.0 / c)
    pen[0] = 1e-12
    w = np.zeros(a.shape[1]) if start is None else start.copy()
    for _ in range(30):
        p = special.expit(a @ w)
        grad = a.T @ (p - y) + pen * w
        hess = (a.T * (p * (1 - p))) @ a + np.diag(pen)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return w


def ridge(x: np.ndarray, y: np.ndarray, alphas: np.ndarray = ALPHAS) -> np.ndarray:
    """Intercept and coefficients of ridge regression, its penalty of `alphas` by the least leave-one-out squared
    error (closed form through the SVD of the centred features, as RidgeCV's default; null directions dropped)."""
    mx, my = x.mean(axis=0), y.mean()
    xc = x - mx
    ev, v = np.linalg.eigh(xc.T @ xc)  # the SVD through the small Gram matrix (a tall SVD is slow under load)
    keep = ev > ev.max() * 1e-12
    sv, v = np.sqrt(ev[keep]), v[:, keep]
    u = xc @ v / sv
    vt = v.T
    uty = u.T @ (y - my)
    u2 = u ** 2

    def loo(a: float) -> float:
        shrink = sv ** 2 / (sv ** 2 + a)
        hat = u2 @ shrink + 1 / len(y)
        return float((((y - my - u @ (shrink * uty)) / (1 - hat)) ** 2).mean())

    a = min(alphas, key=loo)
    coef = vt.T @ (sv / (sv ** 2 + a) * uty)
    return np.concatenate([[my - mx @ coef], coef])


def _logit_c(x: np.ndarray, y: np.ndarray) -> float:
    """The C of 10 log-spaced (1e-4…1e4) with the least mean log loss over 3 stratified folds (no shuffle, as
    LogisticRegressionCV's default)."""
    grid = np.logspace(-4, 4, 10)
    from sklearn.model_selection import StratifiedKFold

    splits = list(StratifiedKFold(3).split(x, y))
    losses = np.zeros(len(grid))
    for tr, te in splits:
        w = None
        for i, c in enumerate(grid):  # a path: each fit starts from the last, as Newton then needs few steps
            w = logit(x[tr], y[tr], c, w)
            losses[i] += _log_loss(y[te], special.expit(_linear(w, x[te])))
    return float(grid[int(np.argmin(losses))])


def _linear(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return w[0] + x @ w[1:]


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of 0/1 labels `y` by `score` (ties count half), by the rank sum (as roc_auc_score)."""
    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    return float((stats.rankdata(score)[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    res = float(((y - pred) ** 2).sum())
    return 1 - res / ss if ss > 0 else (1.0 if res == 0 else 0.0)


def verdicts(store: Store, halls: set[str] | None = None, folds: int = 5, seed: int = 0) -> list[Verdict]:
    """The verdict on every answer with enough answers, on the visits of `halls` (default all)."""
    frame = survey_frame(store, halls)
    out = []
    for target in TARGETS:
        try:
            out.append(compare_models(frame, target, folds, seed).verdict())
        except (TooFewAnswers, AnswerDoesNotVary):
            continue
    return out


def compare_all(store: Store, folds: int = 5, seed: int = 0) -> tuple[pd.DataFrame, list[Verdict]]:
    """Every target that has enough answers, stacked (and stored as `model_comparison`), with its verdict."""
    frame = survey_frame(store)
    parts, verdicts = [], []
    for target in TARGETS:
        try:
            c = compare_models(frame, target, folds, seed)
        except (TooFewAnswers, AnswerDoesNotVary):
            continue
        parts.append(c.table.assign(target=target, metric=c.metric, answers=c.answers, seed=seed))
        verdicts.append(c.verdict())
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["model", "name_zh", "name_en", "score", "sd", "folds", "repeats", "target",
                                   "metric", "answers", "seed"])
    )
    store.write_frame("model_comparison", out)
    return out, verdicts
