"""Readers do bounded work and never raise: columns, cell length, JSON nesting and line length, a workbook's
unpacked size, packing ratio and sheet extent are limited, and a malformed file of any supported type is named
as unreadable (ingest quarantines it; `preview` reports it) — proved on generated corruptions of valid files."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter

from peakend.ingest import readers
from peakend.ingest.pipeline import ingest_file
from peakend.ingest.readers import MAX_COLUMNS, detect_encoding, excel_sheets, preview
from peakend.ingest.validate import Context
from peakend.store.db import connect

HEADER = ["visit_id", "hall_id", "segment"]
ROWS = [["v1", "H1", "普通"], ["v2", "H1", "VIP"], ["v3", "H2", "普通"]]


def csv_bytes(sep: str = ",") -> bytes:
    return "\n".join(sep.join(r) for r in [HEADER, *ROWS]).encode() + b"\n"


def jsonl_bytes() -> bytes:
    return "".join(json.dumps(dict(zip(HEADER, r, strict=True)), ensure_ascii=False) + "\n" for r in ROWS).encode()


def parquet_bytes() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({h: [r[i] for r in ROWS] for i, h in enumerate(HEADER)}), out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    for r in [HEADER, *ROWS]:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def ods_bytes() -> bytes:
    """A minimal OpenDocument spreadsheet (content.xml, manifest, mimetype), as LibreOffice lays it out."""
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    rows = "".join("<table:table-row>" + "".join(cell.format(c) for c in r) + "</table:table-row>"
                   for r in [HEADER, *ROWS])
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                'manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.'
                'oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return out.getvalue()


VALID = {".csv": csv_bytes(), ".tsv": csv_bytes("\t"), ".jsonl": jsonl_bytes(), ".parquet": parquet_bytes(),
         ".xlsx": xlsx_bytes(), ".ods": ods_bytes()}
BINARY = {".parquet", ".xlsx", ".ods", ".xls"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory, bp):
    """One store and folder for the whole module (Hypothesis runs many examples against them)."""
    store = connect(":memory:")
    yield store, tmp_path_factory.mktemp("files"), Context(bp)
    store.close()


def quarantine_codes(store, source: str) -> list[str]:
    return [r[0] for r in store.rows("SELECT code FROM quarantine WHERE source = ? ORDER BY row_number", [source])]


@pytest.mark.parametrize("suffix", sorted(VALID))
def test_the_valid_files_are_read_whole(shared, suffix):
    """The files corrupted below are read as they are: three visits stored, nothing quarantined."""
    store, folder, ctx = shared
    path = folder / f"valid{suffix}"
    path.write_bytes(VALID[suffix])
    assert preview(path).columns == HEADER
    result = ingest_file(store, path, ctx)
    assert (result.rows, result.quarantined, result.stored + result.duplicates) == (3, 0, 3), result.notes


@st.composite
def corrupted(draw) -> tuple[str, bytes, str]:
    """A supported file (suffix and bytes) damaged one way, and how."""
    suffix = draw(st.sampled_from([*sorted(VALID), ".xls"]))
    good = VALID.get(suffix, VALID[".xlsx"][:512])  # .xls: no writer here; its damage is all there is
    how = draw(st.sampled_from(["truncate", "flip", "insert", "random", "empty", "other type"]))
    if how == "truncate":
        data = good[:draw(st.integers(0, len(good) - 1))]
    elif how == "flip":
        at = draw(st.lists(st.integers(0, len(good) - 1), min_size=1, max_size=8))
        data = bytearray(good)
        for i in at:
            data[i] ^= draw(st.integers(1, 255))
        data = bytes(data)
    elif how == "insert":
        at = draw(st.integers(0, len(good)))
        data = good[:at] + draw(st.binary(min_size=1, max_size=64)) + good[at:]
    elif how == "random":
        data = draw(st.binary(min_size=1, max_size=2048))
    elif how == "empty":
        data = b""
    else:  # the bytes of another type under this name: CSV bytes named .xlsx, a workbook named .jsonl …
        data = VALID[draw(st.sampled_from(sorted(set(VALID) - {suffix})))]
    return suffix, data, how


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corrupted())
def test_a_damaged_file_of_any_type_is_named_never_raised(shared, damaged):
    store, folder, ctx = shared
    suffix, data, how = damaged
    path = folder / f"damaged{suffix}"
    path.write_bytes(data)
    shown = preview(path)  # never raises
    assert detect_encoding(path) and isinstance(excel_sheets(path), list)
    result = ingest_file(store, path, ctx)  # never raises
    unreadable = [p for p in shown.problems if p.code == "unreadable"]
    if unreadable:  # preview and ingest agree: named, quarantined, nothing read
        assert not shown.columns and unreadable[0].value
        assert result.quarantined == 1 and result.stored == 0 and str(path) in " ".join(result.notes)
    accounted = result.stored + result.duplicates + result.quarantined
    # stored, quarantined, or a note says why not; or a header cut after its line: no rows, and the summary says 0
    assert accounted >= 1 or result.notes or (result.rows == 0 and result.kind), (how, result)
    if suffix in BINARY and how in ("truncate", "empty", "random") and len(data) < len(VALID.get(suffix, b"")) // 2:
        assert result.quarantined >= 1 and result.stored == 0, (how, len(data), result)


def test_a_csv_cell_over_the_field_limit_quarantines_its_row_only(shared):
    store, folder, ctx = shared
    path = folder / "long_cell.csv"
    path.write_text("visit_id,hall_id,segment\nv1,H1," + "长" * 131_073 + "\nlc2,H1,普通\n", "utf-8")
    result = ingest_file(store, path, ctx)
    assert (result.rows, result.quarantined, result.stored) == (2, 1, 1)
    assert quarantine_codes(store, str(path)) == ["cell_too_long"]
    message = store.scalar("SELECT message_en FROM quarantine WHERE source = ?", [str(path)])
    assert message == f"{path} row 2: a cell is longer than 131,072 characters; the row is quarantined"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".xlsx"])
def test_more_columns_than_the_limit_are_refused_before_reading_rows(shared, suffix):
    store, folder, ctx = shared
    names = [f"c{i}" for i in range(MAX_COLUMNS + 1)]
    path = folder / f"wide{suffix}"
    if suffix == ".csv":
        path.write_text(",".join(names) + "\n" + ",".join("1" * len(names)) + "\n")
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps({n: 1 for n in names[i::2]}) + "\n" for i in range(2)))
    elif suffix == ".parquet":
        pq.write_table(pa.table({n: [1] for n in names}), path)
    else:
        wb = openpyxl.Workbook()
        wb.active.append(names)
        wb.save(path)
    assert preview(path).problems[0].value == f"{MAX_COLUMNS + 1:,} columns; at most {MAX_COLUMNS:,} are read"
    result = ingest_file(store, path, ctx)
    assert result.quarantined == 1 and "2,001 columns; at most 2,000 are read" in result.notes[0]


def test_jsonl_nesting_and_overlong_lines_are_quarantined_and_the_rest_read(shared, monkeypatch):
    store, folder, ctx = shared
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 150_000)
    path = folder / "deep.jsonl"
    lines = ["[" * 100_000, json.dumps({"visit_id": "jn1", "hall_id": "H1", "x": "y" * 200_000}),
             json.dumps({"visit_id": "jn2", "hall_id": "H1", "nested": [[1, {"a": 2}]]})]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = ingest_file(store, path, ctx)
    assert (result.rows, result.stored, result.quarantined) == (3, 1, 2)
    assert quarantine_codes(store, str(path)) == ["bad_json", "line_too_long"]
    assert preview(path).problems[0].value == "nested too deep"


def workbook_with(part: str, data: bytes) -> bytes:
    """The valid workbook with one part replaced."""
    src, out = zipfile.ZipFile(io.BytesIO(VALID[".xlsx"])), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, data if info.filename == part else src.read(info.filename))
    return out.getvalue()


def understated(data: bytes, part: str, claimed: int) -> bytes:
    """A workbook whose `part` declares `claimed` bytes unpacked (and that many bytes' CRC) but holds more."""
    raw = bytearray(workbook_with(part, data))
    size, crc = struct.pack("<I", len(data)), struct.pack("<I", zlib.crc32(data))
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size in local and central headers
        i = raw.find(sig)
        while i >= 0:
            if raw[i + off:i + off + 4] == size and raw[i + off - 8:i + off - 4] == crc:
                raw[i + off - 8:i + off - 4] = struct.pack("<I", zlib.crc32(data[:claimed]))
                raw[i + off:i + off + 4] = struct.pack("<I", claimed)
            i = raw.find(sig, i + 4)
    return bytes(raw)


SHEET = "xl/worksheets/sheet1.xml"


def sheet_xml(cells: str) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>' + cells.encode() + b"</sheetData></worksheet>")


BOMBS = {
    # 24 MB of one repeated row packed ~1,000 times: refused by its packing ratio
    "ratio": (workbook_with(SHEET, sheet_xml('<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
                                             * 400_000)), "times its packed size; at most 100 times is read"),
    # two cells, at A1 and XFD1048576: calamine would allocate the whole extent (and abort the process)
    "extent": (workbook_with(SHEET, sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">'
                                              '<c r="XFD1048576"><v>1</v></c></row>')),
               "spans 17,179,869,184 cells"),
    # a part that claims 1,000 bytes (and their CRC) but unpacks to 2 MB
    "liar": (understated(sheet_xml("<row/>" * 400_000), SHEET, 1000), "holds more than the 1,000 bytes it declares"),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_workbook_bombs_are_refused_before_calamine_opens_them(shared, monkeypatch, bomb):
    store, folder, ctx = shared
    data, why = BOMBS[bomb]
    path = folder / f"bomb_{bomb}.xlsx"
    path.write_bytes(data)

    def never(*_: object) -> None:
        raise AssertionError("calamine opened a workbook the checks should have refused")

    monkeypatch.setattr(readers.CalamineWorkbook, "from_path", never)
    shown = preview(path)
    assert shown.problems[0].code == "unreadable" and why in shown.problems[0].value
    assert excel_sheets(path) == []
    result = ingest_file(store, path, ctx)
    assert quarantine_codes(store, str(path)) == ["unreadable"] and why in result.notes[0]


def test_a_name_with_a_nul_is_named_escaped(shared):
    store, folder, ctx = shared
    assert preview(Path("odd\x00name.csv")).problems[0].code == "unreadable"
    missing = ingest_file(store, Path(f"{folder}/odd\x00name.csv"), ctx)
    assert missing.quarantined == 1 and "\\x00" in missing.source
    path = folder / "named.csv"
    path.write_bytes(VALID[".csv"])
    labelled = ingest_file(store, path, ctx, label="up\x00load.csv")
    assert labelled.source == "up\\x00load.csv" and labelled.stored + labelled.duplicates == 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 16_384), st.integers(1, 1_048_576)), min_size=1, max_size=40),
       st.integers(1, 64))
