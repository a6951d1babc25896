"""Single sign-on in the browser: `/sso/oidc/start` sends the browser to the OIDC provider, `/sso/oidc/callback`
takes it back, checks everything (`ws.sso`) and starts a session; a refusal is the login page saying why. (LDAP
needs no route of its own: the login form's password goes to the directory for accounts that are not local.)"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from peakend import settings
from peakend.errors import PeakendError
from peakend.service.sso import Pending, SsoRefused
from peakend.web.deps import begin_session, safe_next, state
from peakend.web.guard import client_address
from peakend.web.pages import page_lang, render
from peakend.web.refusal import LANDING

router = APIRouter(include_in_schema=False)
MOST_ANSWER_CHARS = 4000  # one query parameter of the provider's answer


def refused(request: Request, source: str, exc: PeakendError) -> Response:
    """The login page saying why a single sign-on logged nobody in (logged, with its reason)."""
    st = state(request)
    st.ws.sso.refused(source, exc, client_address(request.scope))
    return render(request, "login.html.j2", status=403, next="/", failed=False,
                  oidc=st.ws.sso.oidc.configured(), sso_problem=exc.say(page_lang(request)))


@router.get("/sso/oidc/start")
def oidc_start(request: Request, next: str = "/") -> Response:
    """Send the browser to the OIDC provider with a fresh state, nonce and PKCE challenge (404 when not set up)."""
    st = state(request)
    if not st.ws.sso.oidc.configured():
        raise HTTPException(404, "single sign-on is not set up")
    back = settings.get("oidc_redirect_uri") or str(request.url_for("oidc_callback"))
    try:
        url, pending = st.ws.sso.oidc.start(back)
    except SsoRefused as exc:
        return refused(request, "oidc", exc)
    request.session["oidc"] = {**pending.as_dict(), "next": safe_next(next[:2000])}
    return RedirectResponse(url, status_code=303)


@router.get("/sso/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request) -> Response:
    """The provider's answer: state, code → tokens → checked ID token → the user, mapped; then their start page."""
    st, saved = state(request), request.session.pop("oidc", None)
    try:
        if not isinstance(saved, dict) or not all(isinstance(saved.get(k), str) for k in Pending.__annotations__):
            raise SsoRefused("sso_state")
        pending = Pending(**{k: saved[k] for k in Pending.__annotations__})
        answer = {k: v[:MOST_ANSWER_CHARS] for k, v in request.query_params.items()}
        claims, id_token = st.ws.sso.oidc.finish(pending, answer)
        p = st.ws.sso.oidc_user(claims, client_address(request.scope))
    except PeakendError as exc:
        return refused(request, "oidc", exc)
    begin_session(request, p, "oidc")
    request.session["oidc_id_token"] = id_token
    target = str(saved.get("next") or "/")
    return RedirectResponse(LANDING.get(p.role, "/") if target == "/" else target, status_code=303)
