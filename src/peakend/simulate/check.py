"""The fitted hall checked against observed days: per hour, observed waits beside simulated ones, each with its
interval, and a summary (`agreement`). Check on held-out days (`observed.split`) for an out-of-sample check."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from peakend.blueprint.model import Blueprint
from peakend.i18n import Lang, say
from peakend.simulate.config import HallConfig
from peakend.simulate.observed import Observed
from peakend.simulate.run import simulate


def _segment_waits(obs: Observed) -> pd.DataFrame:
    """Every recorded wait with its visit's segment and day."""
    w = _waits(obs.touches)
    seg = obs.touches.loc[w.index, "visit_id"].map(obs.visits.set_index("visit_id")["segment"])
    return w.assign(segment=seg.to_numpy())


def class_check(cfg: HallConfig, bp: Blueprint, obs: Observed, reps: int = 10, seed: int = 0) -> pd.DataFrame:
    """Per segment (priority class): observed mean wait with its day-bootstrap interval beside the simulated
    one with a prediction interval for one replication, and whether it lies inside (`ok`)."""
    dates = obs.dates()
    seen = _segment_waits(obs).dropna(subset=["segment"])
    rng = np.random.default_rng(seed)
    rows = []
    sims = []
    for r in range(reps):
        sim = simulate(cfg, bp, dates[0], (dates[-1] - dates[0]).days + 1, seed, replication=r + 1, rated=False)
        kept = sim.visits[sim.visits["arrival"].dt.date.isin(dates)]
        one = Observed(obs.hall_id, kept[["visit_id", "route", "segment", "arrival"]],
                       sim.touches[sim.touches["visit_id"].isin(kept["visit_id"])])
        sims.append(_segment_waits(one).groupby("segment")["wait"].mean().rename(r))
    by_rep = pd.concat(sims, axis=1)
    t = stats.t.ppf(0.975, max(reps - 1, 1))
    for seg, mine in seen.groupby("segment"):
        days = [(d["wait"].to_numpy(float), d["left"].to_numpy(float)) for _, d in mine.groupby("day")]
        lows, highs, _ = day_interval(days, _figures(mine["wait"].to_numpy(float), mine["left"].to_numpy(float)), rng)
        lo, hi = lows[0], highs[0]
        sim = by_rep.loc[seg] if seg in by_rep.index else pd.Series(dtype=float)
        mean, spread = float(sim.mean()), float(t * sim.std() * np.sqrt(1 + 1 / reps))
        observed_mean = float(mine["wait"].mean())
        rows.append({"segment": seg, "priority": cfg.priority.get(str(seg), 0), "waits": len(mine),
                     "observed_mean": observed_mean, "observed_lo": lo, "observed_hi": hi, "simulated_mean": mean,
                     "simulated_plo": max(mean - spread, 0.0), "simulated_phi": mean + spread,
                     "ok": mean - spread - 1e-9 <= observed_mean <= mean + spread + 1e-9})
    return pd.DataFrame(rows)


FIGURES = ("mean", "p90", "abandon")  # what the check compares per hour: mean wait, its 90th percentile, share left


BOOT = 200  # resamples of the observed days for the observation's own interval


def _waits(touches: pd.DataFrame) -> pd.DataFrame:
    """Every recorded wait: its day, clock hour, minutes, and whether the waiter left."""
    w = touches[touches["wait_min"].notna() & touches["start_at"].notna()]
    return pd.DataFrame({"day": w["start_at"].dt.normalize(), "hour": w["start_at"].dt.hour,
                         "wait": w["wait_min"].to_numpy(float), "left": (w["outcome"] == "abandoned").to_numpy()})


def hourly_waits(touches: pd.DataFrame) -> pd.DataFrame:
    """Per clock hour in which waits began: number of waits, mean and 90th percentile (minutes), share who left."""
    w = _waits(touches)
    g = w.groupby("hour")
    return pd.DataFrame({"waits": g.size(), "mean": g["wait"].mean(), "p90": g["wait"].quantile(0.9),
                         "abandon": g["left"].mean()})


