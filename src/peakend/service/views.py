"""Tables as people read them: figures written with their intervals and marks, in the chosen language, for the
command line (and any page that shows the same table)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.i18n import WORDS, Lang
from peakend.ingest.cells import inert as inert_cell
from peakend.loyalty.drivers import QUADRANTS
from peakend.loyalty.summary import Loyalty
from peakend.loyalty.view import effect_sentence, halls_shown, models_shown, ranked_effects
from peakend.scoring.compare import Verdict
from peakend.scoring.staff import MIN_TOUCHES
from peakend.simulate.run import Simulated

__all__ = ["MIN_TOUCHES"]


def staff(cards: pd.DataFrame) -> pd.DataFrame:
    """Scorecards: rank, touches, mean e, shrunk e with its interval, negative-peak share, cases in time."""
    return pd.DataFrame({
        "hall": cards["hall_id"], "staff": cards["staff_id"],
        "rank": cards["rank"].map(lambda r: "" if pd.isna(r) else str(int(r))), "touches": cards["touches"],
        "mean e": cards["mean_e"].map("{:+.3f}".format),
        "shrunk e [95%]": [f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" for m, lo, hi in
                           zip(cards["shrunk"], cards["low"], cards["high"], strict=True)],
        "neg. peak": cards["negative_peak_share"].map("{:.1%}".format),
        "cases in time": cards["closed_in_time"].astype(str) + "/" + cards["cases"].astype(str)})


def coaching(found: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Coaching assignments with their effect on e and its interval, and the verdict in words."""
    return pd.DataFrame({
        "hall": found["hall_id"], "staff": found["staff_id"], "module": found["module_id"],
        "on": found["trained_on"].astype(str),
        "effect on e [95%]": [f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" if m == m else "—"
                              for m, lo, hi in zip(found["effect"], found["low"], found["high"], strict=True)],
        "verdict": found["verdict"].map(lambda v: WORDS[f"verdict_{v}"][lang])})


def loyalty(result: Loyalty, names: dict[str, str], lang: Lang) -> tuple[list[tuple[str, pd.DataFrame]], list[str]]:
    """The loyalty tables (title key, table) and the sentences on what a bad moment costs."""
    tables: list[tuple[str, pd.DataFrame]] = [("loyalty_halls", halls_shown(result.halls, lang))]
    if not result.models.empty:
        tables.append(("loyalty_models", models_shown(result.models, lang, result.days)))
    sentences = [effect_sentence(r, names, result.days, lang) for r in ranked_effects(result.moments).itertuples()]
    for target, table in result.drivers.items():
        if not table.empty:
            tables.append((f"loyalty_drivers:{target}", pd.DataFrame({
                "moment": table["moment"].map(names), "importance %": table["importance"].map("{:.1f}".format),
                "95%": table["low"].map("{:.1f}".format) + "–" + table["high"].map("{:.1f}".format),
                "e": table["performance"].map("{:+.2f}".format),
                "quadrant": table["quadrant"].map(lambda q: QUADRANTS[q][0 if lang == "zh" else 1])})))
    return tables, sentences


def simulated_hours(sim: Simulated, days: int) -> pd.DataFrame:
    """Per hour of a simulation: waits a day, mean wait, share who left the queue."""
    hours = sim.touches.assign(hour=sim.touches["start_at"].dt.hour)
    hours = hours[hours["wait_min"].notna()].groupby("hour").agg(
        waits=("wait_min", "size"), wait=("wait_min", "mean"), left=("outcome", lambda o: (o == "abandoned").mean()))
    return hours.assign(waits=hours["waits"] / days).round(3).reset_index()


def fit_capacity(cap: pd.DataFrame) -> pd.DataFrame:
    """A fitted station's capacity per hour: raw, effective, and its interval."""
    return pd.DataFrame({"hour": cap["hour"], "raw": cap["raw"], "effective": cap["effective"],
                         "95%": cap["low"].map("{:g}".format) + "–" + cap["high"].map("{:g}".format)})


def fit_classes(classes: pd.DataFrame) -> pd.DataFrame:
    """Waits per priority class, observed and simulated with their intervals, ✓ where they agree."""
    def span(prefix: str, lo: str, hi: str) -> pd.Series:
        return (classes[prefix].map("{:.2f}".format) + " [" + classes[lo].map("{:.2f}".format) + "–"
                + classes[hi].map("{:.2f}".format) + "]")

    return pd.DataFrame({"segment": classes["segment"], "priority": classes["priority"], "waits": classes["waits"],
                         "mean wait": span("observed_mean", "observed_lo", "observed_hi"),
                         "model": span("simulated_mean", "simulated_plo", "simulated_phi")
                         + classes["ok"].map({True: " ✓", False: " ✗"})})


