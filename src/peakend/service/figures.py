"""The figures pages show, as data frames (`ws.figures`): one function per table.

Pages, the JSON query API and the CSV/XLSX export all call these, so a page and its export
always agree. Every function that takes a hall returns only that hall's rows; checking that
the asker may see the hall is the caller's job (see `service.people.Principal.sees`).
Figures that take seconds (the loyalty panel, the comments index, a hall's moment figures) are jobs
(`loyalty_panel`, `comments`, `moment_figures`): a page shows the last one and the progress of the next
(`Figures.loyalty_answer`, `Figures.comments_answer`, `Figures.moment_answer`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
import yaml

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.i18n import Lang
from peakend.ingest.corrections import plain
from peakend.live import cases
from peakend.live.rules import experience_sql
from peakend.loyalty.summary import loyalty
from peakend.safe_yaml import YamlRefused
from peakend.safe_yaml import load as yaml_load
from peakend.scoring import coaching
from peakend.scoring.audits import RATE_BY, audits_vs_customers, pass_rates
from peakend.scoring.experience import TIE_DIGITS
from peakend.scoring.maturity import maturity
from peakend.scoring.moments import NO_DAY, falls
from peakend.scoring.run import require_scores
from peakend.scoring.staff import MIN_TOUCHES, scorecards
from peakend.service.jobs import Answer, Job, Outcome, Progress, job_kind
from peakend.store.db import Store
from peakend.text import comments as comments_text
from peakend.text import training
from peakend.text.reading import keyword_key

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

__all__ = ["MIN_TOUCHES", "RATE_BY", "Figures", "Panel", "plain"]

TREND_DAYS = 7
WORST_VISITS = 20


def _names(df: pd.DataFrame, bp: Blueprint, store: Store | None = None, column: str = "moment_id") -> pd.DataFrame:
    """`df` with each moment's Chinese and English name (a moment the blueprint no longer has: its last names in an
    earlier version, see `former_names`; a page links only the blueprint's own)."""
    names = {m.id: (m.zh, m.en) for m in bp.moments}
    gone = former_names(store) if store is not None else {}
    said = {i: names.get(i) or gone.get(i) or (i, i) for i in df[column].unique()}
    return df.assign(moment_zh=df[column].map(lambda i: said[i][0]), moment_en=df[column].map(lambda i: said[i][1]))


_former: dict[tuple[int, int], dict[str, tuple[str, str]]] = {}  # per store and number of its latest version


def former_names(store: Store) -> dict[str, tuple[str, str]]:
    """Every moment an earlier blueprint version had, by id: its (zh, en) names in the last version that had it."""
    latest = int(store.scalar("SELECT coalesce(max(number), 0) FROM blueprint_versions"))
    key = (id(store), latest)
    if key not in _former:
        out: dict[str, tuple[str, str]] = {}
        for (text,) in store.rows("SELECT yaml FROM blueprint_versions ORDER BY number"):
            try:
                moments = (yaml_load(text) or {}).get("moments") or []
            except (YamlRefused, yaml.YAMLError, AttributeError):
                continue
            for m in moments:
                if isinstance(m, dict) and m.get("id"):
                    out[str(m["id"])] = (str(m.get("zh") or m["id"]), str(m.get("en") or m.get("zh") or m["id"]))
        _former[key] = out
    return _former[key]


def halls(store: Store, visible: set[str] | None) -> pd.DataFrame:
    """Halls ranked by REI with grade and trend (REI of the last 7 days minus the 7 before), the trend from the day
    parts the score run writes (`hall_parts`: REI summed per hall and day), not from every scored visit.

    `visible` None means every hall.
    """
    require_scores(store)
    hs = store.table("hall_scores")
    if visible is not None:
        hs = hs.filter(hs.hall_id.isin(list(visible) or [""]))
    among = [] if visible is None else sorted(visible) or [""]  # no hall visible: a hall no store has
    scope = f" AND hall_id IN ({', '.join('?' * len(among))})" if among else ""
    with store.lock:
        frame = hs.order_by("rank").to_pandas()
    last = store.scalar(f"SELECT max(day) FROM hall_parts WHERE day <> ?{scope}", [NO_DAY, *among])
    if frame.empty or last is None:
        return frame.assign(trend=pd.Series(dtype=float))
    last = pd.Timestamp(last).date()

    def mean_rei(name: str, after: date, upto: date) -> pd.DataFrame:
        return store.query(f"SELECT hall_id, sum(rei_sum) / sum(visits) AS {name} FROM hall_parts "
                           f"WHERE day > ? AND day <= ?{scope} GROUP BY hall_id", [after, upto, *among])

    week = timedelta(days=TREND_DAYS)
    r, b = mean_rei("recent", last - week, last), mean_rei("before", last - 2 * week, last - week)
    frame = frame.merge(r, on="hall_id", how="left").merge(b, on="hall_id", how="left")
    return frame.assign(trend=frame.recent - frame.before).drop(columns=["recent", "before"])


