"""The maturity grade (合格 → 优秀 → 卓越) of each hall from three rules in the blueprint's `grades`: mean REI,
the mystery-shopping pass rate, and the share of follow-up cases closed in time — with what the hall lacks for
the next grade. A rule a hall has no data for yet (no audits, no case due) is not held against it, and said."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint, Grade
from peakend.store.db import Store

CASES_SQL = """
SELECT hall_id, count(*) AS cases_due,
       sum(CASE WHEN resolved_at IS NOT NULL AND resolved_at <= deadline THEN 1 ELSE 0 END) AS cases_in_time
FROM cases WHERE resolved_at IS NOT NULL OR deadline < ? GROUP BY hall_id
"""


def _short(grade: Grade, rei: float, audit: float, in_time: float) -> list[tuple[str, str]]:
    """What a hall lacks for `grade`, zh and en (empty: it reaches it)."""
    out = []
    if not rei >= grade.min_rei:
        out.append((f"REI {rei:.1f} < {grade.min_rei:g}", f"REI {rei:.1f} < {grade.min_rei:g}"))
    if grade.min_audit_pass is not None and np.isfinite(audit) and audit < grade.min_audit_pass:
        out.append((f"暗访通过率 {audit:.0%} < {grade.min_audit_pass:.0%}",
                    f"audit pass rate {audit:.0%} < {grade.min_audit_pass:.0%}"))
    if grade.min_cases_in_time is not None and np.isfinite(in_time) and in_time < grade.min_cases_in_time:
        out.append((f"工单按时关闭率 {in_time:.0%} < {grade.min_cases_in_time:.0%}",
                    f"cases closed in time {in_time:.0%} < {grade.min_cases_in_time:.0%}"))
    return out


def grade_hall(bp: Blueprint, rei: float, visits: int, audit: float, in_time: float) -> dict[str, object]:
    """A hall's grade (id, zh, en; '' below the first or with too few visits) and what it lacks for the next."""
    ladder = sorted(bp.grades, key=lambda g: g.min_rei)
    reached: Grade | None = None
    lacks: list[tuple[str, str]] = []
    if visits >= bp.min_visits_for_grade:
        for g in ladder:
            lacks = _short(g, rei, audit, in_time)
            if lacks:
                break
            reached = g
        else:
            lacks = []
    nxt = next((g for g in ladder if reached is None or g.min_rei > reached.min_rei), None)
    unknown = [("还没有暗访", "no audits yet")] if not np.isfinite(audit) else []
    unknown += [("还没有到期的工单", "no case due yet")] if not np.isfinite(in_time) else []
    few = visits < bp.min_visits_for_grade
    return {"maturity": reached.id if reached else "",
            "maturity_zh": reached.zh if reached else ("数据不足" if few else "未达标"),
            "maturity_en": reached.en if reached else ("Too few visits" if few else "Below qualified"),
            "next_zh": (f"距{nxt.zh}：" + "；".join(z for z, _ in lacks)) if nxt and lacks else "",
            "next_en": (f"for {nxt.en}: " + "; ".join(e for _, e in lacks)) if nxt and lacks else "",
            "unknown_zh": "；".join(z for z, _ in unknown), "unknown_en": "; ".join(e for _, e in unknown)}


def maturity(store: Store, bp: Blueprint, halls: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
    """`halls` (hall_scores' hall_id, rei, visits, audit_items, audit_pass_rate) with cases due and closed in time
    and the maturity grade (`maturity`, `_zh`, `_en`), what it lacks for the next (`next_zh`, `next_en`) and
    which rules had no data (`unknown_zh`, `unknown_en`)."""
    cases = store.query(CASES_SQL, [now or datetime.now()])
    out = halls.merge(cases, on="hall_id", how="left").reset_index(drop=True)
    out["cases_in_time_share"] = out["cases_in_time"] / out["cases_due"]
    audit = out["audit_pass_rate"].where(out["audit_items"].fillna(0) > 0)
    graded = [grade_hall(bp, float(r), int(n), float(a) if pd.notna(a) else np.nan,
                         float(c) if pd.notna(c) else np.nan)
              for r, n, a, c in zip(out["rei"], out["visits"], audit, out["cases_in_time_share"], strict=True)]
    return pd.concat([out, pd.DataFrame(graded, index=out.index)], axis=1)
