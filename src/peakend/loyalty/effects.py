"""How the remembered visit drives loyalty: per outcome a logistic model on each of REI, peak, end and mean
(adjusted for hall and segment, cross-validated), and per moment the return of visits that went badly there.

Outcomes: promoter (recommend 9–10), repurchase (intent 4–5 of 5) and returned (back within N days, known
only once the window closed). A figure is stated with its 95% interval; an interval that holds no change
is said as "no detectable effect".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.loyalty.returns import horizon, returned_within
from peakend.scoring.halls import Z95

PREDICTORS = ("rei", "peak", "end", "mean")
MIN_EACH = 10  # at least this many of each outcome value (and per group of a comparison)


def outcomes(frame: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    """The loyalty outcomes per visit: 1.0, 0.0, or NaN where unknown."""
    return pd.DataFrame({
        "promoter": np.where(frame["recommend"].isna(), np.nan, (frame["recommend"] >= 9).astype(float)),
        "repurchase": np.where(frame["repurchase"].isna(), np.nan, (frame["repurchase"] >= 4).astype(float)),
        "returned": returned_within(frame, horizon(frame, bp.loyalty.return_days)),
    }, index=frame.index)


def _on_100(frame: pd.DataFrame, name: str) -> pd.Series:
    """A predictor on the REI's 0–100 scale (peak, end and mean are e in −1…1)."""
    return frame[name] if name == "rei" else (frame[name] + 1) * 50


def _design(frame: pd.DataFrame, x: pd.Series) -> pd.DataFrame:
    """The predictor per 10 points, with hall and segment as fixed effects (one level of each left out)."""
    import statsmodels.api as sm  # (statsmodels and scikit-learn load here, not when a server starts: seconds)

    groups = pd.get_dummies(frame[["hall_id", "segment"]].fillna("—").astype(str), drop_first=True, dtype=float)
    groups = groups.loc[:, groups.sum() >= MIN_EACH]  # a level seen a handful of times only separates the data
    return sm.add_constant(pd.concat([(x / 10).rename("per_10"), groups], axis=1), has_constant="add")


def _fit(y: np.ndarray, x: pd.DataFrame) -> object:
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.Logit(y, x, check_rank=False).fit(disp=0, maxiter=200)  # rank: a singular fit raises anyway


def _cv_auc(y: np.ndarray, x: pd.DataFrame, folds: int, seed: int) -> float:
    """Out-of-fold ROC AUC of the logistic model."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    prob = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        fitted = _fit(y[train], x.iloc[train])
        prob[test] = np.asarray(fitted.predict(x.iloc[test]))  # type: ignore[attr-defined]
    return float(roc_auc_score(y, prob))


def models(frame: pd.DataFrame, bp: Blueprint, folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """Per outcome and predictor: visits, odds ratio per 10 points with its 95% interval, p, cross-validated
    AUC; `verdict` says whether the effect is detectable. Outcomes with too few of either value are left out."""
    ys = outcomes(frame, bp)
    rows = []
    for outcome in ys.columns:
        known = ys[outcome].notna() & frame[list(PREDICTORS)].notna().all(axis=1)
        y = ys.loc[known, outcome].to_numpy(int)
        if min((y == 1).sum(), (y == 0).sum()) < max(MIN_EACH, folds):
            continue
        for name in PREDICTORS:
            x = _design(frame[known], _on_100(frame[known], name))
            try:
                fitted = _fit(y, x)
                b, se = float(fitted.params["per_10"]), float(fitted.bse["per_10"])  # type: ignore[attr-defined]
                p = float(fitted.pvalues["per_10"])  # type: ignore[attr-defined]
                auc = _cv_auc(y, x, folds, seed)
            except (np.linalg.LinAlgError, ValueError, KeyError):
                continue
            lo, hi = np.exp(b - Z95 * se), np.exp(b + Z95 * se)
            rows.append({"outcome": outcome, "predictor": name, "visits": len(y), "share": float(y.mean()),
                         "odds_ratio": float(np.exp(b)), "low": float(lo), "high": float(hi), "p": p, "auc": auc,
                         "detectable": bool(lo > 1 or hi < 1)})
    return pd.DataFrame(rows, columns=["outcome", "predictor", "visits", "share", "odds_ratio", "low", "high", "p",
                                       "auc", "detectable"])


@dataclass(frozen=True)
class Contrast:
    """Two groups' shares of an outcome and the relative change of the first against the second."""

    n_bad: int
    n_rest: int
    bad: float
    rest: float
    change: float  # bad / rest − 1
    low: float
    high: float

    @property
    def detectable(self) -> bool:
        return bool(self.low > 0 or self.high < 0)


def contrast(bad: pd.Series, rest: pd.Series) -> Contrast | None:
    """Relative risk of 1.0-valued outcomes, bad against rest, with Katz's log interval; None when too few."""
    bad, rest = bad.dropna(), rest.dropna()
    if len(bad) < MIN_EACH or len(rest) < MIN_EACH:
        return None
    a, b = float(bad.sum()), float(rest.sum())
    if a == 0 or b == 0:
        a, b = a + 0.5, b + 0.5  # Haldane's correction: one empty cell would make the interval infinite
    p1, p2 = a / len(bad), b / len(rest)
    se = np.sqrt(max(1 / a - 1 / len(bad) + 1 / b - 1 / len(rest), 0.0))
    rr = p1 / p2
    return Contrast(len(bad), len(rest), float(bad.mean()), float(rest.mean()), rr - 1,
                    float(rr * np.exp(-Z95 * se) - 1), float(rr * np.exp(Z95 * se) - 1))


def moment_effects(frame: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    """Per moment and outcome: visits that ended badly there (end e ≤ the live rule's `negative_end_e`)
    against the others that ended there, and visits whose peak there was negative (≤ `alert_e`) against
    the others whose peak was there: each group's share, the relative change and its 95% interval."""
    ys = outcomes(frame, bp)
    rows = []
    for kind, moment_col, value_col, limit in (("end", "end_moment", "end", bp.live.negative_end_e),
                                               ("peak", "peak_moment", "peak", bp.live.alert_e)):
        for moment, at in frame.groupby(moment_col):
            badly = at[value_col] <= limit
            for outcome in ys.columns:
                c = contrast(ys.loc[at.index[badly], outcome], ys.loc[at.index[~badly], outcome])
                if c is not None:
                    rows.append({"moment": moment, "kind": kind, "outcome": outcome, **c.__dict__,
                                 "detectable": c.detectable})
    cols = ["moment", "kind", "outcome", "n_bad", "n_rest", "bad", "rest", "change", "low", "high", "detectable"]
    return pd.DataFrame(rows, columns=cols)
