"""The figures the web app shows, as data frames: one function per table.

Pages, the JSON query API and the CSV/XLSX export all call these, so a page and its export
always agree. Every function that takes a hall returns only that hall's rows; checking that
the asker may see the hall is the caller's job (see `auth.Principal.sees`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar, cast

import ibis
import pandas as pd

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.live import cases
from peakend.live.rules import experience_sql
from peakend.loyalty.summary import Loyalty, loyalty
from peakend.scoring import coaching, compare
from peakend.scoring.audits import audits_vs_customers, pass_rates
from peakend.scoring.compare import Verdict
from peakend.scoring.experience import TIE_DIGITS
from peakend.scoring.maturity import maturity
from peakend.scoring.moments import falls
from peakend.scoring.portable import count_if, share
from peakend.scoring.run import require_scores
from peakend.scoring.staff import scorecards
from peakend.store.db import Store
from peakend.text import comments as comments_text
from peakend.text import training
from peakend.text.reading import keyword_key

T = TypeVar("T")
TREND_DAYS = 7
WORST_VISITS = 20


def _names(df: pd.DataFrame, bp: Blueprint, column: str = "moment_id") -> pd.DataFrame:
    names = {m.id: m for m in bp.moments}
    return df.assign(
        moment_zh=df[column].map(lambda i: names[i].zh if i in names else i),
        moment_en=df[column].map(lambda i: names[i].en if i in names else i),
    )


def halls(store: Store, visible: set[str] | None) -> pd.DataFrame:
    """Halls ranked by REI with grade and trend (REI of the last 7 days minus the 7 before).

    `visible` None means every hall.
    """
    require_scores(store)
    hs = store.table("hall_scores")
    vs = store.table("visit_scores")
    if visible is not None:
        hs = hs.filter(hs.hall_id.isin(list(visible) or [""]))
        vs = vs.filter(vs.hall_id.isin(list(visible) or [""]))
    with store.lock:
        frame = hs.order_by("rank").to_pandas()
        last = vs.day.max().execute()
    if frame.empty or last is None:
        return frame.assign(trend=pd.Series(dtype=float))
    last = pd.Timestamp(last).date()
    recent = vs.filter(vs.day > last - timedelta(days=TREND_DAYS))
    before = vs.filter((vs.day <= last - timedelta(days=TREND_DAYS)) & (vs.day > last - timedelta(days=2 * TREND_DAYS)))
    with store.lock:
        r = recent.group_by("hall_id").agg(recent=recent.rei.mean()).to_pandas()
        b = before.group_by("hall_id").agg(before=before.rei.mean()).to_pandas()
    frame = frame.merge(r, on="hall_id", how="left").merge(b, on="hall_id", how="left")
    return frame.assign(trend=frame.recent - frame.before).drop(columns=["recent", "before"])


def graded_halls(store: Store, bp: Blueprint, visible: set[str] | None) -> pd.DataFrame:
    """`halls` with each hall's maturity grade from REI, audits and case timeliness, and what it lacks."""
    return maturity(store, bp, halls(store, visible))


def hall_moments(store: Store, bp: Blueprint, hall_id: str) -> pd.DataFrame:
    """Hall × moment figures of one hall (peak and end share, mean e, negative share, lift)."""
    require_scores(store)
    ms = store.table("moment_scores")
    with store.lock:
        df = ms.filter(ms.hall_id == hall_id).to_pandas()
    order = {m: i for i, m in enumerate(bp.moment_ids())}
    df = df.assign(_o=df.moment_id.map(order)).sort_values("_o").drop(columns="_o")
    return _names(df, bp)


def hall_falls(store: Store, bp: Blueprint, hall_id: str) -> pd.DataFrame:
    """Shares of the hall's visits whose positive peak, negative peak and end fall on each moment."""
    require_scores(store)
    vs = store.table("visit_scores")
    vs = vs.filter(vs.hall_id == hall_id)
    with store.lock:
        total = int(vs.count().execute())
        df = falls(vs).to_pandas()
    df = df.assign(share=df.n / max(total, 1)).drop(columns="n").sort_values(["kind", "moment_id"])
    return _names(df, bp)


