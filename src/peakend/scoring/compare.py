"""Does the peak-end rule hold for these customers? Cross-validated model comparison.

On visits with a survey answer, each model predicts the answer from per-visit features;
k-fold cross-validation gives R² for a numeric answer (overall satisfaction, recommend
0–10) and ROC AUC for a yes/no answer (promoter: recommend ≥ 9), with the spread across
folds. Models: mean only, peak only, end only, peak+end, peak+end+mean, peak+end+mean+duration,
and all moments (the visit's mean e at each moment, 0 where absent, with an indicator of
whether the visit had the moment; regularised, its penalty chosen by an inner cross-validation,
so a rarely seen moment cannot blow it up). Every model is scored on the same shuffled folds
(a fixed, recorded seed), and `verdict` states the winner by
a paired t-test over those folds of peak + end against the plain mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import LinearRegression, LogisticRegression, LogisticRegressionCV, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from peakend.contract import SCALES
from peakend.errors import AnswerDoesNotVary, TooFewAnswers
from peakend.i18n import Lang, say
from peakend.store.db import Store

MODELS: dict[str, list[str]] = {
    "mean": ["mean"],
    "peak": ["peak"],
    "end": ["end"],
    "peak_end": ["peak", "end"],
    "peak_end_mean": ["peak", "end", "mean"],
    "peak_end_mean_duration": ["peak", "end", "mean", "duration_min"],
    "all_moments": [],  # filled with one column per moment
}
MODEL_NAMES = {
    "mean": ("仅平均", "Mean only"),
    "peak": ("仅峰值", "Peak only"),
    "end": ("仅终值", "End only"),
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


@dataclass
class Comparison:
    """Per-model scores of one target, each fold's score kept (`fold_scores`, same folds for every model)."""

    target: str
    metric: str
    answers: int
    table: pd.DataFrame  # model, name_zh, name_en, score, sd, folds
    fold_scores: dict[str, np.ndarray]
    seed: int = 0

    def verdict(self, alpha: float = 0.05) -> Verdict:
        """Peak + end against the plain mean, the rule against the baseline: a paired t-test over the folds."""
        best = "peak_end"
        ours, mean = self.fold_scores[best], self.fold_scores["mean"]
        diff = ours - mean
        p = float(stats.ttest_rel(ours, mean).pvalue) if np.ptp(diff) > 0 else (0.0 if diff[0] else 1.0)
        winner = None if not p < alpha else best if diff.mean() > 0 else "mean"
        return Verdict(self.target, self.metric, best, float(ours.mean()), float(mean.mean()), p, winner)


@dataclass(frozen=True)
class Verdict:
    """Whether peak and end predict the answer better than the plain mean, on the same folds."""

    target: str
    metric: str
    model: str  # the peak-end model compared with the mean
    score: float
    mean_score: float
    p: float
    winner: str | None  # the model that predicts better at the 5% level; None: no detectable difference

    def say(self, lang: Lang) -> str:
        """The verdict as a sentence, with both scores and the p-value."""
        name = MODEL_NAMES[self.model][0 if lang == "zh" else 1]
        p = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.3f}"
        fields = {"metric": "R²" if self.metric == "r2" else "AUC", "target": self.target, "model": name,
                  "ours": self.score, "mean": self.mean_score, "p": p}
        key = "verdict_none" if self.winner is None else "verdict_peak_end" if self.winner != "mean" else "verdict_mean"
        return say(key, lang, **fields)


