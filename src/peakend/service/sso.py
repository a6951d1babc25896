"""Single sign-on (`ws.sso`): OIDC logins (authorization code with PKCE, through Authlib) and LDAP logins (ldap3),
both mapped to a role and halls by the operator's settings.

- **OIDC**: the provider's discovery document names its endpoints and keys; a login sends the browser there with a
  fresh `state`, `nonce` and PKCE verifier (kept in the signed session cookie until it comes back); the code is
  exchanged for tokens with the client secret, and the ID token is checked: signature by the provider's JWKS
  (fetched again once when its key id is new), issuer, audience, expiry, issue time and nonce. Claims from the
  userinfo endpoint, when the provider has one, complete the ID token's (same subject only).
- **Mapping**: every claim or attribute from outside is checked: text only, at most `MOST_CHARS` characters and
  `MOST_VALUES` values, no control characters. Groups map to a role by setting `sso_roles` (the highest mapped wins)
  and to halls by `sso_halls`; a halls claim (`oidc_halls_claim`) counts only halls this store knows. A user whose
  groups map to no role, or to a role without halls, is refused with a page saying why.
- Secrets come from settings only; a refusal is logged with its reason, never with a token.
"""

from __future__ import annotations

import secrets
import ssl
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import authlib.deprecate  # noqa: F401  (it shows its warnings always: the filter below goes in front of its own)
import httpx

with warnings.catch_warnings():  # Authlib's notice that httpx is to be httpx2: said at every `serve`, to nobody's use
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from peakend import settings
from peakend.errors import PeakendError, SettingError
from peakend.service.people import EMAIL, ROLES, Principal

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

MOST_CHARS = 200  # characters of one claim value (a user name, a group, a hall)
MOST_VALUES = 500  # values of one list claim
TIMEOUT_S = 10.0  # a call to the provider
METADATA_S = 3600.0  # the discovery document and keys are read again after this long
LEEWAY_S = 60  # clock difference allowed between us and the provider


class SsoRefused(PeakendError):
    """A single sign-on that does not log anybody in: what went wrong, in both languages."""

    status = 403


def _text(value: object) -> str | None:
    """An outside value as one short text (None: not text, too long, or with a control character)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MOST_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value


def texts(value: object) -> list[str]:
    """An outside value that should list texts (a claim, an attribute) as the texts it holds; anything else counts
    as nothing; more than `MOST_VALUES` is refused."""
    items = value if isinstance(value, list | tuple) else [value]
    if len(items) > MOST_VALUES:
        raise SsoRefused("sso_too_many", most=MOST_VALUES)
    return [t for t in map(_text, items) if t is not None]


def username_of(value: object) -> str:
    """The user name a provider gives, checked (SsoRefused: missing, not text, too long, or with a comma)."""
    name = _text(value)
    if name is None or "," in name:
        raise SsoRefused("sso_no_username")
    return name


def _pairs(name: str) -> list[tuple[str, str]]:
    raw = settings.get(name) or ""
    out = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        group, sep, value = part.partition("=")
        if not sep or not group.strip() or not value.strip():
            raise SettingError(env=f"PEAKEND_{name.upper()}", raw=raw, kind="group=value pairs, comma-separated",
                               why=f"'{part}' has no '='")
        out.append((group.strip(), value.strip()))
    return out


@dataclass(frozen=True)
class Mapping:
    """Groups → role (`sso_roles`) and groups → halls (`sso_halls`), read from the settings."""

    roles: dict[str, str]
    halls: dict[str, tuple[str, ...]]

    @classmethod
    def from_settings(cls) -> Mapping:
        roles = dict(_pairs("sso_roles"))
        for group, role in roles.items():
            if role not in ROLES:
                raise SettingError(env="PEAKEND_SSO_ROLES", raw=f"{group}={role}", kind=" | ".join(ROLES),
                                   why="not a role")
        return cls(roles, {g: tuple(v.split()) for g, v in _pairs("sso_halls")})

    def grant(self, groups: list[str], claimed_halls: list[str], known_halls: set[str]) -> tuple[str, list[str]]:
        """The role and halls these groups (and a halls claim, for halls the store knows) grant (SsoRefused: no
        role, or a role that needs halls and none)."""
        mapped = {self.roles[g] for g in groups if g in self.roles}
        if not mapped:
            raise SsoRefused("sso_no_role", groups=", ".join(groups[:10]) or "–")
        role = next(r for r in ROLES if r in mapped)  # ROLES runs from the highest
        halls = {h for g in groups for h in self.halls.get(g, ())} | (set(claimed_halls) & known_halls)
        if role != "admin" and not halls:
            raise SsoRefused("sso_no_hall", role=role)
        return role, sorted(halls) if role != "admin" else []


@dataclass(frozen=True)
class Pending:
    """An OIDC login on its way: what comes back must match (kept in the signed session cookie meanwhile)."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "nonce": self.nonce, "verifier": self.verifier, "redirect_uri": self.redirect_uri}


