"""Simulated visits through scoring, and what their customers press on rating pads and answer in surveys.

Scoring is the one Ibis definition of `peakend.scoring`, run on an in-memory DuckDB: a planned
day is judged exactly as a real one. The felt experience of a touch is the blueprint's inferred
value plus the hall's `character` for that moment plus noise; rating pads record it on their
scale when pressed, and survey answers follow the peak-end rule on it.
"""

from __future__ import annotations

import duckdb
import ibis
import ibis.expr.operations as ops
import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.contract import SAT3_WORDS, SCALES
from peakend.scoring.experience import TIE_DIGITS, touch_experience
from peakend.scoring.visits import visit_scores
from peakend.simulate.comments import comment
from peakend.simulate.config import HallConfig
from peakend.simulate.hall import Day

SAT3 = {1: "不满意", 2: "一般", 3: "满意"}  # the word a three-level pad shows for each level
SURVEY_FIELDS = ["survey_id", "visit_id", "answered_at", "overall", "overall_scale", "recommend", "repurchase",
                 "relationship", "switch_resist", "comment"]
COMMENTED = 0.4  # share of answers that carry a comment


def _with_ratings(touches: pd.DataFrame) -> pd.DataFrame:
    """Touches with numeric ratings (words read as ingest reads them), as scoring expects."""
    if "rating" not in touches:
        return touches.assign(rating=np.nan, rating_scale=None)
    return touches.assign(rating=touches["rating"].replace(SAT3_WORDS).astype("float64"))


Compiled = tuple[tuple[str, ...], dict[str, pd.DataFrame]]  # statements, and the in-memory tables they read
_SQL: dict[tuple[str, str, str], Compiled] = {}  # compiled statements by blueprint and input schemas
_SQL_KEPT = 64


def _schema(frame: pd.DataFrame) -> ibis.Schema:
    """The frame's schema as Ibis reads it (a column of only missing values as text: simulated days always have
    staff and outcomes as text, sometimes none of them)."""
    schema = ibis.memtable(frame).schema()
    return ibis.schema({n: "string" if t.is_null() else t for n, t in schema.items()})


def _compiled(bp: Blueprint, touches: ibis.Schema, visits: ibis.Schema | None) -> Compiled:
    """The scoring statements over tables `touches_in` (and `visits_in`) and the blueprint's own small tables
    (its rules), compiled once per blueprint and input schemas: Ibis takes ~0.4 s to compile them, and a what-if
    scores dozens of simulated days."""
    key = (bp.model_dump_json(), repr(touches), repr(visits))
    if key not in _SQL:
        te = touch_experience(ibis.table(touches, name="touches_in"), bp)
        exprs = [te] if visits is None else [te, visit_scores(te, ibis.table(visits, name="visits_in"), bp.weights)]
        if len(_SQL) >= _SQL_KEPT:
            _SQL.clear()
        tables = {t.name: t.data.to_frame() for e in exprs for t in e.op().find(ops.InMemoryTable)}
        _SQL[key] = tuple(str(ibis.to_sql(e, dialect="duckdb")) for e in exprs), tables
    return _SQL[key]


def _scored(touches: pd.DataFrame, bp: Blueprint, visits: pd.DataFrame | None = None) -> list[pd.DataFrame]:
    """Each touch's e (and, with `visits`, each visit's scores) by the store's scoring, on a fresh in-memory DuckDB."""
    touches = _with_ratings(touches)
    statements, tables = _compiled(bp, _schema(touches), None if visits is None else _schema(visits))
    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        con.register("touches_in", touches)
        if visits is not None:
            con.register("visits_in", visits)
        return [con.execute(sql).df() for sql in statements]
    finally:
        con.close()


