"""The `peakend` command line: blueprint, ingest, score, compare, report, demo, serve, live, simulate, fit, plan.

Each command imports what it needs when it runs, so `peakend --help` and light commands answer at once
(see bench/bench_cli.py). Every `PeakendError` a command raises is told once, here (`Command`): its
message in the session language on stderr, and its exit code.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table
from typer.models import CommandFunctionType

from peakend.errors import BlueprintError, ConfigError, PeakendError
from peakend.i18n import WORDS, say
from peakend.i18n import lang as i18n_lang
from peakend.settings import DEFAULT_DB as DEFAULT_PATH

if TYPE_CHECKING:
    import pandas as pd

    from peakend.blueprint.model import Blueprint
    from peakend.contract import Kind
    from peakend.ingest.mapping import Mapping
    from peakend.ingest.pipeline import FileResult
    from peakend.live.sms import Gateway
    from peakend.loyalty.summary import Loyalty
    from peakend.scoring.compare import Target
    from peakend.scoring.engines import LakeEngine
    from peakend.simulate.config import HallConfig


class App(typer.Typer):
    """A Typer app whose commands tell a `PeakendError` in the session language and exit with its code."""

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[CommandFunctionType], CommandFunctionType]:
        register = super().command(name, **kwargs)

        def decorate(fn: CommandFunctionType) -> CommandFunctionType:
            @functools.wraps(fn)
            def run(*a: Any, **k: Any) -> Any:
                try:
                    return fn(*a, **k)
                except PeakendError as exc:
                    tell(exc)
                    raise typer.Exit(exc.exit_code) from exc

            register(run)
            return fn

        return decorate


def tell(exc: PeakendError) -> None:
    """Print an error's message (each problem of a blueprint or configuration on its own line) to stderr."""
    lines = ([str(p) for p in exc.problems] if isinstance(exc, BlueprintError)
             else [say("config_problem", problem=p) for p in exc.problems] if isinstance(exc, ConfigError)
             else exc.say().splitlines())
    for line in lines:
        err.print(line, style="red", markup=False, highlight=False)


app = App(
    help="peakend: peak-end customer-experience management for service halls (峰终定律营业厅体验管理).",
    no_args_is_help=True,
)
blueprint_app = App(help="Check and show service blueprints (服务蓝图).", no_args_is_help=True)
app.add_typer(blueprint_app, name="blueprint")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOpt = Annotated[
    str, typer.Option("--db", envvar="PEAKEND_DB", help="Store: a DuckDB file path or a postgresql:// URL.")
]
BpOpt = Annotated[
    Path | None, typer.Option("--blueprint", "-b", help="Blueprint YAML (default: built-in telecom hall).")
]


@app.callback()
def main(lang: Annotated[str | None, typer.Option("--lang", help="zh or en (env PEAKEND_LANG).")] = None) -> None:
    """Set the language of messages."""
    if lang:
        os.environ["PEAKEND_LANG"] = lang


@app.command("settings")
def settings_cmd() -> None:
    """Print every setting (environment variable) with the value in force and what it does."""
    from peakend import settings

    lang = i18n_lang()
    table = Table(title=say("settings_title"))
    for column in ("variable", "value", "meaning"):
        table.add_column(say(f"settings_{column}"))
    for s, shown, given in settings.in_force():
        value = (shown or "—") + ("" if given else say("settings_default"))
        table.add_row(s.env, value, s.zh if lang == "zh" else s.en)
    console.print(table)


def _blueprint(path: Path | None, db: str | None = None) -> Blueprint:
    """The blueprint a command runs: `path` if given, else the store's (`db`), else the built-in one.

    A given blueprint that differs from the store's is used, with a warning naming both.
    """
    from peakend.blueprint.load import load_blueprint

    saved = _stored_blueprint(db) if db else None
    if path is None:
        return saved[1] if saved else load_blueprint(None)
    given = load_blueprint(path)
    if saved and saved[1] != given:
        err.print(say("bp_differs", source=path, value=f"{given.id} {given.version}", number=saved[0],
                      expected=f"{saved[1].id} {saved[1].version}"), highlight=False, markup=False)
    return given


def _stored_blueprint(db: str) -> tuple[int, Blueprint] | None:
    """The store's latest blueprint version, if the store exists and has one."""
    from peakend.store.blueprints import in_force
    from peakend.store.db import is_postgres

    if not is_postgres(db) and not Path(db).exists():
        return None
    with connect(db) as store:
        found = in_force(store)
    return (found.number, found.blueprint) if found.number else None


def connect(db: str) -> Any:
    """The store at `db` (imported when a command needs it)."""
    from peakend.store.db import connect as open_store

    return open_store(db)


