"""Tables and lines as people read them: figures written with their intervals and marks, in the chosen language,
for the command line (and any page that shows the same table).

What a command prints is `Shown`: in order, a line (str; an `Aside` on stderr, a `Note` there as a warning) or a
table under its title ((title, data frame)).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.errors import BadOption
from peakend.i18n import WORDS, Lang, answer_name, say
from peakend.ingest.cells import inert as inert_cell
from peakend.loyalty.drivers import QUADRANTS
from peakend.loyalty.summary import Loyalty
from peakend.loyalty.view import effect_sentence, halls_shown, models_shown, ranked_effects
from peakend.scoring.compare import Verdict
from peakend.scoring.staff import MIN_TOUCHES
from peakend.service.blueprints import moment_sections
from peakend.simulate.check import check_cells
from peakend.simulate.run import Simulated

if TYPE_CHECKING:
    from peakend.ingest.pipeline import FileResult
    from peakend.live.replay import ReplayResult
    from peakend.scoring.compare import Comparison
    from peakend.scoring.run import ScoreResult
    from peakend.service.planning import FitReport, Planned
    from peakend.store.blueprints import InForce
    from peakend.text.training import Doc, Module

Shown = list[str | tuple[str, pd.DataFrame]]
FORMATS = ("table", "csv", "json")


class Aside(str):
    """A line printed beside the output (on stderr): a run's commonest problems, its conflicts."""


class Note(Aside):
    """A warning, printed beside the output."""


def format_checked(fmt: str) -> str:
    """An `--format` value checked: table, csv or json (BadOption)."""
    if fmt not in FORMATS:
        raise BadOption(option="--format", expected=", ".join(FORMATS), value=fmt)
    return fmt


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


def coaching(found: pd.DataFrame, lang: Lang) -> Shown:
    """Coaching assignments with their effect on e and its interval, and the verdict in words (or that none was
    recorded)."""
    if found.empty:
        return [say("coaching_none", lang)]
    return [(say("coaching_title", lang), pd.DataFrame({
        "hall": found["hall_id"], "staff": found["staff_id"], "module": found["module_id"],
        "on": found["trained_on"].astype(str),
        "effect on e [95%]": [f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" if m == m else "—"
                              for m, lo, hi in zip(found["effect"], found["low"], found["high"], strict=True)],
        "verdict": found["verdict"].map(lambda v: WORDS[f"verdict_{v}"][lang])}))]


def loyalty(result: Loyalty, names: dict[str, str], lang: Lang, out: Path | None = None) -> Shown:
    """Loyalty as printed: the window when it is shorter than asked, the halls and models, the sentences on what a
    bad moment costs, and each target's drivers (`out`: its tables written to that folder too)."""
    days = result.days
    shown: Shown = [say("loyalty_window", lang, asked=result.asked, days=days)] if days < result.asked else []
    shown.append((say("loyalty_halls", lang, days=days), halls_shown(result.halls, lang)))
    if not result.models.empty:
        shown.append((say("loyalty_models", lang, days=days), models_shown(result.models, lang, days)))
    shown += [effect_sentence(r, names, days, lang) for r in ranked_effects(result.moments).itertuples()]
    for target, table in result.drivers.items():
        if not table.empty:
            shown.append((say("loyalty_drivers", lang, target=answer_name(target, lang)), pd.DataFrame({
                "moment": table["moment"].map(names), "importance %": table["importance"].map(_tenths),
                "95%": table["low"].map(_tenths) + "–" + table["high"].map(_tenths),
                "e": table["performance"].map("{:+.2f}".format),
                "quadrant": table["quadrant"].map(lambda q: QUADRANTS[q][0 if lang == "zh" else 1])})))
    return shown + ([say("loyalty_written", lang, folder=out, tables=len(result.write(out)))] if out else [])


def staff_cards(cards: pd.DataFrame, lang: Lang, out: Path | None = None) -> Shown:
    """The scorecards as a table under its title (`out`: written to that CSV file too)."""
    shown: Shown = [(say("staff_title", lang, least=MIN_TOUCHES), staff(cards))]
    if out is not None:
        cards.to_csv(out, index=False, encoding="utf-8")
        shown.append(say("staff_written", lang, path=out))
    return shown


def approved(number: int, bp: Blueprint, recommend: bool, lang: Lang) -> Shown:
    """Calibrated weights saved as the blueprint's version `number` (a `Note` when they were not recommended)."""
    w = bp.weights
    saved = say("calibrate_saved", lang, peak=w.peak, end=w.end, mean=w.mean, number=number)
    return [saved] if recommend else [saved, Note(say("calibrate_approved_anyway", lang))]


