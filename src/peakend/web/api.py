"""The JSON API: event ingest (single and batch) and the query endpoints behind the pages, and long work as jobs.

Ingest is `ws.intake` (the same contract checks as file ingest; bad records named and quarantined, the good ones
of the same batch stored; ids sender-given, so a retry stores once); this module parses the body, checks who is
asking and turns the answer into its JSON. Figures come from `ws.figures`; long ones are jobs, followed at
`GET /api/v1/jobs/{job_id}`.
"""


import dataclasses
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic_core import from_json

from peakend import settings
from peakend.contract import FIELDS, Kind
from peakend.service.intake import Received
from peakend.service.jobs import Job
from peakend.service.people import Principal
from peakend.web.deps import (
    card_scope,
    hall_visible,
    log_in,
    need_reader,
    need_user,
    principal,
    reader_scope,
    state,
)
from peakend.web.render import Computing, frame_json, plain

MAX_EXTRA_FIELDS = 64  # names outside the event contract in one request (each becomes a staging column)
PLURAL: dict[str, Kind] = {"touches": "touch", "visits": "visit", "surveys": "survey", "audits": "audit"}
Scalar = str | int | float | bool | None
router = APIRouter(prefix="/api/v1")


class Rejected(BaseModel):
    """One rejected record: where it was in the request, which field, and why."""

    index: int
    field: str
    code: str
    message_en: str
    message_zh: str


class Conflict(BaseModel):
    """A record whose id was stored (or sent earlier) with different content: both versions."""

    index: int
    kind: str
    event_id: str
    action: str = Field(description="conflict (the stored version kept; send with ?replace=true to correct) "
                                    "or replaced (applied; the previous version kept in the audit table)")
    stored_version: dict[str, Any]
    sent_version: dict[str, Any]


class IngestAnswer(BaseModel):
    """What an ingest request did."""

    stored: int = Field(description="new records stored")
    duplicates: int = Field(description="records whose id was already stored: identical (a retry stores once), "
                                        "or different and listed under conflicts")
    rejected: list[Rejected] = Field(description="bad records, each also kept in quarantine")
    conflicts: list[Conflict] = Field([], description="ids sent before with different content")
    queued: int = Field(0, description="visits handed to the live rules (alerts, cases, surveys, advice follow "
                                       "within moments: see /api/v1/halls/{hall_id}/live)")


class Login(BaseModel):
    """A username and password."""

    username: str
    password: str


def _event_model(kind: Kind) -> type[BaseModel]:
    fields: dict[str, Any] = {
        f.name: (Scalar, Field(None, description=f"{f.type}{', required' if f.required else ''}")) for f in FIELDS[kind]
    }
    return create_model(f"{kind.capitalize()}Event", __config__=ConfigDict(extra="allow"), **fields)


MODELS: dict[Kind, type[BaseModel]] = {k: _event_model(k) for k in PLURAL.values()}  # for the OpenAPI document
FIELD_NAMES: dict[Kind, frozenset[str]] = {k: frozenset(f.name for f in FIELDS[k]) for k in PLURAL.values()}


def _ingest(request: Request, kind: Kind, records: list[dict[str, Any]]) -> JSONResponse:
    p = principal(request)
    if p is None:
        raise HTTPException(401, "log in or send a device token (Authorization: Bearer …)")
    answer = ingest_answer(state(request).ws.intake.records(p, kind, records, f"api:{p.name}:{kind}",
                                                            _flag(request, "replace")))
    forbidden = sum(r.code == "forbidden_hall" for r in answer.rejected)
    status = 200 if not answer.rejected else 403 if forbidden == len(answer.rejected) else 422
    return JSONResponse(answer.model_dump(), status_code=status)


def ingest_answer(got: Received) -> IngestAnswer:
    """The intake's answer as the API's model."""
    return IngestAnswer(stored=got.stored, duplicates=got.duplicates,
                        rejected=[Rejected.model_validate(dataclasses.asdict(r)) for r in got.rejected],
                        conflicts=[Conflict.model_validate(dataclasses.asdict(c)) for c in got.conflicts],
                        queued=got.queued)


def _flag(request: Request, name: str) -> bool:
    """A true/false query parameter (absent: false); 422 for anything else."""
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise RequestValidationError([{"loc": ["query", name], "msg": "Input should be true or false",
                                       "type": "bool_parsing"}])
    return value in ("true", "1")


def _problem(loc: list[str | int], msg: str, type_: str) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": type_}


