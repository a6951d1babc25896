"""The server-rendered pages: network, hall, moment, visit, blueprint, data quality, login.

Each page reads its figures through `ws.figures` (the same functions the JSON API and the exports use) and
draws charts as Vega-Lite specs built by `report.charts`. Figures that take seconds are jobs: a page shows the
last one with its age and, while a newer one is computed, a progress bar the page's script follows
(`job_view`, the `job` macro, `static/peakend.js`).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

import altair as alt
import jinja2
import numpy as np
import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from peakend import settings
from peakend.errors import BlueprintError, NotScored, PeakendError
from peakend.i18n import FIELD_LABELS, WORDS, Lang, one_counted, percent_format
from peakend.report import charts
from peakend.report.floor import alerts_by_zone, floor_svg
from peakend.service.figures import MIN_TOUCHES
from peakend.service.imports import field_words, source_words, worded
from peakend.service.jobs import Answer
from peakend.service.people import Principal
from peakend.service.reports import vega_bundle
from peakend.service.views import for_chart, named_verdicts, part_name
from peakend.web.deps import (
    card_scope,
    first_run,
    hall_visible,
    log_in,
    log_out,
    need_reader,
    need_user,
    principal,
    reader_scope,
    safe_next,
    state,
)
from peakend.web.guard import client_address
from peakend.web.refusal import LANDING, menu  # LANDING: where a role that reads no network figures starts

router = APIRouter(include_in_schema=False)


def shown(value: object) -> object:
    """A value as a page prints it: a missing one (None, NaN, NaT, NA) as "–", a negative zero as 0."""
    if value is None or value is pd.NaT or value is pd.NA:
        return "–"
    if isinstance(value, float | np.floating):
        return "–" if math.isnan(value) else 0.0 if value == 0 else value
    if isinstance(value, np.datetime64) and np.isnat(value):
        return "–"
    if isinstance(value, datetime.datetime | np.datetime64):
        return when(value)
    return value


ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


def when(value: object) -> str:
    """A time as every page shows it: `2026-10-03 11:05` (no seconds, microseconds or ISO `T`; a time zone's
    offset kept off), a day without a time as `2026-10-03`; a missing one as "–"; any other text as it is."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, str):
        if not ISO_TIME.match(value.strip()):
            return value
        value = value.strip()
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)
    return "–" if stamp is pd.NaT else stamp.strftime("%Y-%m-%d %H:%M")


# Every template autoescapes whatever its file name (Jinja's default looks at the extension, and .j2 is none);
# every value it prints goes through `shown`: a missing one (None, NaN, NaT) is a dash, never `nan`.
templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources.files("peakend.web").joinpath("templates"))), autoescape=True,
    finalize=shown))


@jinja2.pass_context
def _hall_name(context: Any, hall_id: object) -> str:
    """A hall shown by its name in the page's language (`peakend hall name`), else by its id."""
    return str(context.get("hall_names", {}).get(str(hall_id), hall_id))


templates.env.filters["hall_name"] = _hall_name


@jinja2.pass_context
def _staff_name(context: Any, staff_id: object) -> str:
    """A staff member shown by their name in the page's language (`peakend staff-name`), else by their id."""
    return str(context.get("staff_names", {}).get(str(staff_id), staff_id))


templates.env.filters["staff_name"] = _staff_name
templates.env.filters["format"] = percent_format  # as Jinja's, but never "-0.000"
templates.env.filters["one_counted"] = one_counted  # English: "1 row", not "1 rows"
templates.env.filters["when"] = when  # one way to show a time (a datetime printed as it is already goes through it)


