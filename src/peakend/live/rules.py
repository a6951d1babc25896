"""The rules that run as events arrive: recovery alerts, follow-up cases, survey triggers, advice.

`on_events(store, bp, visit_ids, now)` looks at the visits an ingest just touched and fires
what the blueprint's `live` rules call for. Every fired thing has an id derived from the
events (an alert from its touch, a case and a survey from their visit, advice from its hall
and quarter hour) and is inserted only if new, so an event ingested twice fires nothing
twice. Deadlines, reminders and survey sends become rows of `timers`, run by `timers.tick`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pandas as pd

from peakend.blueprint.model import CASE_KINDS, Blueprint, CaseKind
from peakend.live.text import advice_text, alert_text
from peakend.live.timers import case_event
from peakend.scoring.experience import rules_arrow, touch_experience
from peakend.store.db import Store

SLOT_MIN = 15  # diversion advice is given at most once per hall and quarter hour
QUEUE_LOOKBACK_H = 4


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
    fired = Fired()
    with store.transaction():
        for v in visits.itertuples(index=False):
            ts = touches[touches["visit_id"] == v.visit_id]
            if ts.empty:
                continue
            ended = _ended_at(bp, v, ts)
            if ended is None:
                fired.alerts += _alerts(store, bp, v, ts, now)
            else:
                fired.cases += _case(store, bp, v, ts, ended)
                fired.surveys += _survey(store, bp, v, ended)
        for hall in sorted(set(visits["hall_id"])):
            fired.advice += advise(store, bp, hall, now)
    return fired


def _load(store: Store, bp: Blueprint, ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The visits and their touches (with e, wait and outcome, in journey order)."""
    marks = ", ".join("?" * len(ids))
    visits = store.query("SELECT visit_id, hall_id, customer_key, ticket, arrival, departure FROM visits "
                         f"WHERE visit_id IN ({marks})", ids)
    touches = store.query(f"SELECT * FROM ({experience_sql(store, bp)}) AS x WHERE visit_id IN ({marks})", ids)
    touches["_order"] = pd.to_datetime(touches["start_at"]).fillna(pd.Timestamp(0))
    touches = touches.sort_values(["visit_id", "_order", "seq", "touch_id"], na_position="first")
    return visits, touches.reset_index(drop=True)


def experience_sql(store: Store, bp: Blueprint) -> str:
    """SQL for every touch with its e, wait and outcome: Ibis compiled once per store and blueprint.

    The blueprint's rules are stored as table `live_rules_<hash>` so the SQL refers to real tables only.
    """
    digest = hashlib.sha256(bp.model_dump_json().encode()).hexdigest()[:12]
    key = f"experience_sql:{digest}"
    if key not in store.sql_cache:
        name = f"live_rules_{digest}"
        if not store.has_table(name):
            store.write_frame(name, rules_arrow(bp).to_pandas())
        db = store.db
        t = db.table("touches")
        expr = touch_experience(t, bp, db.table(name)).join(t.select("touch_id", "wait_min", "outcome"), "touch_id")
        store.sql_cache[key] = str(db.compile(expr))
    return store.sql_cache[key]


def _when(row: object) -> datetime | None:
    """A touch's time: its end, else its start."""
    for name in ("end_at", "start_at"):
        value = getattr(row, name)
        if value is not None and not pd.isna(value):
            return pd.Timestamp(value).to_pydatetime()
    return None


def _ended_at(bp: Blueprint, visit: object, ts: pd.DataFrame) -> datetime | None:
    """When the visit ended (departure, or its touch of an end moment), None if still in the hall."""
    departure = visit.departure
    if departure is not None and not pd.isna(departure):
        return pd.Timestamp(departure).to_pydatetime()
    ends = {m.id for m in bp.moments if m.role == "end"}
    last = [_when(r) for r in ts.itertuples() if r.moment_id in ends]
    return max((w for w in last if w), default=None) if last else None


def _alerts(store: Store, bp: Blueprint, visit: object, ts: pd.DataFrame, now: datetime) -> int:
    """Recovery alerts for a customer still in the hall: a touch at or below alert_e, or a long wait."""
    new = 0
    for r in ts.itertuples():
        kinds = []
        if r.e is not None and not pd.isna(r.e) and r.e <= bp.live.alert_e:
            kinds.append("low_e")
        ramp = bp.rule_for(r.moment_id).wait if r.moment_id in bp.moment_ids() else None
        if ramp and r.wait_min is not None and not pd.isna(r.wait_min) and r.wait_min > ramp.tolerance_min:
            kinds.append("long_wait")
        for kind in kinds:
            zh, en = alert_text(bp, kind, visit, r)
            new += store.execute(
                "INSERT INTO alerts (alert_id, kind, hall_id, visit_id, ticket, moment_id, staff_id, e, wait_min, "
                "message_zh, message_en, fired_at, event_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [f"{r.touch_id}:{kind}", kind, visit.hall_id, visit.visit_id, _ticket(visit), r.moment_id,  # type: ignore[attr-defined]
                 _none(r.staff_id), _none(r.e), _none(r.wait_min), zh, en, now, _when(r)],
            )
    return new


def case_kind(bp: Blueprint, ts: pd.DataFrame) -> CaseKind | None:
    """What a finished visit left to follow up: a complaint, an unresolved business, a negative end."""
    outcomes = [o for o in ts["outcome"] if isinstance(o, str)]
    if "complaint" in outcomes:
        return "complaint"
    if outcomes and outcomes[-1] in ("unresolved", "abandoned"):
        return "unresolved"
    last_e = ts["e"].iloc[-1]
    if last_e is not None and not pd.isna(last_e) and last_e <= bp.live.negative_end_e:
        return "negative_end"
    return None


