"""The server-rendered pages: network, hall, moment, visit, blueprint, data quality, login.

Each page reads its figures through `web.queries` (the same functions the JSON API and the
exports use) and draws charts as Vega-Lite specs built by `report.charts`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

import altair as alt
import jinja2
import pandas as pd
import vl_convert
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from peakend import settings
from peakend.blueprint.load import check_text
from peakend.errors import FitError, NotScored
from peakend.i18n import WORDS, Lang
from peakend.ingest import corrections
from peakend.live import pending
from peakend.report import charts
from peakend.report.floor import alerts_by_zone, floor_svg, zone_figures
from peakend.scoring.staff import MIN_TOUCHES
from peakend.service.people import Principal
from peakend.store.blueprints import blueprint_yaml, save_blueprint
from peakend.store.halls import hall_names
from peakend.text.training import library
from peakend.web import queries
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
    state,
)

router = APIRouter(include_in_schema=False)
LANDING = {"staff": "/blueprint", "auditor": "/audit"}  # where a role that reads no network figures starts
REPS = 5  # simulations behind each what-if figure
# Every template autoescapes whatever its file name (Jinja's default looks at the extension, and .j2 is none).
templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources.files("peakend.web").joinpath("templates"))), autoescape=True))


@jinja2.pass_context
def _hall_name(context: Any, hall_id: object) -> str:
    """A hall shown by its name in the page's language (`peakend hall name`), else by its id."""
    return str(context.get("hall_names", {}).get(str(hall_id), hall_id))


templates.env.filters["hall_name"] = _hall_name


def page_lang(request: Request) -> Lang:
    """The page language: `?lang=` (remembered in a cookie), else the cookie, else Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return "en" if asked.startswith("en") else "zh"


def render(request: Request, name: str, status: int = 200, headers: Mapping[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    """Render template `name` with the words, language, user and navigation every page needs."""
    lang = page_lang(request)
    p = context.pop("user", None) or _quiet_principal(request)
    st = state(request)
    context.update(lang=lang, t={k: v[lang] for k, v in WORDS.items()}, user=p, bp=st.blueprint, request=request,
                   hall_names=hall_names(st.store, lang))
    response = templates.TemplateResponse(request, name, context, status_code=status, headers=headers)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


def _quiet_principal(request: Request) -> Principal | None:
    try:
        return principal(request)
    except HTTPException:
        return None


def spec(chart: alt.TopLevelMixin) -> str:
    """A chart as Vega-Lite JSON safe to put inside a <script> element."""
    return charts.script_json(chart)


@router.get("/static/vega.js")
def vega_js() -> Response:
    """Vega, Vega-Lite and vega-embed in one script, served from the installed package (no CDN)."""
    return Response(_bundle(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


@router.get("/static/peakend.js")
def app_js() -> Response:
    """The pages' own script (charts), a file: the Content-Security-Policy allows no inline script."""
    body = resources.files("peakend.web").joinpath("static", "peakend.js").read_text("utf-8")
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})


@functools.cache
def _bundle() -> str:
    return vl_convert.javascript_bundle()  # type: ignore[call-arg]  # vl-convert's stub calls the optional snippet required


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The login form (on a store without users: the first run's setup instead)."""
    if first_run(state(request)):
        return RedirectResponse("/setup", status_code=303)
    return render(request, "login.html.j2", next=next, failed=False)


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
                      headers=exc.headers)
    target = next if next.startswith("/") and not next.startswith(("//", "/\\")) and "\\" not in next else "/"
    if target == "/" and p.role in LANDING:
        target = LANDING[p.role]
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    """End the session, on the server too: the old cookie no longer logs anybody in."""
    log_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def network_page(request: Request) -> HTMLResponse:
    """Halls ranked by REI with grade and trend."""
    p = need_reader(request)
    st, lang = state(request), page_lang(request)
    try:
        halls = queries.graded_halls(st.store, st.blueprint, None if p.is_admin else set(p.halls))
    except NotScored:
        return render(request, "network.html.j2", user=p, halls=None, chart=None)
    names = hall_names(st.store, lang)
    chart = spec(charts.ranking(halls.assign(hall_id=halls["hall_id"].map(lambda h: names.get(h, h))), lang)) \
        if len(halls) else None
    said = [v.say(lang) for v in queries.verdicts(st.store, None if p.is_admin else set(p.halls))]
    return render(request, "network.html.j2", user=p, halls=halls.to_dict("records"), chart=chart, verdicts=said)


