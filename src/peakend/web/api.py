"""The JSON API: event ingest (single and batch) and the query endpoints behind the pages.

Ingest runs the same contract checks as file ingest (`ingest.pipeline.ingest_posts`): a
bad record is answered with its index, field and reason and kept in quarantine, while the
good records of the same batch are stored. Ids are sender-given, so a retry stores once.
Posts that arrive while another is being ingested are ingested together with it
(`ingest.group_commit`), each answered as its own.
The visits of stored touches and visits are queued for the live rules, which the server's
live worker runs within moments (`live.pending`); the answer does not wait for them.
"""


import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic_core import from_json

from peakend import settings
from peakend.contract import FIELDS, Kind
from peakend.ingest.corrections import plain
from peakend.ingest.pipeline import Post, Quarantine, records_hash
from peakend.ingest.privacy import key_text
from peakend.ingest.validate import Context
from peakend.service.people import Principal
from peakend.store.db import Store
from peakend.web import queries
from peakend.web.deps import (
    AppState,
    card_scope,
    hall_visible,
    log_in,
    need_reader,
    need_user,
    principal,
    reader_scope,
    state,
)

if TYPE_CHECKING:
    from peakend.simulate.whatif import Change, WhatIf

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


def _refusals(p: Principal, kind: Kind, records: list[dict[str, Any]], store: Store) -> pd.DataFrame:
    """The records a device may not send, as problems (_row, field, code, value, expected); fills in the
    device's hall where none is given.

    A device sees only its own hall: a visit of another hall is answered as if it did not exist
    (a survey or a touch naming it: `unknown_visit`, exactly as for an absent visit), and a record
    that would create a visit under an id another hall holds is refused without naming that hall.
    """
    problems: list[dict[str, Any]] = []
    if p.is_admin:
        return pd.DataFrame(problems, columns=["_row", "field", "code", "value", "expected"])
    own = next(iter(p.halls)) if len(p.halls) == 1 else None  # an auditor of several halls names the hall
    ids = {str(r["visit_id"]): key_text(store, str(r["visit_id"])) or "" for r in records
           if r.get("visit_id") is not None}
    stored = queries.visit_halls(store, list(ids.values()), beside=True)  # one query, not waiting for the lock
    id_col = queries.EVENT_HALL_SQL[kind][0] if kind in queries.EVENT_HALL_SQL else None
    own_ids = {str(r[id_col]): key_text(store, str(r[id_col])) or "" for r in records
               if id_col and r.get(id_col) is not None}
    taken = queries.event_halls(store, kind, list(own_ids.values()), beside=True)
    for i, r in enumerate(records):
        visit = str(r["visit_id"]) if r.get("visit_id") is not None else None
        there = stored.get(ids[visit]) if visit is not None else None
        event = str(r[id_col]) if id_col and r.get(id_col) is not None else None
        if event is not None and taken.get(own_ids[event], own) not in p.halls:
            # an id another hall's event holds: no conflict showing its content, no correction overwriting it
            problems.append({"_row": i, "field": id_col, "code": "id_elsewhere", "value": event, "expected": ""})
        elif r.get("hall_id") is not None and not p.writes_to(str(r["hall_id"])):
            problems.append({"_row": i, "field": "hall_id", "code": "forbidden_hall", "value": str(r["hall_id"]),
                             "expected": ", ".join(sorted(p.halls))})
        elif there is not None and there not in p.halls:
            hidden = kind == "survey" or (kind == "touch" and r.get("hall_id") is None)
            problems.append({"_row": i, "field": "visit_id", "code": "unknown_visit" if hidden else "visit_elsewhere",
                             "value": visit, "expected": ""})
        elif r.get("hall_id") is None and kind != "survey" and there is None and own is not None:
            r["hall_id"] = own
    return pd.DataFrame(problems, columns=["_row", "field", "code", "value", "expected"])


def _ingest(request: Request, kind: Kind, records: list[dict[str, Any]]) -> JSONResponse:
    p = principal(request)
    if p is None:
        raise HTTPException(401, "log in or send a device token (Authorization: Bearer …)")
    answer = ingest_records(state(request), p, kind, records, f"api:{p.name}:{kind}", _flag(request, "replace"))
    forbidden = sum(r.code == "forbidden_hall" for r in answer.rejected)
    status = 200 if not answer.rejected else 403 if forbidden == len(answer.rejected) else 422
    return JSONResponse(answer.model_dump(), status_code=status)


