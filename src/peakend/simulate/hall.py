"""A simulated hall-day: arrivals, routes and stations turned into visits and touches of the event contract.

Every visit is a run of rows, one per moment of its route, held as NumPy arrays sorted by
(visit, position). Durations outside stations are drawn at once per moment; then the stations
are passed in route order (`queue.serve`), each filling in the waits of its customers and
ending, or re-routing, the visits that reneged, balked or were diverted.
"""

from __future__ import annotations

import graphlib
import itertools
import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peakend.blueprint.model import Blueprint
from peakend.simulate.config import ConfigError, HallConfig
from peakend.simulate.stations import BALKED, DIVERTED, RENEGED, Policy, serve

ABANDONED = "abandoned"


@dataclass(frozen=True)
class HallModel:
    """What a configuration means for the simulator, worked out once: moment codes, routes, station order."""

    cfg: HallConfig
    moments: list[str]
    routes: list[str]
    route_moments: np.ndarray  # route × position → moment code, −1 past the route's end
    station_of: np.ndarray  # moment code → station index, −1 outside stations
    stations: list[str]  # in route order
    staffed: np.ndarray  # moment code → whether a staff member serves it (frontstage lane)
    records_wait: np.ndarray  # moment code → whether it records the wait for the next station (a queue moment)


def prepare(cfg: HallConfig, bp: Blueprint) -> HallModel:
    """Check the configuration against the blueprint and fix the station order (a DAG over all routes)."""
    problems = cfg.problems(bp)
    if problems:
        raise ConfigError(cfg.hall_id, problems)
    moments = bp.moment_ids()
    code = {m: i for i, m in enumerate(moments)}
    routes = [r.id for r in bp.routes]
    longest = max(len(r.moments) for r in bp.routes)
    rm = np.full((len(routes), longest), -1, dtype=np.int64)
    for i, r in enumerate(bp.routes):
        rm[i, : len(r.moments)] = [code[m] for m in r.moments]
    where = cfg.station_of()
    names = list(cfg.stations)
    order = graphlib.TopologicalSorter({s: set() for s in names})
    for r in bp.routes:
        passed = [where[m] for m in r.moments if m in where]
        if len(passed) != len(set(passed)):
            raise ConfigError(cfg.hall_id, [f"route '{r.id}' passes a station twice: {passed}"])
        for a, b in itertools.pairwise(passed):
            order.add(b, a)
    if cfg.diversion:
        to = bp.routes[routes.index(cfg.diversion.to_route)]
        for s in {where[m] for m in to.moments if m in where} - {cfg.diversion.station}:
            order.add(s, cfg.diversion.station)
    try:
        ordered = list(order.static_order())
    except graphlib.CycleError as exc:
        raise ConfigError(cfg.hall_id, [f"routes pass stations in conflicting orders: {exc.args[1]}"]) from exc
    index = {s: i for i, s in enumerate(ordered)}
    station_of = np.array([index[where[m]] if m in where else -1 for m in moments])
    staffed = np.array([bp.moment(m).lane == "frontstage" for m in moments])
    queue = np.array([m in cfg.queue_moments for m in moments])
    return HallModel(cfg, moments, routes, rm, station_of, ordered, staffed, queue)


@dataclass
class _Rows:
    """The rows of a day being simulated (one per moment of each visit), sorted by (visit, position)."""

    visit: np.ndarray
    pos: np.ndarray
    moment: np.ndarray
    dur: np.ndarray
    wait: np.ndarray
    service: np.ndarray
    outcome: np.ndarray  # object: outcome or None
    alive: np.ndarray

    def take(self, order: np.ndarray) -> _Rows:
        return _Rows(*(getattr(self, f)[order] for f in self.__dataclass_fields__))

    def extend(self, other: _Rows) -> _Rows:
        both = _Rows(*(np.concatenate([getattr(self, f), getattr(other, f)]) for f in self.__dataclass_fields__))
        return both.take(np.lexsort((both.pos, both.visit)))

    def firsts(self) -> np.ndarray:
        """Index of each visit's first row."""
        if not len(self.visit):
            return np.zeros(0, dtype=np.int64)
        return np.r_[0, np.flatnonzero(np.diff(self.visit)) + 1]

    def lasts(self) -> np.ndarray:
        """Index of each visit's last row."""
        if not len(self.visit):
            return np.zeros(0, dtype=np.int64)
        return np.r_[np.flatnonzero(np.diff(self.visit)), len(self.visit) - 1]

    def last_of(self) -> dict[int, int]:
        """Visit → index of its last row."""
        last = self.lasts()
        return dict(zip(self.visit[last].tolist(), last.tolist(), strict=True))

    def drop(self, after: np.ndarray, until: dict[int, int], keep_end: bool) -> None:
        """Skip each visit's rows after row `after` (up to its last row, kept if `keep_end`)."""
        for a, v in zip(after.tolist(), self.visit[after].tolist(), strict=True):
            stop = until[v] + (0 if keep_end else 1)
            self.alive[a + 1 : stop] = False
            self.dur[a + 1 : stop] = 0.0

    def starts(self, arrival: np.ndarray) -> np.ndarray:
        """Minute each row starts: its visit's arrival plus the durations of the rows before it."""
        cs = np.cumsum(self.dur)
        first = self.firsts()
        before = np.repeat(cs[first] - self.dur[first], np.diff(np.r_[first, len(self.visit)]))
        return arrival[self.visit] + cs - self.dur - before


