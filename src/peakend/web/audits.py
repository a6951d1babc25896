"""Mystery-shopping audits in the browser: the auditor's tablet form and the audits' pass rates.

An auditor (a role scoped to the halls assigned to them) fills in one hall visit item by item — pass, fail or not
seen, a note, the staff member who served them — and the form's answers go through the same ingest as files and
the API (`ws.intake.records`): checked, quarantined when wrong, idempotent (the same visit sent twice is stored
once). Items not seen are not audits and are not stored. Pass rates per moment, item, staff member and week, with
Wilson intervals, on `/audits` and `GET /api/v1/audits/rates`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from peakend.i18n import WORDS
from peakend.service.figures import RATE_BY
from peakend.service.people import Principal
from peakend.web.deps import need_user, state
from peakend.web.exports import exported
from peakend.web.pages import page_lang, paged, render
from peakend.web.render import frame_json

if TYPE_CHECKING:
    from peakend.blueprint.model import Blueprint, ChecklistItem

router = APIRouter()
ANSWERS = ("pass", "fail", "unseen")
MAX_NOTE = 500  # characters of an item's note


def need_auditor(request: Request, hall: str | None = None) -> tuple[Principal, list[str]]:
    """The asker, who must audit (admin, manager or auditor), and the halls they audit; `hall`, when given, must
    be one of them (else 404, as if absent)."""
    p = need_user(request)
    if p.role not in ("admin", "manager", "auditor"):
        raise HTTPException(403, "this role does not audit")
    halls = state(request).ws.figures.known_halls() if p.is_admin else sorted(p.halls)
    if hall and not p.audits(hall):
        raise HTTPException(404, "no such hall")
    return p, halls


def item_groups(bp: Blueprint, lang: str) -> list[tuple[str, list[ChecklistItem]]]:
    """The audit items under headings: each moment's standards in journey order, then the node-control groups."""
    names = bp.names(lang)
    groups = {g.id: getattr(g, lang) for g in bp.checklist_groups}
    out: dict[str, list[ChecklistItem]] = {}
    for item in bp.audit_items():
        head = names[item.moment] if item.moment else groups.get(item.group, item.group)
        out.setdefault(head, []).append(item)
    return list(out.items())


def _form_page(request: Request, p: Principal, halls: list[str], hall: str, **context: Any) -> HTMLResponse:
    lang = page_lang(request)
    bp = state(request).blueprint
    return render(request, "audit.html.j2", user=p, halls=halls, hall=hall, groups=item_groups(bp, lang),
                  item_names={c.id: getattr(c, lang) for c in bp.audit_items()}, answers=context.pop("answers", {}),
                  notes=context.pop("notes", {}), **context)


@router.get("/audit", include_in_schema=False)
def audit_form(request: Request, hall: str = "") -> HTMLResponse:
    """The tablet form for one audited visit."""
    p, halls = need_auditor(request, hall or None)
    now = datetime.now().strftime("%Y-%m-%dT%H:%M")
    return _form_page(request, p, halls, hall or (halls[0] if halls else ""), when=now, staff="")


def _records(form: dict[str, str], p: Principal, hall: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The audits a form's answers make (items not seen make none) and the answers as given, per item."""
    answers = {k[2:]: v for k, v in form.items() if k.startswith("r:") and v in ANSWERS}
    when = form.get("when", "").replace("T", " ")
    records = []
    for item, answer in answers.items():
        if answer == "unseen":
            continue
        rec = {"hall_id": hall, "audited_at": when, "item": item, "passed": answer == "pass",
               "staff_id": form.get("staff", "").strip() or None, "auditor": p.name,
               "note": form.get(f"n:{item}", "").strip()[:MAX_NOTE] or None, "source": "form"}
        records.append({k: v for k, v in rec.items() if v is not None})
    return records, answers


@router.post("/audit", include_in_schema=False)
async def audit_post(request: Request) -> HTMLResponse:
    """Save one audited visit through the ingest path; the form comes back with what was stored and refused."""
    most = 2 * len(state(request).blueprint.audit_items()) + 10  # an answer and a note per item, and the rest
    async with request.form(max_fields=most) as sent:
        form = {k: v for k, v in sent.items() if isinstance(v, str)}
    hall = form.get("hall", "")
    p, halls = need_auditor(request, hall)  # the login first, then the hall
    records, answers = _records(form, p, hall)
    kept = {"when": form.get("when", ""), "staff": form.get("staff", ""), "answers": answers,
            "notes": {k[2:]: v for k, v in form.items() if k.startswith("n:")}}
    if not records:
        return _form_page(request, p, halls, hall, status=422, nothing=True, **kept)
    answer = await run_in_threadpool(state(request).ws.intake.records, p, "audit", records, f"form:{p.name}:audit")
    failed = sum(not r["passed"] for r in records)
    refused = [dataclasses.asdict(r) | {"item": records[r.index]["item"]} for r in answer.rejected]
    done = {"stored": answer.stored, "duplicates": answer.duplicates, "failed": failed, "rejected": refused,
            "unseen": len(answers) - len(records), "refused": len({r.index for r in answer.rejected})}
    if answer.rejected:
        return _form_page(request, p, halls, hall, status=422, done=done, **kept)
    return _form_page(request, p, halls, hall, done=done, when=kept["when"], staff=kept["staff"])


@router.get("/audits", include_in_schema=False)
def audits_page(request: Request, hall: str = "", by: str = "") -> HTMLResponse:
    """The audits' pass rates of the asker's halls by moment, item, staff member and week: each grouping's first
    page of rows, or one grouping (`?by=`) a page at a time (`?page=`)."""
    p, halls = need_auditor(request, hall or None)
    st, lang = state(request), page_lang(request)
    by = by if by in RATE_BY else ""
    scope = {hall} if hall else (None if p.is_admin else set(p.halls))
    tables = {b: paged(request if by else _first(request), st.ws.figures.audit_rates(b, scope).to_dict("records"),
                       by=b) for b in ((by,) if by else RATE_BY)}
    items = {c.id: getattr(c, lang) for c in st.blueprint.audit_items()}
    return render(request, "audits.html.j2", user=p, halls=halls, hall=hall, by=by, tabs=RATE_BY, tables=tables,
                  items=items, names={**st.blueprint.names(lang), "*": WORDS["any_moment"][lang]})


def _first(request: Request) -> Request:
    """The request as if it asked for the first page (the overview shows each grouping's first page)."""
    scope = dict(request.scope)
    scope["query_string"] = request.url.remove_query_params("page").query.encode()
    return Request(scope)


@router.get("/api/v1/audits/rates", tags=["query"], summary="Audit pass rates by moment, item, staff or week")
def api_audit_rates(request: Request, by: str = "moment", hall: str | None = None) -> list[dict[str, Any]]:
    """Pass rates with Wilson 95% intervals per hall and `by` (moment, item, staff_id, week), of the asker's halls."""
    p, _ = need_auditor(request, hall)
    if by not in RATE_BY:
        raise HTTPException(422, f"by must be one of {', '.join(RATE_BY)}")
    scope = {hall} if hall else (None if p.is_admin else set(p.halls))
    return frame_json(state(request).ws.figures.audit_rates(by, scope))


@exported("audit_rates")
def _export_rates(request: Request, p: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    hall = args["hall"]
    need_auditor(request, hall)
    scope = {hall} if hall else (None if p.is_admin else set(p.halls))
    figures = state(request).ws.figures
    return pd.concat([figures.audit_rates(by, scope).assign(by=by).astype({"key": str})
                      for by in RATE_BY], ignore_index=True)
