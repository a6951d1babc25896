"""Per hall × moment figures, as Ibis expressions, added up from parts per (hall, day, moment).

- touches, mean_e, negative_share: over the moment's touches in the hall;
- peak_share / end_share: share of the hall's visits whose peak / end falls on the moment;
- negative_peak_share: of the hall's visits with a negative peak, the share whose peak is here;
- lift: REI points the hall's mean REI would gain if the moment's negative experiences were
  neutral (e < 0 set to 0), each affected visit re-scored by the peak-end rule.
"""

from __future__ import annotations

import datetime

import ibis
import ibis.expr.types as ir

from peakend.blueprint.model import Weights
from peakend.scoring.portable import count_if, total
from peakend.scoring.visits import peak_end, picks_by_rank, ranked_picks, rei, remembered


def lift(te: ir.Table, vs: ir.Table, w: Weights, keys: list[str]) -> ir.Table:
    """REI gain per `keys` (of the visit and its moment) from neutralising that moment's negative touches.

    Each visit with a negative touch at the moment is re-scored without re-reading its touches:
    neutral negatives lower the mean by their sum / n; the end becomes 0 if it was a negative
    touch there; the peak is unchanged unless it was a negative touch there, and then it is
    the visit's peak over its other touches (`second_peaks`), or 0 if none is left.
    """
    neg = te.filter(te.e < 0).group_by(["visit_id", "moment_id"]).aggregate(neg_sum=ibis._.e.sum())
    j = neg.join(vs, "visit_id").left_join(second_peaks(te, vs), "visit_id").drop("visit_id_right")
    peak = ibis.ifelse((j.peak_moment == j.moment_id) & (j.peak < 0), j.second_peak.fill_null(0.0), j.peak)
    end = ibis.ifelse((j.end_moment == j.moment_id) & (j.end < 0), 0.0, j.end)
    mean = j["mean"] - j.neg_sum / j.touches
    gain = rei(remembered(peak, end, mean, w)) - j.rei
    return j.mutate(gain=gain).group_by(keys).aggregate(
        lift_sum=ibis._.gain.sum(), affected_visits=ibis._.count()
    )


def second_peaks(te: ir.Table, vs: ir.Table) -> ir.Table:
    """Per visit with a negative peak: the peak over its touches other than the negatives at the peak's moment."""
    p = vs.filter(vs.peak < 0).select("visit_id", "peak_moment")
    t = te.join(p, "visit_id")
    t = t.filter((t.moment_id != t.peak_moment) | (t.e >= 0))
    if picks_by_rank(t):
        return ranked_picks(t, ends=False).select("visit_id", second_peak="peak")
    return t.group_by("visit_id").aggregate(second_peak=peak_end(t, t.e)["peak"])


PART_KEYS = ["hall_id", "day", "moment_id"]
NO_DAY = datetime.date(1900, 1, 1)  # the day of the parts of visits with no time (SQL keys do not match NULL)


def with_day(vs: ir.Table) -> ir.Table:
    """Visit scores with NO_DAY for a missing day: the day their parts are kept under."""
    return vs.mutate(day=vs.day.fill_null(ibis.date(NO_DAY)))


def moment_parts(te: ir.Table, vs: ir.Table, w: Weights) -> ir.Table:
    """Sums per (hall, day, moment) that `moment_scores` adds up: a day's parts are scored again only when that
    day's visits change (see scoring.run)."""
    vs = with_day(vs)
    th = te.join(vs.select("visit_id", "hall_id", "day"), "visit_id")
    base = th.group_by(PART_KEYS).aggregate(
        touches=th.count(), e_sum=th.e.sum(), negatives=count_if(th.e < 0),
        rated=count_if(th.e_source == "rating"),
    )
    peaks = vs.group_by(["hall_id", "day", vs.peak_moment.name("moment_id")]).aggregate(
        peaks=vs.count(), neg_peaks=count_if(vs.peak < 0)
    )
    ends = vs.group_by(["hall_id", "day", vs.end_moment.name("moment_id")]).aggregate(ends=vs.count())
    lifts = lift(te, vs.select("visit_id", "hall_id", "day", "peak", "peak_moment", "end", "end_moment", "mean",
                               "touches", "rei"), w, PART_KEYS)
    j = base
    for part in (peaks, ends, lifts):
        j = j.left_join(part, PART_KEYS).drop(ibis.selectors.endswith("_right"))
    return j.select(*PART_KEYS, "touches", "e_sum", "negatives", "rated",
                    peaks=j.peaks.fill_null(0), neg_peaks=j.neg_peaks.fill_null(0), ends=j.ends.fill_null(0),
                    lift_sum=j.lift_sum.fill_null(0.0), affected_visits=j.affected_visits.fill_null(0))


def hall_parts(vs: ir.Table) -> ir.Table:
    """Sums per (hall, day) of the visits' scores: the hall totals of `moment_scores` and `halls.hall_aggregates`."""
    vs = with_day(vs)
    return vs.group_by(["hall_id", "day"]).aggregate(
        visits=vs.count(), negative_peaks=count_if(vs.peak < 0), negative_ends=count_if(vs.end < 0),
        rei_sum=vs.rei.sum(), rei_squares=(vs.rei * vs.rei).sum(), mean_sum=vs["mean"].sum(),
    )


def moment_scores(mp: ir.Table, hp: ir.Table) -> ir.Table:
    """One row per (hall, moment) that has touches, added up from the day parts."""
    counts = ("touches", "negatives", "rated", "peaks", "neg_peaks", "ends", "affected_visits")
    m = mp.group_by(["hall_id", "moment_id"]).aggregate(
        **{c: total(mp[c]) for c in counts}, e_sum=mp.e_sum.sum(), lift_sum=mp.lift_sum.sum())
    h = hp.group_by("hall_id").aggregate(visits=total(hp.visits), negative_peaks=total(hp.negative_peaks))
    j = m.join(h, "hall_id")
    n = j.touches.cast("float64")
    return j.select(
        "hall_id",
        "moment_id",
        "touches",
        mean_e=j.e_sum / n,
        negative_share=j.negatives.cast("float64") / n,
        rated_share=j.rated.cast("float64") / n,
        peak_share=j.peaks.cast("float64") / j.visits,
        end_share=j.ends.cast("float64") / j.visits,
        negative_peak_share=ibis.ifelse(j.negative_peaks > 0, j.neg_peaks.cast("float64") / j.negative_peaks, 0.0),
        lift=j.lift_sum / j.visits,
        affected_visits=j.affected_visits,
    )


def falls(vs: ir.Table) -> ir.Table:
    """Per moment and kind (pos_peak, neg_peak, end): how many of the visits `vs` fall there (n). A visit whose
    peak is 0 (every touch neutral) has neither a positive nor a negative peak."""
    vs_ = vs.filter(vs.peak != 0)
    peaks = vs_.select(moment_id=vs_.peak_moment, kind=ibis.ifelse(vs_.peak < 0, "neg_peak", "pos_peak"))
    both = peaks.union(vs.select(moment_id=vs.end_moment, kind=ibis.literal("end")))
    return both.group_by(["moment_id", "kind"]).agg(n=both.count())