def _rows(model: HallModel, route: np.ndarray, rng: np.random.Generator, start_pos: np.ndarray | None = None) -> _Rows:
    """Rows for visits on `route` (codes), from position `start_pos` of each route (0 by default)."""
    length = (model.route_moments[route] >= 0).sum(axis=1)
    first = np.zeros(len(route), dtype=np.int64) if start_pos is None else start_pos
    count = length - first
    visit = np.repeat(np.arange(len(route)), count)
    pos = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + np.repeat(first, count)
    moment = model.route_moments[route[visit], pos]
    return _Rows(visit, pos, moment, *_durations(model, moment, rng), np.full(len(visit), None, dtype=object),
                 np.ones(len(visit), dtype=bool))


def _durations(model: HallModel, moment: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Duration, wait (NaN) and service time of each row; a queue moment lasts its wait, filled in later."""
    dur = np.zeros(len(moment))
    for m in np.unique(moment):
        mask = moment == m
        if not model.records_wait[m]:
            dist = model.cfg.service.get(model.moments[m], model.cfg.default_service)
            dur[mask] = dist.sample(rng, int(mask.sum()))
    service = np.where(model.records_wait[moment], np.nan, dur)
    return dur, np.full(len(moment), np.nan), service


def _arrivals(cfg: HallConfig, day: date, rng: np.random.Generator) -> np.ndarray:
    """Arrival minutes from midnight, sorted: a Poisson process with a constant rate within each hour."""
    factor = cfg.day_factor(day)
    hours = np.arange(cfg.opens, cfg.closes)
    counts = rng.poisson([cfg.arrivals.get(int(h), 0.0) * factor for h in hours])
    return np.sort(np.repeat(hours * 60.0, counts) + rng.uniform(0, 60, counts.sum()))


def _choose(shares: dict[str, float], names: list[str], n: int, rng: np.random.Generator) -> np.ndarray:
    p = np.array([shares.get(x, 0.0) for x in names])
    return rng.choice(len(names), size=n, p=p / p.sum())


@dataclass(frozen=True)
class Day:
    """One simulated hall-day in the event contract (no ratings yet: `experience.rate` adds them)."""

    visits: pd.DataFrame
    touches: pd.DataFrame


def simulate_day(model: HallModel, day: date, rng: np.random.Generator, prefix: str = "S") -> Day:
    """Simulate one day of the hall; ids are `{prefix}{yymmdd}-{n}` so that replications and days never clash."""
    cfg = model.cfg
    arrival = _arrivals(cfg, day, rng)
    route = _choose(cfg.routes, model.routes, len(arrival), rng)
    # Segments are drawn at arrival when they set a priority (else at the end: the same draws as before).
    segment = _choose(cfg.segments, list(cfg.segments), len(arrival), rng) if cfg.priority else None
    rows = _rows(model, route, rng)
    ended = np.zeros(len(arrival), dtype=bool)
    rank = None if segment is None else np.array([cfg.priority.get(x, 0) for x in cfg.segments])[segment]
    for k, name in enumerate(model.stations):
        rows = _station(model, k, name, rows, arrival, route, ended, rng, rank)
    _outcomes(model, rows, ended, rng)
    return _frames(model, day, prefix, arrival, route, rows, rng, segment)


def _station(model: HallModel, k: int, name: str, rows: _Rows, arrival: np.ndarray, route: np.ndarray,
             ended: np.ndarray, rng: np.random.Generator, rank: np.ndarray | None = None) -> _Rows:
    """Pass station `k`: fill in waits, end visits that reneged or balked, re-route diverted ones."""
    cfg, station = model.cfg, model.cfg.stations[name]
    at = np.flatnonzero((model.station_of[rows.moment] == k) & ~ended[rows.visit] & rows.alive)
    if not len(at):
        return rows
    prev = np.maximum(at - 1, 0)
    queued = (rows.visit[prev] == rows.visit[at]) & model.records_wait[rows.moment[prev]] & (at > 0)
    waits_at = np.where(queued, prev, at)
    starts = rows.starts(arrival)[waits_at]
    order = np.argsort(starts, kind="stable")
    at, waits_at, queued, starts = at[order], waits_at[order], queued[order], starts[order]
    div = cfg.diversion if cfg.diversion and cfg.diversion.station == name else None
    policy = Policy(cfg.balk_per_server or math.inf, div.waiting_per_server if div else math.inf,
                    frozenset(div.hours) if div and div.hours is not None else None)
    divertible = None
    if div:
        allowed = np.isin(route[rows.visit[at]], [model.routes.index(r) for r in div.routes])
        divertible = allowed & (rng.random(len(at)) < div.share)
    patience = cfg.patience.sample(rng, len(at)) if cfg.patience else None
    passed = serve(starts, rows.dur[at], station.schedule(cfg.opens, cfg.closes), cfg.opens, patience, policy,
                   divertible, None if rank is None else rank[rows.visit[at]])
    rows.wait[waits_at] = passed.wait
    rows.dur[waits_at] = np.where(queued, passed.wait, rows.dur[waits_at] + passed.wait)
    gone = (passed.status == RENEGED) | (passed.status == BALKED)
    if gone.any():
        _end_early(model, rows, at[gone], waits_at[gone], queued[gone], passed.wait[gone])
        ended[rows.visit[at[gone]]] = True
    diverted = passed.status == DIVERTED
    if diverted.any():
        rows = _divert(model, rows, waits_at[diverted], at[diverted], queued[diverted], route, rng)
    return rows


def _end_early(model: HallModel, rows: _Rows, at: np.ndarray, waits_at: np.ndarray, queued: np.ndarray,
               wait: np.ndarray) -> None:
    """Visits that left the queue: the waiting row is abandoned, the rest of the route skipped but its end
    (leaving the hall), unless the route ends at a station (a call centre's last moment is the call itself)."""
    rows.outcome[waits_at] = ABANDONED
    rows.dur[at[~queued]] = wait[~queued]
    rows.service[at[~queued]] = np.nan
    last = rows.last_of()
    for keep_end in (True, False):
        mine = np.array([(model.station_of[rows.moment[last[v]]] < 0) == keep_end
                         for v in rows.visit[waits_at].tolist()], dtype=bool)
        if mine.any():
            rows.drop(waits_at[mine], last, keep_end=keep_end)


def _divert(model: HallModel, rows: _Rows, waits_at: np.ndarray, at: np.ndarray, queued: np.ndarray, route: np.ndarray,
            rng: np.random.Generator) -> _Rows:
    """Diverted visits keep their rows up to the queue and continue on the diversion's route from there."""
    div = model.cfg.diversion
    assert div is not None
    to = model.routes.index(div.to_route)
    to_moments = model.route_moments[to].tolist()
    kept_last = np.where(queued, waits_at, at - 1)
    resume = []
    for m in rows.moment[kept_last].tolist():
        if m not in to_moments:
            raise ConfigError(model.cfg.hall_id, [f"diversion.to_route '{div.to_route}' has no moment "
                                                 f"'{model.moments[m]}' to continue from"])
        resume.append(to_moments.index(m) + 1)
    visits = rows.visit[kept_last]
    rows.drop(kept_last, rows.last_of(), keep_end=False)
    rows.wait[waits_at[queued]] = np.nan  # the wait of the new station fills it in
    rows.dur[waits_at[queued]] = 0.0
    route[visits] = to
    tail = _rows(model, np.full(len(visits), to), rng, np.array(resume))
    tail.visit = visits[tail.visit]
    tail.pos = tail.pos + 1000  # after every row of the original route
    return rows.extend(tail)


def _outcomes(model: HallModel, rows: _Rows, ended: np.ndarray, rng: np.random.Generator) -> None:
    """Draw configured outcomes; the last row of a visit gets the visit's: abandoned, unresolved or resolved."""
    for moment, shares in model.cfg.outcomes.items():
        mask = (rows.moment == model.moments.index(moment)) & rows.alive & (rows.outcome == None)  # noqa: E711
        labels = list(shares)
        rows.outcome[mask] = np.array(labels, dtype=object)[_choose(shares, labels, int(mask.sum()), rng)]
    last = rows.lasts()
    bad = ((rows.outcome == "unresolved") | (rows.outcome == "complaint")) & rows.alive
    bad_visit = np.logical_or.reduceat(bad, rows.firsts()) if len(bad) else bad  # rows are sorted by visit
    end = np.where(ended[rows.visit[last]], ABANDONED, np.where(bad_visit, "unresolved", "resolved"))
    rows.outcome[last] = np.where(rows.outcome[last] == None, end, rows.outcome[last])  # noqa: E711


def _numbered(*parts: str | tuple[np.ndarray, int]) -> pa.Array:
    """Ids joined from text and numbers zero-padded to a width (`(numbers, width)`), one per row.

    When every number fits its width, every id has the same length and NumPy writes their bytes into one
    buffer (a Python f-string per id would dominate a day, and Arrow's cast, pad and join cost a quarter of
    the day's tables); otherwise Arrow pads and joins.
    """
    fields = [(p.encode(), None, len(p.encode())) if isinstance(p, str) else (b"", p[0], p[1]) for p in parts]
    n = len(next(x for _, x, _ in fields if x is not None))
    width = sum(w for _, _, w in fields)
    fits = all(x is None or not n or (x.min() >= 0 and x.max() < 10**w) for _, x, w in fields)
    if not fits or n * width >= 2**31:
        return pc.binary_join_element_wise(*(pa.scalar(p) if isinstance(p, str) else pc.utf8_lpad(
            pc.cast(pa.array(p[0]), pa.string()), p[1], "0") for p in parts), "")
    out, at = np.empty((n, width), dtype=np.uint8), 0
    for text, numbers, w in fields:
        if numbers is None:
            out[:, at : at + w] = np.frombuffer(text, dtype=np.uint8)
        else:
            x = np.asarray(numbers, dtype=np.int64)
            for col in range(at + w - 1, at - 1, -1):
                out[:, col] = 48 + x % 10  # the ASCII digit
                x = x // 10
        at += w
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32) if n else np.zeros(1, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(out)])