@blueprint_app.command("check")
def blueprint_check(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Report every problem of an edited blueprint, with its line; exit 1 if there is any."""
    from peakend.blueprint.load import check_text

    try:
        text = file.read_text("utf-8")
    except UnicodeDecodeError as exc:
        err.print(say("not_utf8", source=file, value=exc), highlight=False)
        raise typer.Exit(1) from exc
    bp, problems = check_text(text, str(file))
    for p in problems:
        console.print(str(p), highlight=False, markup=False)
    if problems:
        err.print(say("bp_problems", source=file, value=len(problems)))
        raise typer.Exit(1)
    assert bp is not None
    summary = f"{len(bp.moments)} moments, {len(bp.routes)} routes, {len(bp.checklist)} checklist items"
    console.print(say("bp_ok", source=file, value=bp.id, expected=summary), highlight=False)


@blueprint_app.command("use")
def blueprint_use(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], db: DbOpt = DEFAULT_PATH,
                  who: Annotated[str, typer.Option(help="Who saves it (kept with the version).")] = "cli") -> None:
    """Make a checked blueprint the store's: saved as its next version, used by every command and the web app."""
    from peakend.service import Workspace

    with Workspace.open(db) as ws:
        number, same = ws.blueprints.use(file, who)
        bp = ws.blueprint
    console.print(say("bp_same" if same else "bp_used", source=file, value=bp.id, number=number), highlight=False)


@blueprint_app.command("new")
def blueprint_new(
    out: Annotated[Path, typer.Argument(help="The YAML file to write.", dir_okay=False)],
    moments: Annotated[str | None, typer.Option(help="Key moments in journey order, comma-separated.")] = None,
    mapping: Annotated[Path | None, typer.Option(help="…or the moments of a wide mapping file, in its order.",
                                                 exists=True, dir_okay=False)] = None,
    blueprint_id: Annotated[str, typer.Option("--id", help="The blueprint's id (a-z, 0-9, _).")] = "my_service",
    name: Annotated[str, typer.Option(help="The service's name.")] = "My service",
) -> None:
    """Write a minimal valid blueprint for any service from its moments (the last one is the end)."""
    from peakend.blueprint.load import check_text
    from peakend.blueprint.new import new_blueprint_text
    from peakend.ingest.mapping import load_mapping

    if (moments is None) == (mapping is None):
        err.print(say("bad_option", option="--moments / --mapping", expected="one of them", value="both or none"))
        raise typer.Exit(2)
    if moments is not None:
        names = moments.replace("，", ",").split(",")
    else:
        assert mapping is not None
        names = [m.moment for m in load_mapping(mapping).moments]
    text = new_blueprint_text(names, blueprint_id, name)
    bp, problems = check_text(text, str(out))
    if bp is None:
        from peakend.errors import BlueprintError

        raise BlueprintError(problems)
    out.write_text(text, "utf-8")
    console.print(say("bp_written", source=out, value=len(bp.moments), expected=bp.moments[-1].id), highlight=False)


@blueprint_app.command("show")
def blueprint_show(
    blueprint: BpOpt = None,
    moment: Annotated[str | None, typer.Option(help="Show one moment in full (standards, guidelines...).")] = None,
) -> None:
    """Print the blueprint's key moments and routes as tables, in both languages."""
    bp = _blueprint(blueprint)
    if moment:
        _show_moment(bp, moment)
        return
    names = {x.id: x for x in [*bp.zones, *bp.lanes, *bp.stages, *bp.flows]}
    table = Table(title=f"{bp.name.zh} / {bp.name.en}  (v{bp.version})")
    for col in ("#", "id", "关键时刻 / moment", "角色 role", "区域 zone", "阶段 stage", "重要性"):
        table.add_column(col)
    for i, m in enumerate(bp.moments, start=1):
        role = {"peak": "峰 peak", "end": "终 end", "key": ""}[m.role]
        table.add_row(str(i), m.id, f"{m.zh} / {m.en}", role, names[m.zone].zh, names[m.stage].zh, "★" * m.importance)
    console.print(table)
    routes = Table(title="动线 / routes")
    for col in ("id", "名称 / name", "关键时刻 / moments"):
        routes.add_column(col)
    for r in bp.routes:
        routes.add_row(r.id, f"{r.zh} / {r.en}", " → ".join(r.moments))
    console.print(routes)


def _show_moment(bp: Blueprint, moment_id: str) -> None:
    try:
        m = bp.moment(moment_id)
    except KeyError as exc:
        err.print(say("unknown_moment", value=moment_id, expected=", ".join(bp.moment_ids())), highlight=False)
        raise typer.Exit(2) from exc
    console.print(
        f"[bold]{m.zh} / {m.en}[/bold]  ({m.id}, {m.role}, zone {m.zone}, lane {m.lane}, "
        f"stage {m.stage}, flow {m.flow}, importance {m.importance})"
    )
    sections = [
        ("客户需求 needs", m.needs),
        ("标准 standards", m.standards),
        ("行动指引 guidelines", m.guidelines),
        ("应用工具 tools", m.tools),
        ("后台支撑 backstage", m.backstage),
        ("内部联动 coordination", m.coordination),
    ]
    for title, texts in sections:
        if texts:
            console.print(f"  {title}:")
            for t in texts:
                console.print(f"    • {t.zh} / {t.en}", highlight=False)


def run_ingest(
    files: list[Path],
    db: str,
    bp: Blueprint,
    mapping: Mapping | None = None,
    kind: Kind | None = None,
    encoding: str = "auto",
    rating_scale: str | None = None,
    quiet: bool = False,
    replace: bool = False,
    allow_fractions: bool = False,
    sheet: str | None = None,
) -> list[FileResult]:
    """Ingest files (a workbook sheet by sheet) with a progress bar each and print each one's summary."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from peakend.ingest.pipeline import ingest_file, sources
    from peakend.ingest.validate import Context

    store = connect(db)
    ctx = Context(bp, rating_scale, allow_fractions, replace)  # ingest_file reads the mapping's scale and fractions
    results = []
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        for path, part in sources(files, sheet):
            task = progress.add_task(path.name + (f"#{part}" if part else ""),
                                     total=path.stat().st_size if path.is_file() else 0)
            result = ingest_file(store, path, ctx, mapping, kind, encoding,
                                 functools.partial(_advance, progress, task), part)
            progress.remove_task(task)
            results.append(result)
            if not quiet:
                for note in result.notes:
                    err.print(f"[yellow]{note}[/yellow]", highlight=False)
                console.print(result.summary(), highlight=False, markup=False)
                for c in result.clashes:
                    err.print(clash_text(result.source, c), highlight=False, markup=False)
    store.close()
    return results


def clash_text(source: str, c: Any) -> str:
    """One conflict or correction, naming the fields that differ with both values, in the session language."""
    import json

    from peakend.ingest.corrections import differing

    before, sent = differing(c.kept, c.sent)
    return say("clash", source=source, row=c.row, kind=say(f"kind_{c.kind}"), value=c.event_id,
               action=say(f"clash_{c.action}"), before=json.dumps(before, ensure_ascii=False, default=str),
               sent=json.dumps(sent, ensure_ascii=False, default=str))


def _advance(progress: Any, task: Any, done: int, size: int) -> None:
    progress.update(task, completed=done, total=size)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(
        exists=True, help="CSV, JSON Lines, Parquet or Excel (.xlsx, .xls, .ods) files, or folders.")],
    db: DbOpt = DEFAULT_PATH,
    blueprint: BpOpt = None,
    mapping: Annotated[Path | None, typer.Option(help="Column mapping YAML (long renames or wide format).")] = None,
    kind: Annotated[str | None, typer.Option(help="touch, visit, survey or audit (default: from columns).")] = None,
    encoding: Annotated[str, typer.Option(
        help="Text encoding of CSV/JSONL files: auto (detected: UTF-8, UTF-8 with BOM, GBK/GB18030, Big5, UTF-16) "
             "or a name, e.g. gbk.")] = "auto",
    sheet: Annotated[str | None, typer.Option(help="Of a workbook, only this sheet (default: every visible sheet, "
                                                   "each its own source file#sheet).")] = None,
    rating_scale: Annotated[
        str | None, typer.Option(help="Scale of ratings given without one: 1-5, 1-10, 0-10, sat3.")
    ] = None,
    allow_fractions: Annotated[bool, typer.Option(
        help="Accept ratings between a scale's points (3.5 on 1-5).")] = False,
    replace: Annotated[bool, typer.Option(help="An id sent again with different content is a correction: apply "
                                               "it, keep the old version in the audit table.")] = False,
) -> None:
    """Ingest event files; bad rows are quarantined with a message naming file, row and field.

    An id already stored with different content is reported as a conflict with both versions
    (see `peakend quarantine`), or applied with --replace; identical content is a no-op.
    """
    from peakend.ingest.mapping import load_mapping

    if kind not in (None, "touch", "visit", "survey", "audit"):
        err.print(say("bad_option", option="--kind", expected="touch, visit, survey, audit", value=kind))
        raise typer.Exit(2)
    mp = load_mapping(mapping) if mapping else None
    results = run_ingest(files, db, _blueprint(blueprint, db), mp, cast("Kind | None", kind), encoding, rating_scale,
                         replace=replace, allow_fractions=allow_fractions, sheet=sheet)
    if len(results) > 1:
        total = sum(r.quarantined for r in results)
        console.print(say("ingest_total", files=len(results), stored=sum(r.stored for r in results),
                          quarantined=total), highlight=False)


@app.command()
def quarantine(db: DbOpt = DEFAULT_PATH, limit: Annotated[int, typer.Option()] = 50) -> None:
    """List rejected rows and warnings (source, row, field and why), then conflicts with both versions."""
    from peakend.ingest.corrections import listed

    lang = i18n_lang()
    with connect(db) as store:
        rows = store.query(f"SELECT action, message_{lang} FROM quarantine ORDER BY source, row_number LIMIT ?",
                           [limit])
        clashes = listed(store, limit)
    for action, msg in rows.itertuples(index=False):
        shown = WORDS["action_" + (action or "rejected")][lang]
        console.print(f"[{shown}] {msg}", highlight=False, markup=False)
    console.print(say("shown", value=len(rows)))
    for c in clashes.itertuples(index=False):
        console.print(say("clash", source=c.source, row=c.row_number, kind=say(f"kind_{c.kind}"), value=c.event_id,
                          action=say(f"clash_{c.action}"), before=c.stored_diff, sent=c.sent_diff),
                      highlight=False, markup=False)


def run_score(db: str, bp: Blueprint, full: bool = False) -> None:
    """Score the store (only what changed, unless `full`) and print what was scored."""
    from peakend.scoring.run import score

    store = connect(db)
    try:
        with console.status(say("scoring", value="")) as status:
            result = score(store, bp, lambda step: status.update(say("scoring", value=step)), full)
    finally:
        store.close()
    said = say("scored", visits=result.visits, touches=result.touches, halls=result.halls, seconds=result.seconds)
    if result.rescored is not None:
        said += "; " + say("rescored", value=f"{result.rescored:,}")
    console.print(said, highlight=False)


@app.command("score")
def score_cmd(
    db: DbOpt = DEFAULT_PATH,
    blueprint: BpOpt = None,
    engine: Annotated[str | None, typer.Option(
        help="duckdb, postgres or spark (default: the store's own; with --lake, duckdb).")] = None,
    lake: Annotated[Path | None, typer.Option(
        help="Score a Parquet lake (`peakend export`) instead of the store.", file_okay=False)] = None,
    out: Annotated[Path | None, typer.Option(help="Where a lake's score tables go (default LAKE/scores).")] = None,
    master: Annotated[str | None, typer.Option(help="Spark master, e.g. spark://host:7077 (default: local).")]
    = None,
    full: Annotated[bool, typer.Option("--full", help="Score every visit again, not only what changed.")] = False,
) -> None:
    """Score visits by the peak-end rule; write touch, visit, moment and hall tables.

    On the store (DuckDB or PostgreSQL) only the visits whose events arrived since the last run are scored again
    (the same blueprint; --full: all), or with --lake everything on a Parquet lake by DuckDB or Spark.
    """
    from peakend.store.db import is_postgres

    bp = _blueprint(blueprint, db)
    if engine not in (None, "duckdb", "postgres", "spark"):
        err.print(say("bad_engine", engine=engine))
        raise typer.Exit(2)
    if lake is None:
        backend = "postgres" if is_postgres(db) else "duckdb"
        if engine not in (None, backend):
            err.print(say("engine_needs_lake", engine=engine, backend=backend))
            raise typer.Exit(2)
        run_score(db, bp, full)
        return
    if engine == "postgres":
        err.print(say("engine_needs_lake", engine=engine, backend="lake"))
        raise typer.Exit(2)
    run_score_lake(lake, bp, cast("LakeEngine", engine or "duckdb"), out, master)


def run_score_lake(lake: Path, bp: Blueprint, engine: LakeEngine, out: Path | None, master: str | None) -> None:
    """Score a lake on DuckDB or Spark and print what was scored."""
    from peakend.scoring.engines import score_lake

    with console.status(say("scoring", value=engine)) as status:
        result = score_lake(engine, lake, bp, out, master, lambda step: status.update(f"{engine}: {step}"))
    console.print(say("scored", visits=result.visits, touches=result.touches, halls=result.halls,
                      seconds=result.seconds), highlight=False)
    console.print(say("lake_scores", engine=engine, folder=out or lake / "scores"), highlight=False)


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Argument(help="The lake folder (its table folders are replaced).", file_okay=False)],
    db: DbOpt = DEFAULT_PATH,
) -> None:
    """Write the store's visits, touches, surveys and audits as Parquet partitioned by date and hall."""
    from peakend.store.lake import export_lake

    with connect(db) as store, console.status(say("exporting", table="", rows="")) as status:
        rows = export_lake(store, out, lambda table, n: status.update(say("exporting", table=table, rows=f"{n:,}")))
    console.print(say("exported", rows=", ".join(f"{t} {n:,}" for t, n in rows.items()), folder=out),
                  highlight=False)


@app.command("compare")
def compare_cmd(
    db: DbOpt = DEFAULT_PATH,
    target: Annotated[str, typer.Option(
        help="A survey answer: overall, recommend, repurchase, relationship, switch_resist (R², or AUC when it "
             "takes two values, e.g. yes/no) or promoter (recommend ≥ 9, AUC). A file's own column becomes one "
             "of them through the mapping (survey: {overall: satisfied}).")] = "overall",
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
    seed: Annotated[int, typer.Option(help="Shuffles the folds (the same for every model); recorded in the output.")]
    = 0,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json (the table and the verdict).")] = "table",
) -> None:
    """Cross-validate mean / peak / end / peak+end / … models of the survey answer, and say which wins."""
    import json

    from peakend.scoring.compare import TARGETS, compare_models, survey_frame
    from peakend.scoring.run import require_scores

    if target not in TARGETS:
        err.print(say("bad_option", option="--target", expected=", ".join(TARGETS), value=target))
        raise typer.Exit(2)
    if fmt not in ("table", "csv", "json"):
        err.print(say("bad_option", option="--format", expected="table, csv, json", value=fmt))
        raise typer.Exit(2)
    with connect(db) as store:
        require_scores(store)
        c = compare_models(survey_frame(store), cast("Target", target), folds, seed)
    verdict = c.verdict()
    shown = c.table.assign(target=target, metric=c.metric, answers=c.answers, seed=seed)
    if fmt == "csv":
        console.print(shown.to_csv(index=False), end="", markup=False, highlight=False, soft_wrap=True)
        return
    if fmt == "json":
        body = {"verdict": {"winner": verdict.winner, "model": verdict.model, "p": verdict.p, "zh": verdict.say("zh"),
                            "en": verdict.say("en")}, "models": shown.to_dict("records")}
        console.print(json.dumps(body, ensure_ascii=False, indent=1), markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(title=say("compare_title", target=target, metric=c.metric.upper(), folds=folds, answers=c.answers))
    for col in ("模型 / model", c.metric.upper(), "± sd"):
        table.add_column(col)
    for r in c.table.itertuples():
        table.add_row(f"{r.name_zh} / {r.name_en}", f"{r.score:.3f}", f"{r.sd:.3f}")
    console.print(table)
    console.print(verdict.say(i18n_lang()), highlight=False)


@app.command("calibrate")
def calibrate_cmd(
    db: DbOpt = DEFAULT_PATH,
    target: Annotated[str, typer.Option(help="The survey answer to fit to (as for `peakend compare`).")] = "overall",
    boot: Annotated[int, typer.Option(min=50, max=10_000, help="Bootstrap resamples for the intervals.")] = 400,
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
    seed: Annotated[int, typer.Option(help="Seeds the bootstrap and the folds (recorded in the note).")] = 0,
    approve: Annotated[bool, typer.Option(help="Save the fitted weights as the store's next blueprint version.")]
    = False,
) -> None:
    """Fit the weights of peak, end and mean to the store's survey answers, with intervals, and test them
    out of sample against 0.5/0.5/0 and the mean alone; --approve writes them into the blueprint."""
    from datetime import date

    from peakend.scoring.calibrate import calibrate, with_weights
    from peakend.scoring.compare import TARGETS, survey_frame
    from peakend.scoring.run import require_scores
    from peakend.store.blueprints import blueprint_yaml, save_blueprint

    if target not in TARGETS:
        err.print(say("bad_option", option="--target", expected=", ".join(TARGETS), value=target))
        raise typer.Exit(2)
    with connect(db) as store:
        require_scores(store)
        with console.status(say("scoring", value="calibrate")):
            c = calibrate(survey_frame(store), target, boot, folds, seed)
        console.print(c.say(i18n_lang()), highlight=False, markup=False)
        if approve:
            note = (f"fitted by peakend calibrate on {c.answers} answers to {target}, {date.today()}, seed {seed}; "
                    f"{c.metric} {c.scores['fitted']:.3f} vs {c.scores['peak_end']:.3f} for 0.5/0.5/0")
            text = with_weights(blueprint_yaml(store), c.weights, note)
            bp = _checked_text(text)
            number = save_blueprint(store, bp, text, "calibrate")
            w = bp.weights
            console.print(say("calibrate_saved", peak=w.peak, end=w.end, mean=w.mean, number=number), highlight=False)


@app.command("loyalty")
def loyalty_cmd(
    db: DbOpt = DEFAULT_PATH,
    blueprint: BpOpt = None,
    days: Annotated[int | None, typer.Option(min=1, max=730, help="Return window in days (default: the "
                                             "blueprint's loyalty.return_days, 90).")] = None,
    hall: Annotated[list[str] | None, typer.Option(help="Only this hall (repeatable).")] = None,
    drivers: Annotated[bool, typer.Option(help="Key-driver analysis (bootstrap; a few seconds).")] = True,
    out: Annotated[Path | None, typer.Option(help="Also write every table as CSV into this folder.",
                                             file_okay=False)] = None,
    seed: Annotated[int, typer.Option(help="Seeds the folds and the bootstrap.")] = 0,
) -> None:
    """Loyalty: index and NPS with intervals per hall and week, return visits and lapses of known customers,
    how REI, peak, end and mean drive each outcome, what a bad end or peak at each moment costs, key drivers."""
    from peakend.loyalty.summary import loyalty
    from peakend.scoring.run import require_scores

    bp = _blueprint(blueprint, db)
    if days is not None:
        bp = bp.model_copy(update={"loyalty": bp.loyalty.model_copy(update={"return_days": days})})
    with connect(db) as store:
        require_scores(store)
        with console.status(say("loyalty_working")):
            result = loyalty(store, bp, set(hall) if hall else None, drivers, seed)
    _print_loyalty(result, bp)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        tables = {"halls": result.halls, "weeks": result.weeks, "models": result.models, "moments": result.moments,
                  **{f"drivers_{k}": v for k, v in result.drivers.items()}}
        for name, frame in tables.items():
            frame.to_csv(out / f"loyalty_{name}.csv", index=False, encoding="utf-8")
        console.print(say("loyalty_written", folder=out, tables=len(tables)), highlight=False)


def _print_loyalty(result: Loyalty, bp: Blueprint) -> None:
    import pandas as pd

    from peakend.loyalty.drivers import QUADRANTS
    from peakend.loyalty.view import effect_sentence, halls_shown, models_shown, ranked_effects

    lang = i18n_lang()
    if result.days < result.asked:
        console.print(say("loyalty_window", asked=result.asked, days=result.days), highlight=False)
    _print_frame(halls_shown(result.halls, lang), say("loyalty_halls", days=result.days))
    if not result.models.empty:
        _print_frame(models_shown(result.models, lang, result.days), say("loyalty_models", days=result.days))
    names = bp.names(lang)
    for r in ranked_effects(result.moments).itertuples():
        console.print(effect_sentence(r, names, result.days, lang), highlight=False, markup=False)
    for target, table in result.drivers.items():
        if table.empty:
            continue
        shown = pd.DataFrame({"moment": table["moment"].map(names),
                              "importance %": table["importance"].map("{:.1f}".format),
                              "95%": table["low"].map("{:.1f}".format) + "–" + table["high"].map("{:.1f}".format),
                              "e": table["performance"].map("{:+.2f}".format),
                              "quadrant": table["quadrant"].map(lambda q: QUADRANTS[q][0 if lang == "zh" else 1])})
        _print_frame(shown, say("loyalty_drivers", target=target))


@app.command("staff")
def staff_cmd(
    db: DbOpt = DEFAULT_PATH,
    hall: Annotated[list[str] | None, typer.Option(help="Only this hall (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the cards as CSV (for appraisal).", dir_okay=False)]
    = None,
) -> None:
    """Staff scorecards: mean e over the touches each served, shrunk toward the hall's mean (empirical Bayes,
    95% interval), ranked where there are enough touches; negative-peak and end shares, cases, audits."""
    import pandas as pd

    from peakend.scoring.run import require_scores
    from peakend.scoring.staff import MIN_TOUCHES, scorecards

    with connect(db) as store:
        require_scores(store)
        cards = scorecards(store, set(hall) if hall else None)
    shown = pd.DataFrame({
        "hall": cards["hall_id"], "staff": cards["staff_id"],
        "rank": cards["rank"].map(lambda r: "" if pd.isna(r) else str(int(r))), "touches": cards["touches"],
        "mean e": cards["mean_e"].map("{:+.3f}".format),
        "shrunk e [95%]": [f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" for m, lo, hi in
                           zip(cards["shrunk"], cards["low"], cards["high"], strict=True)],
        "neg. peak": cards["negative_peak_share"].map("{:.1%}".format),
        "cases in time": cards["closed_in_time"].astype(str) + "/" + cards["cases"].astype(str)})
    _print_frame(shown, say("staff_title", least=MIN_TOUCHES))
    if out is not None:
        cards.to_csv(out, index=False, encoding="utf-8")
        console.print(say("staff_written", path=out), highlight=False)


train_app = App(help="The training search engine (培训搜索引擎): modules and the blueprint's guidance.",
                no_args_is_help=True)
app.add_typer(train_app, name="train")


@train_app.command("search")
def train_search(
    query: Annotated[str, typer.Argument(help="Words to look for, zh or en (traditional characters too).")],
    db: DbOpt = DEFAULT_PATH,
    blueprint: BpOpt = None,
    k: Annotated[int, typer.Option(min=1, max=50, help="How many results.")] = 5,
) -> None:
    """Rank training modules and the blueprint's guidelines and standards for QUERY (BM25 over jieba words)."""
    from peakend.text.training import engine

    bp = _blueprint(blueprint, db)
    lang = i18n_lang()
    hits = engine(bp).search(query, k=k)
    if not hits:
        console.print(say("train_none", query=query), highlight=False, markup=False)
        return
    for rank, (doc, score) in enumerate(hits, start=1):
        kind = "" if doc.kind == "module" else f" ({doc.kind})"
        console.print(f"{rank}. [{doc.id}]{kind} {getattr(doc.title, lang)} — {score:.2f}", highlight=False,
                      markup=False)
        console.print(f"   {getattr(doc.body, lang)}", highlight=False, markup=False, soft_wrap=True)


@train_app.command("assign")
def train_assign(
    hall: Annotated[str, typer.Option(help="The staff member's hall.")],
    staff: Annotated[str, typer.Option(help="The staff id, as on their touches.")],
    module: Annotated[str, typer.Option(help="A module id (`peakend train list`).")],
    on: Annotated[str, typer.Option(help="The training date, YYYY-MM-DD.")],
    db: DbOpt = DEFAULT_PATH,
    by: Annotated[str, typer.Option(help="Who assigned it.")] = "cli",
) -> None:
    """Record that STAFF was trained on MODULE on a date; `peakend train effects` measures it afterwards."""
    from datetime import date

    from peakend.ingest.privacy import key_text
    from peakend.scoring.coaching import assign
    from peakend.text.training import library

    if module not in {m.id for m in library().modules}:
        err.print(say("bad_option", option="--module", expected="`peakend train list`", value=module))
        raise typer.Exit(2)
    try:
        day = date.fromisoformat(on)
    except ValueError:
        err.print(say("bad_option", option="--on", expected="YYYY-MM-DD", value=on))
        raise typer.Exit(2) from None
    with connect(db) as store:
        cid = assign(store, hall, key_text(store, staff) or staff, module, day, by)
    console.print(say("coaching_saved", id=cid), highlight=False, markup=False)


@train_app.command("effects")
def train_effects(db: DbOpt = DEFAULT_PATH) -> None:
    """Each coaching assignment: the trained person's e at the module's moments before vs after, against untrained
    colleagues (difference in differences, 95% interval), or "no detectable change yet"."""
    import pandas as pd

    from peakend.i18n import WORDS
    from peakend.scoring.coaching import effects
    from peakend.scoring.run import require_scores
    from peakend.text.training import library

    with connect(db) as store:
        require_scores(store)
        found = effects(store, {m.id: m.moments for m in library().modules})
    if found.empty:
        console.print(say("coaching_none"), highlight=False)
        return
    shown = pd.DataFrame({"hall": found["hall_id"], "staff": found["staff_id"], "module": found["module_id"],
                          "on": found["trained_on"].astype(str),
                          "effect on e [95%]": [f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" if m == m else "—"
                                                for m, lo, hi in zip(found["effect"], found["low"], found["high"],
                                                                     strict=True)],
                          "verdict": found["verdict"].map(lambda v: WORDS[f"verdict_{v}"][i18n_lang()])})
    _print_frame(shown, say("coaching_title"))


@train_app.command("list")
def train_list(db: DbOpt = DEFAULT_PATH, blueprint: BpOpt = None) -> None:
    """Every training module with the moments it serves."""
    from peakend.text.training import library

    bp = _blueprint(blueprint, db)
    lang = i18n_lang()
    names = bp.names(lang)
    for m in library().modules:
        console.print(f"[{m.id}] {getattr(m.title, lang)} — {', '.join(names.get(x, x) for x in m.moments)}",
                      highlight=False, markup=False)


def _checked_text(text: str) -> Blueprint:
    from peakend.blueprint.load import check_text
    from peakend.errors import BlueprintError

    bp, problems = check_text(text)
    if bp is None:
        raise BlueprintError(problems)
    return bp


def run_report(db: str, bp: Blueprint, out: Path) -> Path:
    """Write the HTML report; exit 1 with a hint if the store is not scored."""
    from peakend.report.build import write_report

    with connect(db) as store, console.status(say("reporting")):
        path = write_report(store, bp, out)
    console.print(say("report_written", value=path.resolve()), highlight=False)
    return path


@app.command()
def report(
    db: DbOpt = DEFAULT_PATH,
    blueprint: BpOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("peakend-report.html"),
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print it to a PDF beside it (Chromium, headless), in the "
                                                    "session language.")] = False,
) -> None:
    """Write one self-contained HTML report (zh/en) of the scored store; --pdf prints it too, to forward."""
    path = run_report(db, _blueprint(blueprint, db), out)
    if pdf:
        from peakend.report.pdf import print_pdf

        with console.status(say("reporting")):
            done = print_pdf(path, path.with_suffix(".pdf"), i18n_lang())
        console.print(say("pdf_written", value=done.resolve()), highlight=False)


