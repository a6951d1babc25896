"""Imports of uploaded files as jobs every process shares (`ws.imports`).

An upload is a `draft` job (kind `import`) holding where the file waits, its name, its owner and the halls it may
write; the mapping form's preview is read from the file (kept per process: a workbook's sheet takes seconds to
open); running it queues the job with the mapping (as YAML), and whichever process is free ingests the file
through `ws.files.ingest` with progress. Ingest is idempotent by ids, so an import cut off (its process killed)
is run again and stores no row twice. The result (counts, notes, source) is the job's; its quarantined rows are
read by source. A job started on one process is seen, followed and finished from any other.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.contract import FIELDS
from peakend.errors import FileUnreadable, JobStateError, MappingError, MappingTaken, NoData, QuarantineUnknown
from peakend.i18n import MESSAGES, Lang, Said, field_label, say
from peakend.ingest.mapping import Mapping, mapping_yaml, parse_mapping, read_as, save_mapping, saved_mappings
from peakend.ingest.readers import FORMATS, detect_encoding, excel_sheets, file_format, preview
from peakend.ingest.suggest import shape, suggest, suggested_kind, wide_suggestions
from peakend.ingest.validate import expected_in
from peakend.service.jobs import Job, Outcome, Progress, job_kind
from peakend.service.people import Principal

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

KIND = "import"
FIELD_IDS = frozenset(f.name for k in FIELDS.values() for f in k)
PREVIEW_ROWS = 20
SHOWN_PROBLEMS = 200
_seen: dict[tuple[str, str | None], dict[str, Any]] = {}  # what `look` found, per upload and sheet (this process)


def upload_root() -> Path:
    """The folder uploads wait in (setting `uploads`, else one in the temp dir), each in a folder of its own."""
    return Path(settings.get("uploads") or Path(tempfile.gettempdir()) / "peakend-uploads")


def upload_of(params: dict[str, Any]) -> Iterable[Path]:
    """An import's upload folder, if its path is one (pruning removes nothing outside the uploads folder)."""
    path = Path(str(params.get("path", "")))
    if path.parent.parent.resolve() == upload_root().resolve() and path.parent.name:
        yield path.parent


def readable(name: str) -> bool:
    """Whether a file of this name is one peakend reads (by its extension)."""
    return file_format(Path(name)) is not None


def formats() -> list[str]:
    """The file formats peakend reads."""
    return sorted(FORMATS)


def source_of(job: Job) -> str:
    """The source an upload's rows are stored and quarantined under."""
    return f"upload:{job.owner}:{job.params['name']}"