def trend_reasons(store: Store, frame: pd.DataFrame) -> dict[str, str]:
    """Why a hall of `halls`' frame has no 7-day change, by hall: "no_times" when none of its visits has a day (no
    touch start or visit arrival), else "short" (no visits in the last 7 days or in the 7 before them)."""
    missing = [str(h) for h in frame.loc[frame["trend"].isna(), "hall_id"]] if len(frame) else []
    if not missing:
        return {}
    marks = ", ".join("?" * len(missing))  # the day parts: a visit without a day is kept under NO_DAY
    dated = {str(r[0]) for r in store.rows(
        f"SELECT DISTINCT hall_id FROM hall_parts WHERE hall_id IN ({marks}) AND day <> ?", [*missing, NO_DAY])}
    return {h: "short" if h in dated else "no_times" for h in missing}


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
    return _names(df, bp, store)


def hall_falls(store: Store, bp: Blueprint, hall_id: str) -> pd.DataFrame:
    """Shares of the hall's visits whose positive peak, negative peak and end fall on each moment."""
    require_scores(store)
    vs = store.table("visit_scores")
    vs = vs.filter(vs.hall_id == hall_id)
    with store.lock:
        total = int(vs.count().execute())
        df = falls(vs).to_pandas()
    df = df.assign(share=df.n / max(total, 1)).drop(columns="n").sort_values(["kind", "moment_id"])
    return _names(df, bp, store)


def hall_today(store: Store, hall_id: str, today: date | None = None) -> dict[str, object]:
    """Live figures of the hall's latest day up to today, from the raw events (no scoring needed); `is_today` says
    whether that day is today (a page names it "today" only then).

    A touch's day is that of its start, else of its visit's arrival. The latest day is looked for
    in the last `TREND_DAYS` first (by start time: an index range on the server, skipped row groups
    in DuckDB), then from the hall's latest scored day on (`hall_parts`: the same range read), and in
    all history only when both are empty. Plain SQL: building the same in Ibis cost 0.1 s a query.
    """
    today = today or date.today()
    week = today - timedelta(days=TREND_DAYS - 1)
    with store.lock:
        scored = _scored_day(store, hall_id, today)
        for first in (week, *([scored] if scored is not None and scored < week else []), None):
            where, params = _hall_days(hall_id, today, first)
            day = store.scalar(f"SELECT max({TOUCH_DAY}) {where}", params)
            if day is not None and not pd.isna(day):
                break
        else:
            return {"day": None, "is_today": False, "visits": 0, "touches": 0, "negative_share": None, "unresolved": 0}
        day = pd.Timestamp(day).date()
        where, params = _hall_days(hall_id, day, day)
        visits, touches, low, unresolved = store.rows(
            "SELECT count(DISTINCT t.visit_id), count(*), sum(CASE WHEN t.rating_scale IS NOT NULL AND t.rating <= "
            "CASE WHEN t.rating_scale = 'sat3' THEN 1 ELSE 2 END THEN 1 ELSE 0 END), sum(CASE WHEN t.outcome IN "
            f"('unresolved', 'complaint', 'abandoned') THEN 1 ELSE 0 END) {where}", params)[0]
    return {"day": day, "is_today": day == today, "visits": int(visits), "touches": int(touches),
            "negative_share": int(low or 0) / int(touches), "unresolved": int(unresolved or 0)}