def hall_today(store: Store, hall_id: str, today: date | None = None) -> dict[str, object]:
    """Live figures of the hall's latest day up to today, from the raw events (no scoring needed).

    A touch's day is that of its start, else of its visit's arrival. The latest day is looked for
    in the last `TREND_DAYS` first (by start time: an index range on the server, skipped row groups
    in DuckDB), and in all history only when that week is empty.
    """
    today = today or date.today()
    week = _hall_days(store, hall_id, today, today - timedelta(days=TREND_DAYS - 1))
    with store.lock:
        day = week.day.max().execute()
        if day is None or pd.isna(day):
            day = _hall_days(store, hall_id, today, None).day.max().execute()
        if day is None or pd.isna(day):
            return {"day": None, "visits": 0, "touches": 0, "negative_share": None, "unresolved": 0}
        day = pd.Timestamp(day).date()
        d = _hall_days(store, hall_id, day, day)
        low = d.rating_scale.notnull() & (d.rating <= ibis.cases((d.rating_scale == "sat3", 1), else_=2))
        row = d.aggregate(
            visits=d.visit_id.nunique(),
            touches=d.count(),
            low=share(low),
            unresolved=count_if(d.outcome.isin(["unresolved", "complaint", "abandoned"])),
        ).to_pandas().iloc[0]
    return {"day": day, "visits": int(row.visits), "touches": int(row.touches), "negative_share": row.low,
            "unresolved": int(row.unresolved or 0)}


def _hall_days(store: Store, hall_id: str, last: date, first: date | None) -> ibis.Table:
    """The hall's touches with their `day`, of days `first` (None: the earliest) to `last`."""
    v, t = store.table("visits"), store.table("touches")
    if first is not None:  # a start outside the days is a day outside them; no start: the visit's arrival decides
        t = t.filter(t.start_at.isnull() | t.start_at.between(datetime.combine(first, time.min),
                                                               datetime.combine(last, time.max)))
    j = t.join(v.filter(v.hall_id == hall_id).select("visit_id", "arrival"), "visit_id")
    j = j.mutate(day=j.start_at.coalesce(j.arrival).date())
    return j.filter((j.day <= last) & (j.day >= first) if first is not None else j.day <= last)


def moment_distribution(store: Store, hall_id: str, moment_id: str) -> pd.DataFrame:
    """How the hall's experience values at one moment are spread, in tenths from −1 to 1."""
    require_scores(store)
    ts = store.table("touch_scores")
    vs = store.table("visit_scores")
    t = ts.filter((ts.moment_id == moment_id) & ts.visit_id.isin(vs.filter(vs.hall_id == hall_id).visit_id))
    binned = t.mutate(bin=((t.e * 5).round() / 5))
    with store.lock:
        df = binned.group_by("bin").agg(touches=binned.count()).order_by("bin").to_pandas()
    return df


def worst_visits(store: Store, bp: Blueprint, hall_id: str, moment_id: str, limit: int = WORST_VISITS) -> pd.DataFrame:
    """The hall's most recent visits with the worst experience at one moment."""
    require_scores(store)
    ts = store.table("touch_scores")
    vs = store.table("visit_scores").filter(lambda v: v.hall_id == hall_id)
    t = ts.filter(ts.moment_id == moment_id)
    j = t.join(vs, "visit_id").select("visit_id", "arrival", "e", "peak", "end", "rei", "peak_moment", "end_moment")
    with store.lock:
        df = j.order_by([j.e.asc(), j.arrival.desc(), j.visit_id]).limit(limit).to_pandas()
    return df


def visit(store: Store, bp: Blueprint, visit_id: str) -> tuple[dict[str, object] | None, pd.DataFrame]:
    """One visit's record and its touches in journey order, each with e and peak/end marks."""
    v = store.table("visits")
    with store.lock:
        rows = v.filter(v.visit_id == visit_id).drop("customer_key").to_pandas()
    if rows.empty:
        return None, pd.DataFrame()
    record = {k: None if _missing(x) else x for k, x in rows.iloc[0].to_dict().items()}  # no "nan" or "NaT" shown
    # The touches as stored now, each with e by the blueprint's rules (scored yet or not: pages read what is stored).
    touches = store.query(f"SELECT * FROM ({experience_sql(store, bp)}) AS x WHERE visit_id = ?", [visit_id])
    touches = touches.sort_values(["start_at", "seq", "touch_id"], na_position="first").reset_index(drop=True)
    if len(touches):
        intensity = touches.e.abs().round(TIE_DIGITS)
        ties = touches.index[intensity == intensity.max()]
        touches["is_peak"] = touches.index == ties[-1]  # the later touch wins a tie, as in scoring
        touches["is_end"] = touches.index == len(touches) - 1
        peak, end, mean = touches.e[ties[-1]], touches.e.iloc[-1], touches.e.mean()
        w = bp.weights
        remembered = w.peak * peak + w.end * end + w.mean * mean
        record.update(peak=peak, end=end, mean=mean, rei=50 * (1 + remembered),
                      peak_moment=touches.moment_id[ties[-1]], end_moment=touches.moment_id.iloc[-1])
    return record, _names(touches, bp)


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array: not one missing value
        return False


