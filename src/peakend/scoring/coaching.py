"""Coaching that is measured: after a module was assigned to a staff member on a date, did their experience e at
the module's moments change, against comparable staff of the same hall at the same moments who were not trained?

Difference in differences: e = a_staff + c·after + d·trained·after over the touches at the module's moments in
the window before and after the date (`WINDOW_DAYS` each side): each staff member's own level, a change common
to all, and the trained one's extra change d — the effect, with its 95% interval (statsmodels OLS,
heteroskedasticity-robust HC1). With as many touches before as after per person, d is exactly the difference of
the four means. (Standard errors clustered by staff were tried: with one trained person and a handful of
colleagues they are too small, and found an effect in 4 of 10 data sets without one.) Fewer than `MIN_TOUCHES` in
any of the four cells, or an interval that holds 0, is said as "no detectable change yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from peakend.store.db import Store

WINDOW_DAYS = 28
MIN_TOUCHES = 20


@dataclass(frozen=True)
class Effect:
    """The difference in differences of e (trained after − before, minus untrained after − before)."""

    cells: dict[str, int]  # touches: trained_before, trained_after, others_before, others_after
    effect: float
    low: float
    high: float

    @property
    def enough(self) -> bool:
        return min(self.cells.values()) >= MIN_TOUCHES

    @property
    def detectable(self) -> bool:
        return self.enough and bool(self.low > 0 or self.high < 0)


def did(frame: pd.DataFrame) -> Effect:
    """The effect from touches with columns e, staff_id, trained (0/1), after (0/1)."""
    cells = {f"{'trained' if t else 'others'}_{'after' if a else 'before'}": int(((frame["trained"] == t) &
                                                                                 (frame["after"] == a)).sum())
             for t in (1, 0) for a in (0, 1)}
    if min(cells.values()) == 0 or frame["staff_id"].nunique() < 2:
        return Effect(cells, np.nan, np.nan, np.nan)
    import statsmodels.formula.api as smf  # (loads in seconds: only when asked)

    fit = smf.ols("e ~ C(staff_id) + after + trained:after", data=frame).fit(cov_type="HC1")
    lo, hi = fit.conf_int().loc["trained:after"]
    return Effect(cells, float(fit.params["trained:after"]), float(lo), float(hi))


def verdict(e: Effect) -> str:
    """detectable, no_change (enough touches, the interval holds 0) or too_few (a cell under MIN_TOUCHES)."""
    return "detectable" if e.detectable else "no_change" if e.enough else "too_few"


def touches_around(store: Store, hall: str, moments: list[str], trained_on: date) -> pd.DataFrame:
    """The hall's staffed touches at `moments` within `WINDOW_DAYS` before and after `trained_on`."""
    start, end = trained_on - timedelta(days=WINDOW_DAYS), trained_on + timedelta(days=WINDOW_DAYS)
    t = store.query("SELECT t.staff_id, t.moment_id, t.e, v.day FROM touch_scores t JOIN visit_scores v "
                    "ON v.visit_id = t.visit_id WHERE v.hall_id = ? AND t.staff_id IS NOT NULL AND t.e IS NOT NULL "
                    "AND v.day >= ? AND v.day < ?", [hall, start, end])
    t = t[t["moment_id"].isin(moments)]
    return t.assign(after=(pd.to_datetime(t["day"]).dt.date >= trained_on).astype(int))


def effects(store: Store, moments_of: dict[str, list[str]], halls: set[str] | None = None) -> pd.DataFrame:
    """Every coaching assignment (of `halls`) with its effect: module, moments, cells, effect, interval, verdict.
    `moments_of` maps a module to the moments it serves. Staff trained in the same hall are never controls."""
    c = store.query("SELECT coaching_id, hall_id, staff_id, module_id, trained_on, assigned_by FROM coaching "
                    "ORDER BY trained_on, staff_id")
    if halls is not None:
        c = c[c["hall_id"].isin(sorted(halls))]
    rows = []
    for r in c.itertuples():
        trained_on = pd.Timestamp(r.trained_on).date()
        moments = moments_of.get(str(r.module_id), [])
        t = touches_around(store, str(r.hall_id), moments, trained_on)
        others_trained = set(c[(c["hall_id"] == r.hall_id) & (c["module_id"] == r.module_id)]["staff_id"]) - {
            r.staff_id}
        t = t[~t["staff_id"].isin(others_trained)].assign(trained=lambda f, s=r.staff_id: (f["staff_id"] == s)
                                                         .astype(int))
        e = did(t)
        rows.append({**r._asdict(), "moments": moments, **e.cells, "effect": e.effect, "low": e.low,
                     "high": e.high, "verdict": verdict(e)})
    return pd.DataFrame(rows).drop(columns=["Index"], errors="ignore")


def assign(store: Store, hall: str, staff: str, module: str, trained_on: date, by: str) -> str:
    """Record a coaching assignment (once per staff, module and date); return its id."""
    cid = f"{staff}:{module}:{trained_on}"
    store.execute("INSERT INTO coaching (coaching_id, hall_id, staff_id, module_id, trained_on, assigned_by) "
                  "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", [cid, hall, staff, module, trained_on, by])
    return cid
