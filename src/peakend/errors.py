"""Every error peakend reports to a person, under one root.

A `PeakendError` carries what the web app answers (`status`) and what the command line exits
with (`exit_code`), and says what went wrong in Chinese and English (`say(lang)`, a message of
`i18n.MESSAGES`). The web app has one handler for them (`web.app`), the CLI one (`cli`); code
that raises one need not know which of the two will tell the user.

Exit codes: 1 the data are not there yet (nothing to score, not scored), 2 the input is wrong
(a bad file, option or configuration).
"""

from __future__ import annotations

from peakend.i18n import Lang, say


class PeakendError(Exception):
    """The root: an error with an HTTP status, a CLI exit code and a bilingual message."""

    status = 422
    exit_code = 2
    key = "error"

    def __init__(self, key: str | None = None, /, **fields: object) -> None:
        self.key = key or type(self).key
        self.fields = fields
        super().__init__(self.say("en"))

    def say(self, lang: Lang | None = None) -> str:
        """The message in `lang` (default: the session language)."""
        return say(self.key, lang, **self.fields)

    def lines(self, lang: Lang | None = None) -> list[str]:
        """The message as the command line prints it, a line at a time."""
        return self.say(lang).splitlines()


class BlueprintError(PeakendError):
    """A blueprint that cannot be used; `problems` holds every problem found, each with its place."""

    key = "bp_invalid"

    def __init__(self, problems: list) -> None:  # list[load.BlueprintProblem]
        self.problems = problems
        super().__init__(value="\n".join(str(p) for p in problems))

    def lines(self, lang: Lang | None = None) -> list[str]:
        """Each problem on its own line, with its place."""
        return [p.said(lang) for p in self.problems]


class ConfigError(PeakendError):
    """A hall configuration that cannot be used; `problems` says where and why."""

    key = "config_problem"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = [f"{source}: {p}" for p in problems]
        super().__init__(problem="\n".join(self.problems))

    def lines(self, lang: Lang | None = None) -> list[str]:
        """Each problem on its own line, with its source."""
        return [say("config_problem", lang, problem=p) for p in self.problems]


class BadOption(PeakendError):
    """An option's (or a form field's) value that is not one it takes."""

    key = "bad_option"


class CheckFailed(PeakendError):
    """A check that found something wrong: the activity log's hash chain broken, a blueprint file's problems."""

    status = 409
    exit_code = 1
    key = "activity_broken"


class MailRefused(PeakendError):
    """The SMTP server did not take the mail (`host`, `port`, `value`: why)."""

    status = 502
    exit_code = 1
    key = "digest_smtp"


class TrainingError(PeakendError):
    """A training library file that cannot be used."""

    key = "training_problem"


class MostlyRejected(PeakendError):
    """An ingest run that quarantined more than the setting `ingest_max_rejected` of its rows: the rows that passed
    are stored, but a script that runs it must notice."""

    exit_code = 1
    key = "ingest_mostly_rejected"


class FilesRefused(PeakendError):
    """An ingest run with files refused as a whole (a mapping that does not fit, a sheet not there): the input is
    wrong, whatever the other files stored."""

    key = "ingest_refused"


class ReportError(PeakendError):
    """A report that could not be printed (no Chromium, or it failed)."""

    exit_code = 1
    key = "pdf_failed"


class StoreBusy(PeakendError):
    """A DuckDB store file held open by another program (DuckDB lets one process write a file)."""

    status = 503
    exit_code = 1
    key = "store_busy"


class TooLong(PeakendError):
    """A request's work ran past its deadline (setting `request_deadline_s`) and stopped."""

    status = 503
    exit_code = 1
    key = "request_too_long"


class ServeError(PeakendError):
    """A way of serving the store cannot take (several processes on a DuckDB file, say)."""

    key = "workers_need_postgres"


class MappingError(PeakendError):
    """A mapping file that cannot be used."""

    key = "mapping_invalid"


class LakeError(PeakendError):
    """A store that cannot be written as a lake, or a folder that is not one."""


class FitError(PeakendError):
    """The hall's data cannot support a fit (no visits, no routes)."""

    status = 409


class UserError(PeakendError):
    """A user or token could not be created as asked."""


class SettingError(PeakendError):
    """A setting's value cannot be read as its type."""

    status = 500
    key = "setting_invalid"


class CaseError(PeakendError):
    """A case change that cannot be made (empty or too long a note, control characters)."""


class CaseNotFound(CaseError):
    """No such case (or none the asker may see)."""

    status = 404
    key = "case_unknown"


class CaseClosed(CaseError):
    """The case is already resolved."""

    status = 409
    key = "case_closed"


class NoData(PeakendError):
    """The store holds nothing to score."""

    status = 409
    exit_code = 1
    key = "no_data"


class TooFewAnswers(PeakendError):
    """Too few survey answers to compare models."""

    status = 409
    exit_code = 1
    key = "compare_none"


class AnswerDoesNotVary(PeakendError):
    """The answer takes one value (or too few of one) for models to be compared on it."""

    status = 409
    exit_code = 1
    key = "answer_constant"


class NotScored(PeakendError):
    """The store has no score tables yet: run `peakend score`."""

    status = 409
    exit_code = 1
    key = "not_scored"


class StoreUnavailable(PeakendError):
    """The store does not answer at all: nothing was stored, the sender should try again later."""

    status = 503
    exit_code = 1
    key = "store_down"


class JobNotFound(PeakendError):
    """A job that does not exist (or that the asker may not see)."""

    status = 404
    key = "job_not_found"


class JobStateError(PeakendError):
    """A change a job's state does not allow (queueing a job that already ran)."""

    status = 409
    key = "job_state"


class PartsAlike(PeakendError):
    """Visits whose peak, end and mean do not vary apart (one touch each, say): no weight can be fitted."""

    status = 409
    exit_code = 1
    key = "calibrate_alike"


class FileUnreadable(PeakendError):
    """An uploaded file no reader can open (random bytes, a truncated workbook, CSV bytes named .xlsx)."""

    key = "unreadable"


class MappingTaken(PeakendError):
    """A saved mapping's name that another user's mapping holds."""

    status = 409
    key = "mapping_taken"


class NotASender(PeakendError):
    """A principal whose role sends no events of this kind."""

    status = 403
    key = "not_a_sender"


class BatchTooLarge(PeakendError):
    """More records in one request than setting `max_batch`."""

    status = 413
    key = "batch_too_large"


class QuarantineUnknown(PeakendError):
    """A quarantined row that is not there, or not one the asker may handle (another manager's hall)."""

    status = 404
    key = "quarantine_unknown"
