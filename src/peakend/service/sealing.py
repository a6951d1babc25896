"""Endpoint signing secrets sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived by HKDF-SHA256
from the server's secret (setting `secret`, PEAKEND_SECRET).

A sealed value is `sealed:v1:` + a Fernet token; anything else is a secret stored in clear by an older peakend,
read as it is and sealed by `Webhooks.seal_clear` (the background loop's start) once a server secret is set. With
no server secret nothing can be sealed (a new endpoint is refused) and a sealed secret cannot be read.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from peakend import settings
from peakend.errors import PeakendError

PREFIX = "sealed:v1:"
INFO = b"peakend endpoint signing secrets v1"


class SecretNeeded(PeakendError):
    """A secret to seal with no server secret set."""

    key = "hook_needs_server_secret"


class SecretUnreadable(PeakendError):
    """A sealed secret the server's secret does not open (changed or unset since it was sealed)."""

    status = 409
    key = "hook_secret_unreadable"


def _fernet() -> Fernet | None:
    secret = settings.get("secret")
    if not secret:
        return None
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def can_seal() -> bool:
    """Whether a server secret that lasts across starts is set."""
    return _fernet() is not None


def is_sealed(value: str) -> bool:
    """Whether a stored value is sealed (else: a secret stored in clear)."""
    return value.startswith(PREFIX)


def seal(clear: str) -> str:
    """`clear` sealed for the store (SecretNeeded without a lasting server secret)."""
    fernet = _fernet()
    if fernet is None:
        raise SecretNeeded()
    return PREFIX + fernet.encrypt(clear.encode()).decode()


def unseal(stored: str, endpoint_id: str) -> str:
    """The secret of endpoint `endpoint_id` as stored (sealed or clear); SecretUnreadable naming the endpoint if the
    server's secret does not open it."""
    if not is_sealed(stored):
        return stored
    fernet = _fernet()
    if fernet is None:
        raise SecretUnreadable("hook_secret_unset", id=endpoint_id)
    try:
        return fernet.decrypt(stored[len(PREFIX):].encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable(id=endpoint_id) from None
