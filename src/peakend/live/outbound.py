"""Outbound HTTP to addresses admins typed (webhooks, chat robots), guarded against SSRF.

A target must be http(s) with a host name; every address its name resolves to must be global (not loopback,
private, link-local, shared, multicast, reserved or unspecified; an IPv4 address mapped into IPv6 counts as itself)
unless the setting `webhook_allow_private` is on. The name is resolved again at every send and the connection is
made to the address just checked (TLS still verifies the certificate against the name), so a name that turns into
an internal address later (DNS rebinding) is refused. Redirects are not followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from peakend.errors import PeakendError

MAX_URL = 2000
MAX_ANSWER = 64 * 1024  # bytes of a receiver's answer read at most

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(PeakendError):
    """A target that may not be called (SSRF guard) or cannot be read as a URL."""

    key = "hook_bad_url"


ALSO_RESERVED = (ipaddress.ip_network("192.0.0.0/24"),)  # IETF protocol assignments: Python calls .9 and .10 global


def address_class(ip: IP) -> str:
    """Which class an address is in: public, or why it is not (loopback, private, link_local, …)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_class(ip.ipv4_mapped)
    if any(ip in net for net in ALSO_RESERVED):
        return "reserved"
    for name in ("loopback", "link_local", "multicast", "unspecified", "private", "reserved"):
        if getattr(ip, f"is_{name}"):
            return name
    return "public" if ip.is_global else "shared"


@dataclass(frozen=True)
class Target:
    """A parsed target URL."""

    scheme: str
    host: str
    port: int
    path: str  # with its query


def parse(url: str) -> Target:
    """A target from a URL typed by an admin (Refused: not http(s), no host, user info, too long, spaces)."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise Refused("hook_bad_url", value=url[:80])
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise Refused("hook_bad_url", value=url[:80])
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("hook_bad_url", value=url[:80]) from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path)


def resolve(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to for `host`: every address it resolves to must be public (unless allowed)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused("hook_no_address", value=host) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not allow_private:
        for ip in addresses:
            if (kind := address_class(ip)) != "public":
                raise Refused("hook_private", value=host, address=str(ip), kind=kind)
    return str(addresses[0])


def check(url: str, allow_private: bool) -> Target:
    """Refused unless `url` is a target that may be called now."""
    target = parse(url)
    resolve(target.host, target.port, allow_private)
    return target


@dataclass
class Answer:
    """What a receiver answered."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class _Pinned(http.client.HTTPSConnection):
    """HTTPS to an address already checked, verifying the certificate against the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> Answer:
    """POST `body` to `url` at the address its name resolves to now (checked); OSError/Refused when it cannot."""
    target = parse(url)
    address = resolve(target.host, target.port, allow_private)
    con: http.client.HTTPConnection
    if target.scheme == "https":
        con = _Pinned(target.host, address, target.port, timeout)
    else:
        con = http.client.HTTPConnection(address, target.port, timeout=timeout)
    host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    try:
        con.request("POST", target.path, body=body, headers={**headers, "Host": host,
                                                                "Content-Type": "application/json; charset=utf-8"})
        answer = con.getresponse()
        return Answer(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read(MAX_ANSWER))
    finally:
        con.close()
