"""Customer phone numbers are never stored in clear: a keyed hash to join, a masked form to show."""

from __future__ import annotations

import functools
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peakend.ingest.pipeline import ingest_file, ingest_records
from peakend.ingest.privacy import customer_key, hash_phones_in, mask_phone, mask_phones_in, store_secret
from peakend.ingest.validate import Context
from tests.conftest import write_csv

HEADER = ["visit_id", "hall_id", "customer_key", "moment_id", "seq", "start_at", "rating", "rating_scale"]
MOBILE = "13812345678"


@pytest.mark.parametrize(
    ("given", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("008613812345678", "138****5678"),
        ("010-12345678", "010****5678"),
        ("C0001234", None),
        ("12345", None),
        (None, None),
    ],
)
def test_mask_phone(duck, given, masked):
    assert mask_phone(duck, given) == masked


def hmac_key(secret: str, digits: str) -> str:
    """The expected join key, by Python's hmac module (the store computes it in SQL)."""
    return "ph_" + hmac.new(secret.encode(), digits.encode(), hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize("secret", ["k", "x" * 64, "长密钥" * 40])  # short, one block, hashed first
def test_phone_key_is_hmac_of_the_digits_and_ignores_how_it_was_written(duck, secret):
    duck.execute("INSERT INTO store_secrets VALUES ('phone_key', ?)", [secret])
    expected = hmac_key(secret, MOBILE)
    assert customer_key(duck, MOBILE) == customer_key(duck, "+86 138 1234 5678") == expected
    assert customer_key(duck, "0086-138-1234-5678") == expected
    assert customer_key(duck, "010-12345678") == hmac_key(secret, "01012345678")
    assert customer_key(duck, "C0001234") == "C0001234"
    assert customer_key(duck, None) is None


def test_masking_in_free_text_leaves_dates_and_times_alone():
    text = '{"phone": "13812345678", "at": "2026-11-02 09:30:00", "t": "20261102093000", "tel": "020-87654321"}'
    assert mask_phones_in(text) == (
        '{"phone": "138****5678", "at": "2026-11-02 09:30:00", "t": "20261102093000", "tel": "020****4321"}'
    )


SPELLINGS = {  # how the hostile test wrote 139 1111 2227 (one of each), and other scripts' digits
    "zero-width spaces": "139\u200b1111\u200b2227",
    "Arabic-Indic digits": "١٣٩١١١١٢٢٢٧",
    "a space between every digit": "1 3 9 1 1 1 1 2 2 2 7",
    "word joiner and BOM": "1\u20603911\ufeff112227",
    "Devanagari digits": "१३९११११२२२७",
    "mathematical bold": "𝟏𝟑𝟗𝟏𝟏𝟏𝟏𝟐𝟐𝟐𝟕",
    "circled": "①③⑨①①①①②②②⑦",
    "full-width with +86": "＋８６ １３９ １１１１ ２２２７",
}


@pytest.mark.parametrize("how", sorted(SPELLINGS))
def test_phones_in_any_script_or_with_invisible_characters_are_found(duck, how):
    written = SPELLINGS[how]
    assert mask_phones_in(f"请回电{written}。谢谢") == "请回电139****2227。谢谢"
    assert hash_phones_in("k", f"工号{written}") == "工号" + hmac_key("k", "13911112227")
    duck.execute("INSERT INTO store_secrets VALUES ('phone_key', 'k')")
    assert customer_key(duck, written) == hmac_key("k", "13911112227")  # the same key as 13911112227


@given(st.lists(st.sampled_from(["\u200b", "\u200c", "\u2060", "\ufeff", " ", "-"]), min_size=10, max_size=10),
       st.sampled_from(["0", "٠", "۰", "०", "๐", "０"]), st.text(st.characters(codec="utf-8"), max_size=12))
@settings(max_examples=200, deadline=None)
def test_masking_keeps_the_text_around_a_phone_as_written(gaps, zero, around):
    """Only the phone's own span changes, whatever lies between its digits; the text around it is kept."""
    digits = "13911112227"
    written = "".join(chr(ord(zero) + int(d)) + (gaps[i] if i < 10 else "") for i, d in enumerate(digits))
    left, right = f"{around}说", f"了{around}"
    assert mask_phones_in(left + written + right) == left + "139****2227" + right


def all_text(store) -> str:
    """Every stored value of every table, as one text, to search for a phone in clear."""
    tables = [r[0] for r in store.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('main', 'public') "
        "AND table_catalog <> 'temp' AND table_type = 'BASE TABLE'")]
    out = []
    for t in tables:
        rows = store.rows(f"SELECT * FROM {t}")
        out += [f"{t}: {v}" for row in rows for v in row]
    return "\n".join(out)


