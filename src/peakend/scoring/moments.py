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
    """REI gain per (hall, moment) from neutralising that moment's negative touches.

    Each visit with a negative touch at the moment is re-scored without re-reading its touches:
    neutral negatives lower the mean by their sum / n; the end becomes 0 if it was a negative
    touch there; the peak is unchanged unless it was a negative touch there, and then it is
    the visit's peak over its other touches (`second_peaks`), or 0 if none is left.
    """
    neg = te.filter(te.e < 0).group_by(["visit_id", "moment_id"]).aggregate(neg_sum=ibis._.e.sum())
    v = vs.select("visit_id", "hall_id", "peak", "peak_moment", "end", "end_moment", "mean", "touches", "rei")
    j = neg.join(v, "visit_id").left_join(second_peaks(te, vs), "visit_id").drop("visit_id_right")
    peak = ibis.ifelse((j.peak_moment == j.moment_id) & (j.peak < 0), j.second_peak.fill_null(0.0), j.peak)
    end = ibis.ifelse((j.end_moment == j.moment_id) & (j.end < 0), 0.0, j.end)
    mean = j["mean"] - j.neg_sum / j.touches
    gain = rei(remembered(peak, end, mean, w)) - j.rei
    return j.mutate(gain=gain).group_by(["hall_id", "moment_id"]).aggregate(
        lift_sum=ibis._.gain.sum(), affected_visits=ibis._.count()
    )


def second_peaks(te: ir.Table, vs: ir.Table) -> ir.Table:
    """Per visit with a negative peak: the peak over its touches other than the negatives at the peak's moment."""
    p = vs.filter(vs.peak < 0).select("visit_id", "peak_moment")
    t = te.join(p, "visit_id")
    t = t.filter((t.moment_id != t.peak_moment) | (t.e >= 0))
    return t.group_by("visit_id").aggregate(second_peak=peak_end(t, t.e)["peak"])


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
