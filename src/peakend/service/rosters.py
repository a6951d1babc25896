"""Arrival forecasts, the servers they need, and rosters of named staff as use cases (`ws.rosters`).

`forecast` reads a hall's stored visits and forecasts arrivals per day × hour with a backtest beside it;
`needs` turns a forecast into servers per hour and station through the planner (and Erlang-A); `roster` assigns
the hall's staff to shifts and stations (CP-SAT). A roster is a job (`roster`): the page shows the last one and
the progress of the next, never solves inline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from peakend import settings
from peakend.errors import ConfigError, FitError, PeakendError
from peakend.i18n import WORDS, Lang, say
from peakend.service.jobs import Answer, Job, Outcome, Progress, job_kind
from peakend.simulate import forecast as fc
from peakend.simulate.roster import Person

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace
    from peakend.simulate.config import HallConfig
    from peakend.simulate.hours import Hours as OpeningHours
    from peakend.simulate.plan import Targets
    from peakend.simulate.roster import Roster
    from peakend.simulate.roster_rei import Compared


@dataclass(frozen=True)
class Needed:
    """Servers needed per day × hour × station from a forecast (`upper`: its upper quantile), and the targets."""

    hall: str
    forecast: Forecasted
    table: pd.DataFrame
    targets: Targets
    upper: bool


@dataclass(frozen=True)
class Rostered:
    """A hall's roster for a week: the needs it covers, the solver's roster, and notes."""

    hall: str
    week: str
    needed: Needed
    roster: Roster
    notes: list[str]
    compared: Compared | None = None  # predicted REI against the skill-blind roster (None: `rei_why` says why)
    rei_why: str = ""


class BadStaffFile(PeakendError):
    """A staff file that cannot be loaded: every bad row, field and expectation."""

    key = "roster_bad_file"


@dataclass(frozen=True)
class Forecasted:
    """A hall's forecast: per day × hour (mean, lo, hi, upper), its backtest (None: too few days) and notes."""

    hall: str
    table: pd.DataFrame
    level: float
    backtest: fc.Backtest | None
    notes: list[str]
    days_seen: int


def holidays() -> list[date]:
    """The holidays of setting `holidays`."""
    text = settings.get("holidays") or ""
    return [date.fromisoformat(p.strip()) for p in text.split(",") if p.strip()]


def iso_week(text: str) -> list[date]:
    """The seven days of ISO week `YYYY-Www` (ValueError for anything else)."""
    try:
        year, week = text.strip().upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise PeakendError("fc_bad_week", value=text[:40]) from None
    return [monday + timedelta(days=i) for i in range(7)]


