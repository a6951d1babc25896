"""Import in the browser (and through the API): upload a file, preview it, map its columns to the event contract
with suggestions, set how its answers read, save the mapping for next time, run the ingest with a progress bar,
and see what was stored, warned and quarantined.

The upload streams to a folder on disk (setting `uploads`, which every process of the server shares), never held
in memory, up to setting `max_upload_bytes`; it is deleted once imported (its rows are stored or quarantined), or
after a day unimported. The import itself is a job of `ws.imports` (kind `import`): the upload a draft, the run
queued with its mapping, ingested by whichever process is free, followed and finished from any of them (the page
asks for its progress every second). A manager's upload may write only their halls: a row of another hall is
refused (`forbidden_hall`) and kept. Admins and managers import; a job is seen only by whoever uploaded it (and
admins).
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peakend import settings
from peakend.contract import FIELDS, SCALE_ALIASES, SCALES, Kind
from peakend.errors import FileUnreadable, JobStateError, MappingError
from peakend.i18n import WORDS, Lang
from peakend.service.imports import (
    KIND,
    Imports,
    field_words,
    formats,
    note_words,
    readable,
    source_of,
    source_words,
    upload_root,
    worded,
)
from peakend.service.jobs import Job
from peakend.service.people import Principal
from peakend.web.deps import AppState, need_user, state
from peakend.web.pages import page_lang, render
from peakend.web.render import frame_json

if TYPE_CHECKING:
    from peakend.ingest.mapping import Mapping

router = APIRouter()
KINDS: tuple[Kind, ...] = ("touch", "visit", "survey", "audit")
COPY_BYTES = 1 << 20
STATUS = {"draft": "uploaded", "queued": "running", "running": "running", "done": "done", "failed": "failed",
          "cancelled": "failed"}  # a job's state as the import page and API say it


def need_importer(request: Request) -> Principal:
    """The asker, who must import (an admin, or a manager for their halls)."""
    p = need_user(request)
    if p.role not in ("admin", "manager"):
        raise HTTPException(403, "only admins and managers import files")
    return p


def job_of(request: Request, token: str) -> tuple[Principal, Job]:
    """The asker and their import (an admin: anyone's); another's or an unknown one is a 404."""
    p = need_importer(request)
    job = state(request).ws.jobs.get(token)
    if job is None or job.kind != KIND or not (p.is_admin or job.owner == p.name):
        raise HTTPException(404, "no such import")
    return p, job


def _folder() -> Path:
    folder = upload_root()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


STALE_S = 24 * 3600  # an upload never imported is deleted after a day


def forget_stale(folder: Path) -> None:
    """Delete uploads left unimported for more than a day."""
    now = time.time()
    for held in folder.iterdir():
        if held.is_dir() and now - held.stat().st_mtime > STALE_S:
            shutil.rmtree(held, ignore_errors=True)


def safe_name(name: str) -> str:
    """A file name safe to keep on disk: its last part, letters (any script), digits, '.', '-' and '_' only."""
    base = re.sub(r"[^\w.\-]", "_", Path(name.replace("\\", "/")).name).lstrip(".")[-120:]
    return base or "upload"


async def receive(st: AppState, upload: UploadFile, p: Principal) -> Job:
    """Stream an upload to disk in 1 MiB pieces (413 past `max_upload_bytes`); the draft job that will ingest it."""
    name = safe_name(upload.filename or "")
    if not readable(name):
        raise HTTPException(422, f"'{name}' is not a file peakend reads: {', '.join(formats())}")
    forget_stale(_folder())
    path = _folder() / secrets.token_urlsafe(16) / name
    path.parent.mkdir()
    most, seen = settings.get("max_upload_bytes"), 0
    with path.open("wb") as out:
        while piece := await upload.read(COPY_BYTES):
            seen += len(piece)
            if seen > most:
                out.close()
                shutil.rmtree(path.parent, ignore_errors=True)
                raise HTTPException(413, f"the file is larger than {most:,} bytes (setting PEAKEND_MAX_UPLOAD_BYTES)")
            out.write(piece)
    return await run_in_threadpool(st.ws.imports.upload, path, name, p.name,
                                   None if p.is_admin else frozenset(p.halls))


def report(st: AppState, job: Job, lang: Lang = "en") -> dict[str, Any]:
    """The job's status, progress and, once done, its counts, its notes and error in `lang`, and its quarantined
    rows (the first 200)."""
    r = job.result if job.state == "done" else None
    out: dict[str, Any] = {"token": job.job_id, "job_id": job.job_id, "name": job.params["name"],
                           "sheet": (r or {}).get("sheet", job.params.get("sheet")), "status": STATUS[job.state],
                           "state": job.state, "done_bytes": job.done, "total_bytes": job.total,
                           "error": job.error(lang) or ("cancelled" if job.state == "cancelled" else "")}
    if r is not None:
        out |= {k: r[k] for k in ("rows", "stored", "already", "warned", "conflicted", "corrected", "quarantined",
                                  "kind")}
        out["notes"] = [n[lang] for n in r["notes_in_both"]] if "notes_in_both" in r else r["notes"]  # (older jobs)
        out["problems"] = frame_json(st.ws.imports.quarantined(r["source"]))
        out["scoring"] = r.get("scoring")
        out["attached"] = r.get("attached", 0)  # ratings attached to stored touches (older jobs: none said)
    return out


def mapping_from(sent: dict[str, Any], columns: list[str], moments: list[str] | None = None) -> Mapping:
    """A long or wide (`format: wide`) mapping from the form's or the API's answers (422 naming what is wrong)."""
    if sent.get("format") == "wide":
        return _wide_from(sent, columns, moments or [])
    kind = sent.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise HTTPException(422, f"kind must be one of {', '.join(KINDS)}")
    chosen = _dict(sent, "columns")
    fields = {f.name for f in FIELDS[cast(Kind, kind)]} if kind else {f.name for k in FIELDS.values() for f in k}
    unknown = sorted(set(chosen) - fields)
    if unknown:
        raise HTTPException(422, f"not fields of a {kind or 'record'}: {', '.join(unknown)}")
    _have(columns, chosen.values())
    return _checked({"kind": kind, "columns": chosen, "defaults": _hall(sent),
                     "rating_scale": sent.get("rating_scale") or None, "missing": sent.get("missing") or [],
                     "values": sent.get("values") or {}, "allow_fractions": bool(sent.get("allow_fractions"))})


WIDE_VISIT = tuple(f.name for f in FIELDS["visit"])
def scale_choices(lang: Lang) -> list[tuple[str, str]]:
    """Each rating scale once, (its key, its name in `lang`): the form lists scales, a file may name aliases."""
    return [(key, WORDS[f"scale_{key}"][lang]) for key in SCALES]


def _scale(name: str | None) -> str | None:
    """A saved mapping's scale as the form's choice (an alias read as the scale it names)."""
    return SCALE_ALIASES.get(name, name) if name else name


WIDE_SURVEY = tuple(f.name for f in FIELDS["survey"] if f.name not in ("visit_id", "survey_id", "overall_scale",
                                                                        "source"))


ALL_FIELDS = tuple(dict.fromkeys(f.name for k in KINDS for f in FIELDS[k]))


def _have(columns: list[str], named: Any) -> None:
    absent = sorted(c for c in named if c not in columns)
    if absent:
        raise HTTPException(422, f"not columns of the file: {', '.join(absent)}")


def _dict(sent: dict[str, Any], key: str) -> dict[str, Any]:
    """`sent[key]`, which must be an object of text values (422 otherwise)."""
    found = sent.get(key) or {}
    if not isinstance(found, dict) or not all(isinstance(v, str | int | float) for v in found.values()):
        raise HTTPException(422, f"{key} must be an object of names and values")
    return found


def _hall(sent: dict[str, Any]) -> dict[str, str]:
    """The one hall for the whole file, as the mapping's default (none when not given)."""
    hall = str(_dict(sent, "defaults").get("hall_id") or sent.get("hall") or "").strip()[:200]
    return {"hall_id": hall} if hall else {}


def _wide_from(sent: dict[str, Any], columns: list[str], moments: list[str]) -> Mapping:
    """A wide mapping: visit columns, the moments' columns in journey order, survey answers, one hall or a column
    (or neither: rows of stored visits need none, those of new visits are quarantined saying how to give one)."""
    chosen, survey = _dict(sent, "columns"), _dict(sent, "survey")
    listed = sent.get("moments") or []
    said = [m for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
    unknown = sorted(set(chosen) - set(WIDE_VISIT)) + sorted(set(survey) - set(WIDE_SURVEY))
    if unknown:
        raise HTTPException(422, f"not fields of a visit or its survey: {', '.join(unknown)}")
    strange = sorted({str(m.get("moment")) for m in said} - set(moments)) if moments else []
    if strange:
        raise HTTPException(422, f"not moments of the blueprint: {', '.join(strange)}")
    _have(columns, [*chosen.values(), *survey.values(), *(c for m in said for k, c in m.items() if k != "moment")])
    hall = _hall(sent)
    if "visit_id" not in chosen:
        raise HTTPException(422, "choose the column that names each visit (respondent): visit_id")
    if not said and not survey:
        raise HTTPException(422, "choose at least one moment column or survey answer")
    return _checked({"format": "wide", "columns": chosen, "defaults": hall, "moments": said, "survey": survey,
                     "rating_scale": sent.get("rating_scale") or None, "overall_scale": sent.get("overall_scale")
                     or None, "missing": sent.get("missing") or [], "values": sent.get("values") or {},
                     "allow_fractions": bool(sent.get("allow_fractions"))})


def _checked(answers: dict[str, Any]) -> Mapping:
    try:
        return Imports.mapping(answers)
    except MappingError as exc:
        raise HTTPException(422, str(exc.fields["value"])) from None


def pasted_mapping(text: str) -> Mapping:
    """A whole mapping pasted as YAML (a wide export, a mystery-shopping sheet…); 422 saying what is wrong."""
    try:
        return Imports.parse(text)
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


def _form_answers(form: dict[str, str], columns: list[str], order: list[str]) -> dict[str, Any]:
    """The mapping form's fields as the API's JSON: `f:<i>` → what column i holds (a field, or `m:<moment>` in a
    wide file: its moments taken in the blueprint's order `order`, columns of one moment in the file's)."""
    chosen: dict[str, str] = {}
    said: list[tuple[int, int, str, str]] = []
    for i, column in enumerate(columns):
        target = form.get(f"f:{i}", "")
        if target.startswith("m:"):
            said.append((order.index(target[2:]) if target[2:] in order else len(order), i, target[2:], column))
        elif target:
            if target in chosen:
                raise HTTPException(422, f"two columns are mapped to {target}: {chosen[target]}, {column}")
            chosen[target] = column
    answers = {"kind": form.get("kind"), "rating_scale": form.get("rating_scale"), "hall": form.get("hall", ""),
               "missing": [m.strip() for m in re.split(r"[,，;；、]+", form.get("missing", "")) if m.strip()],
               "values": _words(form.get("values", "")), "allow_fractions": form.get("allow_fractions") == "on"}
    if form.get("shape") != "wide":
        return answers | {"columns": chosen}
    return answers | {"format": "wide", "overall_scale": form.get("overall_scale"),
                      "columns": {f: c for f, c in chosen.items() if f not in WIDE_SURVEY},
                      "survey": {f: c for f, c in chosen.items() if f in WIDE_SURVEY},
                      "moments": [{"moment": m, "rating": c} for _, _, m, c in sorted(said)]}


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
    job = await receive(state(request), file, p)
    return RedirectResponse(f"/import/{job.job_id}", status_code=303)


def _shown(job: Job, sheet: str | None = None) -> dict[str, Any]:
    """What the import page's template reads of a job."""
    return {"token": job.job_id, "name": job.params["name"], "sheet": sheet or job.params.get("sheet")}


def _mapping_page(request: Request, p: Principal, job: Job, sheet: str | None, status: int = 200,
                  problem: str = "", sent: dict[str, Any] | None = None, read: list[dict[str, Any]] | None = None
                  ) -> HTMLResponse:
    st = state(request)
    seen = dict(st.ws.imports.look(job, sheet))  # a copy: a saved mapping may fill it in
    saved = st.ws.imports.saved(p)
    sent = dict(sent or {})
    use = request.query_params.get("use")
    shape = sent.get("shape") or request.query_params.get("shape") or seen["shape"]
    if use in saved:  # a saved mapping fills the form where the file has its columns
        m = saved[use]
        shape = m.format if m.format in ("long", "wide") else shape
        seen["suggested"] = {c: f for f, c in m.columns.items() if c in seen["columns"]}
        seen["wide"] = seen["suggested"] | {c: f for f, c in m.survey.items() if c in seen["columns"]} | {
            mc.rating: f"m:{mc.moment}" for mc in m.moments if mc.rating in seen["columns"]}
        seen["kind"] = m.kind or seen["kind"]
        sent = {"rating_scale": _scale(m.rating_scale), "overall_scale": _scale(m.overall_scale), "missing": m.missing,
                "values": m.values, "hall": m.defaults.get("hall_id", "")}
    if sent.get("shape") and sent.get("shape") == shape:  # the form as it was sent
        picked = {c: sent.get(f"f:{i}", "") for i, c in enumerate(seen["columns"])}
        seen["suggested" if shape == "long" else "wide"] = picked
    kind = seen["kind"]
    fields = [f.name for f in FIELDS[kind]] if kind else list(dict.fromkeys(f.name for k in FIELDS.values()
                                                                            for f in k))
    halls = sorted(st.ws.figures.known_halls() if p.is_admin else p.halls)
    return render(request, "import.html.j2", status=status, user=p, step="map", job=_shown(job, seen["sheet"]),
                  seen=seen, fields=fields, kinds=KINDS, scales=scale_choices(page_lang(request)), saved=sorted(saved),
                  problem=problem, sent=sent, lang_name=page_lang(request), shape=shape, halls=halls,
                  wide_visit=WIDE_VISIT, wide_survey=WIDE_SURVEY, read=read, all_fields=ALL_FIELDS)


@router.get("/import/{token}", include_in_schema=False)
def import_job_page(request: Request, token: str, sheet: str | None = None) -> HTMLResponse:
    """Step 2 (map the columns) before the run; step 3 (progress, then what happened) after."""
    p, job = job_of(request, token)
    if job.state == "draft":
        try:
            return _mapping_page(request, p, job, sheet)
        except FileUnreadable as exc:  # what is wrong with the file, named
            return render(request, "import.html.j2", status=422, user=p, step="upload", job=None,
                          problem=exc.say(page_lang(request)))
    info = worded_report(state(request), job, page_lang(request))
    return render(request, "import.html.j2", user=p, step="run", job=_shown(job, info["sheet"]), info=info,
                  uploaded_by=source_words(source_of(job), page_lang(request)))


def worded_report(st: AppState, job: Job, lang: Lang) -> dict[str, Any]:
    """`report` as the import page words it: notes and quarantined rows with the upload named by its file and
    uploader, fields and moments by name, the form's fields instead of command-line options."""
    info = report(st, job, lang)
    said = (job.result or {}).get("notes_said") if job.state == "done" else None
    if said and len(said) == len(info["notes"]):
        info["notes"] = [note_words(n, lang, st.blueprint) if n else old for n, old in zip(said, info["notes"],
                                                                                           strict=True)]
    for x in info.get("problems") or []:
        x["reason"] = worded(x, lang, st.blueprint)
        x["shown_field"] = field_words(str(x["field"]), x.get("field_id"), lang)
    return info


@router.post("/import/{token}", include_in_schema=False)
async def import_run(request: Request, token: str) -> Response:
    """Start the ingest with the form's mapping (saved under a name if asked); 409 once it ran."""
    p, job = job_of(request, token)
    async with request.form(max_fields=400) as sent:
        form = {k: v for k, v in sent.items() if isinstance(v, str)}
    st = state(request)
    if job.state != "draft":
        raise JobStateError(state=job.state)  # 409: it ran already
    seen = await run_in_threadpool(st.ws.imports.look, job, form.get("sheet") or None)
    columns, order = seen["columns"], st.blueprint.moment_ids()
    try:
        pasted = form.get("mapping_yaml", "").strip()
        mapping = pasted_mapping(pasted) if pasted else mapping_from(_form_answers(form, columns, order), columns,
                                                                      order)
    except HTTPException as exc:
        return _mapping_page(request, p, job, seen["sheet"], 422, str(exc.detail), form)
    if form.get("action") == "preview":  # the first rows as they will be read, the form kept
        read = await run_in_threadpool(st.ws.imports.read_as, job, mapping, seen["sheet"])
        return _mapping_page(request, p, job, seen["sheet"], sent=form, read=read)
    name = form.get("save_as", "").strip()[:100]
    if name:
        st.ws.imports.save_mapping(name, mapping, p)
    st.ws.imports.run(job, mapping, seen["sheet"])
    return RedirectResponse(f"/import/{job.job_id}", status_code=303)


# --- API -------------------------------------------------------------------------------------------------------


@router.post("/api/v1/imports", tags=["ingest"], summary="Upload a file to import: its columns, first rows and "
                                                          "suggested mapping")
async def api_upload(request: Request, file: UploadFile, sheet: str | None = None) -> dict[str, Any]:
    """Stream the file to disk; answer its token (the import job's id), sheets, detected encoding, columns, first
    rows and suggestions."""
    p = need_importer(request)
    st = state(request)
    job = await receive(st, file, p)
    return {"token": job.job_id, "job_id": job.job_id, "name": job.params["name"],
            **await run_in_threadpool(st.ws.imports.look, job, sheet)}


@router.post("/api/v1/imports/{token}/run", tags=["ingest"], status_code=202,
             summary="Run an uploaded file's ingest with a mapping (columns: field → file column)")
def api_run(request: Request, token: str, sent: dict[str, Any]) -> dict[str, Any]:
    """Queue the ingest (409 once it ran); `sheet` picks a workbook's sheet, `save_as` keeps the mapping by name,
    `mapping_yaml` gives a whole mapping instead (wide or audit formats). Follow it at GET /api/v1/imports/{token}
    (or /api/v1/jobs/{token}) from any process of the server."""
    p, job = job_of(request, token)
    st = state(request)
    if job.state != "draft":
        raise JobStateError(state=job.state)  # 409: it ran already
    seen = st.ws.imports.look(job, sent.get("sheet"))
    pasted = str(sent.get("mapping_yaml") or "").strip()
    mapping = pasted_mapping(pasted) if pasted else mapping_from(sent, seen["columns"], st.blueprint.moment_ids())
    if sent.get("save_as"):
        st.ws.imports.save_mapping(str(sent["save_as"])[:100], mapping, p)
    return report(st, st.ws.imports.run(job, mapping, seen["sheet"]))


@router.get("/api/v1/imports/{token}", tags=["ingest"], summary="An import's progress and, once done, its result")
def api_job(request: Request, token: str) -> dict[str, Any]:
    """Status (uploaded, running, done, failed), bytes read of the total, then the counts and quarantined rows."""
    _, job = job_of(request, token)
    return report(state(request), job)


@router.get("/api/v1/mappings/{name}.yaml", tags=["ingest"], summary="A saved mapping, as `peakend ingest "
                                                                     "--mapping` reads it")
def api_mapping(request: Request, name: str) -> Response:
    """The saved mapping's YAML."""
    p = need_importer(request)
    saved = state(request).ws.imports.saved(p)
    if name not in saved:
        raise HTTPException(404, "no such mapping")
    disposition = f"attachment; filename=\"mapping.yaml\"; filename*=UTF-8''{quote(safe_name(name))}.yaml"
    return Response(Imports.yaml(saved[name]), media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": disposition})
