"""A week's roster of named staff by constraint programming (OR-Tools CP-SAT).

Each person works at most one shift a day: a start hour and a length from the rules, with a one-hour break in
the middle of a shift longer than `break_after` hours; within a shift every worked hour is spent at one station
the person can work (their skills). Hard: the hall's opening hours, days off (weekdays), hours unavailable,
hours worked a day and a week, days worked a week, rest between the end of one shift and the start of the next.
Soft, in this order of weight: need left uncovered (servers per day × hour × station), overtime past a person's
contracted hours, hours worked (no idle shift is longer than it must be), unfairness (the spread of hours worked
over contracted hours, in percentage points); and, peak-aware, at the stations of the blueprint's peak moments in
each station's busiest hours, a bonus for people whose scorecards are better (never worth an hour's cost, so it
chooses between people, never adds hours).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

UNCOVERED, OVERTIME, HOUR, FAIR, PEAK = 1000, 100, 10, 1, 5  # weights of the objective
BUSIEST = 0.25  # the busiest quarter of a station's hours count as its peak hours
WHY_COLUMNS = ["able", "free", "elsewhere", "spent", "kept"]  # the counts behind an uncovered hour (`why`)


@dataclass(frozen=True)
class Person:
    """A staff member as the roster sees them."""

    staff_id: str
    name: str
    stations: frozenset[str]
    max_day: int = 8  # hours worked a day (a break is not worked)
    max_week: int = 40  # hours worked a week, at most
    contract: int = 36  # hours a week past which an hour is overtime
    days_off: frozenset[int] = frozenset()  # weekdays never worked (Monday 0)
    unavailable: tuple[tuple[date, int, int], ...] = ()  # (day, from hour, to hour exclusive)
    score: float | None = None  # the scorecard's shrunk experience (None: no card)

    def free(self, day: date, hours: Iterable[int]) -> bool:
        """Whether every one of `hours` on `day` is outside the person's days off and unavailable hours."""
        if day.weekday() in self.days_off:
            return False
        return not any(d == day and a <= h < b for d, a, b in self.unavailable for h in hours)


@dataclass(frozen=True)
class Rules:
    """The hall's shift rules."""

    lengths: tuple[int, ...] = (4, 5, 6, 7, 8, 9)  # shift lengths in hours, a break included
    starts: tuple[int, ...] | None = None  # allowed start hours (None: any open hour)
    break_after: int = 6  # a shift longer than this has a one-hour break, not in its first or last two hours
    rest: int = 11  # hours from the end of a shift to the start of the next
    max_days: int = 5  # days worked a week
    time_limit: float = 60.0  # seconds the solver may take


@dataclass(frozen=True)
class Shift:
    """A shift: its hours [start, end), the break hour (None: none)."""

    start: int
    end: int
    brk: int | None

    def worked(self) -> list[int]:
        """The hours worked (the break left out)."""
        return [h for h in range(self.start, self.end) if h != self.brk]


def shifts(opens: int, closes: int, rules: Rules, max_day: int) -> list[Shift]:
    """Every shift the rules allow within the opening hours and `max_day` hours worked."""
    out = []
    for length in rules.lengths:
        for start in rules.starts if rules.starts is not None else range(opens, closes):
            end = start + length
            if start < opens or end > closes:
                continue
            breaks: list[int | None] = [None] if length <= rules.break_after else list(range(start + 2, end - 2))
            out += [Shift(start, end, b) for b in breaks if length - (b is not None) <= max_day]
    return out


@dataclass
class Roster:
    """A solved roster: shifts, hour-by-hour stations, coverage with the reason for every uncovered hour."""

    status: str  # optimal, feasible, or unknown (no roster found within the time limit)
    shifts: pd.DataFrame  # staff_id, name, day, start, end, break_at, hours, stations (worked at, joined)
    assigned: pd.DataFrame  # staff_id, name, day, hour, station
    coverage: pd.DataFrame  # day, hour, station, need, covered, uncovered, why
    hours: pd.DataFrame  # staff_id, name, hours, contract, overtime
    objective: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def uncovered(self) -> int:
        """Server-hours of need left uncovered."""
        return int(self.coverage["uncovered"].sum()) if len(self.coverage) else 0


