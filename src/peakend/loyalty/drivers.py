"""Key-driver analysis: how much of a loyalty outcome each moment's experience explains, against how well the
moment performs — the importance × performance quadrant.

Importance is the Shapley decomposition of R² (dominance analysis' general dominance): a moment's R² gain
averaged over every order in which the moments could enter a linear model; the gains add up to the full R².
Computed exactly from the correlation matrix (R² of a subset S = r_S' R_SS⁻¹ r_S) over the moments most
visits pass (at most `MOST`, 2^k subsets), with bootstrap intervals over visits. A visit that did not pass a
moment has e = 0 there (no experience). Performance is the moment's mean e.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.loyalty.index import loyalty_index
from peakend.loyalty.returns import horizon, returned_within

MOST = 10  # moments in one decomposition: 2^10 subsets
MIN_SHARE = 0.1  # a moment passed by fewer of these visits is left out
BOOT = 100
TARGETS = ("recommend", "repurchase", "loyalty", "returned")


def subset_r2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """R² of the linear model of y on every subset of x's columns, indexed by the subset's bit mask."""
    k = x.shape[1]
    data = np.column_stack([x, y])
    sd = data.std(axis=0)
    keep = sd > 1e-9 * (1 + np.abs(data).max(axis=0))  # a column that does not vary explains nothing
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.nan_to_num(np.corrcoef(data[:, keep], rowvar=False)) if keep.sum() > 1 else np.ones((1, 1))
    full = np.zeros((k + 1, k + 1))
    full[np.ix_(keep, keep)] = c
    rxx, rxy = full[:k, :k], full[:k, k]
    out = np.zeros(1 << k)
    for masks, idx in _subsets(k):  # all subsets of one size at once: (m, s, s) stacked systems
        sub = rxx[idx[:, :, None], idx[:, None, :]]
        r = rxy[idx][:, :, None]
        out[masks] = (r.transpose(0, 2, 1) @ np.linalg.pinv(sub, hermitian=True) @ r)[:, 0, 0]
    return out


@functools.cache
def _subsets(k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each size s = 1…k: the bit masks of the s-column subsets of k and their column indices (m × s)."""
    masks = np.arange(1, 1 << k)
    bits = (masks[:, None] >> np.arange(k)) & 1
    size = bits.sum(axis=1)
    out = []
    for s in range(1, k + 1):
        chosen = masks[size == s]
        idx = np.nonzero(bits[size == s])[1].reshape(len(chosen), s)
        out.append((chosen, idx))
    return out


def shapley(r2: np.ndarray, k: int) -> np.ndarray:
    """Each column's Shapley value of R² (its gains averaged over every order of entry)."""
    masks = np.arange(1 << k)
    size = np.array([bin(m).count("1") for m in masks])
    weight = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)] + [0.0])
    out = np.zeros(k)
    for j in range(k):
        without = masks[(masks >> j & 1) == 0]
        out[j] = float((weight[size[without]] * (r2[without | 1 << j] - r2[without])).sum())
    return out


def _targets(frame: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    return pd.DataFrame({"recommend": frame["recommend"], "repurchase": frame["repurchase"],
                         "loyalty": loyalty_index(frame, bp),
                         "returned": returned_within(frame, horizon(frame, bp.loyalty.return_days))}, index=frame.index)


def key_drivers(frame: pd.DataFrame, bp: Blueprint, target: str, boot: int = BOOT, seed: int = 0) -> pd.DataFrame:
    """Per moment: importance (share of the explained R², %) with its bootstrap 95% interval, R² explained,
    performance (mean e), visits passing it, and its quadrant. Empty when fewer than 30 visits answer."""
    y_all = _targets(frame, bp)[target]
    data = frame[y_all.notna()]
    y = y_all[y_all.notna()].to_numpy(float)
    cols = [c for c in data.columns if c.startswith("m_") and data[c].notna().mean() >= MIN_SHARE]
    cols = sorted(cols, key=lambda c: -data[c].notna().mean())[:MOST]
    if len(y) < 30 or not cols or np.std(y) == 0:
        return pd.DataFrame(columns=["moment", "importance", "low", "high", "r2", "performance", "visits",
                                     "quadrant"])
    x = data[cols].fillna(0.0).to_numpy()
    k = len(cols)
    values = shapley(subset_r2(x, y), k)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(boot):
        pick = rng.integers(0, len(y), len(y))
        v = shapley(subset_r2(x[pick], y[pick]), k)
        draws.append(100 * v / v.sum() if v.sum() > 0 else np.zeros(k))
    lo, hi = np.percentile(np.array(draws), [2.5, 97.5], axis=0)
    share = 100 * values / values.sum() if values.sum() > 0 else np.zeros(k)
    out = pd.DataFrame({"moment": [c[2:] for c in cols], "importance": share, "low": lo, "high": hi, "r2": values,
                        "performance": [float(data[c].mean()) for c in cols],
                        "visits": [int(data[c].notna().sum()) for c in cols]})
    important = out["importance"] >= 100 / k
    good = out["performance"] >= out["performance"].mean()
    out["quadrant"] = np.select([important & ~good, important & good, ~important & ~good],
                                ["fix_first", "keep_up", "watch"], "maintain")
    return out.sort_values("importance", ascending=False, ignore_index=True)


QUADRANTS = {"fix_first": ("优先改进", "Fix first"), "keep_up": ("保持优势", "Keep up"),
             "watch": ("次要改进", "Watch"), "maintain": ("适度投入", "Maintain")}