def _named(names: list[str], codes: np.ndarray) -> pa.Array:
    """Text column of `names[code]` per row, without a Python string per row."""
    return pa.array(names).take(pa.array(codes))


def _clock(midnight: float, minutes: np.ndarray) -> pa.Array:
    """Timestamps (to the second) `minutes` after midnight (given as epoch seconds); NaN → null."""
    seconds = np.round(midnight + minutes * 60)
    return pa.array(np.nan_to_num(seconds).astype(np.int64), pa.timestamp("s"), mask=np.isnan(seconds))


def _frames(model: HallModel, day: date, prefix: str, arrival: np.ndarray, route: np.ndarray, rows: _Rows,
            rng: np.random.Generator, segment: np.ndarray | None = None) -> Day:
    """The day's visits and touches as data frames in the event contract (built in Arrow: fast for text)."""
    cfg, n = model.cfg, len(arrival)
    midnight = (day - date(1970, 1, 1)).days * 86400.0
    keep = np.flatnonzero(rows.alive)
    start = rows.starts(arrival)[keep]
    rows = rows.take(keep)
    end = start + rows.dur
    head = f"{prefix}{day:%y%m%d}-"
    ids = _numbered(head, (np.arange(n), 4))
    first = rows.firsts()
    seq = np.arange(len(rows.visit)) - np.repeat(first, np.diff(np.r_[first, len(rows.visit)])) + 1
    staff = pa.array([f"{cfg.hall_id[:2]}{s:02d}" for s in range(1, cfg.staff + 1)])
    own = rng.integers(0, cfg.staff, n)[rows.visit]  # one staff member looks after a visit
    vid = ids.take(pa.array(rows.visit))
    touches = pa.table({
        "touch_id": _numbered(head, (rows.visit, 4), "-", (seq, 1)),
        "visit_id": vid,
        "moment_id": _named(model.moments, rows.moment),
        "seq": seq,
        "start_at": _clock(midnight, start),
        "end_at": _clock(midnight, end),
        "staff_id": staff.take(pa.array(own, mask=~model.staffed[rows.moment])),
        "wait_min": np.round(rows.wait, 2),
        "service_min": np.round(rows.service, 2),
        "outcome": pa.array(rows.outcome, pa.string()),
    })
    last = rows.lasts()
    departure = np.full(n, np.nan)
    departure[rows.visit[last]] = end[last]
    visits = pa.table({
        "visit_id": ids,
        "hall_id": _named([cfg.hall_id], np.zeros(n, dtype=np.int64)),
        "customer_key": _numbered("C", (rng.integers(1, 10**7, n), 7)),
        "segment": _named(list(cfg.segments), _choose(cfg.segments, list(cfg.segments), n, rng)
                          if segment is None else segment),
        "route": _named(model.routes, route),
        "arrival": _clock(midnight, arrival),
        "departure": _clock(midnight, departure),
    })
    # A day's tables are too small to gain from threads; starting them costs more than converting.
    return Day(visits.to_pandas(use_threads=False), touches.to_pandas(use_threads=False))