def test_phones_are_hashed_masked_and_join_across_file_and_api(store, bp, tmp_path):
    rows = [
        ["v1", "H", MOBILE, "entering", 1, "2026-11-02 09:00", 4, "1-5"],
        ["v2", "H", "C0001234", "entering", 1, "2026-11-02 10:00", 4, "1-5"],
        ["v3", "H", "+86 139 0000 1111", "entering", 1, "2026-11-02 11:00", 9, "1-5"],  # bad rating
    ]
    result = ingest_file(store, write_csv(tmp_path / "p.csv", HEADER, rows), Context(bp))
    assert (result.stored, result.quarantined) == (2, 1)
    api = ingest_records(store, [{"visit_id": "v4", "hall_id": "H", "customer_key": "+86 138-1234-5678",
                                  "moment_id": "entering"}], "touch", Context(bp), "api")
    assert api.stored == 1
    expected = hmac_key(store_secret(store), MOBILE)
    got = dict(store.rows("SELECT visit_id, customer_key || '|' || coalesce(customer_mask, '') FROM visits"))
    assert got == {"v1": f"{expected}|138****5678", "v2": "C0001234|", "v4": f"{expected}|138****5678"}
    text = all_text(store)
    for clear in (MOBILE, "1234-5678", "139 0000 1111", "13900001111"):
        assert clear not in text
    assert "139****1111" in text  # the quarantined row is kept, with its phone masked


def test_the_phone_key_is_made_once_per_store(store, monkeypatch):
    monkeypatch.setenv("PEAKEND_PHONE_KEY", "from-env")
    assert store_secret(store) == "from-env"
    monkeypatch.setenv("PEAKEND_PHONE_KEY", "changed-later")
    assert store_secret(store) == "from-env"


@functools.cache
def phone_reader():
    """A store's staging connection with the phone macros, and the normalisation as it was without the ASCII
    shortcut (every text translated)."""
    from peakend.ingest import privacy
    from peakend.store.db import connect

    s = connect(":memory:")
    privacy.register(s)
    digits, values = privacy.other_digits()
    wide = (privacy.FULL_WIDTH + digits).replace("'", "''")
    narrow = (privacy.HALF_WIDTH + values).replace("'", "''")
    always = (f"regexp_replace(translate(regexp_replace(trim(x), '\\p{{Cf}}', '', 'g'), '{wide}', '{narrow}'), "
              "'^[Tt][Ee][Ll]:\\s*', '')")
    return s, f"SELECT pk_phone_norm(x), {always} FROM (SELECT ?::VARCHAR AS x)"


PHONE_PARTS = ["\u200b", "\ufeff", "１", "٣", "８", "（", "＋", *"0123456789 +-().tT:elL\t"]


@given(st.text(st.one_of(st.sampled_from(PHONE_PARTS), st.characters(codec="utf-8")), max_size=24))
@settings(max_examples=300, deadline=None)
def test_the_store_reads_a_phone_the_same_with_or_without_its_ascii_shortcut(text):
    """pk_phone_norm skips the translation of every script's digits for an all-ASCII text: the same text as the
    macro without the shortcut (translating always, as it did before), whatever the text."""
    store, sql = phone_reader()
    with store.lock:
        new, old = store.stage.execute(sql, [text]).fetchone()
    assert new == old
