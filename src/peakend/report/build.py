"""Build the self-contained HTML report (charts and both languages in one file)."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path

import duckdb
import jinja2
import pandas as pd
import vl_convert

from peakend.blueprint.model import Blueprint
from peakend.i18n import Lang
from peakend.report import charts
from peakend.scoring.compare import compare_all
from peakend.store.db import scalar

LANGS: tuple[Lang, Lang] = ("zh", "en")
TOP_LIFTS = 15


class NotScored(RuntimeError):
    """The store has no score tables yet."""


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]))


def _named(df: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    """Add moment_zh / moment_en (and the moment's first action) to a frame with moment_id."""
    names = {m.id: m for m in bp.moments}
    df = df.copy()
    df["moment_zh"] = df.moment_id.map(lambda i: names[i].zh if i in names else i)
    df["moment_en"] = df.moment_id.map(lambda i: names[i].en if i in names else i)
    for lang in LANGS:
        df[f"action_{lang}"] = df.moment_id.map(lambda i, lg=lang: _action(names.get(i), lg))
    return df


def _action(m: object, lang: Lang) -> str:
    if m is None:
        return ""
    texts = m.guidelines or m.standards  # type: ignore[attr-defined]
    return (
        "；".join(getattr(t, lang) for t in texts[:2])
        if lang == "zh"
        else "; ".join(getattr(t, lang) for t in texts[:2])
    )


def _falls(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Network shares of visits whose positive peak, negative peak and end fall on each moment."""
    df = con.execute("""
        WITH n AS (SELECT count(*) AS visits FROM visit_scores)
        SELECT moment_id, kind, count(*) / any_value(n.visits) AS share FROM (
            SELECT peak_moment AS moment_id, CASE WHEN peak < 0 THEN 'neg_peak' ELSE 'pos_peak' END AS kind
            FROM visit_scores
            UNION ALL SELECT end_moment, 'end' FROM visit_scores) CROSS JOIN n
        GROUP BY ALL""").df()
    return df


def gather(con: duckdb.DuckDBPyConnection, bp: Blueprint) -> dict[str, object]:
    """Every table and figure the report shows."""
    if not _has(con, "hall_scores"):
        raise NotScored
    halls = con.execute("SELECT * FROM hall_scores ORDER BY rank").df()
    moments = _named(con.execute("SELECT * FROM moment_scores").df(), bp)
    lifts = moments[moments.lift > 0].sort_values("lift", ascending=False).head(TOP_LIFTS)
    cmp = compare_all(con)
    period = con.execute("SELECT min(day), max(day), count(*), sum(touches) FROM visit_scores").fetchall()[0]
    quarantine = con.execute(
        "SELECT source, row_number, field, message_en, message_zh FROM quarantine "
        "ORDER BY quarantined_at DESC, source, row_number LIMIT 50"
    ).df()
    return {
        "halls": halls,
        "moments": moments,
        "lifts": lifts,
        "comparison": cmp,
        "falls": _named(_falls(con), bp),
        "period": period,
        "quarantine": quarantine,
        "quarantined": scalar(con, "SELECT count(*) FROM quarantine"),
    }


def _specs(data: dict[str, object], bp: Blueprint) -> dict[str, dict[Lang, str]]:
    specs: dict[str, dict[Lang, str]] = {}
    for lang in LANGS:
        order = [getattr(m, lang) for m in bp.moments]
        made = {
            "ranking": charts.ranking(data["halls"], lang),  # type: ignore[arg-type]
            "heatmap": charts.heatmap(data["moments"], order, lang),  # type: ignore[arg-type]
            "falls": charts.peaks_and_ends(data["falls"], order, lang),  # type: ignore[arg-type]
            "lift": charts.lift_bars(data["lifts"], lang),  # type: ignore[arg-type]
        }
        if len(data["comparison"]):  # type: ignore[arg-type]
            made["models"] = charts.models(data["comparison"], lang)  # type: ignore[arg-type]
        for name, chart in made.items():
            specs.setdefault(name, {})[lang] = json.dumps(chart.to_dict(), ensure_ascii=False).replace("</", "<\\/")
    return specs


def render(con: duckdb.DuckDBPyConnection, bp: Blueprint) -> str:
    """The report as one HTML string."""
    data = gather(con, bp)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(resources.files("peakend.report").joinpath("report.html.j2").read_text("utf-8"))
    return template.render(
        bp=bp,
        data=data,
        specs=_specs(data, bp),
        js=vl_convert.javascript_bundle(),
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
    )


def write_report(con: duckdb.DuckDBPyConnection, bp: Blueprint, path: Path) -> Path:
    """Write the report to `path` (folders created as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(con, bp), "utf-8")
    return path