@router.get("/halls/{hall_id}")
def hall_page(request: Request, hall_id: str) -> HTMLResponse:
    """One hall: today's live figures, the moment heat map, peaks and ends, lift ranking."""
    p = hall_visible(request, hall_id)
    st, lang = state(request), page_lang(request)
    today = queries.hall_today(st.store, hall_id)
    try:
        moments = queries.hall_moments(st.store, st.blueprint, hall_id)
        falls = queries.hall_falls(st.store, st.blueprint, hall_id)
    except NotScored:
        return render(request, "hall.html.j2", user=p, hall_id=hall_id, today=today, moments=None, charts={},
                      live=_live(request, hall_id))
    order = [getattr(m, lang) for m in st.blueprint.moments]
    lifts = moments[moments.lift > 0].sort_values("lift", ascending=False).head(10)
    made = {
        "heatmap": spec(charts.heatmap(moments, order, lang)),
        "falls": spec(charts.peaks_and_ends(falls, order, lang)),
    }
    if len(lifts):
        made["lift"] = spec(charts.lift_bars(lifts, lang))
    graded = queries.graded_halls(st.store, st.blueprint, {hall_id})
    live = _live(request, hall_id)
    floor = floor_svg(st.blueprint, zone_figures(st.store, st.blueprint, hall_id),
                      alerts_by_zone(st.blueprint, pd.DataFrame(live["alerts"], columns=["moment_id"])), lang)
    return render(request, "hall.html.j2", user=p, hall_id=hall_id, today=today, floor=Markup(floor),
                  moments=moments.to_dict("records"), charts=made, live=live,
                  loyalty=_loyalty(request, hall_id), grade=graded.iloc[0].to_dict() if len(graded) else None,
                  audits=queries.audit_checks(st.store, st.blueprint, {hall_id}).to_dict("records"),
                  names=st.blueprint.names(lang))


def _loyalty(request: Request, hall_id: str) -> dict[str, Any] | None:
    """The hall page's loyalty panel: its figures and the three largest detectable costs of a bad moment."""
    from peakend.loyalty.view import effect_sentence, ranked_effects

    st, lang = state(request), page_lang(request)
    found = queries.loyalty_panel(st.store, st.blueprint, {hall_id})
    row = found.halls[found.halls["hall_id"] == hall_id]
    if row.empty:
        return None
    names = st.blueprint.names(lang)
    costs = ranked_effects(found.moments, each=3)
    return {"figures": row.iloc[0].to_dict(), "days": found.days, "asked": found.asked,
            "costs": [effect_sentence(r, names, found.days, lang) for r in costs.itertuples() if r.detectable]}


def _live(request: Request, hall_id: str) -> dict[str, Any]:
    st = state(request)
    found = queries.hall_live(st.store, hall_id, st.clock())
    alerts = queries.with_training(found["alerts"], st.blueprint, page_lang(request), k=1)
    return {"figures": found["figures"], "alerts": alerts.to_dict("records"),
            "advice": found["advice"].to_dict("records")}


def hour_span(hour: int) -> str:
    """An hour of the day as the span people read: 09:00–10:00."""
    return f"{hour:02d}:00–{hour + 1:02d}:00"


def hour_runs(counts: list[float], opens: int) -> str:
    """Hourly counts from `opens` as runs of equal counts: '09:00–12:00 2 · 12:00–21:00 3'."""
    runs: list[list[float]] = []
    for h, n in enumerate(counts, start=opens):
        if runs and runs[-1][2] == n:
            runs[-1][1] = h + 1
        else:
            runs.append([h, h + 1, n])
    return " · ".join(f"{int(a):02d}:00–{int(b):02d}:00 {n:g}" for a, b, n in runs)


