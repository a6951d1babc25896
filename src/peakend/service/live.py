"""The live loop run by hand (`ws.live`): a recorded day replayed through ingest and the live rules, the timers
due now."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from peakend.live.replay import ReplayResult, read_day, replay
from peakend.live.sms import gateway_from
from peakend.live.timers import tick

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace


class Live:
    """The live loop of a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def use_gateway(self, spec: str | None) -> None:
        """Send SMS through `spec` (an http(s):// URL or file:PATH; None: the setting, else a file beside the
        store)."""
        if spec is not None:
            self.ws._gateway = gateway_from(spec, self.ws.store.file_beside("sms-outbox.jsonl"))

    @staticmethod
    def read_day(path: Path) -> list[dict[str, object]]:
        """A recorded day's events, in time order."""
        return read_day(path)

    def replay(self, events: list[dict[str, object]], progress: Callable[[int], None]) -> ReplayResult:
        """Feed events through ingest and the live rules at their own times, timers in between."""
        return replay(self.ws.store, self.ws.blueprint, events, self.ws.gateway, progress=progress)

    def tick(self) -> int:
        """Run every reminder, escalation and survey send due now; how many ran."""
        return tick(self.ws.store, self.ws.blueprint, self.ws.clock(), self.ws.gateway)

    def work(self, sms: str | None, tell: Callable[[str], None]) -> None:
        """Run the background work here (`peakend live work`) until SIGINT or SIGTERM, SMS sent through `sms`;
        `tell` prints the line saying so."""
        from peakend import settings
        from peakend.i18n import say
        from peakend.service import background
        from peakend.store.db import redacted_url

        self.use_gateway(sms)
        tell(say("live_working", db=redacted_url(self.ws.store.url), tick=settings.get("tick_seconds"),
                 minutes=settings.get("score_minutes")))
        background.work(self.ws)