def page_lang(request: Request) -> Lang:
    """The page language: `?lang=` (remembered in a cookie), else the cookie, else Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return "en" if asked.startswith("en") else "zh"


REI_PAGES = frozenset({"hall.html.j2", "moment.html.j2", "visit.html.j2"})  # pages showing REI: say its weights


def render(request: Request, name: str, status: int = 200, headers: Mapping[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    """Render template `name` with the words, language, user and navigation every page needs."""
    lang = page_lang(request)
    p = context.pop("user", None) or _quiet_principal(request)
    st = state(request)
    context.update(lang=lang, t={k: v[lang] for k, v in WORDS.items()}, user=p, bp=st.blueprint, request=request,
                   field_names={k: v[lang] for k, v in FIELD_LABELS.items()},
                   menu=[] if p is None else menu(p.role),
                   hall_names=st.ws.figures.hall_names(lang), staff_names=st.ws.figures.staff_names(lang))
    if name in REI_PAGES and p is not None:
        halls = None if p.is_admin else frozenset(p.halls)
        found = named_verdicts(st.ws.analysis.last_verdicts(halls), lang)
        context["rei_weights"], context["rei_warning"] = st.ws.analysis.weights_said(found, lang)
    return templates.TemplateResponse(request, name, context, status_code=status, headers=headers)


PAGE_ROWS = 50  # rows of a long table shown at once (`paged`)
CARDS_PER_PAGE = 20  # staff scorecards: on a phone each is a card of eleven lines


def paged(request: Request, rows: list[Any], size: int = PAGE_ROWS, **keep: str) -> tuple[list[Any], dict[str, Any]]:
    """One page of `rows` (`?page=`, from 1; a page out of range or not a number shows the nearest page) and what
    the `pager` macro shows: the page, the number of pages, and the links to the pages before and after (with the
    query parameters `keep` set as well)."""
    pages = max(1, -(-len(rows) // size))
    asked = request.query_params.get("page", "1")
    page = min(max(int(asked) if asked.isascii() and asked.isdigit() else 1, 1), pages)

    def link(n: int) -> str:
        return "?" + request.url.include_query_params(**keep, page=n).query

    return rows[(page - 1) * size:page * size], {"page": page, "pages": pages, "rows": len(rows),
                                                 "prev": link(page - 1) if page > 1 else None,
                                                 "next": link(page + 1) if page < pages else None}


def _quiet_principal(request: Request) -> Principal | None:
    try:
        return principal(request)
    except HTTPException:
        return None


def ago(seconds: float, lang: Lang) -> str:
    """A time span as people read it: 40 s, 3 min, 2 h, 5 d."""
    for most, per, key in ((60, 1, "seconds_short"), (3600, 60, "minutes_short"), (86400, 3600, "hours_short")):
        if seconds < most:
            return WORDS[key][lang].format(n=int(max(seconds, 0) // per))
    return WORDS["days_short"][lang].format(n=int(seconds // 86400))


def job_view(found: Answer, lang: Lang) -> dict[str, Any]:
    """What a page shows of long work: the last result's age, why it failed, and the job computing a newer one
    (its progress, which the page's script follows and reloads the page when it ends)."""
    last = found.last
    done = last is not None and last.state == "done"
    return {"age": WORDS["computed_ago"][lang].format(age=ago(last.age_s(), lang)) if last and done else "",
            "failed": WORDS["job_failed_shown"][lang].format(why=last.error(lang))
            if last is not None and last.state == "failed" else "",
            "running": found.running.public(lang) if found.running is not None else None, "done": done}


def spec(chart: alt.TopLevelMixin) -> str:
    """A chart as Vega-Lite JSON safe to put inside a <script> element."""
    return charts.script_json(chart)


@router.get("/static/vega.js")
def vega_js() -> Response:
    """Vega, Vega-Lite and vega-embed in one script, served from the installed package (no CDN)."""
    return Response(vega_bundle(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


@router.get("/static/peakend.js")
def app_js() -> Response:
    """The pages' own script (charts), a file: the Content-Security-Policy allows no inline script."""
    body = resources.files("peakend.web").joinpath("static", "peakend.js").read_text("utf-8")
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})




@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The login form (on a store without users: the first run's setup instead)."""
    if first_run(state(request)):
        return RedirectResponse("/setup", status_code=303)
    return render(request, "login.html.j2", next=next, failed=False, oidc=state(request).ws.sso.oidc.configured())


@router.post("/login")
def login_post(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password; on success start a session and go where the user was headed."""
    try:
        p = log_in(request, username, password)
    except HTTPException as exc:
        if exc.status_code not in (401, 429):
            raise
        return render(request, "login.html.j2", status=exc.status_code, next=next, failed=exc.status_code,
                      headers=exc.headers, oidc=state(request).ws.sso.oidc.configured())
    except PeakendError as exc:  # the directory proved the user but grants them nothing here
        return render(request, "login.html.j2", status=403, next=next, failed=False,
                      oidc=state(request).ws.sso.oidc.configured(), sso_problem=exc.say(page_lang(request)))
    target = safe_next(next)
    if target == "/" and p.role in LANDING:
        target = LANDING[p.role]
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    """End the session, on the server too: the old cookie no longer logs anybody in (and the OIDC provider's, when
    the login came from there and it offers to end it)."""
    return RedirectResponse(log_out(request) or "/login", status_code=303)


@router.get("/")
def network_page(request: Request) -> HTMLResponse:
    """Halls ranked by REI with grade and trend."""
    p = need_reader(request)
    st, lang = state(request), page_lang(request)
    scope = None if p.is_admin else set(p.halls)
    try:
        halls = st.ws.figures.graded_halls(scope)
    except NotScored:
        return render(request, "network.html.j2", user=p, halls=None, chart=None)
    names = st.ws.figures.hall_names(lang)
    chart = spec(charts.ranking(for_chart(halls, names, lang), lang)) if len(halls) else None
    found, answer = st.ws.analysis.verdicts_answer(p.name, None if scope is None else frozenset(scope))
    found = named_verdicts(found, lang)  # each survey answer by its name in the page's language
    said = None if found is None else [v.say(lang) for v in found]
    weights, warning = st.ws.analysis.weights_said(found, lang)
    return render(request, "network.html.j2", user=p, halls=halls.to_dict("records"), chart=chart, verdicts=said,
                  verdicts_job=job_view(answer, lang), weights=weights, warning=warning,
                  trend_why=st.ws.figures.trend_reasons(halls))


@router.get("/halls/{hall_id}")
def hall_page(request: Request, hall_id: str) -> HTMLResponse:
    """One hall: today's live figures, the moment heat map, peaks and ends, lift ranking."""
    p = hall_visible(request, hall_id)
    st, lang = state(request), page_lang(request)
    figures = st.ws.figures
    if p.is_admin and not figures.hall_known(hall_id):  # a manager's own hall may have no data yet: its page says so
        raise HTTPException(404, "no such hall")
    today = figures.hall_today(hall_id, st.ws.clock().date())
    try:
        moments = figures.hall_moments(hall_id)
        falls = figures.hall_falls(hall_id)
    except NotScored:
        return render(request, "hall.html.j2", user=p, hall_id=hall_id, today=today, moments=None, charts={},
                      live=_live(request, hall_id))
    order = [getattr(m, lang) for m in st.blueprint.moments]
    lifts = moments[moments.lift > 0].sort_values("lift", ascending=False).head(10)
    names = figures.hall_names(lang)
    made = {
        "heatmap": spec(charts.heatmap(for_chart(moments, names, lang), order, lang)),
        "falls": spec(charts.peaks_and_ends(for_chart(falls, names, lang), order, lang)),
    }
    if len(lifts):
        made["lift"] = spec(charts.lift_bars(for_chart(lifts, names, lang), lang))
    graded = figures.graded_halls({hall_id})
    live = _live(request, hall_id)
    floor = floor_svg(st.blueprint, figures.zones(hall_id),
                      alerts_by_zone(st.blueprint, pd.DataFrame(live["alerts"], columns=["moment_id"])), lang)
    panel, answer = figures.loyalty_answer(p.name, frozenset([hall_id]))
    return render(request, "hall.html.j2", user=p, hall_id=hall_id, today=today, floor=Markup(floor),
                  moments=moments.to_dict("records"), charts=made, live=live,
                  loyalty=None if panel is None else figures.loyalty_view(panel, hall_id, lang),
                  loyalty_job=job_view(answer, lang), grade=graded.iloc[0].to_dict() if len(graded) else None,
                  audits=figures.audit_checks({hall_id}).to_dict("records"), names=st.blueprint.names(lang))


def _live(request: Request, hall_id: str) -> dict[str, Any]:
    figures = state(request).ws.figures
    found = figures.hall_live(hall_id)
    alerts = figures.with_training(found["alerts"], page_lang(request), k=1)
    return {"figures": found["figures"], "alerts": alerts.to_dict("records"),
            "advice": found["advice"].to_dict("records")}


@router.get("/halls/{hall_id}/moments/{moment_id}")
def moment_page(request: Request, hall_id: str, moment_id: str) -> HTMLResponse:
    """One moment of one hall: standards, guidelines, distribution of e, worst recent visits."""
    p = hall_visible(request, hall_id)
    st, lang = state(request), page_lang(request)
    if moment_id not in st.blueprint.moment_ids():
        raise HTTPException(404, "unknown moment")
    m = st.blueprint.moment(moment_id)
    try:  # a job of the hall: computed here, they scanned every scored touch of the moment
        figures, found = st.ws.figures.moment_answer(p.name, hall_id, moment_id)
    except NotScored:
        figures, found = None, None
    dist, worst = figures if figures is not None else (None, None)
    chart = spec(charts.distribution(dist, lang)) if dist is not None and len(dist) else None
    index, answer = st.ws.figures.comments_answer(p.name, frozenset([hall_id]))
    said = [] if index is None else st.ws.figures.said_about(index, {hall_id}, moment_id).to_dict("records")
    where = [part_name(st.blueprint, x, lang) for x in (m.zone, m.lane, m.stage)]
    return render(request, "moment.html.j2", user=p, hall_id=hall_id, m=m, chart=chart, where=where,
                  worst=None if worst is None else worst.to_dict("records"), said=said, scored=found is not None,
                  moment_job=None if found is None else job_view(found, lang),
                  said_job=job_view(answer, lang), train=st.ws.figures.what_to_train(moment_id, lang),
                  library=bool(st.ws.figures.modules()))


@router.get("/staff")
def staff_page(request: Request, hall: str = "") -> HTMLResponse:
    """Staff scorecards (staff: their own; managers: their halls'), fairly ranked by shrunk mean e."""
    p, scope, only = card_scope(request, hall or None)
    st, lang = state(request), page_lang(request)
    try:
        cards = st.ws.figures.staff_cards(scope, only)
    except NotScored:
        return render(request, "staff.html.j2", user=p, cards=None, names={}, train={})
    names = st.blueprint.names(lang)
    train = {mid: st.ws.figures.what_to_train(mid, lang, k=1) for mid in cards["weakest_moment"].dropna()}
    coaching = st.ws.figures.coaching_effects(scope)
    if only is not None and len(coaching):
        coaching = coaching[coaching["staff_id"] == only]
    modules = {k: v[lang] for k, v in st.ws.figures.modules().items()}
    shown, pager = paged(request, cards.to_dict("records"), CARDS_PER_PAGE)
    return render(request, "staff.html.j2", user=p, cards=shown, pager=pager, names=names, train=train,
                  least=MIN_TOUCHES, coaching=coaching.to_dict("records"), modules=modules,
                  halls=sorted(scope) if scope is not None else sorted(cards["hall_id"].unique()))


@router.post("/staff/coaching", response_model=None)
def coaching_post(request: Request, hall: Annotated[str, Form()] = "", staff: Annotated[str, Form()] = "",
                  module: Annotated[str, Form()] = "", on: Annotated[str, Form()] = "") -> Response:
    """A manager records a training: the staff member, the module and the date (the login is checked first)."""
    from datetime import date

    p = hall_visible(request, hall)  # the login first, then the hall
    staff = staff.strip()[:200]
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise HTTPException(422, "the date must be YYYY-MM-DD") from None
    st = state(request)
    if module not in st.ws.figures.modules() or not staff:
        raise HTTPException(422, "name a staff member and a training module")
    st.ws.analysis.assign(hall, staff, module, day, p.name)
    return RedirectResponse(f"/staff?hall={quote(hall)}", status_code=303)


@router.get("/training")
def training_page(request: Request, q: str = "") -> HTMLResponse:
    """The training search engine: modules and the blueprint's guidance ranked by BM25 (every page's search box)."""
    p = need_user(request)
    st, lang = state(request), page_lang(request)
    q = q.strip()[:200]
    hits = st.ws.figures.training_search(q, lang, k=20) if q else []
    modules = st.ws.figures.training_modules(lang)
    names = st.blueprint.names(lang)
    why = st.ws.analysis.miss(q, lang) if q and not hits else ""
    return render(request, "training.html.j2", user=p, q=q, hits=hits, modules=modules, names=names, why=why)


SEARCH_MOST = 50  # hits shown on the comments page


@router.get("/comments")
def comments_page(request: Request, q: str = "", hall: str = "") -> HTMLResponse:
    """What customers say: full-text search over comments (BM25 over jieba words) and recurring complaints per
    hall and moment, within the reader's halls."""
    p, scope = reader_scope(request, hall)
    st, lang = state(request), page_lang(request)
    found, answer = st.ws.figures.comments_answer(p.name, None if scope is None else frozenset(scope))
    q = q.strip()[:200]
    names = {m.id: m for m in st.blueprint.moments}
    if found is None:
        return render(request, "comments.html.j2", user=p, q=q, hall=hall, hits=[], themes=[], names=names, total=0,
                      peaks=[], halls=sorted(p.halls), comments_job=job_view(answer, lang), computing=True)
    hits = found.search(q, scope, st.blueprint, 10 * SEARCH_MOST) if q else found.rows.iloc[:0].assign(score=[])
    hits = (hits.assign(times=hits.groupby("text")["text"].transform("size")).sort_values(["score", "at"],
            ascending=False).drop_duplicates("text").head(SEARCH_MOST))  # the same words said again: one row
    mine, top, peaks = st.ws.figures.themes(found, scope)
    return render(request, "comments.html.j2", user=p, q=q, hall=hall, hits=hits.to_dict("records"),
                  themes=top.to_dict("records"), names=names, total=len(mine), peaks=peaks.to_dict("records"),
                  halls=sorted(mine["hall_id"].unique()) if p.is_admin else sorted(p.halls),
                  comments_job=job_view(answer, lang), computing=False,
                  keywords=any(m.keywords.zh or m.keywords.en for m in st.blueprint.moments))


@router.get("/visits/{visit_id}")
def visit_page(request: Request, visit_id: str) -> HTMLResponse:
    """One visit's timeline: each touch's experience, the peak and the end marked."""
    st, lang = state(request), page_lang(request)
    hall = st.ws.figures.visit_hall(visit_id)
    if hall is None:
        need_reader(request)
        raise HTTPException(404, "no such visit")
    p = hall_visible(request, hall)
    record, touches = st.ws.figures.visit(visit_id)
    drawn = touches[[c for c in (f"moment_{lang}", "e", "is_peak", "is_end") if c in touches]]  # all it draws
    chart = spec(charts.visit_timeline(drawn, lang)) if "e" in touches and len(touches) else None
    return render(request, "visit.html.j2", user=p, v=record, touches=touches.to_dict("records"), chart=chart)


@router.get("/blueprint")
def blueprint_page(request: Request) -> HTMLResponse:
    """The blueprint as swim lanes (lane × stage); admins find the form editor, versions and YAML from here."""
    p = principal(request)
    if p is None or p.role == "device":
        raise HTTPException(401, "log in first")
    return render(request, "blueprint.html.j2", user=p)


@router.get("/blueprint/yaml")
def blueprint_yaml_page(request: Request) -> HTMLResponse:
    """The blueprint as YAML text, to import (paste) or export (admins)."""
    p = need_user(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins edit the blueprint")
    return render(request, "blueprint_yaml.html.j2", user=p, text=state(request).ws.blueprints.yaml(), problems=[],
                  saved=None)


@router.post("/blueprint")
def blueprint_save(request: Request, text: Annotated[str, Form()]) -> HTMLResponse:
    """Check a pasted blueprint; save it as a new version only if it has no problem."""
    p = need_reader(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins edit the blueprint")
    most = settings.get("max_form_chars")
    if len(text) > most:
        raise HTTPException(413, f"the blueprint text is longer than {most:,} characters "
                                 "(setting PEAKEND_MAX_FORM_CHARS)")
    st = state(request)
    bp, problems = st.ws.blueprints.check(text)
    saved = None
    if bp is not None:
        try:
            saved = st.ws.blueprints.save(text, p.name)[0]
        except BlueprintError:  # checked a moment ago: only a rare race gets here
            raise HTTPException(422, "the blueprint no longer checks") from None
    return render(request, "blueprint_yaml.html.j2", status=200 if bp else 422, user=p, text=text,
                  problems=problems, saved=saved)


def _quality_reader(request: Request) -> tuple[Principal, frozenset[str] | None]:
    """An admin (every quarantined row) or a manager (the rows of their halls)."""
    p = need_reader(request)
    if p.role not in ("admin", "manager"):
        raise HTTPException(403, "only admins and managers see the quarantine")
    return p, None if p.is_admin else frozenset(p.halls)


@router.get("/quality")
def quality_page(request: Request, dismissed: bool = False, done: int | None = None) -> HTMLResponse:
    """Quarantined records with their reasons as the web words them (admins: all; managers: their halls'), the
    dismissed ones hidden unless asked (`dismissed`), how many were dismissed; an admin also sees parked visits and
    conflicts."""
    p, halls = _quality_reader(request)
    rows, parked, clashes, gone = state(request).ws.figures.quality(halls, dismissed)
    lang, bp = page_lang(request), state(request).blueprint
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    for r in records:
        r["reason"], r["shown_source"] = worded(r, lang, bp), source_words(str(r["source"]), lang)
        r["shown_field"] = field_words(str(r["field"]), r.get("field_id"), lang)
        r["key"] = json.dumps([r["source_hash"], int(r["row_number"]), r["field"]], ensure_ascii=False)
    current = [r for r in records if not r["superseded"]]
    shown, pager = paged(request, current, PAGE_ROWS, **({"dismissed": "1"} if dismissed else {}))
    return render(request, "quality.html.j2", user=p, rows=shown, pager=pager, parked=parked.to_dict("records"),
                  conflicts=clashes.to_dict("records"), dismissed=dismissed, gone=gone, done=done,
                  superseded=[r for r in records if r["superseded"]][:200])


@router.post("/quality/dismiss")
async def quality_dismiss(request: Request) -> Response:
    """Mark the picked quarantined rows handled (kept, hidden): every one a row of the sender's halls, else 404 and
    none is marked."""
    p, halls = _quality_reader(request)
    async with request.form(max_fields=MOST_PICKED + 10) as sent:
        picked = [v for v in sent.getlist("row") if isinstance(v, str)]
    keys = [_row_key(v) for v in picked[:MOST_PICKED]]
    n = state(request).ws.imports.dismiss(keys, p.name, halls, client_address(request.scope))
    return RedirectResponse(f"/quality?done={n}", status_code=303)


MOST_PICKED = 500  # rows one dismissal names at most


def _row_key(text: str) -> tuple[str, int, str]:
    """A picked row's key as the page sent it (JSON: source hash, row, field); 422 for anything else."""
    try:
        found = json.loads(text) if len(text) <= 1000 else None  # (a page's key is short; nesting stays shallow)
    except (ValueError, RecursionError):
        found = None
    if not (isinstance(found, list) and len(found) == 3 and isinstance(found[0], str) and isinstance(found[2], str)
            and isinstance(found[1], int) and not isinstance(found[1], bool)):
        raise HTTPException(422, "a picked row is not one of the page's")
    return found[0][:400], found[1], found[2][:400]