def touch_e(touches: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    """Each touch's experience e and its source (rating or inferred), by the store's own scoring."""
    return _scored(touches, bp)[0]


def score(day: Day, bp: Blueprint) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each touch's experience e and each visit's peak-end scores (REI), by the store's own scoring."""
    touches, visits = _scored(day.touches, bp, day.visits)
    return touches, visits


def felt(day: Day, cfg: HallConfig, bp: Blueprint, rng: np.random.Generator) -> np.ndarray:
    """The experience each touch's customer felt, in [-1, 1], in the order of `day.touches`."""
    te = touch_e(day.touches, bp)
    e = te.set_index("touch_id")["e"].reindex(day.touches["touch_id"]).to_numpy()
    shift = day.touches["moment_id"].map(cfg.character).fillna(0.0).to_numpy() + _staff_shift(day.touches, cfg)
    return np.clip(e + shift + rng.normal(0, cfg.noise, len(e)), -1, 1)


def _staff_shift(touches: pd.DataFrame, cfg: HallConfig) -> np.ndarray:
    """Each touch's shift for the staff member serving it: their character, plus any change from its day on."""
    staff = touches["staff_id"]
    shift = staff.map(cfg.staff_character).fillna(0.0).to_numpy(dtype=float)
    for who, change in cfg.staff_change.items():
        since = pd.to_datetime(touches["start_at"]) >= pd.Timestamp(change.on)
        shift = shift + np.where((staff == who) & since, change.shift, 0.0)
    return shift


def _rating(true: np.ndarray, scale: str, rng: np.random.Generator) -> np.ndarray:
    lo, hi = SCALES[scale]
    raw = np.clip(np.round(lo + (true + 1) / 2 * (hi - lo) + rng.normal(0, 0.4, len(true))), lo, hi).astype(int)
    return np.array([SAT3[r] for r in raw], dtype=object) if scale == "sat3" else raw.astype(object)


def rate(day: Day, cfg: HallConfig, bp: Blueprint,
         rng: np.random.Generator) -> tuple[Day, pd.DataFrame, pd.Series]:
    """The day with ratings where pads were pressed, the survey answers of the visits surveyed, and each
    visit's remembered experience as felt (in −1…1)."""
    true = felt(day, cfg, bp, rng)
    touches = day.touches.assign(rating=pd.Series([None] * len(true), dtype=object), rating_scale=None)
    for moment, pad in cfg.ratings.items():
        mask = (touches["moment_id"] == moment).to_numpy() & (rng.random(len(true)) < pad.share)
        touches.loc[mask, "rating"] = _rating(true[mask], pad.scale, rng)
        touches.loc[mask, "rating_scale"] = pad.scale
    memory, peak = _remembered(day, true, bp)
    return Day(day.visits, touches), _surveys(day, memory, peak, cfg, rng), memory


def _remembered(day: Day, true: np.ndarray, bp: Blueprint) -> tuple[pd.Series, pd.DataFrame]:
    """Per visit the remembered experience as felt, and its felt peak (moment and e)."""
    t = day.touches.assign(e=true)
    t = t.assign(a=t["e"].abs().round(TIE_DIGITS))
    peak = t.sort_values(["visit_id", "a", "seq"]).groupby("visit_id")[["moment_id", "e"]].last()
    end = t.sort_values(["visit_id", "seq"]).groupby("visit_id")["e"].last()
    mean = t.groupby("visit_id")["e"].mean()
    w = bp.weights
    return w.peak * peak["e"] + w.end * end + w.mean * mean, peak


def _likert(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An intent on 1–5 from a remembered experience in −1…1."""
    return np.clip(np.round(3.2 + 1.8 * x + rng.normal(0, 0.8, len(x))), 1, 5).astype(int)


def _surveys(day: Day, remembered: pd.Series, peak: pd.DataFrame, cfg: HallConfig,
             rng: np.random.Generator) -> pd.DataFrame:
    """Answers of a `survey_share` of visits from the felt peak and end: overall (1–10), recommend (0–10), the
    three intents (1–5), and for some a comment on the moment they felt most."""
    asked = remembered[rng.random(len(remembered)) < cfg.survey_share]
    n, x = len(asked), asked.to_numpy()
    overall = np.clip(np.round(5.5 + 4.5 * x + rng.normal(0, 0.9, n)), 1, 10).astype(int)
    recommend = np.clip(np.round(5 + 5 * x + rng.normal(0, 1.2, n)), 0, 10).astype(int)
    left = day.visits.set_index("visit_id")["departure"].reindex(asked.index)
    felt_peak = peak.reindex(asked.index)
    says = rng.random(n) < COMMENTED
    comments = [comment(m, e, rng) if s else None
                for m, e, s in zip(felt_peak["moment_id"], felt_peak["e"], says, strict=True)]
    answers = pd.DataFrame({
        "survey_id": [f"Q-{v}" for v in asked.index],
        "visit_id": asked.index,
        "answered_at": (left + pd.Timedelta(minutes=30)).to_numpy(),
        "overall": overall,
        "overall_scale": "1-10",
        "recommend": recommend,
        "repurchase": _likert(x, rng),
        "relationship": _likert(x, rng),
        "switch_resist": _likert(x, rng),
        "comment": comments,
    })
    return answers[SURVEY_FIELDS]
