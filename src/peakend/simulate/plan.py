"""Planning by simulation: per-hour figures with confidence intervals, the smallest staffing that meets
targets, and named configurations side by side.

Every evaluation runs `reps` replications of one day with the same seeds (common random numbers),
so two staffings are compared on the same customers and a fixed seed reproduces a plan exactly.
Predicted REI comes from the store's own scoring (`experience.score`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.scoring.halls import confidence_interval
from peakend.simulate.config import HallConfig
from peakend.simulate.experience import score
from peakend.simulate.hall import Day
from peakend.simulate.run import simulate


@dataclass(frozen=True)
class Targets:
    """What a plan must meet in every hour: a share of customers served within a wait, a mean REI (0: none)
    and at most a share who leave the queue (None: none)."""

    wait_min: float = 10.0
    share: float = 0.8
    rei: float = 75.0
    abandon: float | None = None


def half_width(sd: float, n: int) -> float:
    """Half-width of the 95% interval of a mean of n replications (the scoring's own Student-t interval)."""
    return confidence_interval(0.0, sd, n)[1]


def per_visit(touches: pd.DataFrame) -> pd.DataFrame:
    """Per visit (index): minutes waited in all, and whether it left a queue (`abandoned`)."""
    return touches.assign(abandoned=touches["outcome"] == "abandoned").groupby("visit_id").agg(
        wait=("wait_min", "sum"), abandoned=("abandoned", "any"))


def _within(figures: pd.DataFrame, targets: Targets) -> pd.DataFrame:
    """The figures with `within`: served within the target wait (a visit that left the queue is not)."""
    return figures.assign(within=(figures["wait"] <= targets.wait_min) & ~figures["abandoned"])


def visit_figures(cfg: HallConfig, bp: Blueprint, day: date, reps: int, seed: int,
                  with_rei: bool = True, rated: bool = False) -> pd.DataFrame:
    """One row per simulated visit: replication, hour of arrival, total wait, whether it was abandoned, REI.

    Without `with_rei` the visits are not scored (REI is NaN): for plans without an REI target.
    With `rated`, the configuration's rating pads are pressed and scored as real ones are (a fitted
    hall's character then shows in its REI); otherwise REI rests on inferred experience alone.
    """
    frames = [simulate(cfg, bp, day, seed=seed, replication=r + 1, rated=rated) for r in range(reps)]
    visits = pd.concat([f.visits.assign(rep=r) for r, f in enumerate(frames)], ignore_index=True)
    touches = pd.concat([f.touches for f in frames], ignore_index=True)
    if with_rei:
        _, vs = score(Day(visits.drop(columns="rep"), touches), bp)
    else:
        vs = pd.DataFrame({"visit_id": visits["visit_id"], "rei": np.nan})
    out = visits[["visit_id", "rep", "arrival"]].merge(per_visit(touches), on="visit_id").merge(vs[["visit_id", "rei"]],
                                                                                on="visit_id", how="left")
    return out.assign(hour=out["arrival"].dt.hour)


def hourly(figures: pd.DataFrame, targets: Targets) -> pd.DataFrame:
    """Per hour: visits, mean wait, share served within the target wait, mean REI — means over replications ± CI."""
    f = _within(figures, targets)
    per_rep = f.groupby(["hour", "rep"]).agg(visits=("visit_id", "size"), wait=("wait", "mean"),
                                            within=("within", "mean"), rei=("rei", "mean"),
                                            abandoned=("abandoned", "mean")).reset_index()
    g = per_rep.groupby("hour")
    out = g[["visits", "wait", "within", "rei", "abandoned"]].mean()
    n = g.size()
    for col in ("wait", "within", "rei", "abandoned"):
        out[f"{col}_ci"] = [half_width(sd, k) for sd, k in zip(g[col].std(), n, strict=True)]
    out["meets"] = ((out["within"] >= targets.share) & ((out["rei"] >= targets.rei) | (targets.rei <= 0))
                    & ((out["abandoned"] <= targets.abandon) if targets.abandon is not None else True))
    return out.reset_index()


def out_of_reach(cfg: HallConfig, bp: Blueprint, station: str, targets: Targets, day: date, reps: int = 10,
                 seed: int = 0, most: int = 20) -> dict[int, str]:
    """Hours whose targets no staffing meets, each with why: the day simulated with `most` servers all day.

    REI has a ceiling that servers do not lift (without ratings it rests on the inferred experience of
    every moment, not only waits); a wait target can be out of reach when arrivals alone exceed it."""
    best = hourly(visit_figures(_with_servers(cfg, station, dict.fromkeys(range(cfg.opens, cfg.closes), most)), bp,
                                day, reps, seed, targets.rei > 0), targets)
    out: dict[int, str] = {}
    for row in best.itertuples(index=False):
        why = []
        if targets.rei > 0 and row.rei < targets.rei:
            why.append(f"REI {targets.rei:g} above its ceiling {row.rei:.1f} (with {most} servers)")
        if row.within < targets.share:
            why.append(f"{targets.share:.0%} within {targets.wait_min:g} min: {row.within:.0%} at most")
        if targets.abandon is not None and row.abandoned > targets.abandon:
            why.append(f"at most {targets.abandon:.1%} leaving: {row.abandoned:.1%} at best")
        if why:
            out[int(row.hour)] = "; ".join(why)
    return out


def staff(cfg: HallConfig, bp: Blueprint, station: str, targets: Targets, day: date, reps: int = 10, seed: int = 0,
          most: int = 20, step: Callable[[int, int], None] = lambda h, c: None) -> tuple[HallConfig, pd.DataFrame]:
    """The smallest servers per hour at `station` that meet the targets, hour by hour from opening.

    Hours are settled in order, since a queue carries into the next hour: each hour starts from
    one server and gains one until it meets the targets or reaches `most`. Targets no staffing meets
    (`out_of_reach`) are named before the search and left out of it for their hours (an unreachable REI
    no longer drives servers up); the table says which (`unreachable`) and flags rows that miss a target
    (`meets`). Customers served first come first served are not affected by later arrivals, so a trial
    for an hour simulates the day only up to that hour's end.
    """
    unreachable = out_of_reach(cfg, bp, station, targets, day, reps, seed, most)
    schedule = dict.fromkeys(range(cfg.opens, cfg.closes), 1)
    for hour in range(cfg.opens, cfg.closes):
        mine = _reachable(targets, unreachable.get(hour, ""))
        while True:
            trial = _with_servers(cfg, station, schedule).model_copy(update={"closes": hour + 1})
            table = hourly(visit_figures(trial, bp, day, reps, seed, mine.rei > 0), mine)
            step(hour, schedule[hour])
            row = table[table["hour"] == hour]
            if row.empty or bool(row["meets"].iloc[0]) or schedule[hour] >= most:
                break
            schedule[hour] += 1
    planned = _with_servers(cfg, station, schedule)
    table = hourly(visit_figures(planned, bp, day, reps, seed, targets.rei > 0), targets)
    return planned, table.assign(servers=table["hour"].map(schedule),
                                 unreachable=table["hour"].map(unreachable).fillna(""))


def _reachable(targets: Targets, why: str) -> Targets:
    """The targets an hour can meet: those named in `why` (from `out_of_reach`) dropped."""
    return Targets(targets.wait_min, 0.0 if "within" in why else targets.share, 0.0 if "REI" in why else targets.rei,
                   None if "leaving" in why else targets.abandon)


def erlang_a_servers(cfg: HallConfig, bp: Blueprint, station: str, targets: Targets,
                     day: date) -> dict[int, int | None]:
    """Per hour, the servers Erlang-A (M/M/n+M) needs for the same wait and abandonment targets: arrivals of
    the routes that pass `station`, its mean service time, exponential patience of the configured mean."""
    from peakend.simulate.erlang import staffing

    moments = set(cfg.stations[station].moments)
    service = [cfg.service.get(m, cfg.default_service).mean for m in cfg.stations[station].moments]
    through = {r.id for r in bp.routes if moments & set(r.moments)}
    share = sum(v for r, v in cfg.routes.items() if r in through) / sum(cfg.routes.values())
    factor = cfg.day_factor(day)
    patience = cfg.patience.mean if cfg.patience else 1e4
    return {h: staffing(cfg.arrivals.get(h, 0.0) * factor * share / 60, float(np.mean(service)), patience,
                        targets.wait_min, targets.share, targets.abandon) if cfg.arrivals.get(h, 0.0) > 0 else 0
            for h in range(cfg.opens, cfg.closes)}


def _with_servers(cfg: HallConfig, station: str, schedule: dict[int, int]) -> HallConfig:
    stations = {k: v.model_copy(update={"servers": dict(schedule)}) if k == station else v
                for k, v in cfg.stations.items()}
    return cfg.model_copy(update={"stations": stations})


def summary(figures: pd.DataFrame, targets: Targets) -> dict[str, float]:
    """The whole day: visits, mean wait, share within the target wait, share who left a queue, REI (± 95% CI)."""
    f = _within(figures, targets)
    per = f.groupby("rep").agg(wait=("wait", "mean"), within=("within", "mean"), rei=("rei", "mean"),
                               abandoned=("abandoned", "mean"))
    reps = len(per)
    row = {"visits": len(f) / max(reps, 1)}
    for col in per.columns:
        row[col], row[f"{col}_ci"] = float(per[col].mean()), half_width(float(per[col].std()), reps)
    return row


def side_by_side(configs: dict[str, HallConfig], bp: Blueprint, targets: Targets, day: date, reps: int = 10,
            seed: int = 0) -> pd.DataFrame:
    """Named configurations side by side: whole-day mean wait, share within the target wait, REI (± 95% CI)."""
    return pd.DataFrame([{"config": name, **summary(visit_figures(cfg, bp, day, reps, seed), targets)}
                         for name, cfg in configs.items()])


def chart(table: pd.DataFrame, targets: Targets) -> dict:
    """A Vega-Lite spec: servers per hour, and the share within the target wait with its interval."""
    import altair as alt

    base = alt.Chart(table).encode(x=alt.X("hour:O", title="hour / 时段"))
    servers = base.mark_bar(opacity=0.4).encode(y=alt.Y("servers:Q", title="servers / 窗口数"))
    lo = table["within"] - table["within_ci"].fillna(0)
    hi = table["within"] + table["within_ci"].fillna(0)
    band = alt.Chart(table.assign(lo=lo, hi=hi)).mark_errorbar().encode(
        x="hour:O", y=alt.Y("lo:Q", title=f"share waiting ≤ {targets.wait_min:g} min / 等候达标率"), y2="hi:Q")
    share = base.mark_line(point=True, color="#d62728").encode(y="within:Q")
    right = alt.layer(band, share)
    return alt.layer(servers, right).resolve_scale(y="independent").properties(width=560, height=260).to_dict()