class Oidc:
    """The OIDC provider named by the settings: discovery, the login's start and finish, ID-token checks, logout."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._meta: dict[str, Any] | None = None
        self._keys: dict[str, Any] | None = None
        self._read_at = 0.0

    @staticmethod
    def configured() -> bool:
        """Whether OIDC is set up (issuer and client id)."""
        return bool(settings.get("oidc_issuer") and settings.get("oidc_client_id"))

    def _get(self, url: str) -> dict[str, Any]:
        try:
            answer = httpx.get(url, timeout=TIMEOUT_S, follow_redirects=False)
            answer.raise_for_status()
            found = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SsoRefused("sso_provider_down", value=type(exc).__name__) from None
        if not isinstance(found, dict):
            raise SsoRefused("sso_provider_down", value="not a JSON object")
        return found

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (read again after `METADATA_S`); its issuer must be the setting's."""
        if self._meta is None or time.monotonic() - self._read_at > METADATA_S:
            issuer = str(settings.get("oidc_issuer")).rstrip("/")
            meta = self._get(issuer + "/.well-known/openid-configuration")
            if str(meta.get("issuer", "")).rstrip("/") != issuer:
                raise SsoRefused("sso_issuer", value=str(meta.get("issuer"))[:MOST_CHARS])
            self._meta, self._keys, self._read_at = meta, None, time.monotonic()
        return self._meta

    def _key_set(self, again: bool = False) -> KeySet:
        if self._keys is None or again:
            self._keys = self._get(str(self.metadata()["jwks_uri"]))
        return KeySet.import_key_set(self._keys)  # type: ignore[arg-type]

    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(settings.get("oidc_client_id"), settings.get("oidc_client_secret"),
                            scope=settings.get("oidc_scopes"), redirect_uri=redirect_uri,
                            code_challenge_method="S256", timeout=TIMEOUT_S)

    def start(self, redirect_uri: str) -> tuple[str, Pending]:
        """Where to send the browser to log in, and what to keep until it comes back."""
        pending = Pending(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48),
                          redirect_uri)
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(self.metadata()["authorization_endpoint"], state=pending.state,
                                                     nonce=pending.nonce, code_verifier=pending.verifier)
        return str(url), pending

    def finish(self, pending: Pending, answer: dict[str, str]) -> tuple[dict[str, Any], str]:
        """The checked claims of the user the provider sent back, and their ID token (for logout)."""
        if answer.get("error"):
            raise SsoRefused("sso_provider_said", value=(_text(answer["error"]) or "?"))
        if not answer.get("state") or not secrets.compare_digest(answer["state"], pending.state):
            raise SsoRefused("sso_state")
        meta = self.metadata()
        if answer.get("iss") and answer["iss"].rstrip("/") != str(meta["issuer"]).rstrip("/"):
            raise SsoRefused("sso_issuer", value=answer["iss"][:MOST_CHARS])
        try:
            with self._client(pending.redirect_uri) as client:
                token = client.fetch_token(meta["token_endpoint"], code=answer.get("code", ""),
                                           code_verifier=pending.verifier, grant_type="authorization_code")
        except (OAuthError, httpx.HTTPError, ValueError) as exc:
            raise SsoRefused("sso_token_refused", value=str(getattr(exc, "error", type(exc).__name__))[:80]) from None
        if "id_token" not in token:
            raise SsoRefused("sso_id_token_bad", value="no id_token")
        claims = self.validate(token["id_token"], pending.nonce, token.get("access_token"))
        return {**self._userinfo(token, claims), **claims}, str(token["id_token"])

    def validate(self, id_token: str, nonce: str, access_token: str | None = None,
                 now: float | None = None) -> dict[str, Any]:
        """The claims of an ID token whose signature (the provider's JWKS), issuer, audience (our client id), expiry,
        issue time and nonce hold (SsoRefused naming what does not)."""
        meta = self.metadata()
        registry = JWSRegistry(algorithms=meta.get("id_token_signing_alg_values_supported") or ["RS256"],
                               strict_check_header=False)
        try:
            try:
                decoded = jwt.decode(id_token, self._key_set(), registry=registry)
            except InvalidKeyIdError:  # the provider rotated its keys
                decoded = jwt.decode(id_token, self._key_set(again=True), registry=registry)
            options = {"iss": {"essential": True, "value": meta["issuer"]},
                       "aud": {"essential": True, "value": settings.get("oidc_client_id")}}
            claims = CodeIDToken(decoded.claims, decoded.header, options,
                                 {"nonce": nonce, "client_id": settings.get("oidc_client_id"),
                                  "access_token": access_token})
            claims.validate(now=None if now is None else int(now), leeway=LEEWAY_S)
        except (JoseError, ValueError, TypeError) as exc:
            why = str(exc).rstrip(": ")[:MOST_CHARS] or type(exc).__name__
            raise SsoRefused("sso_id_token_bad", value=why) from None
        return dict(claims)

    def _userinfo(self, token: dict[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
        url = self.metadata().get("userinfo_endpoint")
        if not url or not token.get("access_token"):
            return {}
        try:
            answer = httpx.get(str(url), headers={"Authorization": f"Bearer {token['access_token']}"},
                               timeout=TIMEOUT_S)
            info = answer.json() if answer.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return {}
        return info if isinstance(info, dict) and info.get("sub") == claims.get("sub") else {}

    def logout_url(self, id_token: str, after: str) -> str | None:
        """Where to end the provider's session too (None: it offers no end-session endpoint)."""
        try:
            end = self.metadata().get("end_session_endpoint")
        except SsoRefused:
            return None
        if not end:
            return None
        query = httpx.QueryParams({"id_token_hint": id_token, "post_logout_redirect_uri": after,
                                   "client_id": settings.get("oidc_client_id")})
        return f"{end}?{query}"


@dataclass(frozen=True)
class DirectoryUser:
    """Who an LDAP bind proved: their user name (the entry's uid), groups (cn) and e-mail."""

    username: str
    groups: list[str]
    email: str | None


def _first(entry: Any, attribute: str) -> object:
    values = entry.entry_attributes_as_dict.get(attribute) or []
    return values[0] if values else None


def _cn(dn: object) -> str | None:
    """The cn a group's DN starts with (None: not a DN, or not a cn first)."""
    try:
        kind, value, _ = parse_dn(str(dn))[0]
    except (LDAPException, IndexError, TypeError):
        return None
    return value if kind.lower() == "cn" else None


class Ldap:
    """The LDAP directory named by the settings: a password checked by binding as the user (`ldap_user_dn`), or by
    searching them with a service account and binding as what was found; then their groups."""

    @staticmethod
    def configured() -> bool:
        """Whether LDAP is set up (a URL and a way to find the user)."""
        return bool(settings.get("ldap_url") and (settings.get("ldap_user_dn") or settings.get("ldap_user_base")))

    @staticmethod
    def _server() -> Server:
        url = str(settings.get("ldap_url"))
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.get("ldap_ca_file"),
                  version=ssl.PROTOCOL_TLS_CLIENT)
        return Server(url, use_ssl=url.lower().startswith("ldaps://"), tls=tls, connect_timeout=int(TIMEOUT_S),
                      get_info=NONE)  # no schema read: the attributes asked for need not be in it (memberOf)

    @staticmethod
    def _open(server: Server, dn: str, password: str) -> Connection | None:
        """A connection bound as `dn` (StartTLS first when set), or None if the password is wrong."""
        conn = Connection(server, dn, password, receive_timeout=int(TIMEOUT_S), raise_exceptions=False)
        conn.open()
        if settings.get("ldap_starttls") and not conn.start_tls():
            raise SsoRefused("ldap_down", value="StartTLS refused")
        return conn if conn.bind() else None

    def check(self, username: str, password: str) -> DirectoryUser | None:
        """The directory user these credentials prove (None: unknown user or wrong password). An empty password is
        never sent: LDAP would take it as an anonymous bind."""
        if not password or not username or len(username) > MOST_CHARS:
            return None
        try:
            return self._check(username, password)
        except LDAPException as exc:
            raise SsoRefused("ldap_down", value=type(exc).__name__) from None

    def _check(self, username: str, password: str) -> DirectoryUser | None:
        server, service = self._server(), None
        template = settings.get("ldap_user_dn")
        if template:
            dn = str(template).format(username=escape_rdn(username))
        else:
            service = self._open(server, settings.get("ldap_bind_dn") or "", settings.get("ldap_bind_password") or "")
            if service is None:
                raise SsoRefused("ldap_down", value="the service account cannot bind")
            user_filter = str(settings.get("ldap_user_filter")).format(username=escape_filter_chars(username))
            service.search(settings.get("ldap_user_base"), user_filter, SUBTREE, attributes=[], size_limit=2)
            if len(service.entries) != 1:
                return None
            dn = service.entries[0].entry_dn
        conn = self._open(server, dn, password)
        if conn is None:
            return None
        reader = service or conn
        reader.search(dn, "(objectClass=*)", BASE, attributes=["uid", "mail", "memberOf"])
        if not reader.entries:
            return None
        entry = reader.entries[0]
        return DirectoryUser(username_of(_first(entry, "uid") or username), self._groups(reader, entry, username),
                             _text(_first(entry, "mail")))

    @staticmethod
    def _groups(reader: Connection, entry: Any, username: str) -> list[str]:
        """The cn of each group of the user: searched under `ldap_group_base`, else their memberOf attribute."""
        base = settings.get("ldap_group_base")
        if not base:
            return texts([_cn(g) for g in entry.entry_attributes_as_dict.get("memberOf", [])])
        group_filter = str(settings.get("ldap_group_filter")).format(dn=escape_filter_chars(entry.entry_dn),
                                                                      username=escape_filter_chars(username))
        reader.search(base, group_filter, SUBTREE, attributes=["cn"], size_limit=MOST_VALUES + 1)
        return texts([_first(g, "cn") for g in reader.entries])


class Sso:
    """Single sign-on of a workspace: the OIDC provider, the LDAP directory, and the accounts they log in."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.oidc = Oidc(ws)
        self.ldap = Ldap()

    def password_login(self, username: str, password: str, address: str | None = None) -> tuple[Principal, str] | None:
        """The user a name and password log in, and through what: a local account first, else (when LDAP is set up
        and the name is not a local or OIDC account) the directory, whose groups give the role and halls. None: wrong
        name or password; SsoRefused: the directory proves the user but grants them nothing here."""
        local = self.ws.people.check_password(username, password)
        if local is not None:
            return local, "local"
        if not self.ldap.configured() or self.ws.identity.source_of(username) not in (None, "ldap"):
            return None
        found = self.ldap.check(username, password)
        if found is None:
            return None
        return self._provision("ldap", found.username, found.groups, [], found.email, address), "ldap"

    @staticmethod
    def check_settings() -> None:
        """Read the group mappings now (SettingError naming a bad one): a server with a wrong one does not start."""
        Mapping.from_settings()

    def known_halls(self) -> set[str]:
        """The halls this store knows (by events or by name): the only ones a halls claim may give."""
        return {h for h, _, _ in self.ws.people.halls()}

    def oidc_user(self, claims: dict[str, Any], address: str | None = None) -> Principal:
        """The user an OIDC login's claims name, created or updated with the role and halls they map to."""
        name = username_of(claims.get(settings.get("oidc_username_claim")))
        groups = texts(claims.get(settings.get("oidc_groups_claim"), []))
        halls_claim = settings.get("oidc_halls_claim")
        claimed = texts(claims.get(halls_claim, [])) if halls_claim else []
        return self._provision("oidc", name, groups, claimed, _text(claims.get("email")), address)

    def _provision(self, source: Literal["oidc", "ldap"], name: str, groups: list[str], claimed: list[str],
                   email: str | None, address: str | None) -> Principal:
        try:
            role, halls = Mapping.from_settings().grant(groups, claimed, self.known_halls())
        except SsoRefused as exc:
            self.ws.activity.record(name, "sso_refused", None, {"source": source, "why": exc.key}, address)
            raise
        mail = email if email and EMAIL.fullmatch(email) else None
        return self.ws.identity.provision(source, name, role, halls, mail, address)

    def refused(self, source: str, exc: PeakendError, address: str | None) -> None:
        """Log a single sign-on that logged nobody in (its reason's key, never a token)."""
        self.ws.activity.record("-", "sso_refused", None, {"source": source, "why": exc.key}, address)