class Rosters:
    """Forecasts, needs and rosters on a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def series(self, hall: str) -> fc.Series:
        """The hall's visits per day × hour (FitError when it has none)."""
        from peakend.simulate.observed import hall_visits

        store = self.ws.store
        with store.lock:
            arrivals = hall_visits(store, hall).select("arrival").to_pandas()["arrival"]
        if arrivals.empty:
            raise FitError("fit_no_visits", hall=hall, between="")
        return fc.hourly_series(arrivals, holidays())

    def forecast(self, hall: str, days: list[date] | None = None, weeks: int = 2, level: float = 0.9,
                 upper: float = 0.9, folds: int = 4) -> Forecasted:
        """Arrivals of `hall` per day × hour on `days` (default: the `weeks` weeks from tomorrow, or from the
        day after its last visit if that is later), with the rolling-origin backtest when there are days enough."""
        series = self.series(hall)
        model = fc.fit(series)
        if days is None:
            start = max(self.ws.clock().date(), series.days()[-1])
            days = fc.future_days(start, weeks)
        table = fc.predict(model, days, holidays(), level, upper)
        try:
            test = fc.backtest(series, folds=folds)
        except ValueError:
            test = None
        return Forecasted(hall, table, level, test, model.notes, len(series.days()))

    def fitted(self, hall: str) -> HallConfig:
        """The hall fitted on its last weeks of visits (kept per store until they change)."""
        from peakend.simulate.whatif import fitted_now

        return fitted_now(self.ws.store, self.ws.blueprint, hall, self.ws.clock().date()).cfg

    def needs(self, hall: str, days: list[date], targets: Targets, upper: bool = False, reps: int = 5,
              seed: int = 0, stations: list[str] | None = None,
              step: Callable[[date, str], None] = lambda _d, _s: None) -> Needed:
        """Servers per day × hour × station for `days` from the forecast (its `upper` quantile if asked), the
        simulation plan against `targets` with Erlang-A beside it; `stations` default to every fitted one."""
        from peakend.simulate.needs import needs

        cfg = self.fitted(hall)
        wanted = stations or list(cfg.stations)
        unknown = [s for s in wanted if s not in cfg.stations]
        if unknown:
            raise ConfigError(hall, [say("no_station", value=", ".join(unknown), expected=", ".join(cfg.stations))])
        f = self.forecast(hall, days)
        table = needs(cfg, self.ws.blueprint, f.table, wanted, targets, "upper" if upper else "mean", reps, seed, step)
        return Needed(hall, f, table, targets, upper)

    # -- the staff a roster assigns ------------------------------------------------------------------------------
    def load_staff(self, hall: str, data: bytes, filename: str, actor: str) -> int:
        """Replace the hall's roster staff by a CSV or YAML file's (BadStaffFile naming every bad value); how many."""
        from peakend.simulate.staff_file import MAX_BYTES, StaffFileError, as_row, people_of, rows_of
        from peakend.store import roster_staff

        try:
            if len(data) > MAX_BYTES:
                raise StaffFileError([f"{filename}: {len(data)} bytes; at most {MAX_BYTES}"])
            people = people_of(rows_of(data, filename), filename)
        except UnicodeDecodeError:
            raise BadStaffFile(problems=f"{filename}: not UTF-8 text; save the file as UTF-8 CSV or YAML") from None
        except StaffFileError as exc:
            raise BadStaffFile(problems="\n".join(exc.problems[:20])) from None
        except Exception as exc:  # a YAML refused or unreadable: named, never a traceback
            raise BadStaffFile(problems=f"{filename}: {exc}") from None
        roster_staff.replace(self.ws.store, hall, [as_row(p) for p in people])
        self.ws.activity.record(actor, "roster_staff", hall, {"people": len(people), "file": filename[:200]})
        return len(people)

    def staff(self, hall: str, lang: Lang | None = None) -> list[Person]:
        """The hall's roster staff, named as the file named them (else by `peakend hall name --staff`), each with
        their scorecard's shrunk experience when they have one."""
        from peakend.scoring.staff import scorecards
        from peakend.simulate.staff_file import people_of
        from peakend.store import roster_staff
        from peakend.store.halls import names

        rows = roster_staff.rows(self.ws.store, hall)
        if not rows:
            return []
        named = names(self.ws.store, "staff", lang or self.ws.lang)
        cards = scorecards(self.ws.store, {hall}) if self.ws.store.has_table("touch_scores") else pd.DataFrame()
        shrunk = dict(zip(cards["staff_id"].astype(str), cards["shrunk"], strict=True)) if len(cards) else {}
        people = people_of([{k: ("" if v is None else v) for k, v in r.items()} for r in rows], "roster_staff")
        return [replace(p, name=p.name if p.name != p.staff_id else named.get(p.staff_id, p.staff_id),
                        score=_number(shrunk.get(p.staff_id))) for p in people]

    def staff_table(self, hall: str, lang: Lang | None = None) -> pd.DataFrame:
        """The hall's roster staff as a table (what the page and the CLI show)."""
        from peakend.simulate.staff_file import as_row

        people = self.staff(hall, lang)
        return pd.DataFrame([{**as_row(p), "score": p.score} for p in people],
                            columns=["staff_id", "name", "stations", "max_day", "max_week", "contract", "days_off",
                                     "unavailable", "score"])

    # -- the roster ------------------------------------------------------------------------------------------
    def roster(self, hall: str, week: str, targets: Targets, upper: bool = False, reps: int = 5, seed: int = 0,
               time_limit: float = 60.0, step: Callable[[int, int, str], None] = lambda _d, _t, _s: None) -> Rostered:
        """The roster of `hall` for ISO `week`: needs from the forecast, then CP-SAT over the hall's staff."""
        from peakend.simulate.roster import Rules, solve

        people = self.staff(hall)
        if not people:
            raise PeakendError("roster_no_staff", hall=hall)
        days = iso_week(week)
        cfg = self.fitted(hall)
        wanted = sorted({s for p in people for s in p.stations} & set(cfg.stations))
        notes = [say("roster_unknown_station", self.ws.lang, staff=p.name, station=s, known=", ".join(cfg.stations))
                 for p in people for s in sorted(p.stations - set(cfg.stations))]
        if not wanted:
            raise PeakendError("roster_no_station", hall=hall, known=", ".join(cfg.stations))
        total, done = len(days) * len(wanted) + 1, [0]

        def one(d: date, s: str) -> None:
            step(done[0], total, f"{d} {s}")
            done[0] += 1

        needed = self.needs(hall, days, targets, upper, reps, seed, wanted, one)
        step(total - 1, total, "solve")
        need = needed.table.rename(columns={"servers": "need"})[["day", "hour", "station", "need"]]
        rules, peaks = Rules(time_limit=time_limit), self.peak_stations(cfg)
        roster = solve(people, need, rules, peaks)
        compared, why = None, self.rei_why(people, peaks, roster.status)
        if not why:
            step(total - 1, total, "rei")
            blind = solve([replace(p, score=None) for p in people], need, rules, peaks)
            compared = self.compare(cfg, needed, roster, blind, people, reps, seed)
        return Rostered(hall, week, needed, roster, notes, compared, why)

    def rei_why(self, people: list[Person], peaks: frozenset[str], status: str) -> str:
        """Why a roster's REI is not compared with a skill-blind one, as a message key ('' when it is)."""
        if status == "unknown":
            return "roster_rei_unsolved"
        if not peaks:
            return "roster_rei_no_peak"
        if len({p.score for p in people if p.score is not None}) < 2:
            return "roster_rei_no_cards"
        return ""

    def compare(self, cfg: HallConfig, needed: Needed, aware: Roster, blind: Roster, people: list[Person],
                reps: int, seed: int) -> Compared:
        """The predicted REI of the week under `aware` and `blind` (roster_rei.compare): each day simulated with
        the forecast's arrivals and, at the rostered stations, the servers needed hour by hour."""
        from peakend.simulate.needs import day_config
        from peakend.simulate.roster_rei import compare, effects

        f, table = needed.forecast.table, needed.table
        days = []
        for d, g in f.groupby("day", sort=True):
            one = day_config(cfg, dict(zip(g["hour"].astype(int), g["mean"].astype(float), strict=True)))
            mine = table[table["day"] == d]
            stations = {s: one.stations[s].model_copy(update={"servers": {int(h): int(n) for h, n in zip(
                m["hour"], m["servers"], strict=True)}}) for s, m in mine.groupby("station") if s in one.stations}
            days.append((d, one.model_copy(update={"stations": {**one.stations, **stations}})))
        return compare(days, self.ws.blueprint, aware.assigned, blind.assigned,
                       effects({p.staff_id: p.score for p in people}), max(reps, 2), seed)

    def opening_hours(self, hall: str, week: str, wait_min: float = 10.0, share: float = 0.8, keep: float = 0.95,
                      reps: int = 3, seed: int = 0) -> list[OpeningHours]:
        """Per weekday of ISO `week`: today's hours and the ones keeping `keep` of the forecast arrivals at the
        fewest server-hours needed to serve `share` within `wait_min` minutes (simulate/hours.py)."""
        from peakend.simulate.hours import opening_hours
        from peakend.simulate.plan import Targets

        if not 0 < keep <= 1:
            raise PeakendError("hours_bad_keep", value=keep)
        targets = Targets(wait_min, share, 0.0, None)
        needed = self.needs(hall, iso_week(week), targets, reps=reps, seed=seed)
        return opening_hours(needed.forecast.table, needed.table, keep, targets.share)

    def peak_stations(self, cfg: HallConfig) -> frozenset[str]:
        """The stations that serve a moment the blueprint gives the role of peak."""
        peaks = {m.id for m in self.ws.blueprint.moments if m.role == "peak"}
        return frozenset(k for k, st in cfg.stations.items() if peaks & set(st.moments))

    def roster_answer(self, owner: str, hall: str, week: str, upper: bool = False) -> Answer:
        """The roster of `hall` for `week` as a job (pages): the last one and the job computing the next."""
        iso_week(week)
        return self.ws.jobs.answer("roster", {"hall": hall, "week": week, "upper": upper}, owner, frozenset([hall]),
                                   0)

    def roster_here(self, hall: str, week: str, lang: Lang, out: Path | None = None, upper: bool = False,
                    reps: int = 3, time_limit: float = 60.0) -> list[str | tuple[str, pd.DataFrame]]:
        """The roster of `hall` for `week` run here as a job (the command line's), shown (`roster_shown`);
        PeakendError with the job's error when it failed."""
        iso_week(week)
        params = {"hall": hall, "week": week, "upper": upper, "reps": reps, "time_limit": time_limit}
        job = self.ws.jobs.run_here("roster", params, "cli", frozenset([hall]))
        if job.state != "done" or job.result is None:
            raise PeakendError(value=job.error(lang))
        return roster_shown(job.result, self.ws.jobs.frames(job.job_id), lang, out)

    def roster_latest(self, hall: str) -> Job | None:
        """The latest roster of `hall` that finished (for the page and the export), whatever its week."""
        for job in self.ws.jobs.recent(kinds=("roster",), limit=50):
            if job.state == "done" and job.params.get("hall") == hall:
                return job
        return None


