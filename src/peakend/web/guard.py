"""The web app's guard at the door: what every request passes before a route sees it.

- **Size**: a body larger than setting `max_body_bytes` is refused with 413 before it is read
  (by its Content-Length, and counted while it streams in when that is absent or false).
- **Cross-site posts**: a write (POST, PUT, PATCH, DELETE) must come from the app's own pages:
  its `Origin` (else `Referer`), when it names one, must be the app's own origin or one listed in
  setting `origins`, and a write that rides on the session cookie must name one. Browsers name the
  origin of every cross-site post, so neither a forged form nor a forged login gets through.
  Device and gateway writes carry a bearer token instead, which browsers never add by themselves.
- **Headers**: a Content-Security-Policy without inline script, no framing, no sniffing, no
  referrer sent elsewhere; forms post only here, or on to the OIDC provider (logout ends its session there).
- **NUL**: a path or query with a NUL character is answered 422 (no store keeps it).
- **Deadline**: the work of a request stops itself after setting `request_deadline_s` (`peakend.deadline`); a
  server-sent event stream (`STREAMS`) has none: it bounds its own time and checks the client is still there.
- **Language**: `?lang=zh|en` on any request (a redirect's too) is remembered in cookie `lang`.
- **Logins**: failed attempts are limited per user name and per client address (`service.limits`, in the store:
  every process counts them together).
"""

from __future__ import annotations

import math
import re
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peakend import settings
from peakend.deadline import within

SESSION_COOKIE = "session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
STREAMS = frozenset({"/inbox/events"})  # long-lived event streams: no request deadline (they bound themselves)
PLAIN_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")


def security_headers() -> list[tuple[bytes, bytes]]:
    """The headers every answer carries. With OIDC set up, the policy's form-action names the provider's origin too:
    the logout form's answer sends the browser on to the provider's end-session page, and browsers hold a form's
    redirects to form-action."""
    provider = _origin_of(settings.get("oidc_issuer") or "")
    if not PLAIN_ORIGIN.fullmatch(provider):
        return SECURITY_HEADERS
    csp = CSP.replace("form-action 'self'", f"form-action 'self' {provider}")
    return [(b"content-security-policy", csp.encode()), *SECURITY_HEADERS[1:]]


DOCS = ("/docs", "/redoc")  # FastAPI's documentation pages load their script from a CDN: their own policy


class BodyTooLarge(Exception):
    """The request body passed the size limit while it was being read."""


class Guard:
    """ASGI middleware: body size, cross-site writes, security headers and NUL (see the module)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = _refusal(scope, headers)
        if refusal is not None:
            await _with_headers(refusal, scope)(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            deadline.renew()  # the request's time counts from when its body has arrived
            if seen > limit:
                raise BodyTooLarge
            return message

        remembered = _language_cookie(scope)

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start" and not scope["path"].startswith(DOCS):
                message["headers"] = [*message.get("headers", []), *security_headers(), *remembered]
            await send(message)

        try:
            with within(math.inf if scope["path"] in STREAMS else settings.get("request_deadline_s")) as deadline:
                await self.app(scope, counted, secured)
        except BodyTooLarge:
            await _with_headers(_too_large(limit), scope)(scope, receive, send)


def _language_cookie(scope: Scope) -> list[tuple[bytes, bytes]]:
    """`?lang=zh|en` on any request, a redirect's too, is remembered for the pages that follow (cookie `lang`)."""
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[-1]
    if asked not in ("zh", "en"):
        return []
    return [(b"set-cookie", f"lang={asked}; Max-Age={365 * 86400}; Path=/; SameSite=lax".encode())]


def _refusal(scope: Scope, headers: Headers) -> JSONResponse | None:
    """The answer to a request refused at the door, or None."""
    query = scope.get("query_string", b"")
    if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
        return JSONResponse({"detail": "the request's path or query holds a NUL character"}, status_code=422)
    length = headers.get("content-length")
    limit = body_limit(scope["path"])
    if length is not None and (not length.isdigit() or int(length) > limit):
        return _too_large(limit)
    if scope["method"] in UNSAFE and not headers.get("authorization", "").lower().startswith("bearer "):
        origin = headers.get("origin") or _origin_of(headers.get("referer", ""))
        with_cookie = SESSION_COOKIE + "=" in headers.get("cookie", "")
        if (origin or with_cookie) and origin not in allowed_origins(scope, headers):
            return JSONResponse({"detail": "cross-site request refused: post from this app's own pages "
                                           "(Origin or Referer must be this site), or send a bearer token"},
                                status_code=403)
    return None


UPLOADS = ("/import", "/api/v1/imports")  # where files are uploaded: their own, larger limit


def body_limit(path: str) -> int:
    """The largest body read on `path`: setting `max_upload_bytes` for a file upload, else `max_body_bytes`."""
    return settings.get("max_upload_bytes") if path in UPLOADS else settings.get("max_body_bytes")


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": f"request body larger than {limit:,} bytes (settings PEAKEND_MAX_BODY_BYTES, "
                                   "PEAKEND_MAX_UPLOAD_BYTES for files)"}, status_code=413)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def allowed_origins(scope: Scope, headers: Headers) -> set[str]:
    """The app's own origin (as the request addressed it) and those of setting `origins`."""
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    return {own, *(o.strip().rstrip("/") for o in settings.get("origins").split(",") if o.strip())}


def _with_headers(response: JSONResponse, scope: Scope) -> JSONResponse:
    if not scope["path"].startswith(DOCS):
        response.raw_headers += security_headers()
    return response


def client_address(scope: MutableMapping[str, Any]) -> str:
    """The client's address as the server saw it."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
