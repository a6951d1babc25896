"""Customer phone numbers are never stored in clear.

A phone number given as a customer key becomes `ph_` + HMAC-SHA256 of its digits under the
store's phone key (so the same phone joins across visits, files, the API and SMS replies,
however it was written) and a masked form for display (`138****5678`). Both are DuckDB
macros on the staging connection, so millions of rows are keyed at SQL speed; the Python
helpers call the same macros. The phone key is made once per store (from env
`PEAKEND_PHONE_KEY` when set at that time, else at random) and kept in its `store_secrets` table.
Quarantined records and messages have phone numbers masked too.

The one phone finder reads text normalised (`normalised`): NFKC (full-width and other compatibility forms as
ASCII), format characters such as zero-width spaces dropped, any script's decimal digits as 0–9; a China mobile
may have a separator between any two digits (`1 3 9 1 1 1 1 2 2 3 0`). What it replaces is the span of the
original text the phone took, so the rest of a text is kept as written.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import sys
import unicodedata
import weakref
from collections.abc import Callable

import pyarrow as pa
from duckdb.func import PythonUDFType
from duckdb.sqltypes import VARCHAR

from peakend import settings
from peakend.contract import FULL_WIDTH, HALF_WIDTH
from peakend.store.db import Store

KEY_SETTING = "phone_key"
_secrets: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()  # each open store's phone key
_registered: weakref.WeakSet[Store] = weakref.WeakSet()  # stores whose staging connection has the helpers
# A phone as people write it: optional tel:, optional +, digits with spaces, dashes, dots or brackets.
PHONE_SQL = r"\+?[0-9][0-9 ().\-]{5,22}[0-9]"
# Phones inside any text (as `normalised` reads it): China's mobiles with or without +86/0086 and with any
# separators between digits, area-coded landlines, and international numbers written with + or 00.
# Narrower than a customer key's rule so that dates, times and ids in records stay readable.
_SEP = r"[ .\-]?"
PHONE_TEXT = re.compile(
    r"(?<![0-9])(?:tel:\s*)?(?:"
    r"(?:(?:(?:\+|00)?\s?86|\(\s?\+?86\s?\))[ .\-]?)?\(?1" + _SEP + r"[3-9](?:\)?" + _SEP + r"[0-9]){9}"  # mobile
    r"|\(?0[1-9][0-9]{1,2}\)?" + _SEP + r"[0-9]{3,4}" + _SEP + r"[0-9]{4}"  # landline with area code
    r"|(?:\+|00)[1-9](?:[ .\-()]{0,2}[0-9]){7,14}"  # international
    r")(?![0-9])",
    re.IGNORECASE,
)
# Cells that may hold a phone (DuckDB's RE2, before the Python pass): seven digits of any script or form, with
# spaces, format characters (zero-width) or phone separators between them.
MAYBE_PHONE = r"\pN(?:[\p{Zs}\p{Cf}().\-－（）]{0,4}\pN){6}"
# pk_phone_digits: a phone's digits (China's +86/0086 dropped before a mobile), NULL if not a phone;
# pk_phone_hash and pk_phone_mask work on those digits (compute them once per row: macros inline). Only a text with
# a character beyond ASCII is translated (every digit of every script to ASCII): the translation's map of some 700
# characters cost 0.1 ms a cell, 1 s of an 8,000-row file's 2.8 s ingest.
MACROS = """
CREATE OR REPLACE TEMP MACRO pk_phone_norm(x) AS (
    regexp_replace(CASE WHEN regexp_matches(x, '[^\\x00-\\x7f]')
                        THEN translate(regexp_replace(trim(x), '\\p{{Cf}}', '', 'g'), '{wide}', '{narrow}')
                        ELSE trim(x) END,
                   '^[Tt][Ee][Ll]:\\s*', ''));
CREATE OR REPLACE TEMP MACRO pk_phone_strip(x) AS (regexp_replace(pk_phone_norm(x), '[ ().+\\-]', '', 'g'));
CREATE OR REPLACE TEMP MACRO pk_phone_digits(x) AS (
    CASE WHEN regexp_full_match(pk_phone_norm(x), '{phone}') THEN
        CASE WHEN regexp_full_match(pk_phone_strip(x), '(?:86|0086)?1[3-9][0-9]{{9}}') THEN right(pk_phone_strip(x), 11)
             WHEN regexp_full_match(pk_phone_strip(x), '[0-9]{{7,15}}') THEN pk_phone_strip(x) END
    END);
CREATE OR REPLACE TEMP MACRO pk_phone_hash(d) AS (
    'ph_' || left(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(d)))), 32));
CREATE OR REPLACE TEMP MACRO pk_phone_mask(d) AS (
    CASE WHEN length(d) >= 11 THEN left(d, 3) || repeat('*', length(d) - 7) || right(d, 4)
         ELSE left(d, 2) || repeat('*', length(d) - 4) || right(d, 2) END);
"""


@functools.cache
def other_digits() -> tuple[str, str]:
    """The decimal digits of every script but ASCII and full-width (those are in FULL_WIDTH), and their values."""
    digits = "".join(c for c in map(chr, range(0x80, sys.maxunicode + 1))
                     if unicodedata.decimal(c, None) is not None and c not in FULL_WIDTH)
    return digits, "".join(str(unicodedata.decimal(c)) for c in digits)


def _pads(secret: str) -> tuple[str, str]:
    """HMAC-SHA256's inner and outer padded keys, in hex (RFC 2104)."""
    key = secret.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()