def forecast_shown(f: Forecasted, lang: Lang, out: Path | None = None) -> list[str | tuple[str, pd.DataFrame]]:
    """A forecast as the CLI shows it: title, notes, the backtest, per day, and per hour of the first week; with
    `out`, the forecast per day × hour written there as CSV (and said so)."""
    t = f.table
    shown: list[str | tuple[str, pd.DataFrame]] = [
        say("fc_title", lang, hall=f.hall, first=t["day"].min(), last=t["day"].max(), level=f.level),
        *(say("fc_note", lang, note=n) for n in f.notes)]
    if f.backtest is None:
        shown.append(say("fc_no_backtest", lang, days=f.days_seen))
    else:
        b = f.backtest
        shown.append(say("fc_backtest", lang, folds=len(b.folds), mase=b.mase, naive=b.naive_mase))
        shown.append(("", b.folds.drop(columns="cells").round(3).rename(columns={
            "origin": word("fc_fold", lang), "mae": word("fc_mae", lang), "naive_mae": word("fc_naive_mae", lang),
            "scale": word("fc_scale", lang)})))
        if b.mase >= 1:
            shown.append(say("fc_backtest_worse", lang, mase=b.mase))
    days = t.groupby("day").agg(mean=("mean", "sum"), lo=("day_lo", "first"), hi=("day_hi", "first"),
                                holiday=("holiday", "first"))
    days = days.reset_index().round(0)
    shown.append((say("fc_days", lang), days.rename(columns=_columns(lang))))
    week = t[t["day"] < t["day"].min() + timedelta(days=7)]
    wide = week.pivot(index="hour", columns="day", values="mean").round(1)
    wide.columns = [f"{d:%m-%d %a}" for d in wide.columns]
    shown.append((say("fc_hours", lang), wide.reset_index().rename(columns={"hour": word("fc_hour", lang)})))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        t.to_csv(out, index=False, encoding="utf-8")
        shown.append(say("fc_written", lang, path=out))
    return shown