def ingest_records(st: AppState, p: Principal, kind: Kind, records: list[dict[str, Any]], source: str,
                   replace: bool = False) -> IngestAnswer:
    """Ingest records sent by `p` (a device, an admin, an auditor's form) as `source`: what it may not send is
    refused and quarantined, the rest goes through the group commit (validated, quarantined, idempotent)."""
    if not p.sends(kind):
        raise HTTPException(403, "only device tokens and admins may send events (auditors: audits)")
    most = settings.get("max_batch")
    if len(records) > most:
        raise HTTPException(413, f"at most {most:,} records per batch (setting PEAKEND_MAX_BATCH), "
                                 f"got {len(records):,}")
    refused = _refusals(p, kind, records, st.store)
    refused_rows = set(refused["_row"])
    kept = Quarantine(st.store, source, lambda: records_hash(records))
    kept.add(refused, {i: json.dumps(records[i], ensure_ascii=False, default=str) for i in refused_rows}, {})
    allowed = [(i, r) for i, r in enumerate(records) if i not in refused_rows]
    live = kind in ("touch", "visit")
    post = Post([r for _, r in allowed], kind, source, [i for i, _ in allowed])
    result = st.intake.ingest(post, Context(st.blueprint, replace=replace), live)  # store down: 503 (web.app)
    rejected = [Rejected.model_validate({**{k: str(v) for k, v in x.items()}, "index": x["row"]})
                for x in kept.problems + result.problems]
    rejected.sort(key=lambda r: (r.index, r.field))
    bad = {r.index for r in rejected}
    visits = {str(r["visit_id"]) for i, r in enumerate(records) if i not in bad and r.get("visit_id") is not None}
    if live and visits:
        st.live_wake.set()
    conflicts = [Conflict(index=c.row, kind=c.kind, event_id=c.event_id, action=c.action, stored_version=c.kept,
                          sent_version=c.sent) for c in result.clashes]
    return IngestAnswer(stored=result.stored, duplicates=result.duplicates, rejected=rejected,
                        conflicts=conflicts, queued=len(visits) if live else 0)


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


