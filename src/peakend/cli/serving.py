"""`peakend demo`, `serve` and `live …`: the demo network, the web app (one process or several), and the live
loop by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peakend.cli import DEFAULT_DB, BpOpt, DbOpt, H, SeedOpt, app, console, err, opt, show, workspace
from peakend.i18n import lang, say

live_app = app.group("live")
SmsOpt = Annotated[str | None, opt("opt.sms", "--sms", envvar="PEAKEND_SMS_GATEWAY")]


@app.command(help=H("cmd.demo"))
def demo(folder: Annotated[Path, opt("opt.demo.dir", "--dir")] = Path("peakend-demo"),
         days: Annotated[int, opt("opt.days", min=1, max=366)] = 30, seed: SeedOpt = 7) -> None:
    from peakend.cli.data import ingest_files, score_store
    from peakend.cli.planning import fit_hall

    (folder / "peakend.duckdb").unlink(missing_ok=True)
    with workspace(str(folder / "peakend.duckdb")) as ws:
        with console.status(say("demo_generating")):
            files = ws.demo.generate(folder / "sources", days, seed)
        daily = [f for f in files if f.parent.name == "touches"]
        done = ingest_files(ws, daily, ws.files.context(), quiet=True)
        show(say("demo_daily", files=len(daily), rows=sum(r.rows for r in done), stored=sum(r.stored for r in done)))
        for f in (f for f in files if f not in daily):
            ingest_files(ws, [f], ws.files.context(), ws.files.mapping_beside(f))
        ws.demo.record(days, seed)
        score_store(ws)
        first = ws.demo.first_hall()  # the simulator's model of a hall, fitted back from the hall's own events
        fit_hall(ws, first, None, None, None, 3, seed, folder / f"{first}.fitted.yaml")
        with console.status(say("reporting")):
            path = ws.reports.html(folder / "report.html")
    show(say("report_written", value=path.resolve()))
    show(say("demo_where", value=path.resolve()))


@app.command(help=H("cmd.serve"))
def serve(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None, host: Annotated[str, opt("opt.host")] = "127.0.0.1",
          port: Annotated[int, opt("opt.port", min=1, max=65535)] = 8000,
          workers: Annotated[int, opt("opt.workers", min=1, max=64)] = 1) -> None:
    import uvicorn

    from peakend.service import redacted_url
    from peakend.web.app import create_app
    from peakend.web.processes import proxies, serve_processes, stopping

    if workers > 1:
        return serve_processes(db, blueprint, host, port, workers, show, lambda line: err.print(line, style="red"))
    show(say("serving", host=host, port=port, db=redacted_url(db)))
    web = create_app(db, blueprint)
    for note in web.state.peakend.ws.blueprint_notes():
        err.print(note, style="yellow", highlight=False, markup=False)
    if web.state.peakend.setup_code is not None:
        show(say("setup_code", host=host, port=port, code=web.state.peakend.setup_code))
    uvicorn.run(web, host=host, port=port, log_level="warning", log_config=None,  # logs: ours
                **proxies(), **stopping())


@app.command("setup-code", help=H("cmd.setup_code"))
def setup_code(db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db) as ws:
        show(say("setup_code_none") if ws.people.any_user() else say("setup_code_fresh",
                                                                       code=ws.limits.new_setup_code(forgive=True)))


@live_app.command("replay", help=H("cmd.live.replay"))
def live_replay(day: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=H("opt.replay.day"))],
                db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None, sms: SmsOpt = None) -> None:
    from rich.progress import Progress

    from peakend.service.views import replayed

    with workspace(db, blueprint) as ws, Progress(console=err, transient=True) as bar:
        ws.live.use_gateway(sms)
        events = ws.live.read_day(day)
        task = bar.add_task("replay", total=len(events))
        r = ws.live.replay(events, lambda n: bar.update(task, completed=n))
    show(replayed(r, lang()))


@live_app.command("work", help=H("cmd.live.work"))
def live_work(db: DbOpt = DEFAULT_DB, sms: SmsOpt = None) -> None:
    from peakend import settings
    from peakend.service import redacted_url
    from peakend.service.background import work

    with workspace(db) as ws:
        ws.live.use_gateway(sms)
        show(say("live_working", db=redacted_url(db), tick=settings.get("tick_seconds"),
                 minutes=settings.get("score_minutes")))
        work(ws)


@live_app.command("tick", help=H("cmd.live.tick"))
def live_tick(db: DbOpt = DEFAULT_DB, blueprint: BpOpt = None, sms: SmsOpt = None) -> None:
    with workspace(db, blueprint) as ws:
        ws.live.use_gateway(sms)
        show(say("timers_ran", value=ws.live.tick()))