def survey_frame(store: Store, halls: set[str] | None = None) -> pd.DataFrame:
    """Scored visits (of `halls`, default all) with their latest survey answers and per-moment mean e (`m_<id>`)."""
    s = store.table("surveys")
    latest = (
        s.mutate(_n=ibis.row_number().over(group_by=s.visit_id,
                                           order_by=[s.answered_at.desc(nulls_first=False), s.survey_id.desc()]))
        .filter(lambda t: t._n == 0)
        .select("visit_id", "overall_scale", *ANSWERS)
    )
    v = store.table("visit_scores").select("visit_id", "hall_id", "segment", "day", "peak", "peak_moment", "end",
                                           "end_moment", "mean", "rei", "duration_min")
    if halls is not None:
        v = v.filter(v.hall_id.isin(sorted(halls)))
    t = store.table("touch_scores")
    answered = t.filter(t.visit_id.isin(s.visit_id))
    with store.lock:
        visits = v.join(latest, "visit_id").order_by("visit_id").to_pandas()
        moments = answered.group_by(["visit_id", "moment_id"]).agg(e=answered.e.mean()).to_pandas()
    frame = with_moments(visits, moments).astype(dict.fromkeys(ANSWERS, "float64"))
    lo = frame.overall_scale.map(lambda s: SCALES.get(s, (np.nan, np.nan))[0]).astype("float64")
    hi = frame.overall_scale.map(lambda s: SCALES.get(s, (np.nan, np.nan))[1]).astype("float64")
    frame["overall"] = 2 * (frame.overall - lo) / (hi - lo) - 1
    frame["promoter"] = np.where(frame.recommend.isna(), np.nan, (frame.recommend >= 9).astype(float))
    return frame


def with_moments(visits: pd.DataFrame, moments: pd.DataFrame) -> pd.DataFrame:
    """`visits` with each moment's mean e (`m_<moment>`, NaN where not passed) from rows visit_id, moment_id, e."""
    if moments.empty:
        return visits.copy()
    wide = moments.pivot_table(index="visit_id", columns="moment_id", values="e").add_prefix("m_")
    return visits.merge(wide, left_on="visit_id", right_index=True, how="left")


def compare_models(frame: pd.DataFrame, target: Target = "overall", folds: int = 5, seed: int = 0) -> Comparison:
    """Cross-validate every model on `frame` for `target`; raise TooFewAnswers if too few answers."""
    data = frame[frame[target].notna()].reset_index(drop=True)
    # A two-valued answer (promoter, or a yes/no satisfaction on the binary scale) is told apart by AUC.
    metric = "auc" if data[target].nunique() == 2 else TARGETS[target]
    if len(data) < MIN_ANSWERS:
        raise TooFewAnswers(value=MIN_ANSWERS, field=target, got=len(data))
    least = data[target].value_counts().min() if metric == "auc" else len(data)
    if data[target].nunique() < 2 or least < folds:
        raise AnswerDoesNotVary(field=target, value=data[target].nunique(), least=int(least), folds=folds)
    moment_cols = sorted(c for c in data.columns if c.startswith("m_"))
    seen = data[moment_cols].notna().astype(float).add_prefix("seen_")  # "not applicable" as a feature
    data = pd.concat([data, seen], axis=1)
    y = (data[target] == data[target].max()).to_numpy(int) if metric == "auc" else data[target].to_numpy()
    rows, kept = [], {}
    for model, cols in MODELS.items():
        x = data[cols or moment_cols + list(seen.columns)].fillna(0.0).to_numpy()
        estimator, cv, scoring = _estimator(metric, model == "all_moments", folds, seed)
        scores = cross_val_score(estimator, x, y, cv=cv, scoring=scoring)
        kept[model] = scores
        zh, en = MODEL_NAMES[model]
        rows.append(
            {
                "model": model,
                "name_zh": zh,
                "name_en": en,
                "score": float(scores.mean()),
                "sd": float(scores.std(ddof=1)),
                "folds": folds,
            }
        )
    return Comparison(target, metric, len(data), pd.DataFrame(rows), kept, seed)


def _estimator(metric: str, regularised: bool, folds: int, seed: int) -> tuple[Any, Any, str]:
    """The model, the folds (shuffled by `seed`, the same for every model) and the score of a metric."""
    if metric == "auc":
        model = (LogisticRegressionCV(Cs=10, cv=3, max_iter=2000, l1_ratios=(0.0,), scoring="neg_log_loss",
                                      use_legacy_attributes=False) if regularised
                 else LogisticRegression(max_iter=1000))
        return model, StratifiedKFold(folds, shuffle=True, random_state=seed), "roc_auc"
    model = RidgeCV(alphas=np.logspace(-3, 3, 13)) if regularised else LinearRegression()
    return model, KFold(folds, shuffle=True, random_state=seed), "r2"


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
        else pd.DataFrame(
            columns=["model", "name_zh", "name_en", "score", "sd", "folds", "target", "metric", "answers", "seed"]
        )
    )
    store.write_frame("model_comparison", out)
    return out, verdicts