@app.command()
def digest(
    db: DbOpt = DEFAULT_PATH,
    blueprint: BpOpt = None,
    out: Annotated[Path | None, typer.Option(help="Write each digest as <user>.eml here instead of sending it.")]
    = None,
) -> None:
    """Send each hall manager their weekly digest by e-mail (the SMTP server of PEAKEND_SMTP_HOST and
    PEAKEND_SMTP_PORT): their halls' REI week by week, the moments to fix first, open and overdue cases. Weekly,
    e.g. by cron, Mondays at 08:00:
    0 8 * * 1  cd /srv/peakend && .venv/bin/peakend digest --db halls.duckdb"""
    import smtplib

    from peakend import settings
    from peakend.report.digest import digests, send, write
    from peakend.scoring.run import require_scores

    bp = _blueprint(blueprint, db)
    with connect(db) as store:
        require_scores(store)
        found = digests(store, bp)
    if not found:
        console.print(say("digest_none"), highlight=False)
        return
    if out is not None:
        console.print(say("digest_written", count=len(write(found, out)), folder=out), highlight=False)
        return
    host, port = settings.get("smtp_host"), settings.get("smtp_port")
    try:
        sent = send(found)
    except (OSError, smtplib.SMTPException) as exc:
        err.print(say("digest_smtp", host=host, port=port, value=exc), highlight=False)
        raise typer.Exit(1) from None
    console.print(say("digest_sent", sent=sent, host=host, port=port, without=len(found) - sent), highlight=False)


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Where the demo's files, store and report go.")] = Path(
        "peakend-demo"
    ),
    days: Annotated[int, typer.Option(min=1, max=366)] = 30,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Build a demo network of 8 halls through the real ingest path, score it, and report."""
    from peakend.demo.generate import HALLS, generate_demo, record_coaching, record_hall_names
    from peakend.ingest.mapping import load_mapping

    bp = _blueprint(None)
    db = str(folder / "peakend.duckdb")
    if Path(db).exists():
        Path(db).unlink()
    with console.status(say("demo_generating")):
        files = generate_demo(folder / "sources", bp, days, seed)
    daily = [f for f in files if f.parent.name == "touches"]
    results = run_ingest(daily, db, bp, quiet=True)
    console.print(say("demo_daily", files=len(daily), rows=sum(r.rows for r in results),
                      stored=sum(r.stored for r in results)), highlight=False)
    for f in files:
        if f not in daily:
            mapping = f.with_suffix(".mapping.yaml")
            run_ingest([f], db, bp, load_mapping(mapping) if mapping.exists() else None)
    with connect(db) as store:
        record_coaching(store, days)
        record_hall_names(store)
    run_score(db, bp)
    first = HALLS[0]  # the simulator's model of a hall, fitted back from the hall's own events
    run_fit(db, first.hall_id, bp, None, None, None, 3, seed, folder / f"{first.hall_id}.fitted.yaml")
    path = run_report(db, bp, folder / "report.html")
    console.print(say("demo_where", value=path.resolve()), highlight=False)


@app.command()
def serve(
    db: DbOpt = DEFAULT_PATH,
    blueprint: BpOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Web processes behind the port (PostgreSQL only); the live rules, timers and scoring "
                            "then run in a process of their own, restarted if it ends.")] = 1,
) -> None:
    """Serve the pages and the JSON API (docs at /docs). Sessions are signed with env PEAKEND_SECRET."""
    import uvicorn

    from peakend.store.db import redacted_url

    if workers > 1:
        _serve_processes(db, blueprint, host, port, workers)
        return
    from peakend.web.app import create_app

    if blueprint is not None:
        _blueprint(blueprint, db)  # report problems (and a difference from the store's) before starting
    console.print(say("serving", host=host, port=port, db=redacted_url(db)), highlight=False)
    web = create_app(db, blueprint)
    code = web.state.peakend.setup_code
    if code is not None:
        console.print(say("setup_code", host=host, port=port, code=code), highlight=False)
    uvicorn.run(web, host=host, port=port, log_level="warning")


def _serve_processes(db: str, blueprint: Path | None, host: str, port: int, workers: int) -> None:
    """`workers` web processes (uvicorn's, restarted if one dies) and one live worker process (restarted too),
    sharing the session key and the first run's setup code through the environment."""
    import os
    import secrets
    import subprocess
    import sys
    import threading

    import uvicorn

    from peakend.errors import ServeError
    from peakend.store.db import is_postgres, redacted_url

    if not is_postgres(db):
        raise ServeError(workers=workers)
    if blueprint is not None:
        raise ServeError("workers_blueprint", path=blueprint)
    with connect(db) as store:
        first_run = not store.rows("SELECT 1 FROM users LIMIT 1")
    os.environ.update({"PEAKEND_DB": db, "PEAKEND_BACKGROUND": "false"})
    os.environ.setdefault("PEAKEND_SECRET", secrets.token_urlsafe(32))  # one key: a session holds on every process
    console.print(say("serving", host=host, port=port, db=redacted_url(db)), highlight=False)
    console.print(say("serving_workers", workers=workers), highlight=False)
    if first_run:
        os.environ["PEAKEND_SETUP_CODE"] = secrets.token_hex(4)
        console.print(say("setup_code", host=host, port=port, code=os.environ["PEAKEND_SETUP_CODE"]), highlight=False)
    stop = threading.Event()

    def supervise() -> None:
        while not stop.is_set():
            live = subprocess.Popen([sys.executable, "-m", "peakend", "live", "work"])  # the store: env PEAKEND_DB
            while live.poll() is None and not stop.wait(1.0):
                pass
            if stop.is_set() or live.returncode == 0:  # stopped, or it stopped itself on Ctrl+C / SIGTERM
                live.terminate()
                live.wait(30)
                return
            err.print(say("live_worker_restarted", code=live.returncode), highlight=False)
            stop.wait(1.0)

    keeper = threading.Thread(target=supervise, name="peakend-live-keeper", daemon=True)
    keeper.start()
    try:
        uvicorn.run("peakend.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level="warning")
    finally:
        stop.set()
        keeper.join(35)


hall_app = App(help="Halls: their names in both languages (pages show names, not ids).", no_args_is_help=True)
app.add_typer(hall_app, name="hall")


@hall_app.command("name")
def hall_name(
    hall: Annotated[str, typer.Argument(help="The hall id, as in the events.")],
    zh: Annotated[str, typer.Option(help="Its Chinese name.")],
    en: Annotated[str, typer.Option(help="Its English name.")],
    db: DbOpt = DEFAULT_PATH,
) -> None:
    """Name a hall in Chinese and English; pages show the name in their language instead of the id."""
    from peakend.store.halls import name_hall

    if not (zh.strip() and en.strip()) or max(len(zh), len(en), len(hall)) > 200:
        err.print(say("bad_option", option="--zh/--en", expected="1–200 characters each", value=f"{zh} / {en}"))
        raise typer.Exit(2)
    with connect(db) as store:
        name_hall(store, hall, zh.strip(), en.strip())
    console.print(say("hall_named", hall=hall, zh=zh.strip(), en=en.strip()), highlight=False, markup=False)


@hall_app.command("list")
def hall_list(db: DbOpt = DEFAULT_PATH) -> None:
    """Every hall with events or a name: its id and names."""
    with connect(db) as store:
        rows = store.rows("SELECT h.hall_id, n.zh, n.en FROM (SELECT hall_id FROM visits UNION SELECT hall_id FROM "
                          "hall_names) h LEFT JOIN hall_names n USING (hall_id) ORDER BY 1")
    from rich.table import Table

    table = Table("id", "中文", "English", box=None)
    for hall, zh, en in rows:
        table.add_row(str(hall), zh or "-", en or "-")
    console.print(table)


user_app = App(help="Users of the web app (admin, manager, staff).", no_args_is_help=True)
token_app = App(help="Device tokens: each writes events of one hall only.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, manager, auditor or staff.")],
    hall: Annotated[list[str] | None, typer.Option(help="A hall the user sees (repeat for several).")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="PEAKEND_PASSWORD")] = "",
    email: Annotated[str | None, typer.Option(help="Where a manager's weekly digest goes.")] = None,
    db: DbOpt = DEFAULT_PATH,
) -> None:
    """Create or replace a user (the password is stored only as an Argon2 hash)."""
    from peakend.service import Workspace

    with Workspace.open(db) as ws:
        ws.people.add_user(username, password, role, hall, email)
    console.print(say("user_saved", user=username, role=role + (": " + ", ".join(hall) if hall else "")),
                  highlight=False)


