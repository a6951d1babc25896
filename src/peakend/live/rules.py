"""The rules that run as events arrive: recovery alerts, follow-up cases, survey triggers, advice.

`on_events(store, bp, visit_ids, now)` looks at the visits an ingest just touched and fires
what the blueprint's `live` rules call for. Every fired thing has an id derived from the
events (an alert from its touch, a case and a survey from their visit, advice from its hall
and quarter hour) and is inserted only if new, so an event ingested twice fires nothing
twice. Deadlines, reminders and survey sends become rows of `timers`, run by `timers.tick`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any, cast

import pandas as pd
import pyarrow as pa

from peakend.blueprint.model import CASE_KINDS, Blueprint, CaseKind
from peakend.live.notices import advice_text, alert_text
from peakend.live.outbox import emit, moment_words, peak_end
from peakend.scoring.compiled import compiled_sql, stored_rules
from peakend.scoring.experience import TIE_DIGITS, touch_experience
from peakend.store.db import Store

ANY_OF = "SELECT unnest(?::VARCHAR[])"  # SQL for a list of text values given as one parameter
SLOT_MIN = 15  # diversion advice is given at most once per hall and quarter hour
QUEUE_LOOKBACK_H = 4
VISIT_MAX_H = 24  # a visit that began longer ago than this before the queue's window is not in the queue
TOUCHES_BEFORE_H = 48  # the live rules read a visit's touches from this long before its arrival (finding the hall)


@dataclass
class Fired:
    """How many new things the rules fired."""

    alerts: int = 0
    cases: int = 0
    surveys: int = 0
    advice: int = 0

    def __iadd__(self, other: Fired) -> Fired:
        self.alerts += other.alerts
        self.cases += other.cases
        self.surveys += other.surveys
        self.advice += other.advice
        return self


def on_events(store: Store, bp: Blueprint, visit_ids: Iterable[str], now: datetime) -> Fired:
    """Fire what the rules call for on the visits `visit_ids`, as of `now`; return what was new."""
    ids = sorted({str(v) for v in visit_ids if v is not None})
    if not ids:
        return Fired()
    visits, touches = _load(store, bp, ids)
    with_touches = set(touches["visit_id"])
    left = end_moment_times(bp, touches)
    in_hall, ended = [], []
    for v in visits.itertuples(index=False):
        if str(v.visit_id) not in with_touches:
            continue
        end = _ended_at(v, left.get(str(v.visit_id)))
        if end is None:
            in_hall.append(v)
        else:
            ended.append((v, end))
    alerts = _alerts(store, bp, in_hall, touches, now)  # built before the transaction: it holds the store
    with store.transaction():
        store.insert_rows("alerts", alerts)  # new ids only (looked up), each once: a touch id and a kind
        _tell_alerts(store, bp, alerts, touches)
        return Fired(
            alerts=alerts.num_rows,
            cases=_cases(store, bp, ended, touches),
            surveys=_surveys(store, bp, ended, touches),
            advice=len(insert_new(store, "advice", "advice_id", [
                row for hall, q in queues(store, bp, visits, now).items() if (row := advice(bp, hall, now, q))])),
        )


def existing(store: Store, table: str, key: str, values: list[str], beside: bool = False) -> set[str]:
    """Which of `values` are already keys of `table` (one query: the values go as one array parameter).

    With `beside`, read outside the store's lock (`Store.fetch`): only what is committed counts.
    """
    keys = list(dict.fromkeys(values))
    if not keys:
        return set()
    return {str(r[0]) for r in store.rows(f"SELECT {key} FROM {table} WHERE {key} IN ({ANY_OF})", [keys], beside)}


def insert_new(store: Store, table: str, key: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Insert the rows whose `key` is not in `table` yet (first of equal keys wins); return them."""
    if not rows:
        return []
    found = existing(store, table, key, [str(r[key]) for r in rows])
    new: dict[str, dict[str, object]] = {}
    for r in rows:
        if str(r[key]) not in found:
            new.setdefault(str(r[key]), r)
    store.insert_rows(table, list(new.values()))
    return list(new.values())