def _observed_intervals(touches: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The observation's own 95% sampling interval of each hourly figure, and its standard error (`_se`): the days
    resampled (a day's customers share its staffing and its queue, so the day is the unit that varies), by
    `day_interval`. Coverage measured in tests/test_interval_coverage.py."""
    w = _waits(touches)
    rng = np.random.default_rng(seed)
    rows = []
    for hour, mine in w.groupby("hour"):
        days = [(d["wait"].to_numpy(float), d["left"].to_numpy(float)) for _, d in mine.groupby("day")]
        est = _figures(mine["wait"].to_numpy(float), mine["left"].to_numpy(float))
        lo, hi, se = day_interval(days, est, rng)
        rows.append({"hour": hour, **{f"{f}_{e}": v[i] for e, v in (("lo", lo), ("hi", hi), ("se", se))
                                      for i, f in enumerate(FIGURES)}})
    columns = ["hour", *(f"{f}_{e}" for f in FIGURES for e in ("lo", "hi", "se"))]  # no waits at all: no rows
    return pd.DataFrame(rows, columns=columns).set_index("hour")


def _figures(wait: np.ndarray, left: np.ndarray) -> np.ndarray:
    """The hourly figures of these waits: mean, 90th percentile, share who left."""
    return np.array([wait.mean(), np.quantile(wait, 0.9), left.mean()])


def day_interval(days: list[tuple[np.ndarray, np.ndarray]], est: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """95% intervals of the figures `est` of these days' waits and leavings (low, high, standard error), the days
    resampled: the bootstrap's standard error × √(n/(n − 1)) (a bootstrap of n clusters lacks that factor) with
    t(n − 1) quantiles (Cameron & Miller 2015 for few clusters), waits on the log scale (positive, right-skewed), the
    share who left on the square-root scale. Fewer than 2 days: no interval (NaN). Measured on simulated truth with
    7 days: 95.0% (mean wait), 95.0% (90th percentile), 95.0–96.7% (share who left), where the percentile bootstrap
    held 77.5%, 75.0%, 81.7%."""
    n = len(days)
    if n < 2:
        return np.full(3, np.nan), np.full(3, np.nan), np.full(3, np.nan)
    draws = np.array([_figures(np.concatenate([days[i][0] for i in pick]), np.concatenate([days[i][1] for i in pick]))
                      for pick in (rng.integers(0, n, n) for _ in range(BOOT))])
    se = draws.std(axis=0, ddof=1) * np.sqrt(n / (n - 1))
    t = stats.t.ppf(0.975, n - 1)
    positive = est > 0
    ratio = np.divide(se, est, out=np.zeros_like(se), where=positive)
    with np.errstate(over="ignore"):  # a figure near 0 with a wide spread: no upper bound (inf), not a warning
        lo = np.where(positive, est * np.exp(-t * ratio), 0.0)
        hi = np.where(positive, est * np.exp(t * ratio), t * se)
    root, half = np.sqrt(est[2]), t * ratio[2] * np.sqrt(est[2]) / 2  # the share: on the square-root scale
    lo[2], hi[2] = (max(root - half, 0.0) ** 2, (root + half) ** 2) if positive[2] else (0.0, hi[2])
    return lo, hi, se


def simulated_runs(cfg: HallConfig, bp: Blueprint, obs: Observed, reps: int, seed: int) -> pd.DataFrame:
    """Each replication's hourly figures, the fitted hall simulated over the observed dates (so the weekday and
    weekend mix is the data's): columns hour, rep, waits, mean, p90, abandon."""
    dates = obs.dates()
    runs = []
    for r in range(reps):
        sim = simulate(cfg, bp, dates[0], (dates[-1] - dates[0]).days + 1, seed, replication=r + 1, rated=False)
        kept = sim.visits.loc[sim.visits["arrival"].dt.date.isin(dates), "visit_id"]
        runs.append(hourly_waits(sim.touches[sim.touches["visit_id"].isin(kept)]).assign(rep=r))
    return pd.concat(runs).rename_axis("hour").reset_index()


def prediction_interval(mean: pd.Series, sd: pd.Series, reps: int) -> tuple[pd.Series, pd.Series]:
    """The 95% prediction interval for one more replication from `reps` replications with this mean and standard
    deviation: mean ± t(reps − 1)·sd·√(1 + 1/reps), not below 0 (waits and shares are not negative)."""
    spread = stats.t.ppf(0.975, max(reps - 1, 1)) * sd * np.sqrt(1 + 1 / reps)
    return (mean - spread).clip(lower=0), mean + spread


def check(cfg: HallConfig, bp: Blueprint, obs: Observed, reps: int = 10, seed: int = 0) -> pd.DataFrame:
    """Per hour, observed beside simulated: waits per day, mean wait, 90th-percentile wait and the share who left.

    Each observed figure has its own 95% sampling interval (`_lo`, `_hi`, the days resampled); each
    simulated one the mean over replications and a 95% prediction interval for one replication
    (`_plo`, `_phi`: mean ± t·sd·√(1 + 1/reps)). A replication covers the same dates as the data, so it
    carries the same sampling noise: the hour agrees (`_ok`) when the observed figure lies inside it.
    No fixed slack. An hour with fewer than `MIN_WAITS` waits or `MIN_DAYS` days with waits, or whose interval
    has no width, is not checked (`_status` "too_few", `_ok` None); else "ok" or "miss". Simulated waits per day
    carry their own prediction interval (`simulated_per_day_plo`, `_phi`). Call it on held-out days
    (`observed.split`) for an out-of-sample check.
    """
    dates = obs.dates()
    seen = hourly_waits(obs.touches)
    own = _observed_intervals(obs.touches, seed)
    sims = simulated_runs(cfg, bp, obs, reps, seed)
    hours = sorted(set(seen.index) | set(sims["hour"]))
    g = sims.set_index(["hour", "rep"]).reindex(pd.MultiIndex.from_product([hours, range(reps)], names=["hour", "rep"]))
    g = g.assign(waits=g["waits"].fillna(0)).groupby("hour")
    out = pd.DataFrame(index=pd.Index(hours, name="hour"))
    out["observed_per_day"] = seen["waits"].reindex(out.index).fillna(0) / len(dates)
    t = stats.t.ppf(0.975, max(reps - 1, 1))
    per_day = g["waits"].mean() / len(dates)
    spread_day = t * g["waits"].std().fillna(0) / len(dates) * np.sqrt(1 + 1 / reps)
    out["simulated_per_day"] = per_day
    out["simulated_per_day_plo"] = (per_day - spread_day).clip(lower=0)
    out["simulated_per_day_phi"] = per_day + spread_day
    days_seen = _waits(obs.touches).groupby("hour")["day"].nunique().reindex(out.index).fillna(0)
    out["observed_days"] = days_seen.astype(int)
    few = (seen["waits"].reindex(out.index).fillna(0) < MIN_WAITS) | (days_seen < MIN_DAYS)
    for f in FIGURES:
        out[f"observed_{f}"] = seen[f].reindex(out.index)
        out[f"observed_{f}_lo"], out[f"observed_{f}_hi"] = own[f"{f}_lo"].reindex(out.index), own[
            f"{f}_hi"].reindex(out.index)
        mean, sd = g[f].mean(), g[f].std().fillna(0)
        spread = t * sd * np.sqrt(1 + 1 / reps)
        out[f"simulated_{f}"] = mean
        out[f"simulated_{f}_plo"], out[f"simulated_{f}_phi"] = prediction_interval(mean, sd, reps)
        inside = (out[f"observed_{f}"] >= out[f"simulated_{f}_plo"] - 1e-9) & (
            out[f"observed_{f}"] <= out[f"simulated_{f}_phi"] + 1e-9)
        unfit = few | out[f"observed_{f}"].isna() | ~(spread > 0) | ~(
            out[f"observed_{f}_hi"] > out[f"observed_{f}_lo"])
        out[f"{f}_status"] = np.where(unfit, "too_few", np.where(inside, "ok", "miss"))
        out[f"{f}_ok"] = inside.astype(object).where(~unfit, None)
    return out.reset_index()


MIN_WAITS = 20  # waits an hour needs over the checked days before it is checked
MIN_DAYS = 3  # days with waits an hour needs: the observation's interval resamples days


def check_cells(table: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """A `check` table as text for a page or terminal: hour, waits per day, observed 'value [its interval]' and
    simulated 'mean [prediction interval] ✓/✗' for the mean wait and the share who left; an hour with too few
    observations says so (never ✓, never an interval of zero width, never nan)."""
    few = say("fit_too_few", lang)
    if table.empty:  # no hour had a wait: the columns, no rows
        return pd.DataFrame(columns=["hour", "waits/day", "model waits/day", "mean wait", "model", "left", "model "])

    def seen(f: str, fmt: str) -> pd.Series:
        text = (table[f"observed_{f}"].map(fmt.format) + " [" + table[f"observed_{f}_lo"].map(fmt.format) + "–"
                + table[f"observed_{f}_hi"].map(fmt.format) + "]")
        return text.where(table[f"{f}_status"] != "too_few", few)

    def sim(f: str, fmt: str) -> pd.Series:
        mark = table[f"{f}_status"].map({"ok": " ✓", "miss": " ✗"}).fillna("")
        text = (table[f"simulated_{f}"].map(fmt.format) + " [" + table[f"simulated_{f}_plo"].map(fmt.format) + "–"
                + table[f"simulated_{f}_phi"].map(fmt.format) + "]" + mark)
        return text.where(table[f"simulated_{f}"].notna(), "–")

    pct = "{:.1%}"
    return pd.DataFrame({"hour": table["hour"], "waits/day": table["observed_per_day"].round(2),
                         "model waits/day": table["simulated_per_day"].map("{:.2f}".format) + " ["
                         + table["simulated_per_day_plo"].map("{:.2f}".format) + "–"
                         + table["simulated_per_day_phi"].map("{:.2f}".format) + "]",
                         "mean wait": seen("mean", "{:.2f}"), "model": sim("mean", "{:.2f}"),
                         "left": seen("abandon", pct), "model ": sim("abandon", pct)})


@dataclass(frozen=True)
class Agreement:
    """How well a check's hours agree, figure by figure: coverage, mean absolute error, hours that miss."""

    hours: int
    covered: dict[str, int]
    mae: dict[str, float]
    missed: dict[str, list[int]]
    abandon_observed: float
    abandon_simulated: float
    too_few: list[int] = field(default_factory=list)  # hours with too few observations to check

    def reproduces(self, share: float = 0.8) -> bool:
        """Whether the observed mean wait lies inside the model's interval in at least `share` of the hours."""
        return self.hours > 0 and self.covered["mean"] >= share * self.hours


def agreement(table: pd.DataFrame, obs: Observed) -> Agreement:
    """Summarise a `check` table: only hours with enough observations to check count (`too_few` lists the rest)."""
    seen = table[table["mean_status"] != "too_few"]
    w = _waits(obs.touches)
    return Agreement(
        len(seen),
        {f: int((seen[f"{f}_status"] == "ok").sum()) for f in FIGURES},
        {f: float((seen[f"observed_{f}"] - seen[f"simulated_{f}"]).abs().mean()) if len(seen) else 0.0
         for f in FIGURES},
        {f: [int(h) for h in seen.loc[seen[f"{f}_status"] == "miss", "hour"]] for f in FIGURES},
        float(w["left"].mean()) if len(w) else 0.0,
        float((table["simulated_abandon"].fillna(0) * table["simulated_per_day"]).sum()
              / max(table["simulated_per_day"].sum(), 1e-12)),
        [int(h) for h in table.loc[table["mean_status"] == "too_few", "hour"]],
    )