@router.get("/halls/{hall_id}/whatif")
def whatif_page(request: Request, hall_id: str) -> HTMLResponse:
    """Change counters, diversion or closing hour; see predicted waits and REI beside the day as it happened."""
    from peakend.simulate.plan import Targets
    from peakend.simulate.whatif import FIT_DAYS, Change, by_hour, fitted_now, what_if

    p = hall_visible(request, hall_id)
    st, lang = state(request), page_lang(request)
    try:
        now = fitted_now(st.store, st.blueprint, hall_id)
    except FitError as exc:
        return render(request, "whatif.html.j2", user=p, hall_id=hall_id, now=None,
                      problem=WORDS["no_whatif"][lang].format(why=exc.say(lang)))
    known = set(st.blueprint.moment_ids())
    names = {k: " · ".join(getattr(st.blueprint.moment(m), lang) if m in known else m for m in v.moments)
             for k, v in now.cfg.stations.items()}
    schedules = {k: hour_runs(v.schedule(now.cfg.opens, now.cfg.closes), now.cfg.opens)
                 for k, v in now.cfg.stations.items()}
    context: dict[str, Any] = {"user": p, "hall_id": hall_id, "now": now, "problem": None, "days": None,
                               "station_names": names, "schedules": schedules,
                               "change": Change(), "can_divert": False, "query": "",
                               "intro": WORDS["whatif_intro"][lang].format(days=FIT_DAYS, day=now.day, reps=REPS)}
    try:
        change = Change.from_query(request.query_params, now.cfg)
    except ValueError as exc:
        return render(request, "whatif.html.j2", status=422, **{**context, "problem": WORDS["bad_change"][lang]
                                                                 .format(why=exc)})
    result = what_if(st.store, st.blueprint, now, change, reps=REPS)
    query = "".join(f"&{quote(k)}={quote(v)}" for k, v in change.query().items())
    return render(request, "whatif.html.j2", **{
        **context, "change": change, "can_divert": result.can_divert, "query": query,
        "days": result.day_figures.to_dict("records"), "hours": by_hour(result).to_dict("records"),
        "chart": spec(charts.whatif_waits(result.hours, lang)),
        "within_label": WORDS["within_share"][lang].format(wait=f"{Targets().wait_min:g}")})


@router.get("/halls/{hall_id}/moments/{moment_id}")
def moment_page(request: Request, hall_id: str, moment_id: str) -> HTMLResponse:
    """One moment of one hall: standards, guidelines, distribution of e, worst recent visits."""
    p = hall_visible(request, hall_id)
    st, lang = state(request), page_lang(request)
    if moment_id not in st.blueprint.moment_ids():
        raise HTTPException(404, "unknown moment")
    m = st.blueprint.moment(moment_id)
    try:
        dist = queries.moment_distribution(st.store, hall_id, moment_id)
        worst = queries.worst_visits(st.store, st.blueprint, hall_id, moment_id)
    except NotScored:
        dist, worst = None, None
    chart = spec(charts.distribution(dist, lang)) if dist is not None and len(dist) else None
    said = queries.said_about(st.store, st.blueprint, {hall_id}, moment_id)
    return render(request, "moment.html.j2", user=p, hall_id=hall_id, m=m, chart=chart,
                  worst=None if worst is None else worst.to_dict("records"), said=said.to_dict("records"),
                  train=queries.what_to_train(st.blueprint, moment_id, lang))


@router.get("/staff")
def staff_page(request: Request, hall: str = "") -> HTMLResponse:
    """Staff scorecards (staff: their own; managers: their halls'), fairly ranked by shrunk mean e."""
    p, scope, only = card_scope(request, hall or None)
    st, lang = state(request), page_lang(request)
    try:
        cards = queries.staff_cards(st.store, scope, only)
    except NotScored:
        return render(request, "staff.html.j2", user=p, cards=None, names={}, train={})
    names = st.blueprint.names(lang)
    train = {mid: queries.what_to_train(st.blueprint, mid, lang, k=1) for mid in cards["weakest_moment"].dropna()}
    coaching = queries.coaching_effects(st.store, st.blueprint, scope)
    if only is not None and len(coaching):
        coaching = coaching[coaching["staff_id"] == only]
    modules = {m.id: getattr(m.title, lang) for m in library().modules}
    return render(request, "staff.html.j2", user=p, cards=cards.to_dict("records"), names=names, train=train,
                  least=MIN_TOUCHES, coaching=coaching.to_dict("records"), modules=modules,
                  halls=sorted(scope) if scope is not None else sorted(cards["hall_id"].unique()))