def test_a_sheets_extent_is_read_from_its_cell_references(cells, cut):
    """The extent found in NumPy, block by block (cut anywhere), is the one openpyxl's own parsing gives."""
    refs = [f"{get_column_letter(c)}{r}" for c, r in cells]
    xml = "".join(f'<row r="{r}" spans="1:2"><c r="{ref}" s="1"><v>{r}</v></c></row>' for ref, (_, r) in
                  zip(refs, cells, strict=True)).encode()
    extent, tail = numpy.array([1 << 30, 0, 1 << 30, 0]), b""
    for at in range(0, len(xml), cut):
        extent = readers._widen(extent, tail + xml[at:at + cut])
        tail = (tail + xml[at:at + cut])[-16:]
    parsed = [coordinate_to_tuple(ref) for ref in refs]  # (row, column)
    assert [int(x) for x in extent] == [min(r for r, _ in parsed), max(r for r, _ in parsed),
                                        min(c for _, c in parsed), max(c for _, c in parsed)]


@pytest.mark.parametrize(("header", "delimiter", "spaced"), [
    ("visit_id,hall_id,segment", ",", False), ("visit_id;hall_id;segment", ";", False),
    ("visit_id\thall_id", "\t", False), ("visit_id|hall_id|segment", "|", False),
    ('"a;b",c,d', ",", False), ("visit_id, hall_id, segment", ",", True), ("visit_id", ",", False),
    (',"' * 32_768, ",", False),  # csv.Sniffer took 258 s on these 64 KB; sniff reads the header once
])
def test_the_delimiter_is_read_from_the_header_line(header, delimiter, spaced):
    dialect = readers.sniff(header + "\n1,2\n")
    assert (dialect.delimiter, dialect.skipinitialspace) == (delimiter, spaced)