def _tenths(value: float) -> str:
    """A share in percent to one decimal, never "-0.0"."""
    return f"{round(value, 1) + 0.0:.1f}"


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


def blueprint(bp: Blueprint, moment: str | None = None) -> Shown:
    """`peakend blueprint show`: the key moments and routes, or one moment in full (BadOption for an unknown one)."""
    if moment is None:
        return [(f"{bp.name.zh} / {bp.name.en}  (v{bp.version})", blueprint_moments(bp)),
                ("动线 / routes", blueprint_routes(bp))]
    if moment not in bp.moment_ids():
        raise BadOption(option="--moment", expected=", ".join(bp.moment_ids()), value=moment)
    m = bp.moment(moment)
    return [f"{m.zh} / {m.en}  ({m.id}, {m.role}, zone {m.zone}, lane {m.lane}, stage {m.stage}, flow {m.flow}, "
            f"importance {m.importance})",
            *(f"  {title}:\n" + "\n".join(f"    • {t.zh} / {t.en}" for t in texts)
              for title, texts in moment_sections(m))]


def versions(found: InForce, listed: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The saved blueprint versions, ✓ the one in force, ✗ those skipped because they no longer pass the check."""
    return pd.DataFrame([{"#": n, "id": i, "version": v, "saved by": who, "saved at": str(at)[:19],
                          "": "✓" if n == found.number else "✗" if n in found.skipped else ""}
                         for n, i, v, who, at in listed])


def compared(c: Comparison, target: str, folds: int, lang: Lang) -> Shown:
    """The model comparison as a table under its title, then the verdict in words."""
    title = say("compare_title", lang, target=target, metric=c.metric.upper(), repeats=c.repeats, folds=folds,
                answers=c.answers)
    return [(title, models(c.table)), c.verdict().say(lang)]


def compared_text(c: Comparison, target: str, seed: int, fmt: str) -> str:
    """The model comparison as CSV, or as JSON (the verdict in both languages, each model's row)."""
    shown = c.table.assign(target=target, metric=c.metric, answers=c.answers, seed=seed)
    if fmt == "csv":
        return shown.to_csv(index=False)
    verdict = c.verdict()
    keep = ("winner", "model", "p", "diff", "low", "high", "tested", "repeats", "folds", "best", "best_score")
    body = {"verdict": {**{k: getattr(verdict, k) for k in keep}, "zh": verdict.say("zh"), "en": verdict.say("en")},
            "models": shown.to_dict("records")}
    return json.dumps(body, ensure_ascii=False, indent=1, default=str) + "\n"


def compared_as(c: Comparison, target: str, folds: int, seed: int, fmt: str, lang: Lang) -> Shown:
    """The model comparison as `fmt` says: a table (`compared`), or its CSV or JSON text as one line."""
    if fmt == "table":
        return compared(c, target, folds, lang)
    return [compared_text(c, target, seed, fmt).removesuffix("\n")]


def found(hits: list[tuple[Doc, float]], why: str, lang: Lang) -> Shown:
    """The training search's hits, ranked, each with its score and text (or why nothing matches)."""
    if not hits:
        return [why]
    return [f"{rank}. [{doc.id}]{'' if doc.kind == 'module' else f' ({doc.kind})'} {getattr(doc.title, lang)} — "
            f"{score:.2f}\n   {getattr(doc.body, lang)}" for rank, (doc, score) in enumerate(hits, start=1)]


def modules_listed(modules: list[Module], names: dict[str, str], lang: Lang) -> Shown:
    """The training modules, each with the moments it trains (none: a line saying so)."""
    if not modules:
        return [say("train_library_none", lang)]
    return [f"[{m.id}] {getattr(m.title, lang)} — {', '.join(names.get(x, x) for x in m.moments)}" for m in modules]


def clash(source: str, row: object, kind: str, event_id: object, action: str, before: str, sent: str,
          lang: Lang) -> str:
    """A conflict (or correction) of a sent row with the stored one, in words."""
    return say("clash", lang, source=source, row=row, kind=say(f"kind_{kind}", lang), value=event_id,
               action=say(f"clash_{action}", lang), before=before, sent=sent)


def ingested(r: FileResult, lang: Lang) -> Shown:
    """What the ingest of a file says, in order: its warnings (`Note`), its summary, then (`Aside`) this run's
    commonest problems, the first row of each quoted, and its conflicts."""
    from peakend.service.files import clash_fields

    commonest = [say("ingest_commonest", lang, rows=rows, field=name, message=message[lang])
                 for rows, name, message in r.commonest]
    clashes = [clash(r.source, c.row, c.kind, c.event_id, c.action, *clash_fields(c), lang) for c in r.clashes]
    return [*map(Note, r.notes), r.summary(), *map(Aside, commonest + clashes)]


def quarantined(rows: pd.DataFrame, clashes: pd.DataFrame, lang: Lang) -> Shown:
    """The quarantined rows, each with what was done with it, how many, then the conflicts."""
    return [*(f"[{WORDS['action_' + (action or 'rejected')][lang]}] {msg}"
              for action, msg in rows.itertuples(index=False)),
            say("shown", lang, value=len(rows)),
            *(clash(c.source, c.row_number, c.kind, c.event_id, c.action, c.stored_diff, c.sent_diff, lang)
              for c in clashes.itertuples(index=False))]


def halls(listed: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    """The halls with their names in both languages ("-" for a name not given)."""
    return pd.DataFrame([(h, zh or "-", en or "-") for h, zh, en in listed], columns=["id", "中文", "English"])


def simulated(sim: Simulated, summary: dict[str, float], days: int, files: list[Path], lang: Lang) -> Shown:
    """A simulation's visits, touches and waits, its figures per hour, and the files it was written to."""
    s = summary
    return [say("sim_summary", lang, visits=len(sim.visits), touches=len(sim.touches), days=days, wait=s["wait"],
                p90=s["p90"], abandoned=s["abandoned"], rei=s["rei"]),
            (say("sim_hourly", lang), simulated_hours(sim, days)),
            say("sim_written", lang, files=", ".join(str(f) for f in files))]


def planned(p: Planned, lang: Lang) -> Shown:
    """A staffing plan: the hours no staffing reaches the targets, the plan per hour, the files written."""
    table = p.table
    return [*(say("plan_unreachable", lang, hour=row.hour, why=row.unreachable)
              for row in table[table["unreachable"] != ""].itertuples()),
            (say("plan_title", lang, config=p.config, station=p.station, day=p.day), plan(table)),
            say("plan_written", lang, table=p.files[0], chart=p.files[1])]


def fitted(r: FitReport, hall: str, lang: Lang) -> Shown:
    """A hall's fit: what it was fitted and checked on, its notes, capacity, hourly check and their agreement."""
    f, a = r.fitted, r.agreement
    shown: Shown = [say("fit_summary", lang, hall=hall, visits=f.visits, days=f.days),
                    say("fit_split", lang, **r.split) if r.split else say("fit_in_sample", lang),
                    *(say("fit_note", lang, note=note) for note in f.notes)]
    if f.capacity is not None:
        shown.append((say("fit_capacity", lang, station=f.capacity.station), fit_capacity(f.capacity.table)))
    shown.append((say("fit_table", lang, hall=hall), check_cells(r.table, lang)))
    if a.too_few:
        shown.append(say("fit_hours_too_few", lang, hours=", ".join(map(str, a.too_few))))
    if a.hours:
        shown.append(say("fit_agreement", lang, hours=a.hours, mean=a.covered["mean"], p90=a.covered["p90"],
                         abandon=a.covered["abandon"], mae_mean=a.mae["mean"], mae_p90=a.mae["p90"],
                         observed=100 * a.abandon_observed, simulated=100 * a.abandon_simulated))
    if a.hours and not a.reproduces():
        shown.append(say("fit_not_reproduced", lang, hours=", ".join(map(str, a.missed["mean"]))))
    if r.classes is not None:
        shown.append((say("fit_classes", lang), fit_classes(r.classes)))
    return shown


def replayed(r: ReplayResult, lang: Lang) -> str:
    """A replayed day: events stored and rejected, what fired, timers run."""
    return say("replayed", lang, events=r.events, stored=r.stored, rejected=r.rejected, alerts=r.fired.alerts,
               cases=r.fired.cases, surveys=r.fired.surveys, advice=r.fired.advice, timers=r.timers)


def scored(r: ScoreResult, lang: Lang) -> str:
    """A scoring run: visits, touches and halls scored, how long it took, and how many visits were scored again."""
    said = say("scored", lang, visits=r.visits, touches=r.touches, halls=r.halls, seconds=r.seconds)
    return said + ("; " + say("rescored", lang, value=f"{r.rescored:,}") if r.rescored is not None else "")


# -- ids as pages name them, in the page's language (a zh page shows no English id, an en page no Chinese name)
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