class Imports:
    """Uploaded files on their way into a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def upload(self, path: Path, name: str, owner: str, halls: frozenset[str] | None) -> Job:
        """A received file as a draft import job (kept until `run`)."""
        return self.ws.jobs.submit(KIND, {"path": str(path), "name": name}, owner, halls, state="draft",
                                   dedupe=False)

    def look(self, job: Job, sheet: str | None) -> dict[str, Any]:
        """What the mapping form shows: sheets, the sheet shown, encoding, columns, the first rows, suggested
        fields and kind (OSError, ValueError for a file that cannot be read)."""
        path = Path(job.params["path"])
        sheets = excel_sheets(path) if file_format(path) == "excel" else []
        chosen = (sheet if sheet in sheets else sheets[0]) if sheets else None
        key = (job.job_id, chosen)
        if key not in _seen:
            _seen[key] = _look(path, chosen, sheets, str(job.params.get("name", path.name)))
        seen, moments = _seen[key], moment_words(self.ws.blueprint)
        return {**seen, "shape": shape(seen["columns"], moments) or "long",
                "wide": wide_suggestions(seen["columns"], moments)}

    def read_as(self, job: Job, mapping: Mapping, sheet: str | None) -> list[dict[str, Any]]:
        """The first rows of an upload as `mapping` will read them (before the checks), by kind of event."""
        seen = self.look(job, sheet)
        return [{"kind": kind, "fields": fields, "rows": rows}
                for kind, fields, rows in read_as(seen["rows"], seen["columns"], mapping)]

    @staticmethod
    def mapping(sent: dict[str, Any]) -> Mapping:
        """A long mapping from the form's or the API's answers (MappingError naming what is wrong)."""
        try:
            return Mapping.model_validate({k: v for k, v in sent.items() if v is not None})
        except ValidationError as exc:
            raise MappingError(source="mapping", value="; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None

    @staticmethod
    def parse(text: str) -> Mapping:
        """A whole mapping pasted as YAML (MappingError saying what is wrong)."""
        return parse_mapping(text, "mapping")

    def saved(self, p: Principal) -> dict[str, Mapping]:
        """The saved mappings `p` may use, by name: their own, those of halls all theirs (admins: every one)."""
        return saved_mappings(self.ws.store, p.name, None if p.is_admin else p.halls)

    def save_mapping(self, name: str, mapping: Mapping, p: Principal) -> None:
        """Keep a mapping under a name for the next file, scoped to `p`'s halls (MappingTaken, 409, when the name
        is another's and `p` is no admin)."""
        if not save_mapping(self.ws.store, name, mapping, p.name, None if p.is_admin else p.halls):
            raise MappingTaken(value=name)
        self.ws.activity.record(p.name, "mapping_saved", name)

    @staticmethod
    def yaml(mapping: Mapping) -> str:
        """A mapping as `peakend ingest --mapping` reads it."""
        return mapping_yaml(mapping)

    def run(self, job: Job, mapping: Mapping, sheet: str | None) -> Job:
        """Queue an uploaded file's ingest with `mapping` (a workbook: `sheet`); any process's runner takes it.
        JobStateError (409) when it was run already."""
        if job.state != "draft":
            raise JobStateError(state=job.state)
        return self.ws.jobs.queue(job.job_id, {**job.params, "mapping": mapping_yaml(mapping), "sheet": sheet})

    def quarantined(self, source: str, limit: int = SHOWN_PROBLEMS) -> pd.DataFrame:
        """The rows of `source` kept in quarantine, with their reasons (and what the pages word them from), by
        row."""
        return self.ws.store.query("SELECT source, row_number, field, code, message_en, message_zh, field_id, "
                                   "value_shown, expected FROM quarantine WHERE source = ? ORDER BY row_number, field "
                                   "LIMIT ?", [source, limit])

    def dismiss(self, keys: list[tuple[str, int, str]], who: str, halls: frozenset[str] | None,
                address: str | None = None) -> int:
        """Mark quarantined rows (source hash, row, field) handled by `who` now: kept, with who and when, hidden
        from the data-quality page. Every one must be a row of `halls` (None: any row), else QuarantineUnknown
        (404) and none is marked. The rows newly marked."""
        keys = sorted(set(keys))[:MOST_DISMISSED]
        if not keys:
            return 0
        store = self.ws.store
        where = "(" + " OR ".join(["(source_hash = ? AND row_number = ? AND field = ?)"] * len(keys)) + ")"
        params: list[object] = [x for k in keys for x in k]
        if halls is not None:
            where += f" AND hall_id IN ({', '.join('?' * len(halls))})" if halls else " AND FALSE"
            params += sorted(halls)
        with store.transaction():
            if int(store.scalar(f"SELECT count(*) FROM quarantine WHERE {where}", params)) != len(keys):
                raise QuarantineUnknown(value=f"{len(keys)} rows")
            changed = store.execute(f"UPDATE quarantine SET dismissed_by = ?, dismissed_at = ? WHERE {where} "
                                    "AND dismissed_at IS NULL", [who, datetime.now(), *params])
        if changed:
            self.ws.activity.record(who, "quarantine_dismissed", str(changed), {"rows": changed}, address)
        return changed


UPLOAD = re.compile(r"upload:(.+):([^:]+)", re.S)  # `source_of`: an uploaded file's name has no colon (`safe_name`)
MOST_DISMISSED = 500  # quarantined rows dismissed by one post at most


def source_words(source: str, lang: Lang) -> str:
    """A source as a page says it: an upload by its file's name and who uploaded it; any other as it is kept."""
    m = UPLOAD.fullmatch(source)
    return say("upload_source", lang, name=m[2], who=m[1]) if m else source


def field_words(shown: str, field_id: str | None, lang: Lang) -> str:
    """A problem's field as a page says it: a contract field by its name, its id after it (what a file header
    types); a column the file named otherwise, as the file names it."""
    if field_id and shown == field_id and field_id in FIELD_IDS:
        label = field_label(field_id, lang)
        return label if label.lower() == field_id.lower() else f"{label}（{field_id}）" if lang == "zh" \
            else f"{label} ({field_id})"
    return shown


def _web_key(key: str) -> str:
    return key + ".web" if key + ".web" in MESSAGES else key


def moment_list(bp: Blueprint, lang: Lang, ids: list[str] | None = None) -> str:
    """Moments by their names in `lang` (`ids`: those; default every moment of the blueprint, in journey order)."""
    known = set(bp.moment_ids())
    names = [_moment(bp, m, lang) for m in (bp.moment_ids() if ids is None else ids) if m in known]
    return ("、" if lang == "zh" else ", ").join(names)


def _moment(bp: Blueprint, moment_id: str, lang: Lang) -> str:
    m = bp.moment(moment_id)
    return (m.zh if lang == "zh" else m.en) or moment_id


