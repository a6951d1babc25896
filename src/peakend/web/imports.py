"""Import in the browser (and through the API): upload a file, preview it, map its columns to the event contract
with suggestions, set how its answers read, save the mapping for next time, run the ingest with a progress bar,
and see what was stored, warned and quarantined.

The upload streams to a folder on disk (setting `uploads`), never held in memory, up to setting
`max_upload_bytes`; it is deleted once imported (its rows are stored or quarantined), or after a day unimported.
The ingest is the one files and the CLI use (`pipeline.ingest_file`): the same checks, quarantine and idempotency
(a CSV streams through in chunks; a workbook's sheet is read whole by calamine: about 0.8 GB for 1M rows × 8).
It runs in a thread of this process; the page asks for its progress every second.
A manager's upload may write only their halls: a row of another hall is refused (`forbidden_hall`) and kept.
Admins and managers import; a job is seen only by whoever uploaded it (and admins).
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from peakend import settings
from peakend.contract import FIELDS, SCALE_ALIASES, Kind
from peakend.errors import MappingError
from peakend.ingest.mapping import Mapping, mapping_yaml, parse_mapping, save_mapping, saved_mappings
from peakend.ingest.pipeline import FileResult, ingest_file
from peakend.ingest.readers import FORMATS, detect_encoding, excel_sheets, file_format, preview
from peakend.ingest.suggest import suggest, suggested_kind
from peakend.ingest.validate import Context
from peakend.service.people import Principal
from peakend.web.api import frame_json
from peakend.web.deps import AppState, need_user, state
from peakend.web.pages import page_lang, render

router = APIRouter()
KINDS: tuple[Kind, ...] = ("touch", "visit", "survey", "audit")
PREVIEW_ROWS = 20
SHOWN_PROBLEMS = 200
COPY_BYTES = 1 << 20


@dataclass
class Job:
    """One uploaded file on its way in: where it waits, who sent it, and how far its ingest has got."""

    token: str
    path: Path
    name: str  # the file name as uploaded
    owner: str
    halls: frozenset[str] | None  # the halls it may write (None: every hall)
    status: str = "uploaded"  # uploaded → running → done | failed
    sheet: str | None = None
    done: int = 0
    total: int = 0
    result: FileResult | None = None
    error: str = ""
    mapping: Mapping | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: dict[str | None, dict[str, Any]] = field(default_factory=dict)  # what `look` found, per sheet

    @property
    def source(self) -> str:
        """The source its rows are stored and quarantined under."""
        return f"upload:{self.owner}:{self.name}" + (f"#{self.sheet}" if self.sheet else "")


JOBS: dict[str, Job] = {}


def need_importer(request: Request) -> Principal:
    """The asker, who must import (an admin, or a manager for their halls)."""
    p = need_user(request)
    if p.role not in ("admin", "manager"):
        raise HTTPException(403, "only admins and managers import files")
    return p


def job_of(request: Request, token: str) -> tuple[Principal, Job]:
    """The asker and their job (an admin: anyone's); another's or an unknown one is a 404."""
    p = need_importer(request)
    job = JOBS.get(token)
    if job is None or not (p.is_admin or job.owner == p.name):
        raise HTTPException(404, "no such import")
    return p, job


def _folder() -> Path:
    folder = Path(settings.get("uploads") or Path(tempfile.gettempdir()) / "peakend-uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


STALE_S = 24 * 3600  # an upload never imported is deleted after a day


def forget_stale(folder: Path) -> None:
    """Delete uploads left unimported for more than a day (and forget their jobs)."""
    now = time.time()
    for held in folder.iterdir():
        if held.is_dir() and now - held.stat().st_mtime > STALE_S:
            shutil.rmtree(held, ignore_errors=True)
            JOBS.pop(held.name, None)


def safe_name(name: str) -> str:
    """A file name safe to keep on disk: its last part, letters (any script), digits, '.', '-' and '_' only."""
    base = re.sub(r"[^\w.\-]", "_", Path(name.replace("\\", "/")).name).lstrip(".")[-120:]
    return base or "upload"


async def receive(upload: UploadFile, p: Principal) -> Job:
    """Stream an upload to disk in 1 MiB pieces (413 past `max_upload_bytes`); the job that will ingest it."""
    name = safe_name(upload.filename or "")
    if file_format(Path(name)) is None:
        raise HTTPException(422, f"'{name}' is not a file peakend reads: {', '.join(sorted(FORMATS))}")
    token = secrets.token_urlsafe(16)
    forget_stale(_folder())
    path = _folder() / token / name
    path.parent.mkdir()
    most, seen = settings.get("max_upload_bytes"), 0
    with path.open("wb") as out:
        while piece := await upload.read(COPY_BYTES):
            seen += len(piece)
            if seen > most:
                out.close()
                path.unlink()
                raise HTTPException(413, f"the file is larger than {most:,} bytes (setting PEAKEND_MAX_UPLOAD_BYTES)")
            out.write(piece)
    job = Job(token, path, name, p.name, None if p.is_admin else frozenset(p.halls))
    JOBS[token] = job
    return job


def look(job: Job, sheet: str | None) -> dict[str, Any]:
    """What the mapping form shows: sheets, encoding, columns, the first rows, suggested fields and kind (read
    once per sheet: a workbook's sheet takes seconds to open)."""
    sheets = excel_sheets(job.path) if file_format(job.path) == "excel" else []
    if sheets:
        job.sheet = sheet if sheet in sheets else sheets[0]
    if job.sheet not in job.seen:
        job.seen[job.sheet] = _look(job, sheets)
    return job.seen[job.sheet]


def _look(job: Job, sheets: list[str]) -> dict[str, Any]:
    encoding = detect_encoding(job.path) if file_format(job.path) in ("csv", "jsonl") else ""
    chunk = preview(job.path, job.sheet, PREVIEW_ROWS)
    rows = chunk.to_arrow().to_pylist() if chunk.columns else []
    guessed = suggest(chunk.columns)
    kind = suggested_kind(guessed)
    if kind is not None:
        guessed = suggest(chunk.columns, kind)
    return {"sheets": sheets, "sheet": job.sheet, "encoding": encoding, "columns": chunk.columns, "rows": rows,
            "problems": [{"row": x.row, "code": x.code, "value": x.value} for x in chunk.problems],
            "suggested": {s.column: s.field for s in guessed}, "scores": {s.column: s.score for s in guessed},
            "kind": kind}


def run(st: AppState, job: Job, mapping: Mapping) -> None:
    """Ingest the job's file with `mapping` in a thread of its own; progress and result on the job."""
    with job.lock:
        if job.status == "running":
            raise HTTPException(409, "this import is running")
        job.status, job.mapping, job.done, job.total = "running", mapping, 0, job.path.stat().st_size

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total

    def work() -> None:
        try:
            ctx = Context(st.blueprint, halls=job.halls)
            job.result = ingest_file(st.store, job.path, ctx, mapping, mapping.kind, "auto", progress, job.sheet,
                                     f"upload:{job.owner}:{job.name}")
            job.status = "done"
        except Exception as exc:  # the page says what went wrong instead of spinning for ever
            job.error, job.status = f"{type(exc).__name__}: {exc}", "failed"
        finally:  # its rows are stored or quarantined now: the upload itself is not kept
            shutil.rmtree(job.path.parent, ignore_errors=True)

    threading.Thread(target=work, name=f"import-{job.token}", daemon=True).start()


def report(st: AppState, job: Job) -> dict[str, Any]:
    """The job's status, progress and, once done, its counts and its quarantined rows (the first 200)."""
    out: dict[str, Any] = {"token": job.token, "name": job.name, "sheet": job.sheet, "status": job.status,
                           "done_bytes": job.done, "total_bytes": job.total, "error": job.error}
    r = job.result
    if job.status == "done" and r is not None:
        f = r.fates
        out |= {"rows": r.rows, "stored": f.stored, "already": f.already, "warned": f.warned,
                "conflicted": f.conflicted, "corrected": f.corrected, "quarantined": r.quarantined,
                "notes": r.notes, "kind": r.kind}
        kept = st.store.query("SELECT row_number, field, code, message_en, message_zh FROM quarantine WHERE source = ? "
                              "ORDER BY row_number, field LIMIT ?", [r.source, SHOWN_PROBLEMS])
        out["problems"] = frame_json(kept)
    return out


def mapping_from(sent: dict[str, Any], columns: list[str]) -> Mapping:
    """A long mapping from the form's or the API's answers (422 naming what is wrong)."""
    kind = sent.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise HTTPException(422, f"kind must be one of {', '.join(KINDS)}")
    chosen = sent.get("columns") or {}
    fields = {f.name for f in FIELDS[cast(Kind, kind)]} if kind else {f.name for k in FIELDS.values() for f in k}
    unknown = sorted(set(chosen) - fields)
    if unknown:
        raise HTTPException(422, f"not fields of a {kind or 'record'}: {', '.join(unknown)}")
    absent = sorted(c for c in chosen.values() if c not in columns)
    if absent:
        raise HTTPException(422, f"not columns of the file: {', '.join(absent)}")
    try:
        return Mapping.model_validate({k: v for k, v in {
            "kind": kind, "columns": chosen, "rating_scale": sent.get("rating_scale") or None,
            "missing": sent.get("missing") or [], "values": sent.get("values") or {},
            "allow_fractions": bool(sent.get("allow_fractions"))}.items() if v is not None})
    except ValidationError as exc:
        raise HTTPException(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                            ) from None


def pasted_mapping(text: str) -> Mapping:
    """A whole mapping pasted as YAML (a wide export, a mystery-shopping sheet…); 422 saying what is wrong."""
    try:
        return parse_mapping(text, "mapping")
    except MappingError as exc:
        raise HTTPException(422, exc.say("en")) from None


def _words(text: str) -> dict[str, float]:
    """'满意=5, 一般=3' → {'满意': 5.0, '一般': 3.0} (422 for a part that is not word=number)."""
    out = {}
    for part in re.split(r"[,，;；\n]+", text):
        if not part.strip():
            continue
        word, eq, value = part.rpartition("=")
        try:
            out[word.strip()] = float(value)
        except ValueError:
            raise HTTPException(422, f"'{part.strip()}' is not word=number") from None
        if not eq or not word.strip():
            raise HTTPException(422, f"'{part.strip()}' is not word=number")
    return out


def _form_answers(form: dict[str, str], columns: list[str]) -> dict[str, Any]:
    """The mapping form's fields as the API's JSON: `f:<i>` → the field of column i."""
    chosen: dict[str, str] = {}
    for i, column in enumerate(columns):
        target = form.get(f"f:{i}", "")
        if target:
            if target in chosen:
                raise HTTPException(422, f"two columns are mapped to {target}: {chosen[target]}, {column}")
            chosen[target] = column
    return {"kind": form.get("kind"), "columns": chosen, "rating_scale": form.get("rating_scale"),
            "missing": [m.strip() for m in re.split(r"[,，;；]+", form.get("missing", "")) if m.strip()],
            "values": _words(form.get("values", "")), "allow_fractions": form.get("allow_fractions") == "on"}


# --- pages -----------------------------------------------------------------------------------------------------


@router.get("/import", include_in_schema=False)
def import_page(request: Request) -> HTMLResponse:
    """Step 1: choose a file."""
    p = need_importer(request)
    return render(request, "import.html.j2", user=p, step="upload", job=None)


@router.post("/import", include_in_schema=False)
async def import_upload(request: Request, file: UploadFile) -> Response:
    """Receive the file (the login first), then on to the mapping."""
    p = need_importer(request)
    job = await receive(file, p)
    return RedirectResponse(f"/import/{job.token}", status_code=303)


def _mapping_page(request: Request, p: Principal, job: Job, sheet: str | None, status: int = 200,
                  problem: str = "", sent: dict[str, Any] | None = None) -> HTMLResponse:
    st = state(request)
    seen = dict(look(job, sheet))  # a copy: a saved mapping may fill it in
    saved = saved_mappings(st.store)
    use = request.query_params.get("use")
    if use in saved:  # a saved mapping fills the form where the file has its columns
        m = saved[use]
        seen["suggested"] = {c: f for f, c in m.columns.items() if c in seen["columns"]}
        seen["kind"] = m.kind or seen["kind"]
        sent = {"rating_scale": m.rating_scale, "missing": m.missing, "values": m.values}
    kind = seen["kind"]
    fields = [f.name for f in FIELDS[kind]] if kind else list(dict.fromkeys(f.name for k in FIELDS.values()
                                                                            for f in k))
    return render(request, "import.html.j2", status=status, user=p, step="map", job=job, seen=seen, fields=fields,
                  kinds=KINDS, scales=list(SCALE_ALIASES), saved=sorted(saved), problem=problem, sent=sent or {},
                  lang_name=page_lang(request))


@router.get("/import/{token}", include_in_schema=False)
def import_job_page(request: Request, token: str, sheet: str | None = None) -> HTMLResponse:
    """Step 2 (map the columns) before the run; step 3 (progress, then what happened) after."""
    p, job = job_of(request, token)
    if job.status == "uploaded":
        try:
            return _mapping_page(request, p, job, sheet)
        except (OSError, ValueError) as exc:
            return render(request, "import.html.j2", status=422, user=p, step="upload", job=None,
                          problem=f"{job.name}: {exc}")
    return render(request, "import.html.j2", user=p, step="run", job=job, info=report(state(request), job))


@router.post("/import/{token}", include_in_schema=False)
async def import_run(request: Request, token: str) -> Response:
    """Start the ingest with the form's mapping (saved under a name if asked)."""
    p, job = job_of(request, token)
    async with request.form(max_fields=400) as sent:
        form = {k: v for k, v in sent.items() if isinstance(v, str)}
    columns = look(job, form.get("sheet") or job.sheet)["columns"]
    try:
        pasted = form.get("mapping_yaml", "").strip()
        mapping = pasted_mapping(pasted) if pasted else mapping_from(_form_answers(form, columns), columns)
    except HTTPException as exc:
        return _mapping_page(request, p, job, job.sheet, 422, str(exc.detail), form)
    name = form.get("save_as", "").strip()[:100]
    st = state(request)
    if name:
        save_mapping(st.store, name, mapping, p.name)
    await run_in_threadpool(run, st, job, mapping)
    return RedirectResponse(f"/import/{job.token}", status_code=303)


# --- API -------------------------------------------------------------------------------------------------------


@router.post("/api/v1/imports", tags=["ingest"], summary="Upload a file to import: its columns, first rows and "
                                                          "suggested mapping")
async def api_upload(request: Request, file: UploadFile, sheet: str | None = None) -> dict[str, Any]:
    """Stream the file to disk; answer its token, sheets, detected encoding, columns, first rows and suggestions."""
    p = need_importer(request)
    job = await receive(file, p)
    return {"token": job.token, "name": job.name, **await run_in_threadpool(look, job, sheet)}


@router.post("/api/v1/imports/{token}/run", tags=["ingest"], status_code=202,
             summary="Run an uploaded file's ingest with a mapping (columns: field → file column)")
def api_run(request: Request, token: str, sent: dict[str, Any]) -> dict[str, Any]:
    """Start the ingest; `sheet` picks a workbook's sheet, `save_as` keeps the mapping by name, `mapping_yaml`
    gives a whole mapping instead (wide or audit formats)."""
    p, job = job_of(request, token)
    seen = look(job, sent.get("sheet"))
    pasted = str(sent.get("mapping_yaml") or "").strip()
    mapping = pasted_mapping(pasted) if pasted else mapping_from(sent, seen["columns"])
    st = state(request)
    if sent.get("save_as"):
        save_mapping(st.store, str(sent["save_as"])[:100], mapping, p.name)
    run(st, job, mapping)
    return report(st, job)


@router.get("/api/v1/imports/{token}", tags=["ingest"], summary="An import's progress and, once done, its result")
def api_job(request: Request, token: str) -> dict[str, Any]:
    """Status (uploaded, running, done, failed), bytes read of the total, then the counts and quarantined rows."""
    _, job = job_of(request, token)
    return report(state(request), job)


@router.get("/api/v1/mappings/{name}.yaml", tags=["ingest"], summary="A saved mapping, as `peakend ingest "
                                                                     "--mapping` reads it")
def api_mapping(request: Request, name: str) -> Response:
    """The saved mapping's YAML."""
    need_importer(request)
    saved = saved_mappings(state(request).store)
    if name not in saved:
        raise HTTPException(404, "no such mapping")
    disposition = f"attachment; filename=\"mapping.yaml\"; filename*=UTF-8''{quote(safe_name(name))}.yaml"
    return Response(mapping_yaml(saved[name]), media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": disposition})
