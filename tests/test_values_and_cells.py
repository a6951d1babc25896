"""Small holes of the trust boundary, each closed as a class with generated input: a UTC offset out of range is
refused (not dropped), integers are read only in decimal (not 0x7fffffff), and an export cell a spreadsheet would
run as a formula — in ASCII, full-width or small forms, after spaces or invisible characters — is made inert."""

from __future__ import annotations

import io
import unicodedata
from datetime import datetime

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from peakend.ingest import pipeline
from peakend.ingest.cells import FORMULA_START, inert
from peakend.ingest.validate import Context
from peakend.store.db import connect

TODAY = datetime.now().strftime("%Y-%m-%d")


def problems(bp, field: str, values: list[str]) -> dict[int, tuple[str, str]]:
    """Each value sent as `field` of a touch (one record each): the (code, English message) of those refused."""
    records = [{"visit_id": f"v{i}", "hall_id": "H", "moment_id": "entering", field: v} for i, v in enumerate(values)]
    with connect(":memory:") as store:
        got = pipeline.ingest_records(store, records, "touch", Context(bp), "api")
    return {p["row"]: (p["code"], p["message_en"]) for p in got.problems if p["field"] == field}


def refused_offset(sign: str, hours: int, minutes: int) -> bool:
    """Whether an offset is outside UTC-12:00 … UTC+14:00 or has minutes past 59 (worked out here, not in SQL)."""
    total = hours * 60 + minutes
    return minutes > 59 or total > (12 * 60 if sign == "-" else 14 * 60)


OFFSET = st.tuples(st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99), st.booleans())


@settings(max_examples=10, deadline=None)
@given(st.lists(OFFSET, min_size=1, max_size=30))
def test_a_utc_offset_out_of_range_is_refused_naming_the_range(bp, offsets):
    texts = [f"{TODAY}T10:00:00{s}{h:02d}{':' if colon else ''}{m:02d}" for s, h, m, colon in offsets]
    found = problems(bp, "start_at", texts)
    for i, (sign, hours, minutes, _) in enumerate(offsets):
        if refused_offset(sign, hours, minutes):
            code, message = found[i]
            assert code == "bad_offset" and "-12:00 … +14:00" in message and texts[i] in message
        else:
            assert found.get(i, ("",))[0] != "bad_offset"


def test_the_offsets_of_the_issue(bp):
    found = problems(bp, "start_at", [f"{TODAY}T10:00:00+99:00", f"{TODAY} 10:00+08:00", f"{TODAY}T10:00:00-05:30",
                                      f"{TODAY} 10:00:00+14:01", f"{TODAY}"])
    assert found[0] == ("bad_offset", f"api row 0: field 'start_at' has a UTC offset outside -12:00 … +14:00 (or "
                                      f"minutes past 59): '{TODAY}T10:00:00+99:00'")
    assert 1 not in found and 2 not in found and 4 not in found  # a date alone ends in -dd: not an offset
    assert found[3][0] == "bad_offset"


@settings(max_examples=10, deadline=None)
@given(st.lists(st.one_of(
    st.integers(0, 2**31 - 1).map(lambda n: (str(n), True)),
    st.integers(0, 2**31 - 1).map(lambda n: (f" +{n} ", True)),
    st.integers(0, 2**31 - 1).map(lambda n: (hex(n), False)),
    st.integers(0, 2**31 - 1).map(lambda n: (bin(n), False)),
    st.integers(1000, 2**31 - 1).map(lambda n: (f"{n:_}", False)),
    st.integers(1, 9).map(lambda n: (f"{n}e3", False)),
), min_size=1, max_size=30))
def test_integers_are_read_in_decimal_only(bp, seqs):
    found = problems(bp, "seq", [text for text, _ in seqs])
    for i, (text, decimal) in enumerate(seqs):
        if decimal:
            assert i not in found, (text, found.get(i))
        else:
            assert found[i] == ("not_integer", f"api row {i}: field 'seq' expected a whole number, got '{text}'")


def test_seq_0x7fffffff_is_not_a_number(bp):
    assert problems(bp, "seq", ["0x7fffffff"])[0][0] == "not_integer"
    assert problems(bp, "wait_min", ["1_000", "0x10", "2.5", "inf"]).keys() == {0, 1, 3}  # inf: out of range


# Every form NFKC reads as a formula starter: ASCII, full-width, small forms (＝ ﹦ ＋ ﹢ － ﹣ ＠ ﹫ ｜ …).
STARTERS = sorted({c for c in map(chr, range(0x10000)) if unicodedata.normalize("NFKC", c) in FORMULA_START}
                  | set(FORMULA_START))
LEADS = [" ", "\u3000", "\u00a0", "\u200b", "\ufeff", "\u2060"]


@given(st.lists(st.sampled_from(LEADS), max_size=3).map("".join), st.sampled_from(STARTERS), st.text(max_size=20))
def test_text_a_spreadsheet_would_run_is_made_inert(lead, starter, rest):
    value = lead + starter + rest
    assert inert(value) == "'" + value


@given(st.text(max_size=20))
def test_other_text_and_other_values_are_left_alone(text):
    shown = next((unicodedata.normalize("NFKC", c)[:1] for c in text if c in "\t\r\n" or
                  (not c.isspace() and unicodedata.category(c) != "Cf")), "")
    assert inert(text) == ("'" + text if shown in FORMULA_START else text)
    assert inert(3) == 3 and inert(None) is None and inert(-1.5) == -1.5


def test_the_cells_of_the_issue_and_a_spreadsheet_reading_them():
    cells = ["＝1+1", "|calc", "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "﹦1+1", "\u200b=1+1", "ok", "中文"]
    assert [inert(c) for c in cells] == ["'＝1+1", "'|calc", "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "'\r=1",
                                         "'﹦1+1", "'\u200b=1+1", "ok", "中文"]
    wb = openpyxl.Workbook()
    wb.active.append([inert(c) for c in cells])
    buf = io.BytesIO()
    wb.save(buf)
    row = next(openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active.iter_rows())
    assert [c.data_type for c in row] == ["s"] * len(cells)  # openpyxl writes "=…" as a formula; none is one


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=False, width=64), st.sampled_from(["%.1f", "%+.3f", "%.0f", "%.2f"]))
def test_a_page_never_prints_nan_or_minus_zero(value, spec):
    """Every value a template prints goes through `shown` (Jinja's finalize) and every number through the `format`
    filter: a missing value is a dash, a value that rounds to zero has no minus; others print as `%` formats them."""
    import math

    from peakend.i18n import percent_format
    from peakend.web.pages import shown, templates

    out = templates.env.from_string("{{ x }}|{{ f | format(x) }}").render(x=value, f=spec)
    printed, formatted = out.split("|")
    if math.isnan(value):
        assert printed == "–"
        return
    assert "nan" not in printed and printed != "-0.0"
    assert formatted == percent_format(spec, value)
    expected = spec % value  # by hand: a minus before a zero is dropped (a "+" format keeps its sign: "+0.000")
    if expected.startswith("-") and not any(c in "123456789" for c in expected):
        expected = ("+" if "+" in spec else "") + expected[1:]
    assert formatted == expected
    assert shown(None) == "–" and shown(float("nan")) == "–" and shown(-0.0) == 0.0 and shown("None") == "None"