def _columns(lang: Lang) -> dict[str, str]:
    return {k: word(f"fc_{k}", lang) for k in ("day", "hour", "mean", "lo", "hi", "holiday")}


def word(key: str, lang: Lang) -> str:
    """A column heading of the catalogue in `lang`."""
    return say(key, lang)


def _number(value: object) -> float | None:
    """A float, or None for a missing or NaN value."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if out != out else out


@job_kind("roster")
def roster_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """A roster as a job: needs per day and station (progress), then the solve; the tables kept as frames."""
    from peakend.simulate.plan import Targets

    p = job.params
    done = ws.rosters.roster(p["hall"], p["week"], Targets(rei=0.0), bool(p.get("upper")), int(p.get("reps", 3)),
                             time_limit=float(p.get("time_limit", 60.0)),
                             step=lambda d, t, s: progress(done=d, total=t, step=s))
    r, test = done.roster, done.needed.forecast.backtest
    result = {"hall": done.hall, "week": done.week, "status": r.status, "uncovered": r.uncovered,
              "need": int(r.coverage["need"].sum()) if len(r.coverage) else 0, "notes": done.notes + r.notes,
              "mase": None if test is None else test.mase, "naive_mase": None if test is None else test.naive_mase,
              "upper": done.needed.upper, "rei": _compared(done.compared), "rei_why": done.rei_why}
    return Outcome(result, {"shifts": _jsonable(r.shifts), "coverage": _jsonable(r.coverage),
                            "hours": r.hours, "needs": _jsonable(done.needed.table)})


def _compared(c: Compared | None) -> dict | None:
    """The comparison as the job keeps it: [mean, low, high] of each roster's REI and of the gain."""
    if c is None:
        return None
    return {k: [round(v.mean, 3), round(v.low, 3), round(v.high, 3)] for k, v in
            (("aware", c.aware), ("blind", c.blind), ("gain", c.gain))} | {"reps": c.reps, "visits": c.visits}


def rei_line(result: dict, lang: Lang) -> str:
    """The roster's predicted REI against the skill-blind one's, or why there is none, in `lang`."""
    c = result.get("rei")
    if not c:
        return say(result["rei_why"], lang) if result.get("rei_why") else ""
    a, b, g = c["aware"], c["blind"], c["gain"]
    return say("roster_rei", lang, aware=a[0], a_lo=a[1], a_hi=a[2], blind=b[0], b_lo=b[1], b_hi=b[2], gain=g[0],
               g_lo=g[1], g_hi=g[2], reps=c["reps"])