def read_events(body: bytes, kind: Kind, single: bool) -> list[dict[str, Any]]:
    """The posted events as dicts without null fields; 422 (as FastAPI answers) for a body that is no such JSON.

    The JSON is parsed once, in Rust (a batch of 1,000 touches in ~2 ms, where FastAPI's models
    took ~15 ms of the one interpreter lock). Every record must be an object whose contract
    fields are scalars; when the body has no more brackets than its records need, none can hold
    an object or a list, and the records are not looked into one by one.
    """
    try:
        data = from_json(body, cache_strings="keys")
    except ValueError as exc:
        raise RequestValidationError([_problem([], f"JSON decode error: {exc}", "json_invalid")]) from None
    if not single and not isinstance(data, list):
        raise RequestValidationError([_problem([], "Input should be a valid list", "list_type")])
    items: list[Any] = [data] if single else data
    flat = (all(type(r) is dict for r in items) and body.count(b"{") == len(items)
            and body.count(b"[") == (0 if single else 1))
    if not flat:
        _check_records(items, kind, single)
    names = set().union(*items) - FIELD_NAMES[kind]
    if len(names) > MAX_EXTRA_FIELDS:
        raise RequestValidationError([_problem([], f"at most {MAX_EXTRA_FIELDS} field names outside the contract "
                                                    f"in one request, got {len(names):,}", "too_many_fields")])
    return items if b"null" not in body else [{k: v for k, v in r.items() if v is not None} for r in items]


def _check_records(items: list[Any], kind: Kind, single: bool) -> None:
    """422 naming each record that is not an object and each contract field that is not a scalar."""
    declared, errors = FIELD_NAMES[kind], []
    for i, r in enumerate(items):
        at: list[str | int] = [] if single else [i]
        if not isinstance(r, dict):
            errors.append(_problem(at, "Input should be a valid dictionary", "dict_type"))
            continue
        errors += [_problem([*at, k], "Input should be a string, number, boolean or null", "scalar_type")
                   for k, v in r.items() if isinstance(v, (dict, list)) and k in declared]
    if errors:
        raise RequestValidationError(errors)


def _body(kind: Kind, single: bool) -> dict[str, Any]:
    """The OpenAPI request body of an ingest route: one event of `kind`, or a list of them."""
    event = MODELS[kind].model_json_schema()
    schema = event if single else {"type": "array", "items": event, "maxItems": settings.get("max_batch")}
    replace = {"name": "replace", "in": "query", "required": False, "schema": {"type": "boolean", "default": False},
               "description": "an id sent before with different content is a correction: apply it and keep "
                              "the previous version in the audit table (default: report it as a conflict)"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "parameters": [replace]}


def _routes_for(kind: Kind) -> tuple[Any, Any]:
    async def single(request: Request) -> JSONResponse:
        return await run_in_threadpool(_ingest, request, kind, read_events(await request.body(), kind, True))

    async def batch(request: Request) -> JSONResponse:
        return await run_in_threadpool(_ingest, request, kind, read_events(await request.body(), kind, False))

    return single, batch


def _add_ingest_routes() -> None:
    answers: dict[int | str, dict[str, Any]] = {
        422: {"model": IngestAnswer, "description": "some records rejected (named) and quarantined"},
        403: {"model": IngestAnswer, "description": "records of another hall than the token's"},
    }
    for plural, kind in PLURAL.items():
        single, batch = _routes_for(kind)
        router.add_api_route(f"/{plural}", single, methods=["POST"], response_model=IngestAnswer, responses=answers,
                             summary=f"Send one {kind}", tags=["ingest"], openapi_extra=_body(kind, True))
        router.add_api_route(f"/{plural}/batch", batch, methods=["POST"], response_model=IngestAnswer,
                             responses=answers, summary=f"Send a batch of {kind} records", tags=["ingest"],
                             openapi_extra=_body(kind, False))


_add_ingest_routes()


@router.post("/login", tags=["auth"], summary="Log in; the answer sets the session cookie")
def login(request: Request, body: Login) -> dict[str, str]:
    """Check a password and start a session (429 after too many failures)."""
    p = log_in(request, body.username, body.password)
    return {"user": p.name, "role": p.role}


@router.get("/halls", tags=["query"], summary="Halls ranked by REI, with grade and trend")
def api_halls(request: Request) -> list[dict[str, Any]]:
    """The network overview for the asker's halls."""
    p = need_reader(request)
    return frame_json(state(request).ws.figures.graded_halls(None if p.is_admin else set(p.halls)))


@router.get("/halls/{hall_id}", tags=["query"], summary="One hall: moments, peaks and ends, today")
def api_hall(request: Request, hall_id: str) -> dict[str, Any]:
    """The hall page's figures."""
    hall_visible(request, hall_id)
    ws = state(request).ws
    figures = ws.figures
    return {
        "hall_id": hall_id,
        "today": {k: plain(v) for k, v in figures.hall_today(hall_id, ws.clock().date()).items()},
        "moments": frame_json(figures.hall_moments(hall_id)),
        "falls": frame_json(figures.hall_falls(hall_id)),
    }