def worded(row: dict[str, Any], lang: Lang, bp: Blueprint) -> str:
    """A quarantined row's message as the web's pages word it: the upload by its file and uploader, the field by
    its name, moments by their names, the import form's fields instead of command-line options. A row kept before
    its value and expectation were (an older store): its message, only its source in words."""
    stored = str(row.get(f"message_{lang}") or "")
    source = str(row.get("source") or "")
    if row.get("expected") is None or (isinstance(row.get("expected"), float)):  # NULL (pandas may give NaN)
        return stored.replace(source, source_words(source, lang), 1) if source else stored
    field_id, expected = row.get("field_id"), str(row["expected"])
    if field_id == "moment_id" and row.get("code") == "not_in_set":
        expected = moment_list(bp, lang)
    return say(_web_key(str(row["code"])), lang, source=source_words(source, lang), row=row["row_number"],
               field=field_words(str(row["field"]), field_id, lang), value=row.get("value_shown") or "",
               expected=expected_in(expected, lang))


def note_words(note: dict[str, Any], lang: Lang, bp: Blueprint) -> str:
    """A file's note (`key`, `fields`) as the web's pages word it (see `worded`)."""
    fields = dict(note["fields"])
    if "source" in fields:
        fields["source"] = source_words(fields["source"], lang)
    if note["key"] == "mapping_end":  # the last moment and the end moments, by name
        fields["value"] = moment_list(bp, lang, [fields.get("value", "")]) or fields.get("value", "")
        fields["expected"] = moment_list(bp, lang, fields.get("expected", "").split(", "))
    if note["key"] in ("missing_column", "missing_hall") and fields.get("field"):
        fields["field"] = field_words(fields["field"], fields["field"], lang)
    return say(_web_key(str(note["key"])), lang, **fields)


def moment_words(bp: Blueprint) -> dict[str, str]:
    """Each moment's id, Chinese and English name → its id (how a wide file's columns may name them)."""
    out: dict[str, str] = {}
    for m in bp.moments:
        for word in (m.en, m.zh, m.id):
            out[word] = m.id
    return out


def _look(path: Path, sheet: str | None, sheets: list[str], name: str) -> dict[str, Any]:
    encoding = detect_encoding(path) if file_format(path) in ("csv", "jsonl") else ""
    chunk = preview(path, sheet, PREVIEW_ROWS)
    if not chunk.columns and chunk.problems and chunk.problems[0].code == "unreadable":
        bad = chunk.problems[0]
        raise FileUnreadable(source=name, value=bad.value, expected=bad.expected)  # 422 naming what is wrong
    rows = chunk.to_arrow().to_pylist() if chunk.columns else []
    guessed = suggest(chunk.columns)
    kind = suggested_kind(guessed)
    if kind is not None:
        guessed = suggest(chunk.columns, kind)
    return {"sheets": sheets, "sheet": sheet, "encoding": encoding, "columns": chunk.columns, "rows": rows,
            "problems": [{"row": x.row, "code": x.code, "value": x.value} for x in chunk.problems],
            "suggested": {s.column: s.field for s in guessed}, "scores": {s.column: s.score for s in guessed},
            "kind": kind}


def _score_after(ws: Workspace, job: Job, new: int) -> str | None:
    """The scoring job started for an import's new rows (None: nothing new, no touch to score, or setting
    `score_minutes` 0, under which the server never scores by itself)."""
    if not new or settings.get("score_minutes") <= 0:
        return None
    try:
        return ws.scores.start(job.owner).job_id
    except NoData:  # visits or surveys only: nothing to score yet
        return None


# ingest is idempotent by ids: a cut-off import run again stores no row twice; each upload is a question of its own
@job_kind(KIND, rerun=True, asked_again=False, files=upload_of)
def import_job(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    """An uploaded file ingested with its mapping, bytes read reported as progress; the upload is deleted once its
    rows are stored or quarantined. New rows are scored next (a `score` job; not when setting `score_minutes` is
    0), so the pages show them without a command."""
    path, sheet = Path(job.params["path"]), job.params.get("sheet")
    mapping = parse_mapping(job.params["mapping"], "mapping")
    ctx = ws.files.context(halls=job.halls)
    r = ws.files.ingest(path, ctx, mapping, mapping.kind, "auto", lambda done, total: progress(done, total, "ingest"),
                        sheet, source_of(job))
    shutil.rmtree(path.parent, ignore_errors=True)
    f = r.fates
    return Outcome({"scoring": _score_after(ws, job, f.stored + f.corrected), "source": r.source, "kind": r.kind,
                    "rows": r.rows, "stored": f.stored, "already": f.already,
                    "warned": f.warned, "conflicted": f.conflicted, "corrected": f.corrected,
                    "quarantined": r.quarantined, "notes": r.notes, "sheet": sheet,
                    "attached": r.kinds["touch"].attached if "touch" in r.kinds else 0,
                    "notes_in_both": [getattr(n, "in_both", {"zh": n, "en": n}) for n in r.notes],
                    "notes_said": [_said(n) for n in r.notes]})


def _said(note: str) -> dict[str, Any] | None:
    """A note's key and fields (a page words it its own way), None for a note that is text only."""
    return {"key": note.key, "fields": note.fields} if isinstance(note, Said) and hasattr(note, "key") else None
