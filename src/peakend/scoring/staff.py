"""Staff scorecards: over the touches each staff member served, their experience e, how often their touch was
the visit's negative peak or its end, the first-ask cases they owned and closed in time, and their audit pass
rate — compared fairly.

Fairness is empirical-Bayes shrinkage within each hall (the normal–normal model): a staff member's mean e is
pulled toward the hall's mean by about w = τ² / (τ² + σ²/n) (with Morris's small-sample factor, see `shrink`),
where σ² is the pooled within-staff variance of e and τ² the between-staff variance of true means (method of
moments: the variance of staff means less the mean of σ²/n, at least 0), toward the hall's precision-weighted
mean; the 95% interval is Morris's (1983) empirical-Bayes interval, which also carries the uncertainty of τ² (see
`shrink`). Five lucky visits therefore stay near the hall's mean; a card under `MIN_TOUCHES` touches is shown but
not ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from peakend.scoring.halls import Z95
from peakend.store.db import Store

MIN_TOUCHES = 30
CARD_COLUMNS = ["hall_id", "staff_id", "rank", "ranked", "touches", "mean_e", "var_e", "shrunk", "low", "high",
                "prior", "tau2", "sigma2", "weight", "negative_peak_share", "end_share", "weakest_moment",
                "weakest_e", "cases", "closed_in_time", "audits", "audit_pass"]


def shrink(n: pd.Series, mean: pd.Series, var: pd.Series) -> pd.DataFrame:
    """Empirical-Bayes means of groups (n, mean, within variance): columns prior, tau2, sigma2, weight, shrunk,
    low, high. The prior is the precision-weighted mean μ̂ = Σ xᵢ/vᵢ / Σ 1/vᵢ with vᵢ = τ² + σ²/nᵢ; the interval
    is Morris's (1983, "Parametric empirical Bayes inference: theory and applications", JASA 78:47–55) for k ≥ 4
    groups: the shrinkage B = 1 − w = (k − 3)/(k − 1)·(σ²/n)/v and var = σ²/n·(1 − (k − 1)/k·B) + 2/(k − 3)·B²·
    (x − μ̂)², which carries the uncertainty of the prior mean and of τ² (it never collapses to a point when τ² is
    0). The posterior's interval with τ² and μ̂ taken as known covered the true means in only 86–88% with 5–8 staff
    (tests/test_interval_coverage.py). With fewer than 4 groups: B = (σ²/n)/v and var = w·σ²/n + B²·(Σ 1/vᵢ)⁻¹."""
    dof = float((n - 1).clip(lower=0).sum())
    sigma2 = float(((n - 1).clip(lower=0) * var.fillna(0)).sum() / dof) if dof else 0.0
    noise = sigma2 / n
    tau2 = max(float(mean.var(ddof=1)) - float(noise.mean()), 0.0) if len(n) > 1 else 0.0
    v = (tau2 + noise).clip(lower=1e-12)
    prior = float((mean / v).sum() / (1 / v).sum())
    k = len(n)
    if k > 3:  # Morris (1983)
        b = (k - 3) / (k - 1) * noise / v
        var = noise * (1 - (k - 1) / k * b) + 2 / (k - 3) * b ** 2 * (mean - prior) ** 2
    else:
        b = noise / v
        var = (1 - b) * noise + b ** 2 / (1 / v).sum()
    weight = 1 - b
    shrunk = prior + weight * (mean - prior)
    half = Z95 * np.sqrt(var)
    return pd.DataFrame({"prior": prior, "tau2": tau2, "sigma2": sigma2, "weight": weight, "shrunk": shrunk,
                         "low": shrunk - half, "high": shrunk + half}, index=n.index)


# Per hall, staff member and moment: touches, Σe, Σe², and how many were the visit's negative peak (its end) — a
# touch is the peak (end) when it is at the peak (end) moment with the peak's (end's) e, to 1e-9. Summed in the
# store (one scan, a small answer), rolled up to each staff member in pandas.
PARTS_SQL = """
SELECT v.hall_id, t.staff_id, t.moment_id, count(*) AS n, sum(t.e) AS s1, sum(t.e * t.e) AS s2,
       sum(CASE WHEN v.peak < 0 AND t.moment_id = v.peak_moment AND abs(t.e - v.peak) < 1e-9 THEN 1 ELSE 0 END)
           AS negative_peaks,
       sum(CASE WHEN t.moment_id = v.end_moment AND abs(t.e - v."end") < 1e-9 THEN 1 ELSE 0 END) AS ends
