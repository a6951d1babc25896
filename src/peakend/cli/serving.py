"""`peakend demo`, `serve`, `live …` and `jobs prune`: the demo network, the web app (one process or several), the
live loop by hand, and pruning finished jobs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from rich.progress import Progress

from peakend import settings
from peakend.cli import Bp, Db, Said, Seed, Ws, app, arg, console, err, opt, show, views, warn, workspace
from peakend.cli.data import ingest_files, score_store
from peakend.i18n import lang, say

live_app, jobs_app = app.group("live"), app.group("jobs")
SmsOpt = Annotated[str | None, opt("opt.sms", "--sms", envvar="PEAKEND_SMS_GATEWAY")]


@app.command()
def demo(folder: Annotated[Path, opt("opt.demo.dir", "--dir")] = Path("peakend-demo"),
         days: Annotated[int, opt("opt.days", min=1, max=366)] = 30, seed: Seed = 7) -> Said:
    (folder / "peakend.duckdb").unlink(missing_ok=True)
    with workspace(str(folder / "peakend.duckdb")) as ws:
        with console.status(say("demo_generating")):
            daily, others = ws.demo.generate(folder / "sources", days, seed)
        show(ws.demo.ingest_daily(daily))
        for f in others:
            ingest_files(ws, [f], ws.files.context(), ws.files.mapping_beside(f))
        ws.demo.record(days, seed)
        show(score_store(ws))
        first = ws.demo.first_hall()  # the simulator's model of a hall, fitted back from the hall's own events
        with console.status(say("fitting", hall=first)):
            show(ws.planning.fit_written(first, folder / f"{first}.fitted.yaml", 3, seed, lang()))
        with console.status(say("reporting")):
            written = ws.reports.written(folder / "report.html", False, lang())
    return [*written, say("demo_where", value=(folder / "report.html").resolve())]


@app.command()
def serve(db: Db = settings.DEFAULT_DB, blueprint: Bp = None, host: Annotated[str, opt("opt.host")] = "127.0.0.1",
          port: Annotated[int, opt("opt.port", min=1, max=65535)] = 8000,
          workers: Annotated[int, opt("opt.workers", min=1, max=64)] = 1) -> None:
    from peakend.web.processes import serve as serve_web

    serve_web(db, blueprint, host, port, workers, show, warn)


@app.command("setup-code", ws="write")
def setup_code(ws: Ws) -> Said:
    if ws.people.any_user():
        return say("setup_code_none")
    return say("setup_code_fresh", code=ws.limits.new_setup_code(forgive=True, by_hand=True))


@live_app.command("replay", ws="write+bp")
def live_replay(day: Annotated[Path, arg("opt.replay.day", exists=True, dir_okay=False)], ws: Ws,
                sms: SmsOpt = None) -> Said:
    with Progress(console=err, transient=True) as bar:
        ws.live.use_gateway(sms)
        events = ws.live.read_day(day)
        task = bar.add_task("replay", total=len(events))
        r = ws.live.replay(events, lambda n: bar.update(task, completed=n))
    return views.replayed(r, lang())


@live_app.command("work", ws="write")
def live_work(ws: Ws, sms: SmsOpt = None) -> None:
    ws.live.work(sms, show)


@live_app.command("tick", ws="write+bp")
def live_tick(ws: Ws, sms: SmsOpt = None) -> Said:
    ws.live.use_gateway(sms)
    return say("timers_ran", value=ws.live.tick())


@jobs_app.command("prune", ws="read")
def jobs_prune(ws: Ws, days: Annotated[int | None, opt("opt.jobs.days", "--days", min=1)] = None,
               dry_run: Annotated[bool, opt("opt.jobs.dry", "--dry-run")] = False) -> Said:
    days = settings.get("job_keep_days") if days is None else days
    gone = ws.jobs.prune(datetime.now(), days, dry_run)
    return say("jobs_pruned_dry" if dry_run else "jobs_pruned", jobs=gone.jobs, tables=gone.tables, files=gone.files,
               days=days)