@router.post("/staff/coaching", response_model=None)
def coaching_post(request: Request, hall: Annotated[str, Form()] = "", staff: Annotated[str, Form()] = "",
                  module: Annotated[str, Form()] = "", on: Annotated[str, Form()] = "") -> Response:
    """A manager records a training: the staff member, the module and the date (the login is checked first)."""
    from datetime import date

    from peakend.ingest.privacy import key_text
    from peakend.scoring.coaching import assign

    p = hall_visible(request, hall)  # the login first, then the hall
    staff = staff.strip()[:200]
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise HTTPException(422, "the date must be YYYY-MM-DD") from None
    if module not in {m.id for m in library().modules} or not staff:
        raise HTTPException(422, "name a staff member and a training module")
    st = state(request)
    assign(st.store, hall, key_text(st.store, staff) or staff, module, day, p.name)
    return RedirectResponse(f"/staff?hall={quote(hall)}", status_code=303)


@router.get("/training")
def training_page(request: Request, q: str = "") -> HTMLResponse:
    """The training search engine: modules and the blueprint's guidance ranked by BM25 (every page's search box)."""
    from peakend.text.training import shown

    p = need_user(request)
    st, lang = state(request), page_lang(request)
    eng = queries.training_engine(st.blueprint)
    q = q.strip()[:200]
    hits = [{**shown(d, lang), "score": s} for d, s in eng.search(q, k=20)] if q else []
    modules = [shown(d, lang) for d in eng.docs if d.kind == "module"]
    names = st.blueprint.names(lang)
    return render(request, "training.html.j2", user=p, q=q, hits=hits, modules=modules, names=names)


SEARCH_MOST = 50  # hits shown on the comments page


@router.get("/comments")
def comments_page(request: Request, q: str = "", hall: str = "") -> HTMLResponse:
    """What customers say: full-text search over comments (BM25 over jieba words) and recurring complaints per
    hall and moment, within the reader's halls."""
    from peakend.text.comments import peak_answers, themes

    p, scope = reader_scope(request, hall)
    st = state(request)
    found = queries.comments(st.store, st.blueprint)
    q = q.strip()[:200]
    hits = found.search(q, scope, st.blueprint, 10 * SEARCH_MOST) if q else found.rows.iloc[:0].assign(score=[])
    hits = (hits.assign(times=hits.groupby("text")["text"].transform("size")).sort_values(["score", "at"],
            ascending=False).drop_duplicates("text").head(SEARCH_MOST))  # the same words said again: one row
    mine = found.rows if scope is None else found.rows[found.rows["hall_id"].isin(sorted(scope))]
    top = themes(mine, st.blueprint).sort_values(["negative", "comments"], ascending=False).head(30)
    names = {m.id: m for m in st.blueprint.moments}
    peaks = peak_answers(mine, st.store)
    return render(request, "comments.html.j2", user=p, q=q, hall=hall, hits=hits.to_dict("records"),
                  themes=top.to_dict("records"), names=names, total=len(mine), peaks=peaks.to_dict("records"),
                  halls=sorted(mine["hall_id"].unique()) if p.is_admin else sorted(p.halls))


@router.get("/visits/{visit_id}")
def visit_page(request: Request, visit_id: str) -> HTMLResponse:
    """One visit's timeline: each touch's experience, the peak and the end marked."""
    st, lang = state(request), page_lang(request)
    hall = queries.visit_hall(st.store, visit_id)
    if hall is None:
        need_reader(request)
        raise HTTPException(404, "no such visit")
    p = hall_visible(request, hall)
    record, touches = queries.visit(st.store, st.blueprint, visit_id)
    chart = spec(charts.visit_timeline(touches, lang)) if "e" in touches and len(touches) else None
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
    return render(request, "blueprint_yaml.html.j2", user=p, text=blueprint_yaml(state(request).store), problems=[],
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
    bp, problems = check_text(text, "blueprint")
    saved = None
    if bp is not None:
        saved = save_blueprint(st.store, bp, text, p.name)
        st.blueprint = bp
    return render(request, "blueprint_yaml.html.j2", status=200 if bp else 422, user=p, text=text,
                  problems=problems, saved=saved)


@router.get("/quality")
def quality_page(request: Request) -> HTMLResponse:
    """Quarantined records with their reasons (admins)."""
    p = need_reader(request)
    if not p.is_admin:
        raise HTTPException(403, "only admins see the quarantine")
    store = state(request).store
    rows, parked = queries.quarantine(store), pending.parked(store)
    with store.lock:
        clashes = corrections.listed(store)
    return render(request, "quality.html.j2", user=p, rows=rows.to_dict("records"), parked=parked.to_dict("records"),
                  conflicts=clashes.to_dict("records"))