FROM touch_scores t JOIN visit_scores v ON v.visit_id = t.visit_id
WHERE t.staff_id IS NOT NULL AND t.e IS NOT NULL{halls}
GROUP BY v.hall_id, t.staff_id, t.moment_id
"""


def scorecards(store: Store, halls: set[str] | None = None, staff: str | None = None) -> pd.DataFrame:
    """One card per hall and staff member (of `halls`, default all; only `staff` if given), ranked within the
    hall by the shrunk mean e: touches, mean e, shrunk mean with its interval, negative-peak and end shares,
    weakest moment, cases owned / closed in time, audit pass rate, `ranked` (enough touches)."""
    if halls is not None and not halls:
        return pd.DataFrame(columns=CARD_COLUMNS)
    where = "" if halls is None else f" AND v.hall_id IN ({', '.join('?' * len(halls))})"
    parts = store.query(PARTS_SQL.format(halls=where), sorted(halls) if halls is not None else None)
    if parts.empty:
        return pd.DataFrame(columns=CARD_COLUMNS)
    parts[["s1", "s2"]] = parts[["s1", "s2"]].astype(float)
    cards = parts.groupby(["hall_id", "staff_id"])[["n", "s1", "s2", "negative_peaks", "ends"]].sum().reset_index()
    n = cards["n"].astype(float)
    cards = cards.assign(touches=cards["n"].astype(int), mean_e=cards["s1"] / n,
                         var_e=((cards["s2"] - cards["s1"] ** 2 / n) / (n - 1)).clip(lower=0).where(n > 1),
                         negative_peak_share=cards["negative_peaks"] / n, end_share=cards["ends"] / n)
    cards = pd.concat([pd.concat([c, shrink(c["touches"], c["mean_e"], c["var_e"])], axis=1)
                       for _, c in cards.groupby("hall_id")], ignore_index=True)
    per_moment = parts.assign(mean=parts["s1"] / parts["n"])  # the weakest: lowest mean, a tie to 1e-9 by moment id
    per_moment = per_moment[per_moment["n"] >= 10].assign(tie=lambda f: f["mean"].round(9))
    per_moment = per_moment.sort_values(["tie", "moment_id"], kind="stable")
    weakest = per_moment.drop_duplicates(["hall_id", "staff_id"]).rename(
        columns={"moment_id": "weakest_moment", "mean": "weakest_e"})[["hall_id", "staff_id", "weakest_moment",
                                                                        "weakest_e"]]
    cards = cards.merge(weakest, on=["hall_id", "staff_id"], how="left")
    cases = store.query("SELECT hall_id, owner AS staff_id, count(*) AS cases, "
                        "sum(CASE WHEN resolved_at IS NOT NULL AND resolved_at <= deadline THEN 1 ELSE 0 END) "
                        "AS closed_in_time FROM cases WHERE owner IS NOT NULL GROUP BY hall_id, owner")
    audits = store.query("SELECT hall_id, staff_id, count(*) AS audits, avg(CASE WHEN passed THEN 1.0 ELSE 0.0 END) "
                         "AS audit_pass FROM audits WHERE staff_id IS NOT NULL GROUP BY hall_id, staff_id")
    cards = cards.merge(cases, on=["hall_id", "staff_id"], how="left").merge(audits, on=["hall_id", "staff_id"],
                                                                            how="left")
    cards[["cases", "closed_in_time", "audits"]] = cards[["cases", "closed_in_time", "audits"]].fillna(0).astype(int)
    cards["ranked"] = cards["touches"] >= MIN_TOUCHES
    cards = cards.sort_values(["hall_id", "ranked", "shrunk"], ascending=[True, False, False], ignore_index=True)
    cards["rank"] = cards.groupby("hall_id")["ranked"].cumsum().where(cards["ranked"])
    cards = cards[CARD_COLUMNS]
    return cards[cards["staff_id"] == staff].reset_index(drop=True) if staff is not None else cards