def _scored_day(store: Store, hall_id: str, last: date) -> date | None:
    """The hall's latest day up to `last` with scored visits (None: no scores, or none that day or before)."""
    if not store.has_table("hall_parts"):
        return None
    day = store.scalar("SELECT max(day) FROM hall_parts WHERE hall_id = ? AND day <= ? AND day > ?",
                       [hall_id, last, NO_DAY])
    return None if day is None or pd.isna(day) else pd.Timestamp(day).date()


TOUCH_DAY = "CAST(COALESCE(t.start_at, v.arrival) AS DATE)"  # a touch's day: its start's, else its visit's arrival's


def _hall_days(hall_id: str, last: date, first: date | None) -> tuple[str, list[Any]]:
    """FROM and WHERE of the hall's touches (t, with their visit v) of days `first` (None: the earliest) to `last`,
    and its parameters."""
    where, params = ["v.hall_id = ?", f"{TOUCH_DAY} <= ?"], [hall_id, last]
    if first is not None:  # a start outside the days is a day outside them; no start: the visit's arrival decides
        where += ["(t.start_at IS NULL OR t.start_at BETWEEN ? AND ?)", f"{TOUCH_DAY} >= ?"]
        params += [datetime.combine(first, time.min), datetime.combine(last, time.max), first]
    return f"FROM touches t JOIN visits v ON v.visit_id = t.visit_id WHERE {' AND '.join(where)}", params


WORST_COLUMNS = ("visit_id", "arrival", "e", "peak", "end", "rei", "peak_moment", "end_moment")


def _hall_touches(store: Store, hall_id: str, moment_id: str | None) -> Any:
    """The hall's scored touches (of one moment; None: of every moment) with their visit's figures (Ibis)."""
    ts = store.table("touch_scores")
    vs = store.table("visit_scores")
    t = ts if moment_id is None else ts.filter(ts.moment_id == moment_id)
    return t.join(vs.filter(vs.hall_id == hall_id), "visit_id").select("moment_id", *WORST_COLUMNS)


def _binned(t: Any, by: list[str]) -> Any:
    """Touches counted per `by` and bin of e (fifths from −1 to 1)."""
    binned = t.mutate(bin=((t.e * 5).round() / 5))
    return binned.group_by([*by, "bin"]).agg(touches=binned.count()).order_by([*by, "bin"])


def moment_distribution(store: Store, hall_id: str, moment_id: str) -> pd.DataFrame:
    """How the hall's experience values at one moment are spread, in fifths from −1 to 1 (a scan of every
    scored touch of the moment: the moment page reads `moment_figures`' job instead)."""
    require_scores(store)
    with store.lock:
        return _binned(_hall_touches(store, hall_id, moment_id).select("e"), []).to_pandas()


def worst_visits(store: Store, bp: Blueprint, hall_id: str, moment_id: str, limit: int = WORST_VISITS) -> pd.DataFrame:
    """The hall's most recent visits with the worst experience at one moment."""
    require_scores(store)
    j = _hall_touches(store, hall_id, moment_id).select(*WORST_COLUMNS)
    with store.lock:
        return j.order_by([j.e.asc(), j.arrival.desc(), j.visit_id]).limit(limit).to_pandas()