@token_app.command("add")
def token_add(
    hall: Annotated[str, typer.Option(help="The hall whose events the device sends ('*' with --sms: every hall).")],
    label: Annotated[str, typer.Option(help="What the device is, e.g. 'rating pad 3'.")] = "",
    sms: Annotated[bool, typer.Option("--sms", help="A token for the SMS gateway: it only posts survey replies.")]
    = False,
    db: DbOpt = DEFAULT_PATH,
) -> None:
    """Create a device token (or the SMS gateway's, --sms); it is printed once and stored only hashed."""
    from peakend.service import Workspace

    with Workspace.open(db) as ws:
        token = ws.people.add_token(hall, label, "sms" if sms else "device")
    console.print(token, highlight=False)


live_app = App(help="The live service loop: the worker, replay a recorded day, run due timers.",
               no_args_is_help=True)
app.add_typer(live_app, name="live")
SmsOpt = Annotated[str | None, typer.Option(
    "--sms", envvar="PEAKEND_SMS_GATEWAY",
    help="SMS gateway: an http(s):// URL, or file:PATH (default: sms-outbox.jsonl beside the store).")]


def _gateway(spec: str | None, store: Any) -> Gateway:
    """The SMS gateway a command sends through (default: a file beside the store)."""
    from peakend.live.sms import gateway_from

    return gateway_from(spec, store.file_beside("sms-outbox.jsonl"))