def _case(store: Store, bp: Blueprint, visit: object, ts: pd.DataFrame, ended: datetime) -> int:
    """Open the visit's follow-up case, owned by the staff member of its first touch (first-ask)."""
    kind = case_kind(bp, ts)
    if kind is None:
        return 0
    staff = [s for s in ts["staff_id"] if isinstance(s, str) and s]
    rule = bp.live.cases[kind]
    deadline = ended + timedelta(hours=rule.deadline_h)
    case_id = str(visit.visit_id)  # type: ignore[attr-defined]
    new = store.execute(
        "INSERT INTO cases (case_id, visit_id, hall_id, kind, owner, status, opened_at, deadline) "
        "VALUES (?, ?, ?, ?, ?, 'open', ?, ?) ON CONFLICT DO NOTHING",
        [case_id, case_id, visit.hall_id, kind, staff[0] if staff else None, ended, deadline],  # type: ignore[attr-defined]
    )
    if new:
        case_event(store, case_id, ended, "system", "opened", kind)
        schedule(store, "remind", case_id, deadline - timedelta(hours=rule.remind_before_h))
        schedule(store, "escalate", case_id, deadline)
    return new


def schedule(store: Store, kind: str, ref: str, due: datetime) -> None:
    """Add a timer (once: its id is kind:ref)."""
    store.execute("INSERT INTO timers (timer_id, kind, ref, due_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                  [f"{kind}:{ref}", kind, ref, due])


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


def _survey(store: Store, bp: Blueprint, visit: object, ended: datetime) -> int:
    """Trigger the visit's SMS survey, unless opted out or surveyed within the fatigue window."""
    q = bp.live.survey
    key = visit.customer_key
    if not q.enabled or not isinstance(key, str) or not key:
        return 0
    if store.scalar("SELECT count(*) FROM sms_optouts WHERE customer_key = ?", [key]):
        status, send_at = "skipped_optout", None
    elif store.scalar(
        "SELECT count(*) FROM sms_surveys WHERE customer_key = ? AND status IN ('scheduled', 'sent', 'answered') "
        "AND triggered_at > ? AND visit_id <> ?",
        [key, ended - timedelta(days=q.fatigue_days), visit.visit_id],  # type: ignore[attr-defined]
    ):
        status, send_at = "skipped_fatigue", None
    else:
        status, send_at = "scheduled", after_quiet_hours(bp, ended + timedelta(minutes=q.delay_min))
    new = store.execute(
        "INSERT INTO sms_surveys (visit_id, customer_key, hall_id, triggered_at, send_at, status) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [visit.visit_id, key, visit.hall_id, ended, send_at, status],  # type: ignore[attr-defined]
    )
    if new and send_at is not None:
        schedule(store, "survey", str(visit.visit_id), send_at)  # type: ignore[attr-defined]
    return new if status == "scheduled" else 0


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


def queue_state(store: Store, bp: Blueprint, hall: str, now: datetime) -> Queue:
    """Who is waiting (took a ticket, not yet called, not gone) and how many counters serve, at `now`."""
    q = bp.live.queue
    since = now - timedelta(hours=QUEUE_LOOKBACK_H)
    rows = store.query(
        "SELECT t.visit_id, t.moment_id, t.staff_id, t.start_at, t.end_at, t.service_min, v.departure "
        "FROM touches t JOIN visits v ON v.visit_id = t.visit_id "
        "WHERE v.hall_id = ? AND t.start_at BETWEEN ? AND ?",
        [hall, since, now],
    )
    counter = rows[rows["moment_id"].isin(q.counter_moments)]
    called = set(counter["visit_id"])
    queued = rows[(rows["moment_id"] == q.queue_moment) & ~rows["visit_id"].isin(called)]
    gone = queued["departure"].notna() & (queued["departure"] <= now) | queued["end_at"].notna() & (
        queued["end_at"] <= now)
    waiting = queued.loc[~gone, "visit_id"].nunique()
    recent = counter[counter["start_at"] >= now - timedelta(minutes=q.counter_window_min)]
    served = counter["service_min"].dropna()
    return Queue(int(waiting), int(recent["staff_id"].dropna().nunique()),
                 float(served.mean()) if len(served) else q.default_service_min)


def advise(store: Store, bp: Blueprint, hall: str, now: datetime) -> int:
    """Diversion advice when the hall's queue is past its limits (once per hall and quarter hour)."""
    state = queue_state(store, bp, hall, now)
    limits = bp.live.queue.limits(hall)
    if state.waiting == 0:
        return 0
    pressed = (state.counters == 0 or state.waiting / state.counters > limits.per_counter
               or state.predicted_wait_min > limits.predicted_wait_min)
    if not pressed:
        return 0
    slot = now.replace(minute=now.minute - now.minute % SLOT_MIN, second=0, microsecond=0)
    zh, en = advice_text(bp, hall, state.waiting, state.counters, state.predicted_wait_min)
    return store.execute(
        "INSERT INTO advice (advice_id, hall_id, advised_at, waiting, counters, predicted_wait_min, message_zh, "
        "message_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [f"{hall}:{slot:%Y-%m-%dT%H:%M}", hall, now, state.waiting, state.counters,
         round(state.predicted_wait_min, 1), zh, en],
    )


def _ticket(visit: object) -> str:
    ticket = visit.ticket
    return str(ticket) if isinstance(ticket, str) and ticket else str(visit.visit_id)


def _none(value: object) -> object:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


__all__ = ["CASE_KINDS", "Fired", "Queue", "advise", "after_quiet_hours", "case_kind", "on_events", "queue_state",
           "schedule"]