def solve(people: list[Person], need: pd.DataFrame, rules: Rules | None = None,
          peak_stations: frozenset[str] = frozenset(), workers: int = 8) -> Roster:
    """The roster of `people` for `need` (day, hour, station, need): see the module's docstring."""
    from ortools.sat.python import cp_model

    rules = rules or Rules()
    need = need[need["need"] > 0].reset_index(drop=True)
    days = sorted(set(need["day"]))
    open_hours = {d: (int(g["hour"].min()), int(g["hour"].max()) + 1) for d, g in need.groupby("day")}
    m = cp_model.CpModel()
    x: dict[tuple[int, date], list[tuple[Shift, cp_model.IntVar]]] = {}
    y: dict[tuple[int, date, int, str], cp_model.IntVar] = {}
    hours_of: dict[int, list] = {}
    for i, p in enumerate(people):
        hours_of[i] = []
        for d in days:
            options = [s for s in shifts(*open_hours[d], rules, p.max_day) if p.free(d, range(s.start, s.end))]
            x[i, d] = [(s, m.new_bool_var(f"x{i}_{d}_{s}")) for s in options]
            m.add_at_most_one(v for _, v in x[i, d])
            hours_of[i] += [len(s.worked()) * v for s, v in x[i, d]]
        m.add(sum(hours_of[i]) <= p.max_week)
        m.add(sum(v for d in days for _, v in x[i, d]) <= rules.max_days)
        _rest(m, x, i, days, rules)
    cover = []
    for row in need.itertuples(index=False):
        d, h, s = row.day, int(row.hour), row.station
        mine = []
        for i, p in enumerate(people):
            if s in p.stations:
                v = y.setdefault((i, d, h, s), m.new_bool_var(f"y{i}_{d}_{h}_{s}"))
                mine.append(v)
        u = m.new_int_var(0, int(row.need), f"u{d}_{h}_{s}")
        m.add(sum(mine) + u >= int(row.need))
        cover.append(u)
    at: dict[tuple[int, date, int], list] = {}
    for (i, d, h, _), v in y.items():
        at.setdefault((i, d, h), []).append(v)
    for (i, d, h), vs in at.items():  # a person is at one station in an hour they work, and only then
        works = m.new_bool_var(f"w{i}_{d}_{h}")
        m.add(works == sum(v for s, v in x[i, d] if h in s.worked()))
        m.add(sum(vs) <= works)
    over, ratio = [], []
    for i, p in enumerate(people):
        ot = m.new_int_var(0, 24 * 7, f"ot{i}")
        m.add(ot >= sum(hours_of[i]) - p.contract)
        over.append(ot)
        ratio.append((i, p.contract))
    hi, lo = m.new_int_var(0, 1000, "hi"), m.new_int_var(0, 1000, "lo")
    for i, contract in ratio:
        if contract > 0:
            m.add(100 * sum(hours_of[i]) <= hi * contract)
            m.add(100 * sum(hours_of[i]) >= lo * contract)
    bonus = _peak_bonus(people, need, y, peak_stations)
    m.minimize(UNCOVERED * sum(cover) + OVERTIME * sum(over) + HOUR * sum(sum(h) for h in hours_of.values())
               + FAIR * (hi - lo) - sum(bonus))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = rules.time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    code = solver.solve(m)
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}.get(code, "unknown")
    if status == "unknown":
        return Roster(status, *_empty(), notes=[solver.status_name(code)])
    return _read(solver, people, need, x, y, status, rules)


def _rest(m, x, i: int, days: list[date], rules: Rules) -> None:
    """The rest between shifts on consecutive days: end of one to start of the next ≥ `rules.rest` hours."""
    for a, b in itertools.pairwise(days):
        if (b - a).days != 1 or not x[i, a] or not x[i, b]:
            continue
        for sa, va in x[i, a]:
            early = [vb for sb, vb in x[i, b] if 24 - sa.end + sb.start < rules.rest]
            if early:
                m.add(va + sum(early) <= 1)


def _peak_bonus(people: list[Person], need: pd.DataFrame, y: dict, peak_stations: frozenset[str]) -> list:
    """The bonus terms: at peak stations in their busiest hours, PEAK × a person's scorecard rank (0–1)."""
    scored = {p.staff_id: p.score for p in people if p.score is not None}
    if not scored or not peak_stations:
        return []
    low, high = min(scored.values()), max(scored.values())
    rank = {k: (v - low) / (high - low) if high > low else 0.5 for k, v in scored.items()}
    out = []
    for s, g in need[need["station"].isin(peak_stations)].groupby("station"):
        cut = g["need"].quantile(1 - BUSIEST)
        for row in g[g["need"] >= cut].itertuples(index=False):
            for i, p in enumerate(people):
                v = y.get((i, row.day, int(row.hour), s))
                if v is not None and p.staff_id in rank:
                    out.append(round(PEAK * rank[p.staff_id]) * v)
    return out


def _empty() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (pd.DataFrame(columns=["staff_id", "name", "day", "start", "end", "break_at", "hours", "stations"]),
            pd.DataFrame(columns=["staff_id", "name", "day", "hour", "station"]),
            pd.DataFrame(columns=["day", "hour", "station", "need", "covered", "uncovered", "why", *WHY_COLUMNS]),
            pd.DataFrame(columns=["staff_id", "name", "hours", "contract", "overtime"]))


