"""Does the peak-end rule hold for these customers? Cross-validated model comparison.

On visits with a survey answer, each model predicts the answer from per-visit features;
k-fold cross-validation gives R² for a numeric answer (overall satisfaction, recommend
0–10) and ROC AUC for a yes/no answer (promoter: recommend ≥ 9), with the spread across
folds. Models: mean only, peak only, end only, peak+end, peak+end+mean+duration, and all
moments (the visit's mean e at each moment, 0 where absent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from peakend.contract import SCALES
from peakend.errors import TooFewAnswers
from peakend.store.db import Store

MODELS: dict[str, list[str]] = {
    "mean": ["mean"],
    "peak": ["peak"],
    "end": ["end"],
    "peak_end": ["peak", "end"],
    "peak_end_mean_duration": ["peak", "end", "mean", "duration_min"],
    "all_moments": [],  # filled with one column per moment
}
MODEL_NAMES = {
    "mean": ("仅平均", "Mean only"),
    "peak": ("仅峰值", "Peak only"),
    "end": ("仅终值", "End only"),
    "peak_end": ("峰值+终值", "Peak + end"),
    "peak_end_mean_duration": ("峰值+终值+平均+时长", "Peak + end + mean + duration"),
    "all_moments": ("全部关键时刻", "All moments"),
}
Target = Literal["overall", "recommend", "promoter"]
TARGETS: dict[Target, str] = {"overall": "r2", "recommend": "r2", "promoter": "auc"}
MIN_ANSWERS = 20


@dataclass
class Comparison:
    """Per-model scores of one target."""

    target: str
    metric: str
    answers: int
    table: pd.DataFrame  # model, name_zh, name_en, score, sd, folds


def survey_frame(store: Store) -> pd.DataFrame:
    """Scored visits with their latest survey answer and per-moment mean e (`m_<id>`)."""
    s = store.table("surveys")
    latest = (
        s.mutate(_n=ibis.row_number().over(group_by=s.visit_id,
                                           order_by=[s.answered_at.desc(nulls_first=False), s.survey_id.desc()]))
        .filter(lambda t: t._n == 0)
        .select("visit_id", "overall", "overall_scale", "recommend")
    )
    v = store.table("visit_scores").select("visit_id", "hall_id", "peak", "end", "mean", "duration_min")
    t = store.table("touch_scores")
    answered = t.filter(t.visit_id.isin(s.visit_id))
    with store.lock:
        visits = v.join(latest, "visit_id").order_by("visit_id").to_pandas()
        moments = answered.group_by(["visit_id", "moment_id"]).agg(e=answered.e.mean()).to_pandas()
    wide = moments.pivot_table(index="visit_id", columns="moment_id", values="e").add_prefix("m_")
    frame = visits.merge(wide, left_on="visit_id", right_index=True, how="left")
    lo = frame.overall_scale.map(lambda s: SCALES.get(s, (np.nan, np.nan))[0])
    hi = frame.overall_scale.map(lambda s: SCALES.get(s, (np.nan, np.nan))[1])
    frame["overall"] = 2 * (frame.overall - lo) / (hi - lo) - 1
    frame["promoter"] = np.where(frame.recommend.isna(), np.nan, (frame.recommend >= 9).astype(float))
    return frame


def compare_models(frame: pd.DataFrame, target: Target = "overall", folds: int = 5, seed: int = 0) -> Comparison:
    """Cross-validate every model on `frame` for `target`; raise TooFewAnswers if too few answers."""
    metric = TARGETS[target]
    data = frame[frame[target].notna()].reset_index(drop=True)
    if len(data) < MIN_ANSWERS or (metric == "auc" and data[target].nunique() < 2):
        raise TooFewAnswers(value=MIN_ANSWERS, field=target, got=len(data))
    moment_cols = sorted(c for c in data.columns if c.startswith("m_"))
    y = data[target].to_numpy()
    rows = []
    for model, cols in MODELS.items():
        x = data[cols or moment_cols].fillna(0.0).to_numpy()
        if metric == "auc":
            cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
            scores = cross_val_score(LogisticRegression(max_iter=1000), x, y.astype(int), cv=cv, scoring="roc_auc")
        else:
            cv = KFold(folds, shuffle=True, random_state=seed)
            scores = cross_val_score(LinearRegression(), x, y, cv=cv, scoring="r2")
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
    return Comparison(target, metric, len(data), pd.DataFrame(rows))


def compare_all(store: Store, folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """Every target that has enough answers, stacked, and stored as `model_comparison`."""
    frame = survey_frame(store)
    parts = []
    for target in TARGETS:
        try:
            c = compare_models(frame, target, folds, seed)
        except TooFewAnswers:
            continue
        parts.append(c.table.assign(target=target, metric=c.metric, answers=c.answers))
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            columns=["model", "name_zh", "name_en", "score", "sd", "folds", "target", "metric", "answers"]
        )
    )
    store.write_frame("model_comparison", out)
    return out