@router.get("/halls/{hall_id}/loyalty", tags=["query"], summary="One hall's loyalty: index, NPS, returns, costs")
def api_hall_loyalty(request: Request, hall_id: str) -> dict[str, Any]:
    """Loyalty index and NPS with 95% intervals, known customers back within the return window (Kaplan–Meier),
    lapsed regulars, and per moment what a bad end or peak there costs (relative change, 95% interval)."""
    hall_visible(request, hall_id)
    st = state(request)
    found, answer = st.ws.figures.loyalty_answer(hall_visible(request, hall_id).name, frozenset([hall_id]))
    if found is None:
        raise Computing(answer)
    return {"hall_id": hall_id, "return_days": found.days, "return_days_asked": found.asked,
            "figures": frame_json(found.halls[found.halls["hall_id"] == hall_id]),
            "moments": frame_json(found.moments)}


@router.get("/comments", tags=["query"], summary="Search what customers wrote (BM25 over jieba words)")
def api_comments(request: Request, q: Annotated[str, Query(max_length=200)] = "", hall: str | None = None,
                 moment: str | None = None, k: Annotated[int, Query(ge=1, le=200)] = 20) -> list[dict[str, Any]]:
    """Comments of the reader's halls (or `hall`) best matching `q`, best first; without `q`, those naming
    `moment` (required then), worst first. Each with the moments it names and its polarity; phones masked."""
    p, scope = reader_scope(request, hall)
    st = state(request)
    if not q.strip() and moment not in st.blueprint.moment_ids():
        raise HTTPException(422, "give ?q= words to search for, or ?moment= naming a blueprint moment")
    index, found = st.ws.figures.comments_answer(p.name, None if scope is None else frozenset(scope))
    if index is None:
        raise Computing(found)
    if q.strip():
        rows = index.search(q, scope, st.blueprint, k)
    else:
        rows = st.ws.figures.said_about(index, scope, str(moment), k)
    keep = [c for c in ("kind", "hall_id", "visit_id", "at", "text", "moments", "polarity", "label", "score", "about")
            if c in rows]
    return frame_json(rows[keep])


@router.get("/staff", tags=["query"], summary="Staff scorecards, fairly ranked (staff: their own)")
def api_staff(request: Request, hall: str | None = None) -> list[dict[str, Any]]:
    """Per hall and staff member: touches, mean e, empirical-Bayes shrunk mean e with its 95% interval and rank
    (enough touches only), negative-peak and end shares, weakest moment, cases closed in time, audit pass rate."""
    _, scope, only = card_scope(request, hall)
    return frame_json(state(request).ws.figures.staff_cards(scope, only))


class CoachingIn(BaseModel):
    """A module assigned to a staff member of a hall, trained on a date."""

    model_config = ConfigDict(extra="forbid")
    hall_id: str = Field(min_length=1, max_length=200)
    staff_id: str = Field(min_length=1, max_length=200)
    module_id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=100)
    trained_on: date


@router.post("/coaching", tags=["query"], summary="Assign a training module to a staff member (managers)")
def api_assign(request: Request, sent: Annotated[dict[str, Any], Body(
        openapi_examples={"one": {"value": {"hall_id": "天河北厅", "staff_id": "0301", "module_id": "end_leaving",
                                            "trained_on": "2026-11-02"}}})]) -> dict[str, str]:
    """Record that `staff_id` of `hall_id` was trained on `module_id` on `trained_on` (their hall's manager or an
    admin); the effect is measured from then on (`GET /api/v1/coaching`). The body is read after the login is
    checked, so a stranger learns nothing from it."""
    need_reader(request)
    try:
        body = CoachingIn.model_validate(sent)
    except ValidationError as exc:
        raise HTTPException(422, [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]) from None
    p = hall_visible(request, body.hall_id)
    if body.module_id not in state(request).ws.figures.modules():
        raise HTTPException(422, f"no training module '{body.module_id}'")
    return {"coaching_id": state(request).ws.analysis.assign(body.hall_id, body.staff_id, body.module_id,
                                                             body.trained_on, p.name)}


@router.get("/coaching", tags=["query"], summary="Coaching assignments and whether they worked")
def api_coaching(request: Request, hall: str | None = None) -> list[dict[str, Any]]:
    """Per assignment: the trained staff member's e at the module's moments before vs after, against untrained
    staff of the hall (difference in differences, 95% interval clustered by staff); `verdict` detectable,
    no_change or too_few."""
    _, scope = reader_scope(request, hall)
    return frame_json(state(request).ws.figures.coaching_effects(scope))