@live_app.command("replay")
def live_replay(
    day: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines, one event a line, with 'at'.")],
    db: DbOpt = DEFAULT_PATH,
    blueprint: BpOpt = None,
    sms: SmsOpt = None,
) -> None:
    """Replay a recorded day: events in time order through ingest and the live rules, timers in between."""
    from rich.progress import Progress

    from peakend.live.replay import read_day, replay

    bp = _blueprint(blueprint, db)
    events = read_day(day)
    with connect(db) as store, Progress(console=err, transient=True) as bar:
        task = bar.add_task("replay", total=len(events))
        r = replay(store, bp, events, _gateway(sms, store), progress=lambda n: bar.update(task, completed=n))
    f = r.fired
    console.print(say("replayed", events=r.events, stored=r.stored, rejected=r.rejected, alerts=f.alerts,
                      cases=f.cases, surveys=f.surveys, advice=f.advice, timers=r.timers), highlight=False)


@live_app.command("work")
def live_work(db: DbOpt = DEFAULT_PATH, sms: SmsOpt = None) -> None:
    """Run the live rules on queued visits, the due timers and the scheduled scoring, without serving pages: the
    process `peakend serve --workers N` starts, or one to run on another machine (PostgreSQL). Several may run."""
    import signal
    import threading

    from peakend import settings
    from peakend.service import Workspace
    from peakend.service.background import threads as background
    from peakend.store.db import redacted_url

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with Workspace.open(db) as ws:
        ws._gateway = _gateway(sms, ws.store)
        threads = background(ws, stop, idle_s=0.25)
        console.print(say("live_working", db=redacted_url(db), tick=settings.get("tick_seconds"),
                          minutes=settings.get("score_minutes")), highlight=False)
        for t in threads:
            t.start()
        while not stop.wait(0.5):
            pass
        for t in threads:
            t.join(timeout=30)