def _load(store: Store, bp: Blueprint, ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The visits and their touches (with e, wait and outcome, in journey order)."""
    visits = store.query("SELECT visit_id, hall_id, customer_key, ticket, arrival, departure FROM visits "
                         f"WHERE visit_id IN ({ANY_OF})", [ids], beside=True)
    sql, params = f"SELECT * FROM ({experience_sql(store, bp)}) AS x WHERE visit_id IN ({ANY_OF})", [ids]
    arrivals = pd.to_datetime(visits["arrival"])
    if store.backend == "duckdb" and len(arrivals) and arrivals.notna().all():  # only the recent row groups
        # (PostgreSQL finds a visit's touches by its index; the bound made its plans no faster, 84 ms not 75)
        sql += " AND (start_at >= ? OR start_at IS NULL)"
        params.append((arrivals.min() - timedelta(hours=TOUCHES_BEFORE_H)).to_pydatetime())
    touches = store.query(sql, params, beside=True)
    touches["_order"] = pd.to_datetime(touches["start_at"]).fillna(pd.Timestamp(0))
    touches = touches.sort_values(["visit_id", "_order", "seq", "touch_id"], na_position="first")
    touches["visit_id"] = touches["visit_id"].astype(str)
    return visits, touches.reset_index(drop=True)


def experience_sql(store: Store, bp: Blueprint) -> str:
    """SQL for every touch with its e, wait and outcome (compiled once per store and blueprint)."""
    def build() -> str:
        t = store.table("touches")
        extra = t.select("touch_id", "wait_min", "outcome", "source")
        return str(store.db.compile(touch_experience(t, bp, stored_rules(store, bp)).join(extra, "touch_id")))

    return compiled_sql(store, bp, "experience", build)


def end_moment_times(bp: Blueprint, touches: pd.DataFrame) -> dict[str, datetime]:
    """Each visit's latest time (end, else start) of a touch at an end moment, where it has one."""
    ends = {m.id for m in bp.moments if m.role == "end"}
    t = touches[touches["moment_id"].isin(ends)]
    when = pd.to_datetime(t["end_at"]).fillna(pd.to_datetime(t["start_at"]))
    last = when.groupby(t["visit_id"].astype(str)).max().dropna()
    return {str(k): pd.Timestamp(v).to_pydatetime() for k, v in last.items()}


def _ended_at(visit: Any, end_touch: datetime | None) -> datetime | None:
    """When the visit ended (departure, or its touch of an end moment), None if still in the hall."""
    departure = visit.departure
    if departure is not None and not pd.isna(departure):
        return pd.Timestamp(departure).to_pydatetime()
    return end_touch


def _alerts(store: Store, bp: Blueprint, in_hall: list[Any], touches: pd.DataFrame, now: datetime) -> pa.Table:
    """New recovery alerts for customers still in the hall: a touch at or below alert_e, or a wait past tolerance.

    Built column by column (one Python step per alert: its text), ready for `Store.insert_rows`.
    """
    if not in_hall:
        return pa.table({})
    visits = {str(v.visit_id): v for v in in_hall}
    t = touches[touches["visit_id"].isin(visits)]
    tolerance = {m.id: r.wait.tolerance_min for m in bp.moments if (r := bp.rule_for(m.id)).wait}
    low = t["e"].astype("float64") <= bp.live.alert_e
    long = t["wait_min"].astype("float64") > t["moment_id"].map(tolerance).astype("float64")
    hits = pd.concat([t[mask.fillna(False).astype(bool)].assign(kind=kind)
                      for kind, mask in (("low_e", low), ("long_wait", long))])
    hits["alert_id"] = hits["touch_id"].astype(str) + ":" + hits["kind"]
    old = existing(store, "alerts", "alert_id", hits["alert_id"].tolist(), beside=True)
    hits = hits[~hits["alert_id"].isin(list(old))]
    ids, kinds, moments = (hits[c].astype(str).tolist() for c in ("visit_id", "kind", "moment_id"))
    e, wait = (hits[c].astype("float64").tolist() for c in ("e", "wait_min"))
    tickets = [_ticket(visits[v]) for v in ids]
    texts = [alert_text(bp, *x) for x in zip(kinds, tickets, moments, e, wait, strict=True)]
    column = partial(pa.array, from_pandas=True)  # NaN and NaT as NULL
    return pa.table({
        "alert_id": column(hits["alert_id"].astype(str), pa.string()), "kind": column(kinds, pa.string()),
        "hall_id": column([visits[v].hall_id for v in ids], pa.string()), "visit_id": column(ids, pa.string()),
        "ticket": column(tickets, pa.string()), "moment_id": column(moments, pa.string()),
        "staff_id": column(hits["staff_id"].astype(object), pa.string()),
        "e": column(e, pa.float64()), "wait_min": column(wait, pa.float64()),
        "message_zh": column([zh for zh, _ in texts], pa.string()),
        "message_en": column([en for _, en in texts], pa.string()),
        "fired_at": column([now] * len(ids), pa.timestamp("us")),
        "event_at": column(pd.to_datetime(hits["end_at"]).fillna(pd.to_datetime(hits["start_at"])), pa.timestamp("us")),
    })


@dataclass(frozen=True)
class Ending:
    """What a visit's touches, in journey order, say about how it ended."""

    outcomes: tuple[str, ...] = ()  # the outcomes given, in order
    last_e: float | None = None  # e of the last touch
    first_staff: str | None = None  # staff id of the first touch that names one


def endings(touches: pd.DataFrame) -> dict[str, Ending]:
    """Each visit's Ending, from its touches in journey order (one pass over all visits)."""
    said = touches[touches["outcome"].map(lambda o: isinstance(o, str))]
    outcomes = said.groupby("visit_id", sort=False)["outcome"].agg(tuple).to_dict()
    staffed = touches[touches["staff_id"].map(lambda x: isinstance(x, str) and x != "")]
    staff = staffed.drop_duplicates("visit_id").set_index("visit_id")["staff_id"].to_dict()
    last = touches.drop_duplicates("visit_id", keep="last").set_index("visit_id")["e"]
    return {str(v): Ending(outcomes.get(v, ()), None if pd.isna(e) else float(e), staff.get(v))
            for v, e in last.items()}


def case_kind(bp: Blueprint, ending: Ending) -> CaseKind | None:
    """What a finished visit left to follow up: a complaint, an unresolved business, a negative end."""
    if "complaint" in ending.outcomes:
        return "complaint"
    if ending.outcomes and ending.outcomes[-1] in ("unresolved", "abandoned"):
        return "unresolved"
    if ending.last_e is not None and ending.last_e <= bp.live.negative_end_e:
        return "negative_end"
    return None


def _cases(store: Store, bp: Blueprint, ended: list[tuple[Any, datetime]], touches: pd.DataFrame) -> int:
    """Open follow-up cases, each owned by the staff member of its visit's first touch (first-ask)."""
    rows = []
    how = endings(touches[touches["visit_id"].isin({str(v.visit_id) for v, _ in ended})]) if ended else {}
    for visit, end in ended:
        ending = how[str(visit.visit_id)]
        kind = case_kind(bp, ending)
        if kind is None:
            continue
        rows.append({"case_id": str(visit.visit_id), "visit_id": str(visit.visit_id), "hall_id": visit.hall_id,
                     "kind": kind, "owner": ending.first_staff, "status": "open", "opened_at": end,
                     "deadline": end + timedelta(hours=bp.live.cases[kind].deadline_h)})
    new = insert_new(store, "cases", "case_id", rows)
    _tell_cases(store, bp, new, touches)
    store.insert_rows("case_events", [{"case_id": c["case_id"], "seq": 1, "happened_at": c["opened_at"],
                                       "actor": "system", "action": "opened", "detail": c["kind"]} for c in new])
    timers = []
    for c in new:
        rule = bp.live.cases[cast(CaseKind, c["kind"])]
        deadline = cast(datetime, c["deadline"])
        timers += [("remind", c["case_id"], deadline - timedelta(hours=rule.remind_before_h)),
                   ("escalate", c["case_id"], deadline)]
    schedule(store, timers)
    return len(new)


def _tell_alerts(store: Store, bp: Blueprint, alerts: pa.Table, touches: pd.DataFrame) -> None:
    """An `alert.raised` event per new alert (the outbox), with the visit's peak and end so far."""
    if not alerts.num_rows:
        return
    pe = peak_end(touches[touches["visit_id"].isin(set(alerts.column("visit_id").to_pylist()))])
    for a in alerts.to_pylist():
        peak, end, _ = pe.get(str(a["visit_id"]), (None, None, None))
        emit(store, "alert.raised", str(a["alert_id"]), a["hall_id"], a["fired_at"], {
            "alert_id": a["alert_id"], "hall_id": a["hall_id"], "visit_id": a["visit_id"], "ticket": a["ticket"],
            "kind": a["kind"], "e": a["e"], "wait_min": a["wait_min"], "peak": peak, "end": end,
            **moment_words(bp, a["moment_id"]), "message_zh": a["message_zh"], "message_en": a["message_en"],
            "event_at": a["event_at"], "link": "/inbox"})


def _tell_cases(store: Store, bp: Blueprint, new: list[dict[str, object]], touches: pd.DataFrame) -> None:
    """A `case.opened` event per new case (the outbox), with its visit's peak and end and the peak's moment."""
    if not new:
        return
    pe = peak_end(touches[touches["visit_id"].isin({str(c["visit_id"]) for c in new})])
    for c in new:
        peak, end, moment = pe.get(str(c["visit_id"]), (None, None, None))
        emit(store, "case.opened", str(c["case_id"]), str(c["hall_id"]), cast(datetime, c["opened_at"]), {
            "case_id": c["case_id"], "hall_id": c["hall_id"], "visit_id": c["visit_id"], "kind": c["kind"],
            "owner": c["owner"], "deadline": c["deadline"], "peak": peak, "end": end, **moment_words(bp, moment),
            "link": f"/cases/{c['case_id']}"})


def schedule(store: Store, timers: list[tuple[str, object, datetime]]) -> None:
    """Add timers given as (kind, ref, due), each once: its id is kind:ref."""
    store.insert_rows("timers", [{"timer_id": f"{k}:{r}", "kind": k, "ref": str(r), "due_at": due}
                                 for k, r, due in timers])


def after_quiet_hours(bp: Blueprint, t: datetime) -> datetime:
    """`t`, or the end of the quiet hours it falls in."""
    q = bp.live.survey
    start, end = (time.fromisoformat(x) for x in (q.quiet_start, q.quiet_end))
    at = t.time()
    if start == end:
        return t
    if start < end:  # quiet within one day, e.g. 12:00–14:00
        return datetime.combine(t.date(), end) if start <= at < end else t
    if at >= start:  # overnight, evening part
        return datetime.combine(t.date() + timedelta(days=1), end)
    if at < end:  # overnight, morning part
        return datetime.combine(t.date(), end)
    return t


def peak_moments(touches: pd.DataFrame) -> dict[str, str]:
    """Each visit's peak moment: the touch farthest from neutral (|e| to `TIE_DIGITS`), the later on a tie
    (`touches` in journey order, as `_load` gives them)."""
    t = touches.assign(_a=touches["e"].abs().round(TIE_DIGITS), _i=range(len(touches)))
    t = t[t["_a"].notna()].sort_values(["visit_id", "_a", "_i"])
    return {str(k): str(v) for k, v in t.groupby("visit_id")["moment_id"].last().items()}


def _asked(bp: Blueprint, peak: str | None) -> str | None:
    """The moment the survey asks about: the visit's peak, when the blueprint words a question for it."""
    return peak if peak in bp.moment_ids() and bp.moment(peak).peak_question is not None else None


def _surveys(store: Store, bp: Blueprint, ended: list[tuple[Any, datetime]], touches: pd.DataFrame) -> int:
    """Trigger SMS surveys of ended visits, unless opted out or surveyed within the fatigue window; a survey
    asks about the visit's peak moment too when the blueprint words a question for it."""
    q = bp.live.survey
    todo = [(v, end) for v, end in ended if q.enabled and isinstance(v.customer_key, str) and v.customer_key]
    if not todo:
        return 0
    done: set[str] = set()
    peaks = peak_moments(touches[touches["visit_id"].isin({str(v.visit_id) for v, _ in todo})])
    keys = sorted({str(v.customer_key) for v, _ in todo})
    opted = existing(store, "sms_optouts", "customer_key", keys)
    earliest = min(end for _, end in todo) - timedelta(days=q.fatigue_days)
    last: dict[str, list[tuple[str, datetime]]] = {}
    for key, visit_id, at in store.rows(
            f"SELECT customer_key, visit_id, triggered_at FROM sms_surveys WHERE customer_key IN ({ANY_OF}) "
            "AND status IN ('scheduled', 'sent', 'answered') AND triggered_at > ?", [keys, earliest]):
        last.setdefault(str(key), []).append((str(visit_id), at))
        done.add(str(visit_id))
    rows = []
    for v, end in sorted(todo, key=lambda x: x[1]):
        key, vid = str(v.customer_key), str(v.visit_id)
        if vid in done:
            continue
        recent = any(other != vid and at > end - timedelta(days=q.fatigue_days) for other, at in last.get(key, []))
        status = "skipped_optout" if key in opted else "skipped_fatigue" if recent else "scheduled"
        send_at = after_quiet_hours(bp, end + timedelta(minutes=q.delay_min)) if status == "scheduled" else None
        rows.append({"visit_id": vid, "customer_key": key, "hall_id": v.hall_id, "triggered_at": end,
                     "send_at": send_at, "status": status, "asked_moment": _asked(bp, peaks.get(vid))})
        if status == "scheduled":
            last.setdefault(key, []).append((vid, end))
    new = insert_new(store, "sms_surveys", "visit_id", rows)
    scheduled = [r for r in new if r["status"] == "scheduled"]
    schedule(store, [("survey", r["visit_id"], cast(datetime, r["send_at"])) for r in scheduled])
    return len(scheduled)


@dataclass
class Queue:
    """A hall's queue as of one moment."""

    waiting: int
    counters: int
    service_min: float

    @property
    def predicted_wait_min(self) -> float:
        """Waiting customers per open counter times the recent mean service time."""
        return self.waiting / max(self.counters, 1) * self.service_min


def queues(store: Store, bp: Blueprint, visits: pd.DataFrame, now: datetime) -> dict[str, Queue]:
    """Every hall's queue at `now` (halls of `visits` with anyone waiting): who took a ticket and is not yet
    called or gone, how many counters served in the last `counter_window_min`, their mean service time."""
    q = bp.live.diversion
    halls = sorted({str(h) for h in visits["hall_id"].dropna()})
    if not halls:
        return {}
    counters = ", ".join("?" * len(q.counter_moments))
    rows = store.rows(
        "WITH r AS (SELECT v.hall_id, t.visit_id, t.moment_id, t.staff_id, t.start_at, t.end_at, t.service_min, "
        "v.departure FROM touches t JOIN visits v ON v.visit_id = t.visit_id "
        f"WHERE v.hall_id IN ({', '.join('?' * len(halls))}) AND t.start_at BETWEEN ? AND ? "
        "AND (v.arrival >= ? OR v.arrival IS NULL)), "  # DuckDB reads only the recent row groups of visits
        f"served AS (SELECT * FROM r WHERE moment_id IN ({counters})), "
        "waiting AS (SELECT hall_id, count(DISTINCT visit_id) AS n FROM r WHERE moment_id = ? "
        "AND visit_id NOT IN (SELECT visit_id FROM served) AND (departure IS NULL OR departure > ?) "
        "AND (end_at IS NULL OR end_at > ?) GROUP BY hall_id) "
        "SELECT w.hall_id, w.n, (SELECT count(DISTINCT staff_id) FROM served s WHERE s.hall_id = w.hall_id "
        "AND s.start_at >= ?), (SELECT avg(service_min) FROM served s WHERE s.hall_id = w.hall_id) FROM waiting w",
        [*halls, now - timedelta(hours=QUEUE_LOOKBACK_H), now, now - timedelta(hours=QUEUE_LOOKBACK_H + VISIT_MAX_H),
         *q.counter_moments, q.queue_moment, now, now,
         now - timedelta(minutes=q.counter_window_min)],
    )
    return {str(h): Queue(int(n), int(c or 0), float(m) if m is not None else q.default_service_min)
            for h, n, c, m in rows}


def advice(bp: Blueprint, hall: str, now: datetime, state: Queue) -> dict[str, object] | None:
    """Diversion advice when the hall's queue is past its limits, keyed by hall and quarter hour (None if not)."""
    limits = bp.live.diversion.limits(hall)
    if state.waiting == 0:
        return None
    pressed = (state.counters == 0 or state.waiting / state.counters > limits.per_counter
               or state.predicted_wait_min > limits.predicted_wait_min)
    if not pressed:
        return None
    slot = now.replace(minute=now.minute - now.minute % SLOT_MIN, second=0, microsecond=0)
    zh, en = advice_text(bp, hall, state.waiting, state.counters, state.predicted_wait_min)
    return {"advice_id": f"{hall}:{slot:%Y-%m-%dT%H:%M}", "hall_id": hall, "advised_at": now,
            "waiting": state.waiting, "counters": state.counters,
            "predicted_wait_min": round(state.predicted_wait_min, 1), "message_zh": zh, "message_en": en}


def _ticket(visit: Any) -> str:
    ticket = visit.ticket
    return str(ticket) if isinstance(ticket, str) and ticket else str(visit.visit_id)


__all__ = [
    "CASE_KINDS",
    "Ending",
    "Fired",
    "Queue",
    "advice",
    "after_quiet_hours",
    "case_kind",
    "end_moment_times",
    "endings",
    "existing",
    "insert_new",
    "on_events",
    "queues",
    "schedule",
]