@router.get("/training", tags=["query"], summary="Search the training library and the blueprint's guidance")
def api_training(request: Request, q: Annotated[str, Query(max_length=200)] = "",
                 k: Annotated[int, Query(ge=1, le=50)] = 5, lang: Literal["zh", "en"] = "zh") -> list[dict[str, Any]]:
    """Training modules, blueprint guidelines and standards best matching `q` (zh or en, traditional
    characters too), best first: BM25 over jieba words."""
    need_user(request)
    if not q.strip():
        raise HTTPException(422, "give ?q= words to search for")
    return state(request).ws.figures.training_search(q, lang, k)


@router.get("/halls/{hall_id}/moments/{moment_id}", tags=["query"], summary="One moment of one hall")
def api_moment(request: Request, hall_id: str, moment_id: str) -> dict[str, Any]:
    """The moment page's figures: its distribution of e and the worst recent visits."""
    hall_visible(request, hall_id)
    st = state(request)
    if moment_id not in st.blueprint.moment_ids():
        raise HTTPException(404, f"unknown moment '{moment_id}'")
    distribution, worst = st.ws.figures.moment_now(hall_id, moment_id)
    return {"moment": st.blueprint.moment(moment_id).model_dump(), "distribution": frame_json(distribution),
            "worst_visits": frame_json(worst)}


@router.get("/visits/{visit_id}", tags=["query"], summary="One visit and its touches")
def api_visit(request: Request, visit_id: str) -> dict[str, Any]:
    """A visit's record and timeline."""
    st = state(request)
    hall = st.ws.figures.visit_hall(visit_id)
    if hall is None:
        raise HTTPException(404, "no such visit")
    hall_visible(request, hall)
    record, touches = st.ws.figures.visit(visit_id)
    return {"visit": {k: plain(v) for k, v in (record or {}).items()}, "touches": frame_json(touches)}


@router.get("/quarantine", tags=["query"], summary="Quarantined records with their reasons (admins)")
def api_quarantine(request: Request, limit: int = 500) -> list[dict[str, Any]]:
    """The data-quality table."""
    p = need_reader(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins see the quarantine")
    return frame_json(state(request).ws.figures.quarantine(max(1, min(limit, 10_000))))


@router.post("/score", tags=["query"], status_code=202, summary="Score the store now, as a job (admins)")
def api_score(request: Request, response: Response, full: bool = False,
              lang: Literal["zh", "en"] = "en") -> dict[str, Any]:
    """Start a scoring run (`full`: every visit, else what changed) as a job, or return the one already queued or
    running: 202 with the job; follow it at `Location` (`GET /api/v1/jobs/{job_id}`: its result gives visits,
    touches, halls and seconds). 409 when the store holds nothing to score."""
    p = need_reader(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins start scoring")
    job = state(request).ws.scores.start(p.name, full)  # nothing to score: NoData, 409
    response.headers["Location"] = f"/api/v1/jobs/{job.job_id}"
    return job.public(lang)


# -- jobs ----------------------------------------------------------------------------------------------------------
PRIVATE_KINDS = ("import", "demo")  # seen by whoever started them (and admins) only


def _visible_job(request: Request, job_id: str) -> tuple[Principal, Job]:
    """The asker and a job they may see (`Job.visible_to`); another's is 404, as if absent."""
    p = need_user(request)
    job = state(request).ws.jobs.get(job_id)
    if job is None or not job.visible_to(p.name, None if p.is_admin else frozenset(p.halls)):
        raise HTTPException(404, "no such job")
    if job.kind in PRIVATE_KINDS and not (p.is_admin or p.name == job.owner):
        raise HTTPException(404, "no such job")
    return p, job


@router.get("/jobs/{job_id}", tags=["jobs"], summary="A job's state, progress and, once done, its result")
def api_job(request: Request, job_id: str, lang: Literal["zh", "en"] = "en") -> dict[str, Any]:
    """State (draft, queued, running, done, failed, cancelled), progress (`done` of `total`, `share`, `step`),
    its error when it failed, and its result when done; seen by its owner, admins, and readers of all its halls."""
    _, job = _visible_job(request, job_id)
    return job.public(lang)


@router.post("/jobs/{job_id}/cancel", tags=["jobs"], summary="Cancel a job (a running one at its next step)")
def api_job_cancel(request: Request, job_id: str, lang: Literal["zh", "en"] = "en") -> dict[str, Any]:
    """Cancel a queued job at once, a running one at its next progress report; a finished one stays as it is."""
    _visible_job(request, job_id)
    return state(request).ws.jobs.cancel(job_id).public(lang)


@router.get("/jobs", tags=["jobs"], summary="The asker's recent jobs, newest first")
def api_jobs(request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 50,
             lang: Literal["zh", "en"] = "en") -> list[dict[str, Any]]:
    """The jobs the asker started (imports, what-ifs, figures their pages asked for), newest first."""
    p = need_user(request)
    return [j.public(lang) for j in state(request).ws.jobs.recent(p.name, limit=limit)]
