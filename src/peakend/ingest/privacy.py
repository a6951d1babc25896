"""Customer phone numbers are never stored in clear.

A phone number given as a customer key becomes `ph_` + HMAC-SHA256 of its digits under the
store's phone key (so the same phone joins across visits, files, the API and SMS replies,
however it was written) and a masked form for display (`138****5678`). Both are DuckDB
macros on the staging connection, so millions of rows are keyed at SQL speed; the Python
helpers call the same macros. The phone key is made once per store (from env
`PEAKEND_PHONE_KEY` when set at that time, else at random) and kept in its `settings` table.
Quarantined records and messages have phone numbers masked too.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets

from peakend.store.db import Store

KEY_SETTING = "phone_key"
# A phone as people write it: optional +, digits with spaces, dashes, dots or brackets.
PHONE_SQL = r"\+?[0-9][0-9 ().\-]{5,22}[0-9]"
# Phones inside free text: China's mobiles (optional +86, 3-4-4 groups) and area-coded landlines.
# Narrower than a customer key's rule so that dates and times in quarantined records stay readable.
PHONE_TEXT = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])"
    r"|(?<![0-9])0[1-9][0-9]{1,2}-[0-9]{7,8}(?![0-9])"
)
# pk_phone_digits: a phone's digits (China's +86/0086 dropped before a mobile), NULL if not a phone;
# pk_phone_hash and pk_phone_mask work on those digits (compute them once per row: macros inline).
MACROS = """
CREATE OR REPLACE TEMP MACRO pk_phone_strip(x) AS (regexp_replace(trim(x), '[ ().+\\-]', '', 'g'));
CREATE OR REPLACE TEMP MACRO pk_phone_digits(x) AS (
    CASE WHEN regexp_full_match(trim(x), '{phone}') THEN
        CASE WHEN regexp_full_match(pk_phone_strip(x), '(?:86|0086)?1[3-9][0-9]{{9}}') THEN right(pk_phone_strip(x), 11)
             WHEN regexp_full_match(pk_phone_strip(x), '[0-9]{{7,15}}') THEN pk_phone_strip(x) END
    END);
CREATE OR REPLACE TEMP MACRO pk_phone_hash(d) AS (
    'ph_' || left(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(d)))), 32));
CREATE OR REPLACE TEMP MACRO pk_phone_mask(d) AS (
    CASE WHEN length(d) >= 11 THEN left(d, 3) || repeat('*', length(d) - 7) || right(d, 4)
         ELSE left(d, 2) || repeat('*', length(d) - 4) || right(d, 2) END);
"""


def _pads(secret: str) -> tuple[str, str]:
    """HMAC-SHA256's inner and outer padded keys, in hex (RFC 2104)."""
    key = secret.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()


def store_secret(store: Store) -> str:
    """The store's phone key, made on first use (env `PEAKEND_PHONE_KEY`, else random)."""
    found = store.scalar("SELECT value FROM settings WHERE name = ?", [KEY_SETTING])
    if found:
        return str(found)
    made = os.environ.get("PEAKEND_PHONE_KEY") or secrets.token_hex(32)
    store.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", [KEY_SETTING, made])
    return str(store.scalar("SELECT value FROM settings WHERE name = ?", [KEY_SETTING]))


def register(store: Store) -> None:
    """Give the staging connection the `pk_phone_*` macros (once)."""
    with store.lock:
        if "phone_macros" in store.prepared:
            return
        ipad, opad = _pads(store_secret(store))
        store.stage.execute(MACROS.format(phone=PHONE_SQL, ipad=ipad, opad=opad))
        store.prepared.add("phone_macros")


def key_sql(raw: str, digits: str) -> str:
    """SQL for a stored customer key, given the raw key and its `pk_phone_digits`."""
    return f"CASE WHEN {digits} IS NULL THEN {raw} ELSE pk_phone_hash({digits}) END"


def mask_sql(digits: str) -> str:
    """SQL for a customer key's display form (NULL unless it is a phone)."""
    return f"pk_phone_mask({digits})"


def _one(store: Store, sql: str, text: str | None) -> str | None:
    register(store)
    query = f"SELECT {sql} FROM (SELECT x, pk_phone_digits(x) AS d FROM (SELECT ?::VARCHAR AS x))"
    with store.lock:
        return store.stage.execute(query, [text]).fetchall()[0][0]


def customer_key(store: Store, text: str | None) -> str | None:
    """The stored form of a customer key: a phone number hashed, anything else as given."""
    return _one(store, key_sql("x", "d"), text)


def mask_phone(store: Store, text: str | None) -> str | None:
    """The display form of a phone number (None if `text` is not one)."""
    return _one(store, mask_sql("d"), text)


def mask_phones_in(text: str | None) -> str | None:
    """Text with every China mobile or area-coded landline in it masked (for quarantine)."""
    if not text:
        return text

    def masked(m: re.Match[str]) -> str:
        digits = re.sub(r"[^0-9]", "", m.group(0))
        digits = digits[-11:] if digits.startswith(("86", "0086")) and len(digits) > 11 else digits
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]

    return PHONE_TEXT.sub(masked, text)


__all__ = ["customer_key", "key_sql", "mask_phone", "mask_phones_in", "mask_sql", "register", "store_secret"]
