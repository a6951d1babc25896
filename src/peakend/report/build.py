"""Build the self-contained HTML report (charts and both languages in one file)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from peakend.blueprint.load import check_text
from peakend.blueprint.model import Blueprint, Moment
from peakend.i18n import Lang, answer_name, both, percent_format
from peakend.loyalty.summary import loyalty
from peakend.loyalty.view import effect_sentence, halls_shown, models_shown, ranked_effects
from peakend.report import charts
from peakend.report.bundle import vega_bundle
from peakend.report.floor import floor_svg, zone_figures
from peakend.scoring.compare import Verdict
from peakend.scoring.maturity import maturity
from peakend.scoring.moments import falls
from peakend.scoring.run import require_scores
from peakend.store.db import Store
from peakend.store.halls import hall_names

LANGS: tuple[Lang, Lang] = ("zh", "en")
TOP_LIFTS = 15


def _named(df: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    """Add moment_zh / moment_en (and the moment's first action) to a frame with moment_id."""
    names = {m.id: m for m in bp.moments}
    df = df.copy()
    df["moment_zh"] = df.moment_id.map(lambda i: names[i].zh if i in names else i)
    df["moment_en"] = df.moment_id.map(lambda i: names[i].en if i in names else i)
    for lang in LANGS:
        df[f"action_{lang}"] = df.moment_id.map(lambda i, lg=lang: _action(names.get(i), lg))
    return df


def _action(m: Moment | None, lang: Lang) -> str:
    if m is None:
        return ""
    texts = m.guidelines or m.standards
    return (
        "；".join(getattr(t, lang) for t in texts[:2])
        if lang == "zh"
        else "; ".join(getattr(t, lang) for t in texts[:2])
    )


def network_falls(store: Store) -> pd.DataFrame:
    """Network shares of visits whose positive peak, negative peak and end fall on each moment."""
    vs = store.table("visit_scores")
    with store.lock:
        total = int(vs.count().execute())
        df = falls(vs).to_pandas()
    return df.assign(share=df.n / max(total, 1)).drop(columns="n")


def weights_note(store: Store, bp: Blueprint) -> dict[Lang, str]:
    """Which weights the REI uses and why: fitted by `peakend calibrate` (with its note), or set in the blueprint."""
    w = bp.weights
    rows = store.rows("SELECT number, saved_by, yaml FROM blueprint_versions ORDER BY number DESC LIMIT 1")
    fitted = rows and rows[0][1] == "calibrate" and (saved := check_text(rows[0][2])[0]) is not None and saved == bp
    if fitted:
        note = re.search(r"^weights:.*#\s*(.+)$", rows[0][2], re.M)
        return both("weights_fitted", peak=w.peak, end=w.end, mean=w.mean, number=rows[0][0],
                    value=note.group(1) if note else "")
    key = "weights_rule" if (w.peak, w.end, w.mean) == (0.5, 0.5, 0.0) else "weights_set"
    return {lang: both(key, peak=w.peak, end=w.end, mean=w.mean, value=getattr(bp.name, lang))[lang] for lang in LANGS}


def gather(store: Store, bp: Blueprint, comparison: pd.DataFrame, verdicts: list[Verdict]) -> dict[str, Any]:
    """Every table and figure the report shows (the model comparison and its verdicts given: computed once per
    scoring run, by the caller)."""
    require_scores(store)
    vs = store.table("visit_scores")
    qt = store.table("quarantine")
    with store.lock:
        halls = store.table("hall_scores").order_by("rank").to_pandas()
        moments = _named(store.table("moment_scores").to_pandas(), bp)
        period = vs.aggregate(lo=vs.day.min(), hi=vs.day.max(), n=vs.count(), t=vs.touches.sum()).to_pandas()
        quarantine = (
            qt.order_by([qt.quarantined_at.desc(), qt.source, qt.row_number])
            .select("source", "row_number", "field", "message_en", "message_zh")
            .limit(50)
            .to_pandas()
        )
        quarantined = int(qt.count().execute())
    halls = maturity(store, bp, halls)
    lifts = moments[moments.lift > 0].sort_values("lift", ascending=False).head(TOP_LIFTS)
    found = loyalty(store, bp)
    names = {lang: bp.names(lang) for lang in LANGS}
    named_halls = {lang: hall_names(store, lang) for lang in LANGS}
    return {
        "loyalty": found,
        "loyalty_halls": {lang: halls_shown(found.halls.assign(hall_id=found.halls["hall_id"].map(
            lambda h, lg=lang: named_halls[lg].get(h, h))), lang) for lang in LANGS},  # each hall by its name
        "loyalty_models": ({lang: models_shown(found.models, lang, found.days) for lang in LANGS}
                           if len(found.models) else {}),
        "loyalty_effects": [{lang: effect_sentence(r, names[lang], found.days, lang) for lang in LANGS}
                            for r in ranked_effects(found.moments, each=4).itertuples()],
        "halls": halls,
        "moments": moments,
        "lifts": lifts,
        "comparison": comparison.assign(**{f"target_{lang}": comparison["target"].map(
            lambda t, lg=lang: answer_name(t, lg)) for lang in LANGS}) if len(comparison) else comparison,
        "verdicts": [{lang: replace(v, target=answer_name(v.target, lang)).say(lang) for lang in LANGS}
                     for v in verdicts],
        "asked": {lang: [answer_name(c, lang) for c in found.asked_items] for lang in LANGS},
        "weights": weights_note(store, bp),
        "falls": _named(network_falls(store), bp),
        "period": (*(pd.Timestamp(d).date() for d in period.iloc[0, :2]), *period.iloc[0, 2:]),
        "quarantine": quarantine,
        "quarantined": quarantined,
        "floors": {h: {lang: Markup(floor_svg(bp, zone_figures(store, bp, h), {}, lang)) for lang in LANGS}
                   for h in halls["hall_id"]} if bp.layout else {},
        "hall_names": named_halls,
    }


def _specs(data: dict[str, Any], bp: Blueprint) -> dict[str, dict[Lang, str]]:
    specs: dict[str, dict[Lang, str]] = {}
    for lang in LANGS:
        order = [getattr(m, lang) for m in bp.moments]
        names = data["hall_names"][lang]

        def named(df: pd.DataFrame, names: dict[str, str] = names) -> pd.DataFrame:
            return df.assign(hall_id=df["hall_id"].map(lambda h: names.get(h, h)))

        made = {
            "ranking": charts.ranking(named(data["halls"]), lang),
            "heatmap": charts.heatmap(named(data["moments"]), order, lang),
            "falls": charts.peaks_and_ends(data["falls"], order, lang),
            "lift": charts.lift_bars(named(data["lifts"]), lang),
        }
        if len(data["comparison"]):
            made["models"] = charts.models(data["comparison"], lang)
        drivers = data["loyalty"].drivers.get("loyalty")
        if drivers is not None and len(drivers):
            made["quadrant"] = charts.quadrant(drivers, bp.names(lang), lang)
        for name, chart in made.items():
            specs.setdefault(name, {})[lang] = charts.script_json(chart)
    return specs


def render(store: Store, bp: Blueprint, comparison: pd.DataFrame, verdicts: list[Verdict], lang: Lang = "zh") -> str:
    """The report as one HTML string, opening in `lang` (its reader switches to the other)."""
    data = gather(store, bp, comparison, verdicts)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["format"] = percent_format  # as Jinja's, but never "-0.000"
    template = env.from_string(resources.files("peakend.report").joinpath("report.html.j2").read_text("utf-8"))
    return template.render(
        bp=bp,
        data=data,
        specs=_specs(data, bp),
        js=vega_bundle(),
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        lang=lang,
    )


def write_report(store: Store, bp: Blueprint, path: Path, comparison: pd.DataFrame, verdicts: list[Verdict],
                 lang: Lang = "zh") -> Path:
    """Write the report, opening in `lang`, to `path` (folders created as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(store, bp, comparison, verdicts, lang), "utf-8")
    return path