@live_app.command("tick")
def live_tick(db: DbOpt = DEFAULT_PATH, blueprint: BpOpt = None, sms: SmsOpt = None) -> None:
    """Run every reminder, escalation and survey send due now (the server does this every few seconds)."""
    from datetime import datetime

    from peakend.live.timers import tick

    bp = _blueprint(blueprint, db)
    with connect(db) as store:
        ran = tick(store, bp, datetime.now(), _gateway(sms, store))
    console.print(say("timers_ran", value=ran), highlight=False)


# -- simulation and planning -------------------------------------------------------------
ConfigArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Hall configuration YAML (default: the demo's 天河北厅).", exists=True, dir_okay=False),
]
DayOpt = Annotated[str, typer.Option("--day", help="First simulated day, YYYY-MM-DD (weekends get more visitors).")]


def _configs(paths: list[Path] | None, bp: Blueprint) -> dict[str, HallConfig]:
    """Named hall configurations from files (by file stem), or the demo's first hall; errors end the command."""
    from peakend.demo.generate import HALLS
    from peakend.simulate.config import load_config

    if not paths:
        return {HALLS[0].hall_id: HALLS[0].config()}
    return {p.stem: load_config(p, bp) for p in paths}


@app.command("simulate")
def simulate_cmd(
    config: ConfigArg = None,
    days: Annotated[int, typer.Option(min=1, max=366)] = 1,
    day: DayOpt = "2026-10-05",
    seed: Annotated[int, typer.Option(help="The same seed reproduces the same events exactly.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Folder for the simulated event files.")] = Path("simulated"),
    db: Annotated[str | None, typer.Option("--db", help="Also ingest the events into this store and score it.")]
    = None,
    blueprint: BpOpt = None,
) -> None:
    """Simulate a hall (visits, touches, ratings, surveys in the event contract) and predict its REI."""
    from datetime import date as date_

    from rich.progress import BarColumn, Progress, TextColumn

    from peakend.simulate.experience import score
    from peakend.simulate.hall import Day
    from peakend.simulate.plan import per_visit
    from peakend.simulate.run import simulate, write_events

    bp = _blueprint(blueprint, db)
    ((name, cfg),) = list(_configs(config[:1] if config else None, bp).items())
    with Progress(TextColumn("{task.description}"), BarColumn(), console=err, transient=True) as progress:
        task = progress.add_task(say("simulating", value=name), total=days)
        sim = simulate(cfg, bp, date_.fromisoformat(day), days, seed,
                       step=lambda d: progress.update(task, completed=d))
    files = write_events(sim, out, name)
    _, vs = score(Day(sim.visits, sim.touches), bp)
    each = per_visit(sim.touches)
    console.print(say("sim_summary", visits=len(sim.visits), touches=len(sim.touches), days=days,
                      wait=each["wait"].mean(), p90=each["wait"].quantile(0.9), abandoned=each["abandoned"].mean(),
                      rei=vs["rei"].mean()), highlight=False)
    hours = sim.touches.assign(hour=sim.touches["start_at"].dt.hour)
    hours = hours[hours["wait_min"].notna()].groupby("hour").agg(
        waits=("wait_min", "size"), wait=("wait_min", "mean"), left=("outcome", lambda o: (o == "abandoned").mean()))
    _print_frame(hours.assign(waits=hours["waits"] / days).round(3).reset_index(), say("sim_hourly"))
    console.print(say("sim_written", files=", ".join(str(f) for f in files)), highlight=False)
    if db:
        run_ingest(files, db, bp)
        run_score(db, bp)


