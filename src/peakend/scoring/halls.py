"""Per-hall figures: mean REI with a 95% confidence interval, and the maturity grade.

The figures are added up from sums per (hall, day), so that a day is scored again alone
(scoring.run); the REI's sd from its sum and sum of squares. The interval is Student's t on the
visits' REI: mean ± t(0.975, n−1) · sd / √n. The grade is the highest blueprint grade whose
`min_rei` the mean REI reaches (default: Qualified 55, Good 65, Great 75), given at least
`min_visits_for_grade` visits; otherwise no grade.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from peakend.blueprint.model import Blueprint
from peakend.scoring.moments import NO_DAY
from peakend.scoring.portable import count_if, share, total


def hall_aggregates(hp: ir.Table, vs: ir.Table, surveys: ir.Table, audits: ir.Table) -> ir.Table:
    """Hall-level figures from the (hall, day) parts `hp` of `moments.hall_parts`, with the surveys of the visits
    `vs` and the audits counted, as an Ibis expression (intervals and grades are added in pandas)."""
    base = hp.group_by("hall_id").aggregate(
        visits=total(hp.visits), days=count_if(hp.day != ibis.date(NO_DAY)), rei_sum=hp.rei_sum.sum(),
        rei_squares=hp.rei_squares.sum(), mean_sum=hp.mean_sum.sum(), negative_peaks=total(hp.negative_peaks),
        negative_ends=total(hp.negative_ends),
    )
    n = base.visits.cast("float64")
    variance = (base.rei_squares - base.rei_sum * base.rei_sum / n) / (n - 1.0)
    base = base.select(
        "hall_id", "visits", "days", rei=base.rei_sum / n,
        rei_sd=ibis.ifelse(base.visits > 1, ibis.greatest(variance, 0.0).sqrt(), ibis.null("float64")),
        mean_e=base.mean_sum / n, negative_peak_share=base.negative_peaks.cast("float64") / n,
        negative_end_share=base.negative_ends.cast("float64") / n,
    )
    sv = surveys.join(vs.select("visit_id", "hall_id"), "visit_id")
    sv = sv.group_by("hall_id").aggregate(surveys=sv.count())
    au = audits.group_by("hall_id").aggregate(
        audit_items=audits.count(), audit_pass_rate=share(audits.passed)
    )
    j = base.left_join(sv, "hall_id").drop("hall_id_right")
    j = j.left_join(au, "hall_id").drop("hall_id_right")
    return j.mutate(surveys=j.surveys.fill_null(0), audit_items=j.audit_items.fill_null(0))


Z95 = 1.959963984540054  # the two-sided 95% normal quantile


def confidence_interval(mean: float, sd: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of a mean; (mean, mean) when n < 2."""
    if n < 2 or not np.isfinite(sd):
        return mean, mean
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / np.sqrt(n)
    return mean - half, mean + half


def finish_halls(df: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    """Add interval, grade (id, zh, en) and rank to hall aggregates."""
    df = df.copy()
    floats = ["rei", "rei_sd", "mean_e", "negative_peak_share", "negative_end_share", "audit_pass_rate"]
    df[floats] = df[floats].astype("float64")  # a column of NULLs read by plain SQL is of objects
    counts = ["visits", "days", "surveys", "audit_items"]
    df[counts] = df[counts].astype("int64")
    bounds = [confidence_interval(m, s, int(n)) for m, s, n in zip(df.rei, df.rei_sd, df.visits, strict=True)]
    df["rei_low"] = [max(b[0], 0.0) for b in bounds]  # REI lies in 0–100: so does its interval (few visits)
    df["rei_high"] = [min(b[1], 100.0) for b in bounds]
    grades = [bp.grade_for(r, int(n)) for r, n in zip(df.rei, df.visits, strict=True)]
    df["grade"] = [g.id if g else "" for g in grades]
    df["grade_zh"] = [
        g.zh if g else ("数据不足" if n < bp.min_visits_for_grade else "未达标")
        for g, n in zip(grades, df.visits, strict=True)
    ]
    df["grade_en"] = [
        g.en if g else ("Too few visits" if n < bp.min_visits_for_grade else "Below qualified")
        for g, n in zip(grades, df.visits, strict=True)
    ]
    df = df.sort_values(["rei", "hall_id"], ascending=[False, True]).reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    return df


__all__ = ["confidence_interval", "finish_halls", "hall_aggregates", "ibis"]
