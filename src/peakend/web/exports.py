"""Every table a page shows, downloadable as CSV or XLSX (`GET /api/v1/export/{table}.{fmt}`): a registry of
makers, each checking its own scope once; modules with pages of their own register theirs (`exported`)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from peakend.service.figures import Panel
from peakend.service.people import Principal
from peakend.web.deps import card_scope, hall_visible, need_reader, need_user, state
from peakend.web.render import Computing, ExportFormat, export

router = APIRouter(prefix="/api/v1")
ExportMaker = Callable[[Request, Principal, dict[str, str | None]], pd.DataFrame]
EXPORTS: dict[str, ExportMaker] = {}  # every table a page shows, by name: each checks its own scope once
OWN_SCOPE = {"staff", "audit_rates"}  # tables whose maker lets more roles than the readers of hall figures in


def exported(name: str) -> Callable[[ExportMaker], ExportMaker]:
    """Register the maker of export table `name` (see `api_export`)."""

    def register(maker: ExportMaker) -> ExportMaker:
        EXPORTS[name] = maker
        return maker

    return register


def hall_arg(request: Request, args: dict[str, str | None]) -> str:
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
    return state(request).ws.figures.graded_halls(None if p.is_admin else set(p.halls))


def _loyalty(request: Request, p: Principal, halls: frozenset[str] | None) -> Panel:
    """The last loyalty panel of `halls` (202 with the job computing it while there is none)."""
    found, answer = state(request).ws.figures.loyalty_answer(p.name, halls)
    if found is None:
        raise Computing(answer)
    return found


@exported("loyalty_moments")
def _export_loyalty_moments(request: Request, p: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    return _loyalty(request, p, frozenset([hall_arg(request, args)])).moments


@exported("loyalty")
def _export_loyalty(request: Request, p: Principal, _: dict[str, str | None]) -> pd.DataFrame:
    return _loyalty(request, p, None if p.is_admin else frozenset(p.halls)).halls


@exported("audit_checks")
def _export_audit_checks(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    return state(request).ws.figures.audit_checks({hall_arg(request, args)})


@exported("staff")
def _export_staff(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    _, scope, only = card_scope(request, args["hall"])
    return state(request).ws.figures.staff_cards(scope, only)


@exported("quarantine")
def _export_quarantine(request: Request, p: Principal, _: dict[str, str | None]) -> pd.DataFrame:
    if not p.is_admin:
        raise HTTPException(403, "only admins see the quarantine")
    return state(request).ws.figures.quarantine()


@exported("visit_touches")
def _export_visit(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    figures = state(request).ws.figures
    hall = figures.visit_hall(args["visit"] or "")
    if hall is None:
        raise HTTPException(404, "no such visit")
    hall_visible(request, hall)
    return figures.visit(args["visit"] or "")[1]


@exported("moments")
def _export_moments(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    return state(request).ws.figures.hall_moments(hall_arg(request, args))


@exported("falls")
def _export_falls(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    return state(request).ws.figures.hall_falls(hall_arg(request, args))


@exported("distribution")
def _export_distribution(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    hall = hall_arg(request, args)
    return state(request).ws.figures.moment_now(hall, _moment_arg(request, args))[0]


@exported("worst_visits")
def _export_worst(request: Request, _: Principal, args: dict[str, str | None]) -> pd.DataFrame:
    hall = hall_arg(request, args)
    return state(request).ws.figures.moment_now(hall, _moment_arg(request, args))[1]


@router.get("/export/{table}.{fmt}", tags=["query"], summary="Download a table a page shows, as CSV or XLSX")
def api_export(request: Request, table: str, fmt: ExportFormat, hall: str | None = None,
               moment: str | None = None, visit: str | None = None) -> Response:
    """Tables: halls, moments, falls, distribution, worst_visits, visit_touches, quarantine, whatif,
    loyalty (per hall: index, NPS, returns, lapses), loyalty_moments (?hall=: what a bad moment costs),
    staff (scorecards for appraisal: staff their own, managers their halls'), audit_checks (?hall=: audits
    against customers), audit_rates (audits' pass rates by moment, item, staff and week: auditors too)
    (whatif takes the what-if page's query: `add.<station>`, `divert_at`, `closes`; it is the last what-if
    computed, 409 while it is being computed)."""
    p = need_user(request)
    if table not in EXPORTS:
        raise HTTPException(404, f"no table '{table}'; tables: {', '.join(EXPORTS)}")
    if table not in OWN_SCOPE:
        need_reader(request)
    frame = EXPORTS[table](request, p, {"hall": hall, "moment": moment, "visit": visit})
    state(request).ws.activity.record(p.name, "export", f"{table}.{fmt}", {"rows": len(frame), "hall": hall,
                                                                           "visit": visit})
    return export(frame, table, fmt)