def hours_shown(hall: str, week: str, keep: float, rows: list[OpeningHours], lang: Lang) -> list[str]:
    """Opening hours as the CLI shows them: a title, then a line per weekday."""
    days = WORDS["weekday_names"][lang].split(",")
    out = [say("hours_title", lang, hall=hall, week=week, keep=keep)]
    for h in rows:
        out.append(say("hours_line", lang, day=days[h.weekday], today=f"{h.today[0]:02d}:00–{h.today[1]:02d}:00",
                       best=f"{h.best[0]:02d}:00–{h.best[1]:02d}:00", kept=h.kept, away=h.turned_away,
                       waiting=h.waiting, hours=h.server_hours, hours_today=h.server_hours_today))
    return out


def _jsonable(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text (frames are kept as Parquet)."""
    out = frame.copy()
    if "day" in out:
        out["day"] = out["day"].astype(str)
    return out


def roster_shown(result: dict, frames: dict[str, pd.DataFrame], lang: Lang,
                 out: Path | None = None) -> list[str | tuple[str, pd.DataFrame]]:
    """A roster as the CLI shows it: the title, every uncovered hour with why, shifts, hours, needs per station;
    with `out`, the tables written there as an Excel workbook (and said so)."""
    if result["status"] == "unknown":
        return [say("roster_unknown", lang, why="; ".join(result["notes"]))]
    shown: list[str | tuple[str, pd.DataFrame]] = [
        say("roster_title", lang, hall=result["hall"], week=result["week"], status=result["status"],
            covered=result["need"] - result["uncovered"], need=result["need"]),
        *result["notes"],
        *(say("roster_gap", lang, day=g["day"], hours=g["hours"], station=g["station"], uncovered=g["uncovered"],
              why=g["why"]) for g in gap_runs(frames["coverage"], lang))]
    if rei_line(result, lang):
        shown.append(rei_line(result, lang))
    if result.get("mase") is not None:
        shown.append(say("fc_backtest", lang, folds=4, mase=result["mase"], naive=result["naive_mase"]))
    shown.append((say("roster_shifts", lang), frames["shifts"].drop(columns="staff_id")))
    shown.append((say("roster_hours", lang), frames["hours"]))
    needs = frames["needs"]
    for station, g in needs.groupby("station"):
        cell = g.assign(cell=[f"{a} ({b})" if b == b and b is not None else str(a)
                              for a, b in zip(g["servers"], g["erlang_a"], strict=True)])
        wide = cell.pivot(index="hour", columns="day", values="cell").reset_index()
        shown.append((say("roster_needs", lang, station=station), wide))
    if out is not None:
        shown.append(say("fc_written", lang, path=write_roster(frames, out)))
    return shown


def write_roster(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    """The roster's tables as an Excel workbook (a sheet each)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for name in ("shifts", "coverage", "hours", "needs"):
            frames[name].to_excel(book, sheet_name=name, index=False)
    return path


def reason(row: dict | pd.Series, lang: Lang) -> str:
    """Why an hour's need was not covered, in `lang`, from the solver's counts (`roster.why`)."""
    if row["able"] == 0:
        return say("roster_why_nobody", lang, station=row["station"])
    if row["free"] < row["need"]:
        return say("roster_why_few", lang, free=row["free"], able=row["able"], need=row["need"])
    return say("roster_why_limits", lang, free=row["free"], elsewhere=row["elsewhere"], spent=row["spent"],
               kept=row["kept"])


def gap_runs(coverage: pd.DataFrame, lang: Lang) -> list[dict]:
    """The uncovered hours as runs of consecutive hours of a day and station with the same reason."""
    gaps = coverage[coverage["uncovered"] > 0].sort_values(["day", "station", "hour"])
    runs: list[dict] = []
    for row in gaps.to_dict("records"):
        text = reason(row, lang)
        last = runs[-1] if runs else None
        if last and (last["day"], last["station"], last["why"], last["end"]) == (row["day"], row["station"], text,
                                                                                 row["hour"]):
            last["end"] += 1
            last["uncovered"] += int(row["uncovered"])
        else:
            runs.append({"day": str(row["day"]), "station": row["station"], "start": int(row["hour"]),
                         "end": int(row["hour"]) + 1, "uncovered": int(row["uncovered"]), "why": text})
    for r in runs:
        r["hours"] = f"{r['start']:02d}:00–{r['end']:02d}:00"
    return runs
