"""Audits against customers: per hall and moment, the mystery shoppers' pass rate on the items checked there
beside the share of customers' touches there that felt bad (e < 0), each with its Wilson 95% interval
(statsmodels), and the two disagreements worth a look flagged only when the intervals say so:

- `auditors_miss`: audits pass (interval above `PASS_HIGH`) while customers feel it (bad share's interval
  above `BAD_HIGH`) — the standard checked is not what customers feel;
- `customers_content`: audits fail (interval below `PASS_LOW`) while customers are content (bad share's
  interval below `BAD_LOW`) — a standard that does not matter to customers.

Only a hall × moment with at least `MIN_AUDITS` audits and `MIN_TOUCHES` touches is judged.

`pass_rates` gives the audits' own pass rates per hall and item, moment, staff member or week, with the same
intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.store.db import Store

RATE_BY = ("moment", "item", "staff_id", "week")  # what pass rates are grouped by (within each hall)

PASS_HIGH, PASS_LOW, BAD_HIGH, BAD_LOW = 0.75, 0.6, 0.15, 0.05
MIN_AUDITS, MIN_TOUCHES = 10, 30


def wilson(k: pd.Series, n: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% intervals of k successes in n (NaN where n is 0)."""
    from statsmodels.stats.proportion import proportion_confint  # (loads in seconds: only when asked)

    lo, hi = proportion_confint(k.to_numpy(float), n.clip(lower=1).to_numpy(float), alpha=0.05, method="wilson")
    empty = (n == 0).to_numpy()
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def audits_vs_customers(store: Store, bp: Blueprint, halls: set[str] | None = None) -> pd.DataFrame:
    """Per hall and moment with audits: audits, pass rate and interval; touches, bad share and interval; mean e;
    `flag` (auditors_miss, customers_content or '')."""
    where = {c.id: c.moment for c in bp.audit_items() if c.moment}
    a = store.query("SELECT hall_id, item, passed FROM audits")
    a = a.assign(moment=a["item"].map(where)).dropna(subset=["moment"])
    if halls is not None:
        a = a[a["hall_id"].isin(sorted(halls))]
    audits = a.groupby(["hall_id", "moment"]).agg(audits=("passed", "size"), passed=("passed", "sum"))
    out = audits.join(felt(store, set(audits.index.get_level_values("hall_id"))), how="left").reset_index()
    out[["touches", "bad"]] = out[["touches", "bad"]].fillna(0).astype(int)
    out["pass_rate"], out["bad_share"] = out["passed"] / out["audits"], out["bad"] / out["touches"].replace(0, np.nan)
    out["pass_low"], out["pass_high"] = wilson(out["passed"], out["audits"])
    out["bad_low"], out["bad_high"] = wilson(out["bad"], out["touches"])
    judged = (out["audits"] >= MIN_AUDITS) & (out["touches"] >= MIN_TOUCHES)
    out["flag"] = np.select([judged & (out["pass_low"] >= PASS_HIGH) & (out["bad_low"] >= BAD_HIGH),
                             judged & (out["pass_high"] <= PASS_LOW) & (out["bad_high"] <= BAD_LOW)],
                            ["auditors_miss", "customers_content"], "")
    return out.sort_values(["hall_id", "flag", "moment"], ascending=[True, False, True], ignore_index=True)


def felt(store: Store, halls: set[str]) -> pd.DataFrame:
    """Per hall (of `halls`) and moment: touches, bad (e < 0) and mean_e, from the day parts the score run wrote
    (`moment_parts`: a few rows per hall and day, however many touches the store holds)."""
    if not halls:
        return pd.DataFrame(columns=["touches", "bad", "mean_e"],
                            index=pd.MultiIndex.from_tuples([], names=["hall_id", "moment"]))
    marks = ", ".join("?" * len(halls))
    t = store.query("SELECT hall_id, moment_id AS moment, sum(touches) AS touches, sum(negatives) AS bad, "
                    f"sum(e_sum) / sum(touches) AS mean_e FROM moment_parts WHERE hall_id IN ({marks}) "
                    "GROUP BY hall_id, moment_id", sorted(halls))
    return t.astype({"touches": "int64", "bad": "int64", "mean_e": "float64"}).set_index(["hall_id", "moment"])


def pass_rates(store: Store, bp: Blueprint, by: str, halls: set[str] | None = None) -> pd.DataFrame:
    """Per hall and `by` (one of `RATE_BY`): audits, passed, pass_rate and its Wilson interval (low, high); weeks
    begin on Monday, items and moments in blueprint order, staff by id. A node-control item has no moment: `*`."""
    if by not in RATE_BY:
        raise ValueError(f"by must be one of {', '.join(RATE_BY)}, not {by!r}")
    a = store.query("SELECT hall_id, item, passed, staff_id, audited_at FROM audits")
    if halls is not None:
        a = a[a["hall_id"].isin(sorted(halls))]
    items = bp.audit_items()
    a = a.assign(moment=a["item"].map({c.id: c.moment or "*" for c in items}).fillna("*"),
                 week=pd.to_datetime(a["audited_at"]).dt.to_period("W-SUN").dt.start_time.dt.date,
                 passed=a["passed"].astype(bool))
    a = a.dropna(subset=[by])
    out = a.groupby(["hall_id", by]).agg(audits=("passed", "size"), passed=("passed", "sum")).reset_index()
    out["pass_rate"] = out["passed"] / out["audits"]
    out["low"], out["high"] = wilson(out["passed"], out["audits"])
    order = {"moment": ["*", *bp.moment_ids()], "item": [c.id for c in items]}.get(by)
    if order is not None:
        out["_o"] = out[by].map({k: i for i, k in enumerate(order)}).fillna(len(order))
        out = out.sort_values(["hall_id", "_o", by]).drop(columns="_o")
    else:
        out = out.sort_values(["hall_id", by])
    return out.rename(columns={by: "key"}).reset_index(drop=True)