_per_run: weakref.WeakKeyDictionary[Store, dict[tuple[int, object], Any]] = weakref.WeakKeyDictionary()


def once_per_run(store: Store, key: object, make: Callable[[], T]) -> T:
    """`make()`, computed once per scoring run of `store` for `key` (figures that take seconds)."""
    run = int(store.scalar("SELECT count(*) FROM score_runs"))
    cache = _per_run.setdefault(store, {})
    for old in [k for k in cache if k[0] != run]:
        del cache[old]
    if (run, key) not in cache:
        cache[(run, key)] = make()
    return cast(T, cache[(run, key)])


def verdicts(store: Store, halls: set[str] | None) -> list[Verdict]:
    """Peak + end against the plain mean on the visits of `halls` (None: all), for each survey answer with
    enough answers; computed once per scoring run (cross-validation takes seconds)."""
    return once_per_run(store, ("verdicts", frozenset(halls) if halls is not None else None),
                        lambda: compare.verdicts(store, halls))


def loyalty_panel(store: Store, bp: Blueprint, halls: set[str] | None) -> Loyalty:
    """The loyalty figures of `halls` (None: all) and what a bad moment there costs (no models), once per
    scoring run."""
    key = frozenset(halls) if halls is not None else None
    return once_per_run(store, ("loyalty", key, bp.version, bp.loyalty.model_dump_json()),
                        lambda: loyalty(store, bp, halls, drivers=False, fitted=False))


def comments(store: Store, bp: Blueprint) -> comments_text.Index:
    """Every comment read and indexed, once per scoring run and number of comments (reading takes seconds)."""
    count = sum(int(store.scalar(f"SELECT count(*) FROM ({sql}) c")) for sql in comments_text.SOURCES.values())
    return once_per_run(store, ("comments", count, bp.version, keyword_key(bp)),
                        lambda: comments_text.index(comments_text.read_all(comments_text.gathered(store), bp)))


def said_about(store: Store, bp: Blueprint, halls: set[str] | None, moment: str, limit: int = 10) -> pd.DataFrame:
    """What customers said about `moment` at `halls` (None: all), worst first."""
    said = comments_text.mentions(comments(store, bp).rows)
    said = said[(said["moment"] == moment) & (said["hall_id"].isin(sorted(halls)) if halls is not None else True)]
    return said.sort_values(["about", "at"], ascending=[True, False]).head(limit)


_engines: dict[tuple[str, str, str | None], training.Engine] = {}


def training_engine(bp: Blueprint) -> training.Engine:
    """The training search engine for `bp` (made once per blueprint version and library file)."""
    key = (bp.id, bp.version, settings.get("training"))
    if key not in _engines:
        _engines.clear()
        _engines[key] = training.engine(bp)
    return _engines[key]


def what_to_train(bp: Blueprint, moment: str | None, lang: str, k: int = 3) -> list[dict[str, Any]]:
    """The modules to train for `moment` (none for no moment), as pages show them."""
    if moment not in bp.moment_ids():
        return []
    return [training.shown(d, lang) for d in training.for_moment(training_engine(bp), bp, str(moment), k=k)]


def with_training(alerts: pd.DataFrame, bp: Blueprint, lang: str, k: int = 2) -> pd.DataFrame:
    """Alerts with `train`: the top modules for each alert's moment ({id, title} in `lang`), what to train."""
    top = {m: [{"id": d["id"], "title": d["title"]} for d in what_to_train(bp, m, lang, k)]
           for m in alerts["moment_id"].dropna().unique()}
    return alerts.assign(train=[top.get(m, []) for m in alerts["moment_id"]])


def audit_checks(store: Store, bp: Blueprint, halls: set[str] | None) -> pd.DataFrame:
    """Audits against customers per hall and moment (needs a scoring run)."""
    require_scores(store)
    return audits_vs_customers(store, bp, halls)


