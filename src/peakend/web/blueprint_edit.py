"""The blueprint edited in forms (admins): moments, their standards and guidelines, lanes, routes, live rules and
grades; moments added, removed and reordered; checked as you type with the checks of `peakend blueprint check`;
every save a new version (`ws.blueprints.save`), with a diff between any two versions and a roll-back. YAML stays
as import and export (`/blueprint/yaml`, `GET /api/v1/blueprint.yaml`).
"""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from peakend.service.people import Principal
from peakend.web.deps import AppState, need_user, state
from peakend.web.pages import render

router = APIRouter()
MAX_FIELDS = 5000  # a blueprint of some hundred moments and routes


def need_admin(request: Request) -> tuple[Principal, AppState]:
    """An admin, and the app's state (403 for other users)."""
    p = need_user(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins edit the blueprint")
    return p, state(request)


def _page(request: Request, p: Principal, data: dict[str, Any], problems: list[dict[str, Any]], status: int = 200,
          saved: int | None = None, removed: dict[str, Any] | None = None) -> HTMLResponse:
    rows = {(x["section"], x["row"]) for x in problems}
    return render(request, "blueprint_edit.html.j2", status=status, user=p,
                  f=state(request).ws.blueprints.fields(data), problems=problems, bad=rows, saved=saved,
                  roles=("key", "peak", "end"), removed=removed)


async def _form(request: Request) -> dict[str, str]:
    async with request.form(max_fields=MAX_FIELDS) as sent:
        return {k: v for k, v in sent.items() if isinstance(v, str)}


@router.get("/blueprint/edit", include_in_schema=False)
def edit_page(request: Request, saved: int | None = None) -> HTMLResponse:
    """The form editor on the store's latest version."""
    p, st = need_admin(request)
    return _page(request, p, st.ws.blueprints.edit_data(), [], saved=saved)


@router.post("/blueprint/edit", include_in_schema=False)
async def edit_post(request: Request) -> Response:
    """Apply the form (and its operation); save a new version when asked and clean, else show the form again."""
    p, st = need_admin(request)
    form = await _form(request)
    bps = st.ws.blueprints
    data = bps.apply_form(bps.edit_data(), form)
    text = bps.dump(data)
    bp, found = bps.check(text)
    if form.get("op") == "save":
        if bp is None:
            return _page(request, p, data, bps.form_problems(found), status=422)
        number, _ = bps.save(text, p.name)
        return RedirectResponse(f"/blueprint/edit?saved={number}", status_code=303)
    removed = bps.removal(bps.apply_form(bps.edit_data(), {**form, "op": ""}), form)
    return _page(request, p, data, bps.form_problems(found), removed=removed)


@router.post("/blueprint/check", include_in_schema=False)
async def check_post(request: Request) -> dict[str, Any]:
    """The form's problems as you type (JSON for the page's script)."""
    _, st = need_admin(request)
    form = await _form(request)
    bps = st.ws.blueprints
    _, found = bps.check(bps.dump(bps.apply_form(bps.edit_data(), {**form, "op": ""})))
    return {"problems": bps.form_problems(found)}


@router.get("/blueprint/versions", include_in_schema=False)
def versions_page(request: Request, a: int | None = None, b: int | None = None) -> HTMLResponse:
    """Saved versions; the difference in content between two of them (default: the latest and the one before),
    whether each was saved from the form or as YAML."""
    p, st = need_admin(request)
    bps = st.ws.blueprints
    listed = bps.versions()
    numbers = [int(str(v[0])) for v in listed]
    b = b if b in numbers else (numbers[0] if numbers else None)
    a = a if a in numbers else (numbers[1] if len(numbers) > 1 else None)
    diff: list[str] = []
    if a is not None and b is not None:  # compared as content: layout, comments and defaults aside
        old, new = (bps.content(bps.text(x)).splitlines() for x in (a, b))
        diff = list(difflib.unified_diff(old, new, f"version {a}", f"version {b}", lineterm="", n=2))
    return render(request, "blueprint_versions.html.j2", user=p, versions=listed, a=a, b=b, diff=diff)


@router.post("/blueprint/rollback", include_in_schema=False)
async def rollback(request: Request) -> Response:
    """Save an earlier version again as the newest (history is kept; the roll-back is itself a version)."""
    p, st = need_admin(request)
    form = await _form(request)
    try:
        number = int(form.get("number", ""))
        st.ws.blueprints.text(number)
    except (ValueError, KeyError):
        raise HTTPException(404, "no such version") from None
    saved = st.ws.blueprints.roll_back(number, p.name)  # a version that no longer checks: BlueprintError, 422
    return RedirectResponse(f"/blueprint/versions?a={number}&b={saved}", status_code=303)


@router.get("/api/v1/blueprint.yaml", tags=["query"], summary="The blueprint the halls run, as YAML")
def blueprint_download(request: Request) -> Response:
    """The latest saved version (else the built-in one), to edit elsewhere or keep."""
    need_user(request)
    return Response(state(request).ws.blueprints.yaml(), media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="blueprint.yaml"'})
