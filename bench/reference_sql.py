"""The per-visit peak-end scoring written by hand in DuckDB SQL.

It is the reference the Ibis scoring is measured against (bench) and checked against
(tests): same definitions, written independently, without Ibis.
"""

from __future__ import annotations

import duckdb

from peakend.blueprint.model import OUTCOMES, Blueprint


def load_rules(con: duckdb.DuckDBPyConnection, bp: Blueprint) -> None:
    """Write the blueprint's experience rules into table `ref_rules`."""
    con.execute("CREATE OR REPLACE TABLE ref_rules (moment_id VARCHAR, base DOUBLE, o_resolved DOUBLE, "
                "o_unresolved DOUBLE, o_complaint DOUBLE, o_abandoned DOUBLE, w_tol DOUBLE, w_worst DOUBLE, "
                "w_weight DOUBLE, s_tol DOUBLE, s_worst DOUBLE, s_weight DOUBLE)")
    for m in bp.moments:
        r = bp.rule_for(m.id)
        outcomes = [r.outcome.get(o, bp.default_rule.outcome.get(o, r.base)) for o in OUTCOMES]
        ramps = []
        for ramp in (r.wait, r.service):
            ramps += [ramp.tolerance_min, ramp.worst_min, ramp.weight] if ramp else [None, None, None]
        con.execute("INSERT INTO ref_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [m.id, r.base, *outcomes, *ramps])


def _ramp(minutes: str, tol: str, worst: str, weight: str) -> str:
    """Penalty of a ramp; 0 when the minutes or the ramp are missing.

    DuckDB's least/greatest skip NULL arguments, so NULL must be caught before them.
    """
    return (f"(CASE WHEN {minutes} IS NULL OR {tol} IS NULL THEN 0 "
            f"ELSE {weight} * greatest(0, least(1, ({minutes} - {tol}) / ({worst} - {tol}))) END)")


def reference_sql(bp: Blueprint) -> str:
    """SELECT producing the same per-visit columns as peakend's `visit_scores`."""
    w = bp.weights
    return f"""
    WITH e AS (
        SELECT t.visit_id, t.moment_id, t.touch_id, t.start_at, t.end_at,
               coalesce(t.start_at, TIMESTAMP '1970-01-01') AS ts, coalesce(t.seq, 0) AS sq,
               coalesce(
                   CASE t.rating_scale
                       WHEN '1-5' THEN 2 * (t.rating - 1) / 4 - 1
                       WHEN '1-10' THEN 2 * (t.rating - 1) / 9 - 1
                       WHEN '0-10' THEN 2 * t.rating / 10 - 1
                       WHEN 'sat3' THEN t.rating - 2
                   END,
                   greatest(-1, least(1,
                       CASE t.outcome
                           WHEN 'resolved' THEN coalesce(r.o_resolved, {bp.default_rule.outcome.get("resolved", 0)})
                           WHEN 'unresolved' THEN coalesce(r.o_unresolved,
                                {bp.default_rule.outcome.get("unresolved", 0)})
                           WHEN 'complaint' THEN coalesce(r.o_complaint, {bp.default_rule.outcome.get("complaint", 0)})
                           WHEN 'abandoned' THEN coalesce(r.o_abandoned, {bp.default_rule.outcome.get("abandoned", 0)})
                           ELSE coalesce(r.base, {bp.default_rule.base})
                       END
                       - {_ramp("t.wait_min", "r.w_tol", "r.w_worst", "r.w_weight")}
                       - {_ramp("t.service_min", "r.s_tol", "r.s_worst", "r.s_weight")}))
               ) AS e
        FROM touches t LEFT JOIN ref_rules r ON t.moment_id = r.moment_id
    ), v AS (
        SELECT visit_id, count(*) AS touches, max(e) AS best, min(e) AS worst, avg(e) AS mean,
               min(start_at) AS first_start, max(coalesce(end_at, start_at)) AS last_end,
               arg_max((e, moment_id), (round(abs(e), 9), ts, sq, touch_id)) AS p,  -- equally far from neutral: a tie
               arg_max((e, moment_id), (ts, sq, touch_id)) AS z
        FROM e GROUP BY visit_id
    )
    SELECT v.visit_id, visits.hall_id, visits.segment, visits.route,
           coalesce(visits.arrival, v.first_start)::DATE AS day, coalesce(visits.arrival, v.first_start) AS arrival,
           v.touches, v.p[1] AS peak, v.p[2] AS peak_moment, v.best, v.worst, v.z[1] AS "end", v.z[2] AS end_moment,
           v.mean,
           (epoch(coalesce(visits.departure, v.last_end)) - epoch(coalesce(visits.arrival, v.first_start))) / 60
               AS duration_min,
           {w.peak} * v.p[1] + {w.end} * v.z[1] + {w.mean} * v.mean AS remembered,
           50 * (1 + {w.peak} * v.p[1] + {w.end} * v.z[1] + {w.mean} * v.mean) AS rei
    FROM v JOIN visits USING (visit_id)
    """