@app.command("plan")
def plan_cmd(
    config: ConfigArg = None,
    station: Annotated[str | None, typer.Option(
        help="The station whose servers are planned (default: the one customers queue for).")] = None,
    wait: Annotated[float, typer.Option(help="Target: minutes a customer may wait.")] = 10.0,
    share: Annotated[float, typer.Option(help="Target: share of customers served within that wait.")] = 0.8,
    rei: Annotated[float, typer.Option(help="Target: mean predicted REI per hour (0: none).")] = 75.0,
    abandon: Annotated[float | None, typer.Option(min=0, max=1,
                                                  help="Target: at most this share leaving the queue.")] = None,
    reps: Annotated[int, typer.Option(min=2, help="Replications per evaluation (for confidence intervals).")] = 10,
    seed: Annotated[int, typer.Option()] = 0,
    day: Annotated[str | None, typer.Option("--day", help="The day planned, YYYY-MM-DD (default: the next "
                                                          "working day of the configuration's week).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the plan's table and chart.")] = Path("plan"),
    blueprint: BpOpt = None,
) -> None:
    """Find, per hour, the fewest servers meeting the targets (beside Erlang-A's answer); targets no staffing
    meets are named first; with several configurations, compare them too."""
    from datetime import date as date_

    import altair as alt

    from peakend.simulate.plan import Targets, chart, erlang_a_servers, side_by_side, staff

    bp = _blueprint(blueprint)
    configs = _configs(config, bp)
    targets = Targets(wait, share, rei, abandon)
    out.mkdir(parents=True, exist_ok=True)
    for name, cfg in configs.items():
        where = station or cfg.queued_station(bp) or next(iter(cfg.stations), "counter")
        if where not in cfg.stations:
            raise ConfigError(name, [say("no_station", value=where, expected=", ".join(cfg.stations))])
        when = date_.fromisoformat(day) if day else working_day(cfg)
        with console.status("") as status:
            _, table = staff(cfg, bp, where, targets, when, reps, seed,
                             step=lambda h, c: status.update(say("plan_hour", hour=h, servers=c)))
        for row in table[table["unreachable"] != ""].itertuples():
            console.print(say("plan_unreachable", hour=row.hour, why=row.unreachable), highlight=False)
        table["erlang_a"] = table["hour"].map(erlang_a_servers(cfg, bp, where, targets, when))
        table["flag"] = table["meets"].map({True: "", False: "✗"})
        shown = table[["hour", "servers", "erlang_a", "visits", "wait", "within", "within_ci", "abandoned", "rei",
                       "rei_ci", "flag"]]
        _print_frame(shown.round(2), say("plan_title", config=name, station=where, day=when))
        csv_path, html = out / f"{name}_plan.csv", out / f"{name}_plan.html"
        table.to_csv(csv_path, index=False, encoding="utf-8")
        alt.Chart.from_dict(chart(table, targets)).save(str(html), inline=True)
        console.print(say("plan_written", table=csv_path, chart=html), highlight=False)
    if len(configs) > 1:
        when = date_.fromisoformat(day) if day else working_day(next(iter(configs.values())))
        side = side_by_side(configs, bp, targets, when, reps, seed)
        _print_frame(side.round(3), say("side_by_side"))
        side.to_csv(out / "compare.csv", index=False, encoding="utf-8")


