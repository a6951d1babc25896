"""Reports people forward (`ws.reports`): the self-contained HTML report, its PDF, and each manager's weekly
digest by e-mail."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import TYPE_CHECKING, cast

from peakend import settings
from peakend.errors import MailRefused
from peakend.i18n import Lang, say
from peakend.report.build import write_report
from peakend.report.bundle import vega_bundle
from peakend.report.digest import Digest, digests, send, write
from peakend.report.pdf import print_pdf

if TYPE_CHECKING:
    from peakend.service.views import Shown
    from peakend.service.workspace import Workspace


__all__ = ["Reports", "vega_bundle"]


class Reports:
    """Reports of a workspace's scored store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def html(self, out: Path, lang: Lang = "zh") -> Path:
        """Write the HTML report (zh/en, opening in `lang`) of the scored store (NotScored otherwise)."""
        self.ws.scores.require()
        return write_report(self.ws.store, self.ws.blueprint, out, *self.ws.analysis.findings(), lang=lang)

    @staticmethod
    def pdf(html: Path, lang: str) -> Path:
        """Print a written report to a PDF beside it, in `lang` (ReportError without Chromium)."""
        return print_pdf(html, html.with_suffix(".pdf"), lang)

    def written(self, out: Path, pdf: bool, lang: Lang) -> Shown:
        """Write the HTML report, opening in `lang` (`pdf`: and its PDF, in `lang`); the lines saying where."""
        html = self.html(out, lang)
        done = [self.pdf(html, lang)] if pdf else []
        return [say("report_written", lang, value=html.resolve()), *(say("pdf_written", lang, value=p.resolve())
                                                                     for p in done)]

    def digests(self) -> list[Digest]:
        """Each manager's weekly digest (NotScored when the store was never scored)."""
        self.ws.scores.require()
        found = digests(self.ws.store, self.ws.blueprint)
        self._tell(found)
        return found

    def _tell(self, found: list[Digest]) -> None:
        """A `digest.ready` event per digest and hall of its manager (the outbox), once a day each."""
        from datetime import datetime

        from peakend.live.outbox import emit

        store, now = self.ws.store, datetime.now()
        halls = {str(u): [h for h in str(hs or "").split(",") if h] for u, hs in
                 store.rows("SELECT username, halls FROM users")}
        with store.transaction():
            for d in found:
                for hall in cast(list[str | None], halls.get(d.user)) or [None]:
                    emit(store, "digest.ready", f"{d.user}:{now.date()}:{hall or ''}", hall, now,
                         {"user": d.user, "hall_id": hall, "subject": d.subject, "link": "/"})

    @staticmethod
    def send(found: list[Digest], lang: Lang | None = None) -> str:
        """Send the digests by e-mail (settings smtp_*) and say how many went (MailRefused: the server did not)."""
        host, port = settings.get("smtp_host"), settings.get("smtp_port")
        try:
            sent = send(found)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailRefused(host=host, port=port, value=exc) from None
        return say("digest_sent", lang, sent=sent, host=host, port=port, without=len(found) - sent)

    def deliver(self, folder: Path | None = None, lang: Lang | None = None) -> str:
        """Make the digests, write them into `folder` (if given) or else send them, and say what was done."""
        found = self.digests()
        if not found:
            return say("digest_none", lang)
        if folder is not None:
            return say("digest_written", lang, count=len(self.write(found, folder)), folder=folder)
        return self.send(found, lang)

    @staticmethod
    def write(found: list[Digest], folder: Path) -> list[Path]:
        """Write the digests as .eml files into `folder`."""
        return write(found, folder)