def plan(table: pd.DataFrame) -> pd.DataFrame:
    """A staffing plan as printed: servers per hour beside Erlang-A's, the figures, ✗ where a target is missed."""
    shown = table.assign(flag=table["meets"].map({True: "", False: "✗"}))
    return shown[["hour", "servers", "erlang_a", "visits", "wait", "within", "within_ci", "abandoned", "rei",
                  "rei_ci", "flag"]].round(2)


def cell(value: object) -> str:
    """A table cell as text: empty for a missing value (never nan)."""
    try:
        missing = bool(pd.isna(value))
    except (TypeError, ValueError):
        missing = False
    return "" if missing else str(value)



def blueprint_moments(bp: Blueprint) -> pd.DataFrame:
    """A blueprint's key moments as `peakend blueprint show` lists them, in both languages."""
    names = {x.id: x for x in [*bp.zones, *bp.lanes, *bp.stages, *bp.flows]}
    return pd.DataFrame([{"#": i, "id": m.id, "关键时刻 / moment": f"{m.zh} / {m.en}",
                          "角色 role": {"peak": "峰 peak", "end": "终 end", "key": ""}[m.role],
                          "区域 zone": names[m.zone].zh, "阶段 stage": names[m.stage].zh, "重要性": "★" * m.importance}
                         for i, m in enumerate(bp.moments, start=1)])


def blueprint_routes(bp: Blueprint) -> pd.DataFrame:
    """A blueprint's routes (flow-lines) with their moments in order."""
    return pd.DataFrame([{"id": r.id, "名称 / name": f"{r.zh} / {r.en}", "关键时刻 / moments": " → ".join(r.moments)}
                         for r in bp.routes])


def models(table: pd.DataFrame) -> pd.DataFrame:
    """The model comparison as printed: each model's name in both languages, its score and spread."""
    return pd.DataFrame({"模型 / model": table["name_zh"] + " / " + table["name_en"],
                         "score": table["score"].map("{:.3f}".format), "± sd": table["sd"].map("{:.3f}".format)})


def inert(table: pd.DataFrame) -> pd.DataFrame:
    """A table as a spreadsheet may open it: every text cell a spreadsheet would run as a formula made inert
    (`ingest.cells.inert`: a leading `'` before = + - @ | tab CR LF, full-width and small forms too)."""
    return table.apply(lambda col: col.map(inert_cell) if col.dtype == object or pd.api.types.is_string_dtype(col)
                       else col)


# -- ids as pages name them, in the page's language (a zh page shows no English id, an en page no Chinese name)
def answer_name(answer: str, lang: Lang) -> str:
    """A survey answer (`overall`, `switch_resist`, `promoter`, …) by its name in `lang` (WORDS `answer_<id>`);
    an answer without one by its id."""
    found = WORDS.get(f"answer_{answer}")
    return found[lang] if found else answer


def named_verdicts(found: list[Verdict] | None, lang: Lang) -> list[Verdict] | None:
    """Verdicts whose target reads as the answer's name in `lang` (for their sentences, `Verdict.say`)."""
    return None if found is None else [replace(v, target=answer_name(v.target, lang)) for v in found]


def part_name(bp: Blueprint, part: str, lang: Lang) -> str:
    """A lane, stage, zone or flow of the blueprint by its name in `lang`, else by its id."""
    names = {x.id: x for x in [*bp.zones, *bp.lanes, *bp.stages, *bp.flows]}
    return str(getattr(names[part], lang)) if part in names else part


def for_chart(df: pd.DataFrame, halls: dict[str, str], lang: Lang) -> pd.DataFrame:
    """A table about to become a chart: halls by their names in `lang` and the other language's columns left out
    (a chart's data travels with the page)."""
    other = "en" if lang == "zh" else "zh"
    out = df.drop(columns=[c for c in df.columns if str(c).endswith(f"_{other}")])
    if "hall_id" in out:
        out = out.assign(hall_id=out["hall_id"].map(lambda h: halls.get(h, h)))
    return out