def working_day(cfg: HallConfig) -> date:
    """The next day (from today) that is neither a weekend day of the configuration nor a holiday."""
    from datetime import timedelta

    day = date.today() + timedelta(days=1)
    while cfg.is_weekend(day):
        day += timedelta(days=1)
    return day


@app.command("fit")
def fit_cmd(
    hall: Annotated[str, typer.Argument(help="The hall whose ingested visits are fitted.")],
    db: DbOpt = DEFAULT_PATH,
    like: Annotated[Path | None, typer.Option("--like", exists=True, dir_okay=False,
                                              help="Base configuration: stations' moments, ratings, policies.")]
    = None,
    since: Annotated[str | None, typer.Option(help="First day fitted, YYYY-MM-DD (default: all).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day fitted, YYYY-MM-DD (default: all).")] = None,
    reps: Annotated[int, typer.Option(min=2, help="Replications of the check (for confidence intervals).")] = 5,
    seed: Annotated[int, typer.Option()] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Fitted YAML (default: HALL.fitted.yaml).")] = None,
    blueprint: BpOpt = None,
) -> None:
    """Fit a hall configuration from the hall's ingested visits; check it against the observed waits per hour."""
    bp = _blueprint(blueprint, db)
    base = _configs([like], bp)[like.stem] if like else None
    run_fit(db, hall, bp, base, date.fromisoformat(since) if since else None,
            date.fromisoformat(until) if until else None, reps, seed, out or Path(f"{hall}.fitted.yaml"))


def run_fit(db: str, hall: str, bp: Blueprint, base: HallConfig | None, since: date | None, until: date | None,
            reps: int, seed: int, out: Path) -> Path:
    """Fit `hall`, print the notes, the capacity and the hourly check, write the YAML and the check CSV."""
    import pandas as pd
    import yaml

    from peakend.simulate.fit import agreement, check, class_check, fit, observed

    with connect(db) as store:
        obs = observed(store, hall, since, until)
    with console.status(say("fitting", hall=hall)):
        fitted = fit(obs, bp, base, seed=seed)
    console.print(say("fit_summary", hall=hall, visits=fitted.visits, days=fitted.days), highlight=False)
    for note in fitted.notes:
        console.print(say("fit_note", note=note), highlight=False, markup=False)
    if fitted.capacity is not None:
        cap = fitted.capacity.table
        shown = pd.DataFrame({"hour": cap["hour"], "raw": cap["raw"], "effective": cap["effective"],
                              "95%": cap["low"].map("{:g}".format) + "–" + cap["high"].map("{:g}".format)})
        _print_frame(shown, say("fit_capacity", station=fitted.capacity.station))
    with console.status(say("fit_checking", reps=reps)):
        table = check(fitted.cfg, bp, obs, reps, seed)
    _print_frame(_check_shown(table), say("fit_table", hall=hall))
    a = agreement(table, obs)
    console.print(say("fit_agreement", hours=a.hours, mean=a.covered["mean"], p90=a.covered["p90"],
                      abandon=a.covered["abandon"], mae_mean=a.mae["mean"], mae_p90=a.mae["p90"],
                      observed=100 * a.abandon_observed, simulated=100 * a.abandon_simulated), highlight=False)
    if not a.reproduces():
        console.print(say("fit_not_reproduced", hours=", ".join(map(str, a.missed["mean"]))), highlight=False)
    if fitted.cfg.priority:
        classes = class_check(fitted.cfg, bp, obs, reps, seed)
        shown = pd.DataFrame({"segment": classes["segment"], "priority": classes["priority"], "waits": classes["waits"],
                              "mean wait": classes["observed_mean"].map("{:.2f}".format) + " ["
                              + classes["observed_lo"].map("{:.2f}".format) + "–"
                              + classes["observed_hi"].map("{:.2f}".format) + "]",
                              "model": classes["simulated_mean"].map("{:.2f}".format) + " ["
                              + classes["simulated_plo"].map("{:.2f}".format) + "–"
                              + classes["simulated_phi"].map("{:.2f}".format) + "]"
                              + classes["ok"].map({True: " ✓", False: " ✗"})})
        _print_frame(shown, say("fit_classes"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(fitted.cfg.model_dump(exclude_defaults=True, mode="json"), allow_unicode=True,
                                  sort_keys=False), "utf-8")
    csv_path = out.with_name(out.name.removesuffix(".yaml") + ".check.csv")
    table.to_csv(csv_path, index=False, encoding="utf-8")
    console.print(say("fit_written", config=out, table=csv_path), highlight=False)
    return out


def _check_shown(table: pd.DataFrame) -> pd.DataFrame:
    """The fit check, narrow enough for a terminal: observed 'value [its interval]', simulated 'mean
    [prediction interval]', and ✓ where the observed figure lies inside the model's interval (mean wait and
    the share who left; the p90 wait and simulated counts are in the CSV)."""
    import pandas as pd

    def seen(f: str, fmt: str) -> pd.Series:
        return (table[f"observed_{f}"].map(fmt.format) + " [" + table[f"observed_{f}_lo"].map(fmt.format) + "–"
                + table[f"observed_{f}_hi"].map(fmt.format) + "]")

    def sim(f: str, fmt: str) -> pd.Series:
        mark = table[f"{f}_ok"].map({True: " ✓", False: " ✗"}).fillna("")
        return (table[f"simulated_{f}"].map(fmt.format) + " [" + table[f"simulated_{f}_plo"].map(fmt.format) + "–"
                + table[f"simulated_{f}_phi"].map(fmt.format) + "]" + mark)

    pct = "{:.1%}"
    return pd.DataFrame({"hour": table["hour"], "waits/day": table["observed_per_day"].round(1),
                         "mean wait": seen("mean", "{:.2f}"), "model": sim("mean", "{:.2f}"),
                         "left": seen("abandon", pct), "model ": sim("abandon", pct)})


def _print_frame(frame: pd.DataFrame, title: str) -> None:
    import pandas as pd

    table = Table(title=title, box=None, padding=(0, 1))
    for col in frame.columns:
        table.add_column(str(col))
    for row in frame.itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else str(v) for v in row))
    console.print(table)


if __name__ == "__main__":
    app()
