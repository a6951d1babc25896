"""Per hall × moment figures, as Ibis expressions.

- touches, mean_e, negative_share: over the moment's touches in the hall;
- peak_share / end_share: share of the hall's visits whose peak / end falls on the moment;
- negative_peak_share: of the hall's visits with a negative peak, the share whose peak is here;
- lift: REI points the hall's mean REI would gain if the moment's negative experiences were
  neutral (e < 0 set to 0), each affected visit re-scored by the peak-end rule.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from peakend.blueprint.model import Weights
from peakend.scoring.portable import count_if, share
from peakend.scoring.visits import peak_end, rei, remembered


def lift(te: ir.Table, vs: ir.Table, w: Weights) -> ir.Table:
    """REI gain per (hall, moment) from neutralising that moment's negative touches."""
    neg = te.filter(te.e < 0).select("visit_id", lift_moment=te.moment_id).distinct()
    tt = te.join(neg, "visit_id")
    e2 = ibis.ifelse((tt.moment_id == tt.lift_moment) & (tt.e < 0), 0.0, tt.e)
    re = tt.group_by(["visit_id", "lift_moment"]).aggregate(**peak_end(tt, e2))
    j = re.join(vs.select("visit_id", "hall_id", old=vs.rei), "visit_id")
    gain = rei(remembered(j.peak, j.end, j["mean"], w)) - j.old
    return (
        j.mutate(gain=gain)
        .group_by(["hall_id", j.lift_moment.name("moment_id")])
        .aggregate(lift_sum=ibis._.gain.sum(), affected_visits=ibis._.count())
    )


def moment_scores(te: ir.Table, vs: ir.Table, w: Weights) -> ir.Table:
    """One row per (hall, moment) that has touches."""
    th = te.join(vs.select("visit_id", "hall_id"), "visit_id")
    base = th.group_by(["hall_id", "moment_id"]).aggregate(
        touches=th.count(),
        mean_e=th.e.mean(),
        negative_share=share(th.e < 0),
        rated_share=share(th.e_source == "rating"),
    )
    halls = vs.group_by("hall_id").aggregate(visits=vs.count(), negative_peaks=count_if(vs.peak < 0))
    peaks = vs.group_by(["hall_id", vs.peak_moment.name("moment_id")]).aggregate(
        peaks=vs.count(), neg_peaks=count_if(vs.peak < 0)
    )
    ends = vs.group_by(["hall_id", vs.end_moment.name("moment_id")]).aggregate(ends=vs.count())
    lifts = lift(te, vs, w)
    keys = ["hall_id", "moment_id"]
    j = (
        base.join(halls, "hall_id")
        .left_join(peaks, keys)
        .drop(ibis.selectors.endswith("_right"))
        .left_join(ends, keys)
        .drop(ibis.selectors.endswith("_right"))
        .left_join(lifts, keys)
        .drop(ibis.selectors.endswith("_right"))
    )
    return j.select(
        "hall_id",
        "moment_id",
        "touches",
        "mean_e",
        "negative_share",
        "rated_share",
        peak_share=j.peaks.fill_null(0) / j.visits,
        end_share=j.ends.fill_null(0) / j.visits,
        negative_peak_share=ibis.ifelse(j.negative_peaks > 0, j.neg_peaks.fill_null(0) / j.negative_peaks, 0.0),
        lift=j.lift_sum.fill_null(0.0) / j.visits,
        affected_visits=j.affected_visits.fill_null(0),
    )


def falls(vs: ir.Table) -> ir.Table:
    """Per moment and kind (pos_peak, neg_peak, end): how many of the visits `vs` fall there (n)."""
    peaks = vs.select(moment_id=vs.peak_moment, kind=ibis.ifelse(vs.peak < 0, "neg_peak", "pos_peak"))
    both = peaks.union(vs.select(moment_id=vs.end_moment, kind=ibis.literal("end")))
    return both.group_by(["moment_id", "kind"]).agg(n=both.count())