def frame_json(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A data frame as JSON-ready records (NaN as null, times as ISO text)."""
    out = []
    for rec in df.to_dict("records"):
        out.append({k: plain(v) for k, v in rec.items()})
    return out


@router.post("/login", tags=["auth"], summary="Log in; the answer sets the session cookie")
def login(request: Request, body: Login) -> dict[str, str]:
    """Check a password and start a session (429 after too many failures)."""
    p = log_in(request, body.username, body.password)
    return {"user": p.name, "role": p.role}


@router.get("/halls", tags=["query"], summary="Halls ranked by REI, with grade and trend")
def api_halls(request: Request) -> list[dict[str, Any]]:
    """The network overview for the asker's halls."""
    p = need_reader(request)
    return frame_json(queries.graded_halls(state(request).store, state(request).blueprint,
                                           None if p.is_admin else set(p.halls)))


@router.get("/halls/{hall_id}", tags=["query"], summary="One hall: moments, peaks and ends, today")
def api_hall(request: Request, hall_id: str) -> dict[str, Any]:
    """The hall page's figures."""
    hall_visible(request, hall_id)
    st = state(request)
    return {
        "hall_id": hall_id,
        "today": {k: plain(v) for k, v in queries.hall_today(st.store, hall_id).items()},
        "moments": frame_json(queries.hall_moments(st.store, st.blueprint, hall_id)),
        "falls": frame_json(queries.hall_falls(st.store, st.blueprint, hall_id)),
    }


@router.get("/halls/{hall_id}/loyalty", tags=["query"], summary="One hall's loyalty: index, NPS, returns, costs")
def api_hall_loyalty(request: Request, hall_id: str) -> dict[str, Any]:
    """Loyalty index and NPS with 95% intervals, known customers back within the return window (Kaplan–Meier),
    lapsed regulars, and per moment what a bad end or peak there costs (relative change, 95% interval)."""
    hall_visible(request, hall_id)
    st = state(request)
    found = queries.loyalty_panel(st.store, st.blueprint, {hall_id})
    return {"hall_id": hall_id, "return_days": found.days, "return_days_asked": found.asked,
            "figures": frame_json(found.halls[found.halls["hall_id"] == hall_id]),
            "moments": frame_json(found.moments)}


@router.get("/comments", tags=["query"], summary="Search what customers wrote (BM25 over jieba words)")
def api_comments(request: Request, q: Annotated[str, Query(max_length=200)] = "", hall: str | None = None,
                 moment: str | None = None, k: Annotated[int, Query(ge=1, le=200)] = 20) -> list[dict[str, Any]]:
    """Comments of the reader's halls (or `hall`) best matching `q`, best first; without `q`, those naming
    `moment` (required then), worst first. Each with the moments it names and its polarity; phones masked."""
    _, scope = reader_scope(request, hall)
    st = state(request)
    if q.strip():
        rows = queries.comments(st.store, st.blueprint).search(q, scope, st.blueprint, k)
    elif moment in st.blueprint.moment_ids():
        rows = queries.said_about(st.store, st.blueprint, scope, str(moment), k)
    else:
        raise HTTPException(422, "give ?q= words to search for, or ?moment= naming a blueprint moment")
    keep = [c for c in ("kind", "hall_id", "visit_id", "at", "text", "moments", "polarity", "label", "score", "about")
            if c in rows]
    return frame_json(rows[keep])


@router.get("/staff", tags=["query"], summary="Staff scorecards, fairly ranked (staff: their own)")
def api_staff(request: Request, hall: str | None = None) -> list[dict[str, Any]]:
    """Per hall and staff member: touches, mean e, empirical-Bayes shrunk mean e with its 95% interval and rank
    (enough touches only), negative-peak and end shares, weakest moment, cases closed in time, audit pass rate."""
    _, scope, only = card_scope(request, hall)
    return frame_json(queries.staff_cards(state(request).store, scope, only))


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
    from peakend.scoring.coaching import assign
    from peakend.text.training import library

    need_reader(request)
    try:
        body = CoachingIn.model_validate(sent)
    except ValidationError as exc:
        raise HTTPException(422, [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]) from None
    p = hall_visible(request, body.hall_id)
    if body.module_id not in {m.id for m in library().modules}:
        raise HTTPException(422, f"no training module '{body.module_id}'")
    return {"coaching_id": assign(state(request).store, body.hall_id, key_text(state(request).store, body.staff_id)
                                  or body.staff_id, body.module_id, body.trained_on, p.name)}


@router.get("/coaching", tags=["query"], summary="Coaching assignments and whether they worked")
def api_coaching(request: Request, hall: str | None = None) -> list[dict[str, Any]]:
    """Per assignment: the trained staff member's e at the module's moments before vs after, against untrained
    staff of the hall (difference in differences, 95% interval clustered by staff); `verdict` detectable,
    no_change or too_few."""
    _, scope = reader_scope(request, hall)
    st = state(request)
    return frame_json(queries.coaching_effects(st.store, st.blueprint, scope))


@router.get("/training", tags=["query"], summary="Search the training library and the blueprint's guidance")
def api_training(request: Request, q: Annotated[str, Query(max_length=200)] = "",
                 k: Annotated[int, Query(ge=1, le=50)] = 5, lang: Literal["zh", "en"] = "zh") -> list[dict[str, Any]]:
    """Training modules, blueprint guidelines and standards best matching `q` (zh or en, traditional
    characters too), best first: BM25 over jieba words."""
    from peakend.text.training import shown

    need_user(request)
    if not q.strip():
        raise HTTPException(422, "give ?q= words to search for")
    eng = queries.training_engine(state(request).blueprint)
    return [{**shown(d, lang), "score": s} for d, s in eng.search(q, k=k)]


@router.get("/halls/{hall_id}/moments/{moment_id}", tags=["query"], summary="One moment of one hall")
def api_moment(request: Request, hall_id: str, moment_id: str) -> dict[str, Any]:
    """The moment page's figures: its distribution of e and the worst recent visits."""
    hall_visible(request, hall_id)
    st = state(request)
    if moment_id not in st.blueprint.moment_ids():
        raise HTTPException(404, f"unknown moment '{moment_id}'")
    return {
        "moment": st.blueprint.moment(moment_id).model_dump(),
        "distribution": frame_json(queries.moment_distribution(st.store, hall_id, moment_id)),
        "worst_visits": frame_json(queries.worst_visits(st.store, st.blueprint, hall_id, moment_id)),
    }


@router.get("/halls/{hall_id}/whatif", tags=["query"],
            summary="What if: the hall fitted now, changed, and the day as it happened (the what-if page's figures)")
def api_whatif(request: Request, hall_id: str, divert_at: float | None = None, closes: int | None = None
               ) -> dict[str, Any]:
    """Servers added per station are read from `add.<station>=N` query parameters (N from -20 to 20);
    `divert_at` steers suited business to self-service at that many waiting per counter; `closes` is a closing hour.
    Answers 409 when the hall has no visits to fit, 422 for a change that cannot be used.
    """
    from peakend.simulate.whatif import by_hour

    hall_visible(request, hall_id)
    change, result = _whatif(request, hall_id)
    return {"hall_id": hall_id, "day": str(result.day), "change": change.query(),
            "now": result.now.model_dump(), "whatif": result.whatif.model_dump(),
            "day_figures": frame_json(result.day_figures), "hours": frame_json(by_hour(result))}


def _whatif(request: Request, hall_id: str) -> tuple["Change", "WhatIf"]:
    """The change in the request's query and its what-if (409: no visits to fit, 422: a bad change)."""
    from peakend.simulate.whatif import Change, fitted_now, what_if

    st = state(request)
    now = fitted_now(st.store, st.blueprint, hall_id)  # no visits to fit: FitError, 409
    try:
        change = Change.from_query(request.query_params, now.cfg)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return change, what_if(st.store, st.blueprint, now, change)


@router.get("/visits/{visit_id}", tags=["query"], summary="One visit and its touches")
def api_visit(request: Request, visit_id: str) -> dict[str, Any]:
    """A visit's record and timeline."""
    st = state(request)
    hall = queries.visit_hall(st.store, visit_id)
    if hall is None:
        raise HTTPException(404, "no such visit")
    hall_visible(request, hall)
    record, touches = queries.visit(st.store, st.blueprint, visit_id)
    return {"visit": {k: plain(v) for k, v in (record or {}).items()}, "touches": frame_json(touches)}


@router.get("/quarantine", tags=["query"], summary="Quarantined records with their reasons (admins)")
def api_quarantine(request: Request, limit: int = 500) -> list[dict[str, Any]]:
    """The data-quality table."""
    p = need_reader(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins see the quarantine")
    return frame_json(queries.quarantine(state(request).store, max(1, min(limit, 10_000))))


@router.post("/score", tags=["query"], summary="Score the store now (admins)")
def api_score(request: Request) -> dict[str, Any]:
    """Run the peak-end scoring and write the score tables."""
    from peakend.scoring.run import score

    p = need_reader(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins start scoring")
    st = state(request)
    r = score(st.store, st.blueprint)  # nothing to score: NoData, 409
    return {"halls": r.halls, "visits": r.visits, "touches": r.touches, "seconds": round(r.seconds, 3)}


ExportFormat = Literal["csv", "xlsx"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """A cell as a spreadsheet shows it and never runs it."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def export(df: pd.DataFrame, name: str, fmt: ExportFormat) -> Response:
    """A table as a CSV (UTF-8 with BOM, so spreadsheet programs read Chinese) or XLSX download.

    Text that a spreadsheet would run as a formula (starting with = + - @ or a tab) gets a leading `'`.
    """
    df = df.apply(lambda col: col.map(_inert) if col.dtype == object or pd.api.types.is_string_dtype(col) else col)
    if fmt == "csv":
        body = df.to_csv(index=False).encode("utf-8-sig")
        media = "text/csv; charset=utf-8"
    else:
        import io

        buf = io.BytesIO()
        for c in df.columns:  # Excel keeps no time zones
            if isinstance(df[c].dtype, pd.DatetimeTZDtype):
                df[c] = df[c].dt.tz_localize(None)
        df.to_excel(buf, index=False, sheet_name=name[:31], engine="openpyxl")
        body = buf.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    return Response(body, media_type=media, headers=headers)


ExportMaker = Callable[[Request, Principal, dict[str, str | None]], pd.DataFrame]
EXPORTS: dict[str, ExportMaker] = {}  # every table a page shows, by name: each checks its own scope once
OWN_SCOPE = {"staff", "audit_rates"}  # tables whose maker lets more roles than the readers of hall figures in


def exported(name: str) -> Callable[[ExportMaker], ExportMaker]:
    """Register the maker of export table `name` (see `api_export`)."""

    def register(maker: ExportMaker) -> ExportMaker:
        EXPORTS[name] = maker
        return maker

    return register


def _hall_arg(request: Request, args: dict[str, str | None]) -> str:
    """The `?hall=` of an export, which the asker must see (422 when missing, 404 when not theirs)."""
    if not args["hall"]:
        raise HTTPException(422, "this table needs ?hall=")
    hall_visible(request, args["hall"])
    return args["hall"]


def _moment_arg(request: Request, args: dict[str, str | None]) -> str:
    """The `?moment=` of an export, a blueprint moment (422 otherwise)."""
    if args["moment"] not in state(request).blueprint.moment_ids():
        raise HTTPException(422, "this table needs ?moment= naming a blueprint moment")
    return str(args["moment"])


@exported("halls")
def _export_halls(request: Request, p: Principal, _: dict[str, str | None]) -> pd.DataFrame:
    return queries.graded_halls(state(request).store, state(request).blueprint, None if p.is_admin else set(p.halls))


@exported("loyalty_moments")
def _export_loyalty_moments(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    st = state(request)
    return queries.loyalty_panel(st.store, st.blueprint, {_hall_arg(request, args)}).moments


@exported("loyalty")
def _export_loyalty(request: Request, p: Principal, _: dict[str, str | None]) -> pd.DataFrame:
    st = state(request)
    return queries.loyalty_panel(st.store, st.blueprint, None if p.is_admin else set(p.halls)).halls


@exported("audit_checks")
def _export_audit_checks(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    st = state(request)
    return queries.audit_checks(st.store, st.blueprint, {_hall_arg(request, args)})


@exported("staff")
def _export_staff(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    _, scope, only = card_scope(request, args["hall"])
    return queries.staff_cards(state(request).store, scope, only)


@exported("quarantine")
def _export_quarantine(request: Request, p: Principal, _: dict[str, str | None]) -> pd.DataFrame:
    if not p.is_admin:
        raise HTTPException(403, "only admins see the quarantine")
    return queries.quarantine(state(request).store)


@exported("visit_touches")
def _export_visit(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    st = state(request)
    hall = queries.visit_hall(st.store, args["visit"] or "")
    if hall is None:
        raise HTTPException(404, "no such visit")
    hall_visible(request, hall)
    return queries.visit(st.store, st.blueprint, args["visit"] or "")[1]


@exported("whatif")
def _export_whatif(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    from peakend.simulate.whatif import by_hour

    hall_visible(request, args["hall"] or "")
    return by_hour(_whatif(request, args["hall"] or "")[1])


@exported("moments")
def _export_moments(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    st = state(request)
    return queries.hall_moments(st.store, st.blueprint, _hall_arg(request, args))


@exported("falls")
def _export_falls(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    st = state(request)
    return queries.hall_falls(st.store, st.blueprint, _hall_arg(request, args))


@exported("distribution")
def _export_distribution(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    hall = _hall_arg(request, args)
    return queries.moment_distribution(state(request).store, hall, _moment_arg(request, args))


@exported("worst_visits")
def _export_worst(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    st = state(request)
    hall = _hall_arg(request, args)
    return queries.worst_visits(st.store, st.blueprint, hall, _moment_arg(request, args))


@router.get("/export/{table}.{fmt}", tags=["query"], summary="Download a table a page shows, as CSV or XLSX")
def api_export(request: Request, table: str, fmt: ExportFormat, hall: str | None = None,
               moment: str | None = None, visit: str | None = None) -> Response:
    """Tables: halls, moments, falls, distribution, worst_visits, visit_touches, quarantine, whatif,
    loyalty (per hall: index, NPS, returns, lapses), loyalty_moments (?hall=: what a bad moment costs),
    staff (scorecards for appraisal: staff their own, managers their halls'), audit_checks (?hall=: audits
    against customers), audit_rates (audits' pass rates by moment, item, staff and week: auditors too)
    (whatif takes the what-if page's query: `add.<station>`, `divert_at`, `closes`)."""
    p = need_user(request)
    if table not in EXPORTS:
        raise HTTPException(404, f"no table '{table}'; tables: {', '.join(EXPORTS)}")
    if table not in OWN_SCOPE:
        need_reader(request)
    return export(EXPORTS[table](request, p, {"hall": hall, "moment": moment, "visit": visit}), table, fmt)
