"""The workspace: one object per store through which every adapter (CLI, web, live worker, demo) runs a use case.

It knows the store, the blueprint in force (`store.blueprints.in_force`: ONE rule for every adapter; a command's
`--blueprint FILE` overrides it for that command only), the clock of the live rules, the language of messages and
the SMS gateway. Use cases hang off it by topic — `ws.jobs`, `ws.scores`, `ws.analysis`, `ws.planning`,
`ws.figures`, … — each a small class in its own module of this package.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.i18n import Lang, say
from peakend.i18n import lang as session_lang
from peakend.store.blueprints import InForce, LatestBlueprint
from peakend.store.db import Store, connect, default_path, is_postgres

if TYPE_CHECKING:
    from peakend.live.sms import Gateway
    from peakend.service.activity import Activity
    from peakend.service.analysis import Analysis
    from peakend.service.blueprints import Blueprints
    from peakend.service.cases import Cases
    from peakend.service.demo import Demo
    from peakend.service.figures import Figures
    from peakend.service.files import Files
    from peakend.service.identity import Identity
    from peakend.service.imports import Imports
    from peakend.service.inbox import Inbox
    from peakend.service.intake import Intake
    from peakend.service.jobs import Jobs
    from peakend.service.limits import Limits
    from peakend.service.live import Live
    from peakend.service.ops import Ops
    from peakend.service.people import People
    from peakend.service.planning import Planning
    from peakend.service.reports import Reports
    from peakend.service.rights import Rights
    from peakend.service.rosters import Rosters
    from peakend.service.scores import Scores
    from peakend.service.sso import Sso
    from peakend.service.webhooks import Webhooks


class Workspace:
    """A store and what every use case on it needs."""

    def __init__(self, store: Store, blueprint: Blueprint | None = None,
                 clock: Callable[[], datetime] = datetime.now, gateway: Gateway | None = None,
                 lang: Lang | None = None):
        self.store = store
        self.override = blueprint  # `--blueprint FILE`: this command runs it instead of the store's
        self.clock = clock
        self.lang: Lang = lang or session_lang()
        self._gateway = gateway
        self.live_wake = threading.Event()  # set when ingest queued visits for the live rules
        self.job_wake = threading.Event()  # set when a job was queued in this process

    @classmethod
    def open(cls, url: str | None = None, blueprint: Path | None = None, create: bool = True,
             **kwargs: Any) -> Workspace:
        """The workspace of the store at `url` (default: setting `db`); `blueprint` a YAML file to run instead.
        Without `create`, a DuckDB file that does not exist is not made: an empty store in memory stands in."""
        from peakend.blueprint.load import load_blueprint

        bp = load_blueprint(blueprint) if blueprint is not None else None
        url = url or default_path()
        if not create and not is_postgres(url) and url != ":memory:" and not Path(url).exists():
            url = ":memory:"
        return cls(connect(url), bp, **kwargs)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the blueprint in force --------------------------------------------------------------------------------
    @cached_property
    def _latest(self) -> LatestBlueprint:
        return LatestBlueprint(self.store)

    @property
    def blueprint(self) -> Blueprint:
        """The blueprint every use case runs: the override if given, else the store's in force (followed across
        processes: a version saved by any of them is run from the next call on, within two seconds)."""
        return self.override if self.override is not None else self._latest.get()

    @property
    def in_force(self) -> InForce:
        """The store's blueprint in force, with its version number and the saved versions skipped."""
        return self._latest.current()

    def blueprint_notes(self, lang: Lang | None = None) -> list[str]:
        """What a person running the store should know about the blueprint in force: saved versions skipped
        because they no longer check, and an override that differs from the store's."""
        found, lang = self.in_force, lang or self.lang
        notes = []
        if found.skipped:
            notes.append(say("bp_skipped", lang, value=", ".join(map(str, found.skipped)), number=found.number,
                             expected=f"{found.blueprint.id} {found.blueprint.version}"))
        if self.override is not None and found.number and self.override != found.blueprint:
            notes.append(say("bp_differs", lang, source="--blueprint",
                             value=f"{self.override.id} {self.override.version}", number=found.number,
                             expected=f"{found.blueprint.id} {found.blueprint.version}"))
        return notes

    def blueprint_saved(self) -> None:
        """A version was saved in this process: run it from now on."""
        self._latest.refresh()

    # -- what the live loop needs ------------------------------------------------------------------------------
    @property
    def gateway(self) -> Gateway:
        """Where SMS surveys go (setting `sms_gateway`; default: a file beside the store)."""
        if self._gateway is None:
            from peakend.live.sms import gateway_from

            self._gateway = gateway_from(settings.get("sms_gateway"), self.store.file_beside("sms-outbox.jsonl"))
        return self._gateway

    def wake_jobs(self) -> None:
        """Tell this process's job runners that a job was queued."""
        self.job_wake.set()

    # -- use cases, by topic -----------------------------------------------------------------------------------
    @cached_property
    def jobs(self) -> Jobs:
        from peakend.service.jobs import Jobs

        return Jobs(self)

    @cached_property
    def blueprints(self) -> Blueprints:
        from peakend.service.blueprints import Blueprints

        return Blueprints(self)

    @cached_property
    def scores(self) -> Scores:
        from peakend.service.scores import Scores

        return Scores(self)

    @cached_property
    def analysis(self) -> Analysis:
        from peakend.service.analysis import Analysis

        return Analysis(self)

    @cached_property
    def planning(self) -> Planning:
        from peakend.service.planning import Planning

        return Planning(self)

    @cached_property
    def files(self) -> Files:
        from peakend.service.files import Files

        return Files(self)

    @cached_property
    def demo(self) -> Demo:
        from peakend.service.demo import Demo

        return Demo(self)

    @cached_property
    def reports(self) -> Reports:
        from peakend.service.reports import Reports

        return Reports(self)

    @cached_property
    def live(self) -> Live:
        from peakend.service.live import Live

        return Live(self)

    @cached_property
    def figures(self) -> Figures:
        from peakend.service.figures import Figures

        return Figures(self)

    @cached_property
    def intake(self) -> Intake:
        from peakend.service.intake import Intake

        return Intake(self)

    @cached_property
    def cases(self) -> Cases:
        from peakend.service.cases import Cases

        return Cases(self)

    @cached_property
    def imports(self) -> Imports:
        from peakend.service.imports import Imports

        return Imports(self)

    @cached_property
    def activity(self) -> Activity:
        from peakend.service.activity import Activity

        return Activity(self)

    @cached_property
    def rights(self) -> Rights:
        from peakend.service.rights import Rights

        return Rights(self)

    @cached_property
    def limits(self) -> Limits:
        from peakend.service.limits import Limits

        return Limits(self)

    @cached_property
    def people(self) -> People:
        from peakend.service.people import People

        return People(self)

    @cached_property
    def identity(self) -> Identity:
        from peakend.service.identity import Identity

        return Identity(self)

    @cached_property
    def sso(self) -> Sso:
        from peakend.service.sso import Sso

        return Sso(self)

    @cached_property
    def webhooks(self) -> Webhooks:
        from peakend.service.webhooks import Webhooks

        return Webhooks(self)

    @cached_property
    def ops(self) -> Ops:
        from peakend.service.ops import Ops

        return Ops(self)

    @cached_property
    def inbox(self) -> Inbox:
        from peakend.service.inbox import Inbox

        return Inbox(self)

    @cached_property
    def rosters(self) -> Rosters:
        from peakend.service.rosters import Rosters

        return Rosters(self)