def coaching_effects(store: Store, bp: Blueprint, halls: set[str] | None) -> pd.DataFrame:
    """Coaching assignments of `halls` with their measured effects (needs a scoring run)."""
    require_scores(store)
    lib = training.library()
    return coaching.effects(store, {m.id: m.moments for m in lib.modules}, halls)


def staff_cards(store: Store, halls: set[str] | None, staff: str | None = None) -> pd.DataFrame:
    """Staff scorecards of `halls` (None: all), only `staff`'s when given; needs a scoring run."""
    require_scores(store)
    return scorecards(store, halls, staff)


def quarantine(store: Store, limit: int = 500) -> pd.DataFrame:
    """The most recently quarantined records with their reasons."""
    q = store.table("quarantine")
    with store.lock:
        return (
            q.order_by([q.quarantined_at.desc(), q.source, q.row_number])
            .select("source", "row_number", "field", "code", "action", "message_en", "message_zh", "record",
                    "quarantined_at")
            .limit(limit)
            .to_pandas()
        )


def visit_halls(store: Store, visit_ids: list[str], beside: bool = False) -> dict[str, str]:
    """The hall of each of these visits that is stored, in one query (`beside`: what is committed,
    read without waiting for the store's lock)."""
    # An id with NUL is never stored (the contract refuses control characters) and PostgreSQL refuses to compare it.
    ids = sorted({v for v in visit_ids if "\x00" not in v})
    if not ids:
        return {}
    rows = store.rows(f"SELECT visit_id, hall_id FROM visits WHERE visit_id IN ({', '.join('?' * len(ids))})", ids,
                      beside)
    return dict(rows)


EVENT_HALL_SQL = {  # kind → (id column, the stored event's hall)
    "touch": ("touch_id", "SELECT t.touch_id, v.hall_id FROM touches t JOIN visits v USING (visit_id) "
                          "WHERE t.touch_id IN ({})"),
    "survey": ("survey_id", "SELECT s.survey_id, v.hall_id FROM surveys s JOIN visits v USING (visit_id) "
                            "WHERE s.survey_id IN ({})"),
    "audit": ("audit_id", "SELECT audit_id, hall_id FROM audits WHERE audit_id IN ({})"),
}


def event_halls(store: Store, kind: str, event_ids: list[str], beside: bool = False) -> dict[str, str]:
    """The hall of each of these stored touches, surveys or audits (by their ids), in one query."""
    ids = sorted({v for v in event_ids if "\x00" not in v})
    if not ids or kind not in EVENT_HALL_SQL:
        return {}
    return dict(store.rows(EVENT_HALL_SQL[kind][1].format(", ".join("?" * len(ids))), ids, beside))


def visit_hall(store: Store, visit_id: str) -> str | None:
    """The hall of a stored visit, or None."""
    return visit_halls(store, [visit_id]).get(visit_id)


def hall_live(store: Store, hall_id: str, now: datetime) -> dict[str, Any]:
    """The live loop on a hall page: case and alert figures of today, today's alerts and advice."""
    day = datetime.combine(now.date(), time.min)
    alerts = store.query("SELECT alert_id, kind, ticket, moment_id, staff_id, fired_at, message_zh, message_en "
                         "FROM alerts WHERE hall_id = ? AND fired_at >= ? ORDER BY fired_at DESC LIMIT 50",
                         [hall_id, day])
    advice = store.query("SELECT advised_at, waiting, counters, predicted_wait_min, message_zh, message_en "
                         "FROM advice WHERE hall_id = ? AND advised_at >= ? ORDER BY advised_at DESC LIMIT 20",
                         [hall_id, day])
    return {"figures": cases.figures(store, hall_id, day, now), "alerts": alerts, "advice": advice}


def known_halls(store: Store) -> list[str]:
    """Every hall the store has a visit or an audit of, by id."""
    rows = store.rows("SELECT hall_id FROM visits UNION SELECT hall_id FROM audits ORDER BY 1")
    return [str(r[0]) for r in rows]


def audit_rates(store: Store, bp: Blueprint, by: str, halls: set[str] | None) -> pd.DataFrame:
    """The audits' pass rates per hall and `by` (scoring.audits.RATE_BY), with Wilson intervals."""
    return pass_rates(store, bp, by, halls)