def moment_figures(store: Store, hall_id: str, limit: int = WORST_VISITS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`moment_distribution` and `worst_visits` of every moment of one hall at once (one pass over the scored
    touches, which it has no hall to skip by), each with `moment_id`: the moment pages' job."""
    require_scores(store)
    j = _hall_touches(store, hall_id, None)
    rank = ibis.row_number().over(group_by=j.moment_id, order_by=[j.e.asc(), j.arrival.desc(), j.visit_id])
    worst = j.mutate(rank=rank)
    worst = worst.filter(worst["rank"] < limit).order_by(["moment_id", "rank"]).drop("rank")
    with store.lock:
        return _binned(j, ["moment_id"]).to_pandas(), worst.to_pandas()


def visit(store: Store, bp: Blueprint, visit_id: str) -> tuple[dict[str, object] | None, pd.DataFrame]:
    """One visit's record and its touches in journey order, each with e and peak/end marks; a visit without an
    arrival time arrived at its first touch's (`arrival_from` "touch"), as `simulate.observed.hall_visits` has it."""
    v = store.table("visits")
    with store.lock:
        rows = v.filter(v.visit_id == visit_id).drop("customer_key").to_pandas()
    if rows.empty:
        return None, pd.DataFrame()
    record = {k: None if _missing(x) else x for k, x in rows.iloc[0].to_dict().items()}  # no "nan" or "NaT" shown
    # The touches as stored now, each with e by the blueprint's rules (scored yet or not: pages read what is stored).
    touches = store.query(f"SELECT * FROM ({experience_sql(store, bp)}) AS x WHERE visit_id = ?", [visit_id])
    touches = touches.sort_values(["start_at", "seq", "touch_id"], na_position="first").reset_index(drop=True)
    if record.get("arrival") is None and len(touches) and touches.start_at.notna().any():
        record.update(arrival=pd.Timestamp(touches.start_at.min()), arrival_from="touch")  # as the fit takes it
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
    return record, _names(touches, bp, store)


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array: not one missing value
        return False


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


# A quarantined row is superseded when, after the import that set it aside, the same source was imported again
# with rows stored and either a corrected file (another hash) or nothing quarantined: it stays, folded, with the mark.
# Sources are compared by file name (an upload is kept in a folder of its own; a corrected file may live elsewhere).
SUPERSEDED = (
    "EXISTS (SELECT 1 FROM ingest_log l WHERE regexp_replace(l.source, '^.*/', '') = "
    "regexp_replace(q.source, '^.*/', '') AND l.stored > 0 AND (l.source_hash <> q.source_hash OR l.quarantined = 0) "
    "AND l.ingested_at > (SELECT min(r.ingested_at) FROM ingest_log r WHERE r.source = q.source "
    "AND r.source_hash = q.source_hash AND r.ingested_at >= q.quarantined_at))"
)


def quarantine(store: Store, limit: int = 500, halls: frozenset[str] | None = None,
               dismissed: bool | None = None) -> pd.DataFrame:
    """The quarantined records with their reasons, the current ones first (newest first), then those a later import
    of the same source superseded (`superseded`); of `halls` only (None: every row), dismissed or not (None:
    both)."""
    where, params = _quarantine_where(halls, dismissed)
    return store.query(
        "SELECT source, row_number, field, code, action, message_en, message_zh, record, quarantined_at, "
        f"{SUPERSEDED} AS superseded, source_hash, field_id, value_shown, expected, hall_id, dismissed_by, "
        f"dismissed_at FROM quarantine q{where} ORDER BY superseded, quarantined_at DESC, source, row_number, field "
        "LIMIT ?", [*params, limit])


def _quarantine_where(halls: frozenset[str] | None, dismissed: bool | None) -> tuple[str, list[str]]:
    parts: list[str] = []
    if halls is not None:
        parts.append(f"hall_id IN ({', '.join('?' * len(halls))})" if halls else "FALSE")
    if dismissed is not None:
        parts.append(f"dismissed_at IS {'NOT ' if dismissed else ''}NULL")
    return (" WHERE " + " AND ".join(parts) if parts else ""), list(sorted(halls or ()))


def dismissed_count(store: Store, halls: frozenset[str] | None) -> int:
    """How many quarantined rows of `halls` (None: every one) were dismissed."""
    where, params = _quarantine_where(halls, True)
    return int(store.scalar(f"SELECT count(*) FROM quarantine{where}", params))


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
    return sorted({str(h) for table in ("visits", "audits") for h in store.distinct(table, "hall_id")})


def audit_rates(store: Store, bp: Blueprint, by: str, halls: set[str] | None) -> pd.DataFrame:
    """The audits' pass rates per hall and `by` (scoring.audits.RATE_BY), with Wilson intervals."""
    return pass_rates(store, bp, by, halls)


def comment_count(store: Store) -> int:
    """How many comments the store holds (what a comments index was computed on)."""
    return sum(int(store.scalar(f"SELECT count(*) FROM ({sql}) c")) for sql in comments_text.SOURCES.values())


@dataclass
class Panel:
    """The hall page's loyalty panel: per hall, per moment (what a bad moment costs), the return window."""

    halls: pd.DataFrame
    moments: pd.DataFrame
    days: int
    asked: int


_indexes: dict[str, comments_text.Index] = {}  # a finished comments job's index, made once per process


class Figures:
    """The figures of a workspace's store, on the blueprint in force (see the module)."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    @property
    def store(self) -> Store:
        return self.ws.store

    @property
    def bp(self) -> Blueprint:
        return self.ws.blueprint

    def halls(self, visible: set[str] | None) -> pd.DataFrame:
        return halls(self.store, visible)

    def graded_halls(self, visible: set[str] | None) -> pd.DataFrame:
        return graded_halls(self.store, self.bp, visible)

    def hall_known(self, hall_id: str) -> bool:
        """Whether the store has a visit or an audit of the hall, or a name for it."""
        return any(self.store.rows(f"SELECT 1 FROM {table} WHERE hall_id = ? LIMIT 1", [hall_id])
                   for table in ("visits", "hall_names", "audits"))

    def trend_reasons(self, frame: pd.DataFrame) -> dict[str, str]:
        return trend_reasons(self.store, frame)

    def hall_moments(self, hall_id: str) -> pd.DataFrame:
        return hall_moments(self.store, self.bp, hall_id)

    def hall_falls(self, hall_id: str) -> pd.DataFrame:
        return hall_falls(self.store, self.bp, hall_id)

    def hall_today(self, hall_id: str, today: date | None = None) -> dict[str, object]:
        return hall_today(self.store, hall_id, today)

    def moment_distribution(self, hall_id: str, moment_id: str) -> pd.DataFrame:
        return moment_distribution(self.store, hall_id, moment_id)

    def worst_visits(self, hall_id: str, moment_id: str, limit: int = WORST_VISITS) -> pd.DataFrame:
        return worst_visits(self.store, self.bp, hall_id, moment_id, limit)

    def visit(self, visit_id: str) -> tuple[dict[str, object] | None, pd.DataFrame]:
        return visit(self.store, self.bp, visit_id)

    def training_engine(self) -> training.Engine:
        return training_engine(self.bp)

    def training_search(self, q: str, lang: str, k: int = 5) -> list[dict[str, Any]]:
        """Training modules and the blueprint's guidance best matching `q`, as pages show them, with their score."""
        return [{**training.shown(d, lang), "score": s} for d, s in training_engine(self.bp).search(q, k=k)]

    def training_modules(self, lang: str) -> list[dict[str, Any]]:
        """Every training module, as pages show them."""
        return [training.shown(d, lang) for d in training_engine(self.bp).docs if d.kind == "module"]

    def what_to_train(self, moment: str | None, lang: str, k: int = 3) -> list[dict[str, Any]]:
        return what_to_train(self.bp, moment, lang, k)

    def with_training(self, alerts: pd.DataFrame, lang: str, k: int = 2) -> pd.DataFrame:
        return with_training(alerts, self.bp, lang, k)

    def modules(self) -> dict[str, dict[str, str]]:
        """The title of every training module for the store's service (`training.serving`), by id and language."""
        return {m.id: {"zh": m.title.zh, "en": m.title.en} for m in training.serving(training.library(), self.bp)}

    def audit_checks(self, halls: set[str] | None) -> pd.DataFrame:
        return audit_checks(self.store, self.bp, halls)

    def coaching_effects(self, halls: set[str] | None) -> pd.DataFrame:
        return coaching_effects(self.store, self.bp, halls)

    def staff_cards(self, halls: set[str] | None, staff: str | None = None) -> pd.DataFrame:
        return staff_cards(self.store, halls, staff)

    def quarantine(self, limit: int = 500) -> pd.DataFrame:
        return quarantine(self.store, limit)

    def quality(self, halls: frozenset[str] | None = None, dismissed: bool = False
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
        """The data-quality page: quarantined records of `halls` (None: all) not dismissed (`dismissed`: those
        dismissed), visits the live worker parked, conflicts (both: an admin's only), how many rows were dismissed."""
        from peakend.ingest import corrections
        from peakend.live import pending

        rows, gone = quarantine(self.store, 500, halls, dismissed), dismissed_count(self.store, halls)
        if halls is not None:
            return rows, pd.DataFrame(), pd.DataFrame(), gone
        parked = pending.parked(self.store)
        with self.store.lock:
            clashes = corrections.listed(self.store)
        return rows, parked, clashes, gone

    def visit_halls(self, visit_ids: list[str], beside: bool = False) -> dict[str, str]:
        return visit_halls(self.store, visit_ids, beside)

    def event_halls(self, kind: str, event_ids: list[str], beside: bool = False) -> dict[str, str]:
        return event_halls(self.store, kind, event_ids, beside)

    def visit_hall(self, visit_id: str) -> str | None:
        return visit_hall(self.store, visit_id)

    def hall_live(self, hall_id: str) -> dict[str, Any]:
        """The live loop on a hall page, as of the workspace's clock."""
        return hall_live(self.store, hall_id, self.ws.clock())

    def known_halls(self) -> list[str]:
        return known_halls(self.store)

    def staff_names(self, lang: str) -> dict[str, str]:
        """Staff members' names in `lang` (`peakend staff-name`), by id."""
        from peakend.store.halls import names

        return names(self.store, "staff", lang)

    def hall_names(self, lang: str) -> dict[str, str]:
        """Halls' names in `lang` (`peakend hall name`), by id."""
        from peakend.store.halls import hall_names

        return hall_names(self.store, lang)

    def audit_rates(self, by: str, halls: set[str] | None) -> pd.DataFrame:
        return audit_rates(self.store, self.bp, by, halls)

    def zones(self, hall_id: str) -> Any:
        """The hall's figures per zone of the floor plan (for `report.floor.floor_svg`)."""
        from peakend.report.floor import zone_figures

        return zone_figures(self.store, self.bp, hall_id)

    # -- figures that take seconds: jobs ----------------------------------------------------------------------
    def loyalty_params(self) -> dict[str, Any]:
        bp = self.bp
        return {"bp": f"{bp.id} {bp.version}", "loyalty": bp.loyalty.model_dump(mode="json")}

    def loyalty_answer(self, owner: str, halls: frozenset[str] | None) -> tuple[Panel | None, Answer]:
        """The last loyalty panel of `halls` (None while there is none) and the job bringing it up to the latest
        scoring run."""
        found = self.ws.jobs.answer("loyalty_panel", self.loyalty_params(), owner, halls,
                                    self.ws.scores.run_number())
        if found.result is None or found.last is None:
            return None, found
        frames = self.ws.jobs.frames(found.last.job_id)
        return Panel(frames["halls"], frames["moments"], int(found.result["days"]),
                     int(found.result["asked"])), found

    def loyalty_view(self, panel: Panel, hall_id: str, lang: Lang) -> dict[str, Any] | None:
        """The hall page's loyalty panel: its figures and the three largest detectable costs of a bad moment."""
        from peakend.loyalty.view import effect_sentence, ranked_effects

        row = panel.halls[panel.halls["hall_id"] == hall_id]
        if row.empty:
            return None
        names = self.bp.names(lang)
        costs = ranked_effects(panel.moments, each=3)
        return {"figures": row.iloc[0].to_dict(), "days": panel.days, "asked": panel.asked,
                "costs": [effect_sentence(r, names, panel.days, lang) for r in costs.itertuples() if r.detectable]}

    def comments_answer(self, owner: str, halls: frozenset[str] | None
                        ) -> tuple[comments_text.Index | None, Answer]:
        """The last comments index of `halls` (None while there is none) and the job bringing it up to the
        comments stored now."""
        bp = self.bp
        found = self.ws.jobs.answer("comments", {"bp": f"{bp.id} {bp.version}", "keywords": str(keyword_key(bp))},
                                    owner, halls, comment_count(self.store))
        if found.result is None or found.last is None:
            return None, found
        job_id = found.last.job_id
        if job_id not in _indexes:
            rows = self.ws.jobs.frames(job_id)["rows"]
            rows = rows.assign(about=rows["about"].map(json.loads), moments=rows["moments"].map(list),
                               tokens=rows["tokens"].map(list))
            _indexes.clear()  # one index kept per process: the latest asked for
            _indexes[job_id] = comments_text.index(rows)
        return _indexes[job_id], found

    def moment_answer(self, owner: str, hall_id: str, moment_id: str
                      ) -> tuple[tuple[pd.DataFrame, pd.DataFrame] | None, Answer]:
        """The moment page's distribution and worst visits of `moment_id` at `hall_id`, from the hall's last
        `moment_figures` job (None while there is none), and the job bringing it up to the latest scoring run
        (NotScored before any run)."""
        require_scores(self.store)
        found = self.ws.jobs.answer("moment_figures", {"worst": WORST_VISITS}, owner, frozenset([hall_id]),
                                    self.ws.scores.run_number())
        if found.result is None or found.last is None:
            return None, found
        return self._of_moment(found.last.job_id, moment_id), found

    def moment_now(self, hall_id: str, moment_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The distribution and worst visits of `moment_id` at `hall_id` for the API and the exports, which answer
        at once: the hall's `moment_figures` job's when it is of the latest scoring run, else computed now."""
        require_scores(self.store)
        last = self.ws.jobs.last("moment_figures", {"worst": WORST_VISITS}, frozenset([hall_id]))
        if last is not None and last.state == "done" and last.basis >= self.ws.scores.run_number():
            return self._of_moment(last.job_id, moment_id)
        return self.moment_distribution(hall_id, moment_id), self.worst_visits(hall_id, moment_id)

    def _of_moment(self, job_id: str, moment_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """A `moment_figures` job's distribution and worst visits of one moment."""
        frames = self.ws.jobs.frames(job_id)

        def mine(f: pd.DataFrame) -> pd.DataFrame:
            return f[f["moment_id"] == moment_id].drop(columns="moment_id").reset_index(drop=True)

        return mine(frames["distribution"]), mine(frames["worst"])

    @staticmethod
    def said_about(index: comments_text.Index, halls: set[str] | None, moment: str, limit: int = 10) -> pd.DataFrame:
        """What customers said about `moment` at `halls` (None: all), worst first, from a comments index."""
        said = comments_text.mentions(index.rows)
        said = said[(said["moment"] == moment) & (said["hall_id"].isin(sorted(halls)) if halls is not None
                                                  else True)]
        return said.sort_values(["about", "at"], ascending=[True, False]).head(limit)

    def themes(self, index: comments_text.Index, halls: set[str] | None) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                    pd.DataFrame]:
        """The comments of `halls`, their recurring themes (worst first) and the answers about visits' peaks."""
        mine = index.rows if halls is None else index.rows[index.rows["hall_id"].isin(sorted(halls))]
        top = comments_text.themes(mine, self.bp).sort_values(["negative", "comments"], ascending=False).head(30)
        return mine, top, comments_text.peak_answers(mine, self.store)


@job_kind("loyalty_panel")
def loyalty_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """The loyalty panel of the job's halls (no models), as a job."""
    progress(step="loyalty")
    found = loyalty(ws.store, ws.blueprint, set(job.halls) if job.halls is not None else None, drivers=False,
                    fitted=False)
    return Outcome({"days": found.days, "asked": found.asked}, {"halls": found.halls, "moments": found.moments})


@job_kind("comments")
def comments_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """Every comment of the job's halls read against the blueprint, as a job (the index is made from it)."""
    progress(step="comments")
    rows = comments_text.read_all(comments_text.gathered(ws.store, set(job.halls) if job.halls is not None
                                                         else None), ws.blueprint)
    rows = rows.assign(about=rows["about"].map(lambda a: json.dumps(a, ensure_ascii=False)),
                       moments=rows["moments"].map(lambda m: [str(x) for x in m]),
                       tokens=rows["tokens"].map(lambda t: [str(x) for x in t]))
    return Outcome({"comments": len(rows)}, {"rows": rows})


@job_kind("moment_figures")
def moment_figures_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """The distribution of e and the worst visits of every moment of the job's one hall, as a job (the moment
    pages read it: computed inline, each scanned every scored touch of its moment)."""
    if job.halls is None or len(job.halls) != 1:
        raise ValueError("a moment_figures job is of one hall")
    progress()
    (hall,) = job.halls
    dist, worst = moment_figures(ws.store, hall, int(job.params.get("worst", WORST_VISITS)))
    return Outcome({"touches": int(dist["touches"].sum())}, {"distribution": dist, "worst": worst})