def _read(solver, people: list[Person], need: pd.DataFrame, x: dict, y: dict, status: str,
          rules: Rules) -> Roster:
    """The solver's values as tables, each uncovered hour with its reason."""
    shift_rows, hour_rows = [], []
    for (i, d), options in x.items():
        for s, v in options:
            if solver.boolean_value(v):
                p = people[i]
                shift_rows.append({"staff_id": p.staff_id, "name": p.name, "day": d, "start": s.start, "end": s.end,
                                   "break_at": s.brk, "hours": len(s.worked())})
    for (i, d, h, s), v in y.items():
        if solver.boolean_value(v):
            hour_rows.append({"staff_id": people[i].staff_id, "name": people[i].name, "day": d, "hour": h,
                              "station": s})
    empty = _empty()
    assigned = pd.DataFrame(hour_rows, columns=empty[1].columns).sort_values(["day", "hour", "station", "name"])
    at = assigned.groupby(["staff_id", "day"])["station"].agg(lambda s: " · ".join(sorted(set(s))))
    shift_rows = [{**r, "stations": at.get((r["staff_id"], r["day"]), "")} for r in shift_rows]
    shifts_df = pd.DataFrame(shift_rows, columns=empty[0].columns).sort_values(["day", "start", "name"])
    shifts_df["break_at"] = shifts_df["break_at"].astype("Int64")
    covered = assigned.groupby(["day", "hour", "station"]).size()
    cov = need.copy()
    cov["covered"] = [int(covered.get((r.day, int(r.hour), r.station), 0)) for r in need.itertuples(index=False)]
    cov["uncovered"] = (cov["need"] - cov["covered"]).clip(lower=0)
    busy = set(zip(assigned["staff_id"], assigned["day"], assigned["hour"], strict=True))
    week = shifts_df.groupby("staff_id").agg(hours=("hours", "sum"), days=("day", "nunique"))
    spent = {k for k, r in week.iterrows() if r["days"] >= rules.max_days
             or r["hours"] >= next(p.max_week for p in people if p.staff_id == k)}
    reasons = pd.DataFrame([why(people, r.day, int(r.hour), r.station, int(r.need), busy, spent)
                            if r.uncovered else dict.fromkeys(WHY_COLUMNS, 0) for r in cov.itertuples(index=False)],
                           columns=WHY_COLUMNS, index=cov.index)
    cov = pd.concat([cov, reasons], axis=1)
    cov["why"] = [why_text(w, c.station, int(c.need)) if c.uncovered else ""
                  for (_, w), c in zip(reasons.iterrows(), cov.itertuples(index=False), strict=True)]
    worked = shifts_df.groupby("staff_id")["hours"].sum()
    hours = pd.DataFrame([{"staff_id": p.staff_id, "name": p.name, "hours": int(worked.get(p.staff_id, 0)),
                           "contract": p.contract} for p in people], columns=["staff_id", "name", "hours", "contract"])
    hours["overtime"] = (hours["hours"] - hours["contract"]).clip(lower=0)
    return Roster(status, shifts_df.reset_index(drop=True), assigned.reset_index(drop=True),
                  cov[["day", "hour", "station", "need", "covered", "uncovered", "why", *WHY_COLUMNS]], hours,
                  float(solver.objective_value))


def why(people: list[Person], day: date, hour: int, station: str, need: int,
        busy: set[tuple[str, date, int]] | None = None, spent: set[str] | None = None) -> dict[str, int]:
    """Why an hour's need at a station was not covered, in counts of the people who can work it: `able` (0: nobody
    can), `free` then (fewer than the need: too few), and of those free: `elsewhere` (at another station or here),
    `spent` (worked their week's hours or days), `kept` (by shift lengths, hours a day, breaks or rest)."""
    busy, spent = busy or set(), spent or set()
    able = [p for p in people if station in p.stations]
    free = [p for p in able if p.free(day, [hour])]
    elsewhere = sum((p.staff_id, day, hour) in busy for p in free)
    done = sum(p.staff_id in spent and (p.staff_id, day, hour) not in busy for p in free)
    return {"able": len(able), "free": len(free), "elsewhere": elsewhere, "spent": done,
            "kept": len(free) - elsewhere - done}


def why_text(row: dict | pd.Series, station: str, need: int) -> str:
    """The reason of `why` in English words (the service says it in the session's language)."""
    if row["able"] == 0:
        return f"nobody can work {station}"
    if row["free"] < need:
        return f"only {row['free']} of {row['able']} who can work {station} are free then (need {need})"
    return (f"of {row['free']} free who can work {station}: {row['elsewhere']} at another station or here, "
            f"{row['spent']} have worked their week (hours or days), {row['kept']} kept by shift lengths, hours a "
            "day, breaks or rest")