def store_secret(store: Store) -> str:
    """The store's phone key, made on first use (env `PEAKEND_PHONE_KEY`, else random); kept in memory once read."""
    if store in _secrets:
        return _secrets[store]
    found = store.scalar("SELECT value FROM store_secrets WHERE name = ?", [KEY_SETTING])
    if not found:
        made = settings.get("phone_key") or secrets.token_hex(32)
        store.execute("INSERT INTO store_secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                      [KEY_SETTING, made])
        found = store.scalar("SELECT value FROM store_secrets WHERE name = ?", [KEY_SETTING])
    _secrets[store] = str(found)
    return str(found)


def register(store: Store) -> None:
    """Give the staging connection the `pk_phone_*` macros and the `pk_scrub_*` functions (once)."""
    with store.lock:
        if store in _registered:
            return
        secret = store_secret(store)
        ipad, opad = _pads(secret)
        digits, values = other_digits()
        wide, narrow = (FULL_WIDTH + digits).replace("'", "''"), (HALF_WIDTH + values).replace("'", "''")
        store.stage.execute(MACROS.format(phone=PHONE_SQL, ipad=ipad, opad=opad, wide=wide, narrow=narrow))
        for name, fn in (("pk_scrub_key", lambda t: hash_phones_in(secret, t)), ("pk_scrub_text", mask_phones_in)):
            store.stage.create_function(name, _column_scrubber(fn), [VARCHAR], VARCHAR, type=PythonUDFType.ARROW,
                                        side_effects=False)
        _registered.add(store)


def _column_scrubber(scrub: Callable[[str], str | None]) -> Callable[[pa.Array], pa.Array]:
    """An Arrow function applying `scrub` to every cell (`scrub_sql` hands it only cells that may hold a phone)."""

    def column(cells: pa.Array) -> pa.Array:
        return pa.array([scrub(x) if x is not None else None for x in cells.to_pylist()], pa.string())

    return column


def scrub_sql(raw: str, key: bool) -> str:
    """SQL for a text as stored: each phone in it hashed (`key`) or masked. Only cells that may hold a phone
    (RE2 in DuckDB) reach the Python function."""
    fn = "pk_scrub_key" if key else "pk_scrub_text"
    return f"CASE WHEN regexp_matches({raw}, '{MAYBE_PHONE}') THEN {fn}({raw}) ELSE {raw} END"


def key_sql(raw: str, digits: str) -> str:
    """SQL for a stored customer key, given the raw key and its `pk_phone_digits`."""
    return f"CASE WHEN {digits} IS NULL THEN {scrub_sql(raw, key=True)} ELSE pk_phone_hash({digits}) END"


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


def normalised(text: str) -> tuple[str, list[int] | None]:
    """`text` as the phone finder reads it, and each of its characters' index in `text` (None: the same text):
    NFKC character by character, format characters (Cf: zero-width spaces, joiners, marks) dropped, any script's
    decimal digits as ASCII."""
    if text.isascii():
        return text, None
    out: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        if c.isascii():
            out.append(c)
            where.append(i)
        elif unicodedata.category(c) != "Cf":
            for d in unicodedata.normalize("NFKC", c):
                value = unicodedata.decimal(d, None)
                out.append(d if value is None else str(value))
                where.append(i)
    return "".join(out), where


def phone_digits(text: str) -> str | None:
    """A written phone's digits as the store keys them (China's +86/0086 dropped before a mobile), or None."""
    digits = re.sub(r"[ ().+\-]", "", re.sub(r"^tel:\s*", "", normalised(text)[0].strip(), flags=re.I))
    if re.fullmatch(r"(?:86|0086)?1[3-9][0-9]{9}", digits):
        return digits[-11:]
    return digits if re.fullmatch(r"[0-9]{7,15}", digits) else None


def masked(digits: str) -> str:
    """The display form of a phone's digits: 138****5678, or 2 + stars + 2 for short numbers."""
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def hashed(secret: str, digits: str) -> str:
    """The join key of a phone's digits: `ph_` + HMAC-SHA256 under the store's key (as `pk_phone_hash`)."""
    return "ph_" + hmac.new(secret.encode(), digits.encode(), hashlib.sha256).hexdigest()[:32]


def _replace_phones(text: str | None, replace: Callable[[str], str]) -> str | None:
    if not text:
        return text
    narrow, where = normalised(text)
    out, last = [], 0
    for m in PHONE_TEXT.finditer(narrow):
        digits = phone_digits(m.group(0)) or re.sub(r"[^0-9]", "", m.group(0))
        start, end = (m.start(), m.end()) if where is None else (where[m.start()], where[m.end() - 1] + 1)
        start = max(start, last)  # one character NFKC made several of (a circled 12) may end one phone, start another
        out += [text[last:start], replace(digits)]
        last = max(end, start)
    return "".join(out) + text[last:] if out else text


def mask_phones_in(text: str | None) -> str | None:
    """Text with every phone in it masked (free text: comments, notes, replies, quarantined records)."""
    return _replace_phones(text, masked)


def hash_phones_in(secret: str, text: str | None) -> str | None:
    """Text with every phone in it replaced by its join key (ids and keys: staff, visit and touch ids)."""
    return _replace_phones(text, lambda digits: hashed(secret, digits))


def key_text(store: Store, text: str | None) -> str | None:
    """An id or key as the store keeps it (phones in it hashed), for looking up what ingest stored."""
    return hash_phones_in(store_secret(store), text)


__all__ = ["customer_key", "hash_phones_in", "key_sql", "key_text", "mask_phone", "mask_phones_in", "mask_sql",
           "register", "store_secret"]
