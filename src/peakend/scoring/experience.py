"""The experience value e in [-1, 1] of every touch, as an Ibis expression.

A rating is mapped linearly from its scale (lowest → −1, middle → 0, highest → +1). Without
a rating, the moment's experience rule infers e from outcome, wait and service time:

    e = clip(outcome value (or the rule's base) − ramp(wait) − ramp(service), −1, 1)
    ramp(x) = weight · clip((x − tolerance) / (worst − tolerance), 0, 1)   (0 if x is unknown)

A rating wins over inference.
"""

from __future__ import annotations

from typing import cast

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from peakend.blueprint.model import OUTCOMES, Blueprint, Outcome, Ramp
from peakend.contract import SCALES

EPOCH = ibis.timestamp("1970-01-01 00:00:00")
# |e| is compared to this many decimals when the peak is picked: averaged ratings such as 5/3 and 13/3 on
# 1–5 are equally far from neutral but differ in a float's last bit; they tie, and the later touch wins.
TIE_DIGITS = 9


def rules_table(bp: Blueprint) -> ir.Table:
    """One row per moment with its rule's parameters; an absent ramp has weight 0.

    No nulls: Spark builds a table from pandas, where a missing float is NaN, not null.
    """
    return ibis.memtable(rules_arrow(bp))


def rules_arrow(bp: Blueprint) -> pa.Table:
    """The rows of `rules_table`, as an Arrow table."""
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "moment_id",
            "base",
            *[f"o_{o}" for o in OUTCOMES],
            "w_tol",
            "w_worst",
            "w_weight",
            "s_tol",
            "s_worst",
            "s_weight",
        )
    }
    for m in bp.moments:
        rule = bp.rule_for(m.id)
        rows["moment_id"].append(m.id)
        rows["base"].append(rule.base)
        for o in OUTCOMES:
            known = cast("Outcome", o)
            rows[f"o_{o}"].append(rule.outcome.get(known, bp.default_rule.outcome.get(known, rule.base)))
        for prefix, ramp in (("w", rule.wait), ("s", rule.service)):
            r: Ramp | None = ramp
            rows[f"{prefix}_tol"].append(r.tolerance_min if r else 0.0)
            rows[f"{prefix}_worst"].append(r.worst_min if r else 1.0)
            rows[f"{prefix}_weight"].append(r.weight if r else 0.0)
    schema = pa.schema([("moment_id", pa.string())] + [(k, pa.float64()) for k in rows if k != "moment_id"])
    return pa.table(rows, schema=schema)


def rating_e(rating: ir.FloatingValue, scale: ir.StringValue) -> ir.FloatingValue:
    """A rating on its scale mapped to [-1, 1] (null when there is no rating)."""
    cases = [(scale == name, 2.0 * (rating - lo) / (hi - lo) - 1.0) for name, (lo, hi) in SCALES.items()]
    return ibis.cases(*cases, else_=ibis.null("float64"))


def _ramp(
    x: ir.FloatingValue, tol: ir.FloatingValue, worst: ir.FloatingValue, weight: ir.FloatingValue
) -> ir.FloatingValue:
    return (((x - tol) / (worst - tol)).clip(lower=0.0, upper=1.0) * weight).fill_null(0.0)


def inferred_parts(t: ir.Table) -> ir.Table:
    """The joined touches with the parts of inferred e: outcome value (`_start`) and wait/service ramps."""
    return t.mutate(
        _start=ibis.cases(*[(t.outcome == o, t[f"o_{o}"]) for o in OUTCOMES], else_=t.base),
        _wait=_ramp(t.wait_min, t.w_tol, t.w_worst, t.w_weight),
        _service=_ramp(t.service_min, t.s_tol, t.s_worst, t.s_weight),
    )


def touch_experience(touches: ir.Table, bp: Blueprint, rules: ir.Table | None = None) -> ir.Table:
    """Touches with their experience value `e` and where it came from (`rating`/`inferred`).

    A touch of a moment no longer in the blueprint is scored by the default rule. `rules` is
    `rules_table(bp)` unless given (e.g. stored, so the compiled SQL can be reused). The
    inferred and rated values are computed as columns first: written as one expression,
    SQL would repeat each inside every CASE that clipping makes.
    """
    rules = rules_table(bp) if rules is None else rules
    t = touches.left_join(rules, touches.moment_id == rules.moment_id)
    base = bp.default_rule
    t = t.mutate(
        base=t.base.fill_null(base.base),
        **{f"o_{o}": t[f"o_{o}"].fill_null(base.outcome.get(cast("Outcome", o), base.base)) for o in OUTCOMES},
    )
    t = inferred_parts(t)
    t = t.mutate(_rated=rating_e(t.rating, t.rating_scale),
                 _inferred=(t._start - t._wait - t._service).clip(lower=-1.0, upper=1.0))
    return t.select(
        "touch_id",
        "visit_id",
        t.moment_id,
        "seq",
        "start_at",
        "end_at",
        "staff_id",
        e=t._rated.coalesce(t._inferred),
        e_source=ibis.ifelse(t._rated.isnull(), "inferred", "rating"),
    )


def order_key(t: ir.Table) -> ir.StructValue:
    """The journey order of a visit's touches: start time, then seq, then id."""
    return ibis.struct({"t": t.start_at.coalesce(EPOCH), "s": t.seq.coalesce(0), "i": t.touch_id})


def intensity(e: ir.FloatingValue) -> ir.FloatingValue:
    """|e| rounded to `TIE_DIGITS`: touches equally far from neutral tie though their floats differ in the last bit."""
    return e.abs().round(TIE_DIGITS)


def peak_key(t: ir.Table, e: ir.FloatingValue) -> ir.StructValue:
    """Intensity first (|e| to `TIE_DIGITS`), then journey order, so the later touch wins a tie."""
    return ibis.struct({"a": intensity(e), "t": t.start_at.coalesce(EPOCH), "s": t.seq.coalesce(0),
                        "i": t.touch_id})
