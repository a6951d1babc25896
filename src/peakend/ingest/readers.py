"""Read CSV, JSON Lines, Parquet and Excel files into chunks of text cells with row numbers.

Every reader yields `Chunk`s of at most `chunk_rows` rows. Rows that cannot be read at all
(bytes that are not in the file's encoding, a line that is not a JSON object, a row with
the wrong number of cells) come back as `ReadProblem`s, so they are quarantined, not lost.
Row numbers are line numbers in text files (the CSV header is line 1), 1-based record
numbers in Parquet, and the row numbers Excel shows in a workbook's sheet.

A text file's encoding is detected (`encoding="auto"`): UTF-8 (with or without a BOM) when its
start decodes as UTF-8, else GB18030 (a superset of GBK and GB2312) when it decodes so, else
what charset-normalizer finds (Big5, UTF-16). Excel workbooks (.xlsx, .xls,
.ods) are read by python-calamine, one sheet at a time; a two-row header (a group cell merged
over the columns below it, as Chinese exports often have) becomes one name per column,
`group/column`.

Every reader's work is bounded (module constants, not settings: they guard the process, not the data): at most
`MAX_COLUMNS` columns, a CSV dialect read from the header line alone (`sniff`), CSV cells of at most
`csv.field_size_limit()` characters (a longer one quarantines its row), JSON Lines lines of at most
`MAX_LINE_BYTES` nested as deep as Python's parser goes (else the line is quarantined), and a workbook is opened
only when its zip container unpacks to at most `MAX_UNZIPPED_BYTES`, no part more than `MAX_RATIO` times its
packed size, and its sheets span at most `MAX_SHEET_CELLS` cells. A file that cannot be read at all raises
`Unreadable` (a ValueError naming what is wrong), whatever the library below raised; `preview`, `excel_sheets`
and `detect_encoding` never raise.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ParamSpec

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from peakend.contract import FIELDS
from peakend.deadline import check
from peakend.errors import TooLong
from peakend.store.lake import hive_values

CONTRACT_NAMES = {f.name for fields in FIELDS.values() for f in fields}

BAD_BYTE = re.compile("[\udc80-\udcff]")
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".ods": "excel",
}
SAMPLE_BYTES = 1 << 20  # what the encoding is detected from
CHINESE_OFFICE_ENCODINGS = ["big5", "utf_16", "utf_32"]  # beyond UTF-8 and GB18030, tried first
MAX_COLUMNS = 2_000  # columns of a file or sheet (a wide survey has a few hundred)
MAX_LINE_BYTES = 8 << 20  # one JSON Lines record
MAX_UNZIPPED_BYTES = 1 << 30  # all the parts of a workbook's zip container, unpacked
MAX_RATIO = 100  # a part's unpacked size over its packed size (sheet XML packs 5–20×; a zip bomb 1,000×)
RATIO_FLOOR = 1 << 20  # parts smaller than this unpacked are not held to MAX_RATIO
MAX_SHEET_CELLS = 25_000_000  # rows × columns of a sheet's extent (calamine holds it all: ~32 bytes a cell)
P = ParamSpec("P")


class Unreadable(ValueError):
    """A file that cannot be read at all, with what is wrong (the reason quoted in the `unreadable` message)."""


def describe(exc: BaseException) -> str:
    """An exception as a reason a message may quote: its kind and text, control characters escaped, cut short."""
    text = str(exc) if isinstance(exc, Unreadable) else f"{type(exc).__name__}: {exc}"
    text = text if len(text) <= 300 else text[:300] + "…"
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


@dataclass
class ReadProblem:
    """A row that could not be read: its number, the problem code, and what was seen."""

    row: int
    code: str
    value: str
    expected: str = ""
    raw: str | None = None


@dataclass
class Chunk:
    """Text cells (None for empty) column by column, under `columns`, with their row numbers.

    `cells` holds one Arrow text column per name (a name given twice: the last of them).
    """

    columns: list[str]
    cells: dict[str, pa.Array] = field(default_factory=dict)
    numbers: list[int] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)

    @property
    def size(self) -> int:
        """How many rows the chunk holds."""
        return len(self.numbers)

    def to_arrow(self) -> pa.Table:
        """The chunk as an Arrow table of strings plus the `_row` number column."""
        return pa.table({"_row": pa.array(self.numbers, pa.int64()), **{c: self.cells[c] for c in self.columns}})


Progress = Callable[[int], None]


def guarded(read: Callable[P, Iterator[Chunk]]) -> Callable[P, Iterator[Chunk]]:
    """A reader whose every failure (a library's exception, a RecursionError, a broken zip) is `Unreadable`."""

    @functools.wraps(read)
    def run(*args: P.args, **kwargs: P.kwargs) -> Iterator[Chunk]:
        try:
            for chunk in read(*args, **kwargs):
                check()
                yield chunk
        except (Unreadable, TooLong):
            raise
        except Exception as exc:  # whatever a reader below meets, the file is unreadable
            raise Unreadable(describe(exc)) from exc

    return run


def file_format(path: Path) -> str | None:
    """The reader for a file, from its suffix (None if unknown)."""
    return FORMATS.get(path.suffix.lower())


def cell_text(value: object) -> str | None:
    """A cell as stripped text (JSON for objects and lists), None when empty."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def text_column(values: list[object]) -> pa.Array:
    """Cells as an Arrow text column, each as `cell_text` gives it (see `arrow_text`)."""
    try:
        typed = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed types: cell by cell
        typed = None
    if typed is not None and _as_is(typed.type):
        return arrow_text(typed)
    return pa.array([cell_text(v) for v in values], pa.string())  # as given: 0 in [0, 0.5] is "0", not "0.0"


def _as_is(kind: pa.DataType) -> bool:
    """Whether Arrow, inferring this type from Python values, keeps each one's text (floats do not: 0 → 0.0)."""
    return pa.types.is_integer(kind) or pa.types.is_null(kind) or pa.types.is_string(kind) or \
        pa.types.is_large_string(kind)


def arrow_text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A typed Arrow column as text, each cell as `cell_text` gives it.

    Integers, dates, empty columns and times are cast in Arrow, text is stripped in Arrow, floats
    are written by Python ("2.0", not Arrow's "2"); anything else goes through `cell_text` cell by cell.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_null(kind) or pa.types.is_date32(kind):
        return column.cast(pa.string())
    if pa.types.is_timestamp(kind) and kind.tz is None and kind.unit != "ns":  # as str(datetime): no ".000000"
        return pc.replace_substring_regex(column.cast(pa.timestamp("us")).cast(pa.string()), r"\.0{6}$", "")
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):  # Arrow strips what Python's strip() does
        stripped = pc.utf8_trim_whitespace(column.cast(pa.string()))
        return pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
    values = column.to_pylist()
    if pa.types.is_floating(kind):  # as Python writes them: "2.0", "1e-05" (Arrow: "2", "0.00001")
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.array([cell_text(v) for v in values], pa.string())


def detect_encoding(path: Path) -> str:
    """The encoding of a text file, from its first MiB: utf-8 when it decodes as UTF-8 (a character cut at the
    sample's end allowed), else gb18030 (GBK's and GB2312's superset, what Chinese offices write) when it decodes
    so, else charset-normalizer's best among `CHINESE_OFFICE_ENCODINGS`, else utf-8 (bytes that do not decode are
    then quarantined row by row). Big5 text mostly decodes as GB18030 too: such a file is named (--encoding big5).
    A file that cannot be opened: utf-8 (its reader then says what is wrong)."""
    try:
        with path.open("rb") as f:
            sample = f.read(SAMPLE_BYTES)
    except (OSError, ValueError):
        return "utf-8"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _mostly_utf8(sample):
        return "utf-8"
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 3 and len(sample) == SAMPLE_BYTES:
                return encoding
    best = charset_normalizer.from_bytes(sample, cp_isolation=CHINESE_OFFICE_ENCODINGS).best()
    return "utf-8" if best is None else best.encoding


def _mostly_utf8(sample: bytes) -> bool:
    """Whether UTF-8 text with a few damaged bytes: of its non-ASCII bytes, under 1% fail to decode (GBK text fails
    on most of them) while some decode."""
    wide = sum(b >= 0x80 for b in sample)
    bad = len(BAD_BYTE.findall(sample.decode("utf-8", "surrogateescape")))
    return 0 < bad < 0.01 * wide


DELIMITERS = ",;\t|"


def sniff(sample: str) -> type[csv.Dialect]:
    """The dialect of CSV text from its header line, in linear time (csv.Sniffer took 258 s on 64 KB of `,"`): the
    delimiter among `DELIMITERS` the header holds most often outside quotes (a tie: the first; none: a comma),
    spaces after it skipped when every one has one."""
    header = sample.split("\n", 1)[0]
    outside = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    best = max(DELIMITERS, key=outside.count)
    spaced = outside.count(best) > 0 and outside.count(best + " ") == outside.count(best)

    class Sniffed(csv.excel):
        delimiter = best if outside.count(best) else ","
        skipinitialspace = spaced

    return Sniffed


def _columns(names: list[str]) -> list[str]:
    """A header's names, stripped; Unreadable past `MAX_COLUMNS`."""
    if len(names) > MAX_COLUMNS:
        raise Unreadable(f"{len(names):,} columns; at most {MAX_COLUMNS:,} are read")
    if any(NOT_TEXT.search(h) for h in names):  # bytes no text encoding gives: a binary file, not a table
        raise Unreadable("its first line is not text (a binary file, or not a CSV)")
    return [h.strip() for h in names]


# a byte the file's encoding could not read (errors="surrogateescape"), or a control character: no header's text
NOT_TEXT = re.compile("[\udc80-\udcff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _csv_rows(reader: Any, problems: list[ReadProblem]) -> Iterator[list[str]]:
    """The rows of a CSV reader; a row the csv module refuses (a cell longer than its field limit) is a problem."""
    while True:
        check()  # a request's deadline (none outside a request)
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            code = "cell_too_long" if "field limit" in str(exc) else "bad_csv"
            problems.append(ReadProblem(reader.line_num, code, str(exc), f"{csv.field_size_limit():,}"))


@guarded
def read_csv(path: Path, encoding: str, chunk_rows: int, progress: Progress) -> Iterator[Chunk]:
    """Yield chunks of a CSV file (delimiter sniffed among , ; tab |; encoding `auto`: detected)."""
    if encoding == "auto":
        encoding = detect_encoding(path)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")
        sample = text.read(64 * 1024)
        text.seek(0)
        reader = csv.reader(text, sniff(sample))
        rows: list[list[str]] = []
        numbers: list[int] = []
        problems: list[ReadProblem] = []
        lines = _csv_rows(reader, problems)
        header = next(lines, None)
        if header is None:
            return
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        columns = _columns(header)
        for cells in lines:
            line = reader.line_num
            joined = "".join(cells)
            if not joined.strip():
                continue
            bad = BAD_BYTE.search(joined)
            if bad:
                raw_row = ",".join(cells).encode("utf-8", "replace").decode()
                problems.append(ReadProblem(line, "bad_utf8", f"0x{ord(bad.group()) - 0xDC00:02x}", raw=raw_row))
            elif len(cells) != len(columns):
                problems.append(ReadProblem(line, "bad_row_shape", str(len(cells)), str(len(columns)),
                                            raw=",".join(cells)))
            else:
                rows.append(cells)
                numbers.append(line)
            if len(rows) + len(problems) >= chunk_rows:
                progress(raw.tell())
                yield _text_chunk(columns, rows, numbers, problems)
                rows, numbers, problems = [], [], []
        progress(raw.tell())
        yield _text_chunk(columns, rows, numbers, problems)


def _text_chunk(columns: list[str], rows: list[list[str]], numbers: list[int], problems: list[ReadProblem]) -> Chunk:
    """A chunk of rows of text cells as read (stripped here, column by column)."""
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    cells = {name: arrow_text(pa.array(values, pa.string())) for name, values in zip(columns, by_column, strict=True)}
    return Chunk(columns, cells, numbers, problems)


def _lines(raw: io.BufferedReader) -> Iterator[bytes | None]:
    """The lines of a binary file, each read up to `MAX_LINE_BYTES` (None for a longer one, skipped unread)."""
    while line := raw.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while (rest := raw.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
            pass
        yield None


def _json_record(line: bytes, number: int, encoding: str) -> dict[str, object] | ReadProblem:
    """One JSON Lines line as a record (nested values as JSON text), or the problem that keeps it out."""
    try:
        rec = json.loads(line.decode(encoding))
    except UnicodeDecodeError as exc:
        byte = line[exc.start] if exc.start < len(line) else 0
        return ReadProblem(number, "bad_utf8", f"0x{byte:02x}", raw=line.decode(encoding, "replace"))
    except json.JSONDecodeError as exc:
        return ReadProblem(number, "bad_json", str(exc), raw=line.decode(encoding, "replace"))
    except RecursionError:
        return ReadProblem(number, "bad_json", "nested too deep", raw=line.decode(encoding, "replace"))
    if not isinstance(rec, dict):
        return ReadProblem(number, "bad_json", "not an object", raw=line.decode(encoding, "replace"))
    if len(rec) > MAX_COLUMNS:
        return ReadProblem(number, "bad_json", f"{len(rec):,} keys; at most {MAX_COLUMNS:,} are read")
    return {k: cell_text(v) if isinstance(v, (dict, list)) else v for k, v in rec.items()}


@guarded
def read_jsonl(path: Path, encoding: str, chunk_rows: int, progress: Progress) -> Iterator[Chunk]:
    """Yield chunks of a JSON Lines file: one object per line, keys become columns."""
    records: list[tuple[int, dict[str, object]]] = []
    problems: list[ReadProblem] = []
    if encoding == "auto":
        encoding = detect_encoding(path)

    def flush() -> Chunk:
        columns = _columns(list(dict.fromkeys(k for _, rec in records for k in rec)))
        cells = {c: text_column([rec.get(c) for _, rec in records]) for c in columns}
        chunk = Chunk(columns, cells, [number for number, _ in records], list(problems))
        records.clear()
        problems.clear()
        return chunk

    with path.open("rb") as raw:
        for number, line in enumerate(_lines(raw), start=1):
            check()
            if line is None:
                problems.append(ReadProblem(number, "line_too_long", "", f"{MAX_LINE_BYTES:,}"))
                continue
            if not line.strip():
                continue
            rec = _json_record(line, number, encoding)
            if isinstance(rec, ReadProblem):
                problems.append(rec)
                continue
            records.append((number, rec))
            if len(records) + len(problems) >= chunk_rows:
                progress(raw.tell())
                yield flush()
        progress(raw.tell())
        yield flush()


def _parquet_file(path: Path) -> pq.ParquetFile:
    """A Parquet file opened, Unreadable past `MAX_COLUMNS` or with a row group bigger than `MAX_UNZIPPED_BYTES`
    unpacked (read one at a time)."""
    pf = pq.ParquetFile(path)
    _columns(pf.schema_arrow.names)
    for i in range(pf.metadata.num_row_groups):
        unpacked = pf.metadata.row_group(i).total_byte_size
        if unpacked > MAX_UNZIPPED_BYTES:
            raise Unreadable(f"row group {i} unpacks to {unpacked:,} bytes; at most {MAX_UNZIPPED_BYTES:,} are read")
    return pf


@guarded
def read_parquet(path: Path, encoding: str, chunk_rows: int, progress: Progress) -> Iterator[Chunk]:
    """Yield chunks of a Parquet file; every cell is turned into text for the validator, column by column.

    A file in a lake (`peakend export`) gets the `key=value` folders above it as columns too.
    """
    del encoding  # Parquet strings are UTF-8 by specification
    pf = _parquet_file(path)
    total = max(pf.metadata.num_rows, 1)
    size = path.stat().st_size
    start = 0
    hive = {k: v for k, v in hive_values(path).items() if k in CONTRACT_NAMES and k not in pf.schema_arrow.names}
    for batch in pf.iter_batches(batch_size=chunk_rows):
        cells = {name: arrow_text(batch.column(i)) for i, name in enumerate(batch.schema.names)}  # a repeated name:
        cells |= {k: pa.array([v] * batch.num_rows, pa.string()) for k, v in hive.items()}  # the last, as in rows
        chunk = Chunk([*batch.schema.names, *hive], cells=cells)
        chunk.numbers = list(range(start + 1, start + batch.num_rows + 1))
        start += batch.num_rows
        progress(size * start // total)
        yield chunk


SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")


def check_workbook(path: Path) -> None:
    """Raise `Unreadable` unless a workbook is safe to hand to calamine (which holds a sheet's whole extent in
    memory and aborts the process when it cannot): its zip container (.xlsx, .xlsm, .ods; .xls is not one) unpacks
    to at most `MAX_UNZIPPED_BYTES`, no part over `RATIO_FLOOR` more than `MAX_RATIO` times its packed size, every
    part unpacks to no more than its declared size, and an .xlsx sheet's cells span at most `MAX_SHEET_CELLS`."""
    if zipfile.is_zipfile(path):
        stat = path.stat()
        _check_zip(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _check_zip(name: str, size: int, mtime: int) -> None:
    """`check_workbook` for one version of a file (a refusal is not cached; a file passed is not checked again)."""
    del size, mtime  # the cache key
    with zipfile.ZipFile(name) as z:
        parts = z.infolist()
        unpacked = sum(p.file_size for p in parts)
        if unpacked > MAX_UNZIPPED_BYTES:
            raise Unreadable(f"the workbook unpacks to {unpacked:,} bytes; at most {MAX_UNZIPPED_BYTES:,} are read")
        for p in parts:
            if p.file_size > RATIO_FLOOR and p.file_size > MAX_RATIO * max(p.compress_size, 1):
                raise Unreadable(f"part {p.filename} unpacks to {p.file_size / max(p.compress_size, 1):,.0f} times "
                                 f"its packed size; at most {MAX_RATIO} times is read (a zip bomb?)")
        for p in parts:
            _check_part(z, p)


def _check_part(z: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    """Unpack one part, counting: Unreadable when it holds more than it declares (or a bad CRC), or, a sheet, when
    its cells span more than `MAX_SHEET_CELLS`."""
    sheet = bool(SHEET_PART.fullmatch(part.filename))
    extent, tail = np.array([1 << 30, 0, 1 << 30, 0]), b""
    with z.open(part) as f:
        while block := f.read(1 << 20):  # each read inflates at most 1 MiB: a part is caught below unless it
            # holds less than 1 MiB more than it declares
            if sheet:
                extent = _widen(extent, tail + block)
                tail = (tail + block)[-16:]
        inflater = getattr(f, "_decompressor", None)
        if getattr(inflater, "eof", True) is False or getattr(f, "_compress_left", 0) > 0:
            raise Unreadable(f"part {part.filename} holds more than the {part.file_size:,} bytes it declares")
    first_row, last_row, first_col, last_col = (int(x) for x in extent)
    cells = (last_row - first_row + 1) * (last_col - first_col + 1) if last_row else 0
    if cells > MAX_SHEET_CELLS:
        raise Unreadable(f"sheet {part.filename} spans {cells:,} cells (rows {first_row}–{last_row}, columns "
                         f"{first_col}–{last_col}); at most {MAX_SHEET_CELLS:,} are read")


REF = np.frombuffer(b' r="', np.uint8)


def _widen(extent: np.ndarray, xml: bytes) -> np.ndarray:
    """`extent` (first row, last row, first column, last column) widened to the cell references (` r="XFD1048576"`)
    in a piece of sheet XML — in NumPy, a few milliseconds a MiB, where a regex took a second."""
    a = np.frombuffer(xml + bytes(16), np.uint8)
    n = len(xml)
    at = np.flatnonzero((a[:n] == REF[0]) & (a[1:n + 1] == REF[1]) & (a[2:n + 2] == REF[2]) & (a[3:n + 3] == REF[3]))
    if not at.size:
        return extent
    w = a[at[:, None] + 4 + np.arange(11)].astype(np.int64)  # up to 3 letters, 7 digits, the closing quote
    width = np.cumprod((w[:, :3] >= 65) & (w[:, :3] <= 90), axis=1).sum(1)
    rest = np.take_along_axis(w, width[:, None] + np.arange(8), axis=1)
    digits = np.cumprod((rest[:, :7] >= 48) & (rest[:, :7] <= 57), axis=1).astype(bool)
    length = digits.sum(1)
    ok = (width > 0) & (length > 0) & (np.take_along_axis(rest, length[:, None], axis=1)[:, 0] == 34)
    if not ok.any():
        return extent
    col = _letters_value(w[:, :3], width)
    tens = 10 ** np.clip(length[:, None] - 1 - np.arange(7), 0, None)
    row = (np.where(digits, rest[:, :7] - 48, 0) * np.where(digits, tens, 0)).sum(1)
    col, row = col[ok], row[ok]
    return np.array([min(extent[0], row.min()), max(extent[1], row.max()),
                     min(extent[2], col.min()), max(extent[3], col.max())])


def _letters_value(w: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Excel column numbers (A 1, Z 26, AA 27, XFD 16,384) of up to three letters per row of `w` (`width` used)."""
    value = np.zeros(len(w), np.int64)
    for k in range(3):
        used = k < width
        value = np.where(used, value * 26 + (w[:, k] - 64), value)
    return value


def excel_sheets(path: Path) -> list[str]:
    """The visible worksheets of a workbook, in its order ([] when it cannot be read: `read_excel` says why)."""
    try:
        return _visible_sheets(path)
    except Exception:  # an unreadable workbook has no sheets to offer
        return []


def sheet_names(path: Path) -> list[str]:
    """Every worksheet of a workbook, hidden ones too, in its order (CalamineError, OSError when unreadable)."""
    check_workbook(path)
    with CalamineWorkbook.from_path(str(path)) as book:
        return list(book.sheet_names)


def _visible_sheets(path: Path) -> list[str]:
    check_workbook(path)
    with CalamineWorkbook.from_path(str(path)) as book:
        return _visible(book)


def _visible(book: CalamineWorkbook) -> list[str]:
    return [m.name for m in book.sheets_metadata
            if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible]


def excel_text(value: object) -> str:
    """An Excel cell as text: a whole number without '.0' (an id or a rating, not a measurement), a date-time as
    2026-11-02 09:15:00, a date as 2026-11-02."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return repr(value.total_seconds() / 60)  # a duration cell: minutes, as the contract's durations are
    return "" if value is None else str(value)


def header_names(top: list[str], below: list[str], merged: list[tuple[tuple[int, int], tuple[int, int]]] | None,
                 first: tuple[int, int]) -> tuple[list[str], int]:
    """The column names of a sheet whose first rows are `top` and `below`, and how many rows the header takes.

    The header takes two rows when a merged cell starts in the top row and spans two rows or several columns
    (`merged`: calamine's ranges, absolute; `first`: where the sheet's used range starts) — or, with no merge
    information (.xls, .ods), when the top row has blanks under which the next row has only words. A group cell
    merged over several columns names each of them `group/column`; a cell merged down over both rows names its
    column alone.
    """
    width = len(top)
    words = [c for c in below if c]
    if merged is not None:
        two = any(r0 == first[0] and (r1 > r0 or c1 > c0) for (r0, c0), (r1, c1) in merged)
    else:
        blanks_named = any(not t and b for t, b in zip(top, below, strict=False))
        two = blanks_named and bool(words) and not any(NUMBER.fullmatch(c) for c in words)
    if not two:
        return [c.strip() for c in top], 1
    groups = list(top)
    for (r0, c0), (_, c1) in merged or []:
        if r0 == first[0]:
            for c in range(c0 - first[1] + 1, min(c1 - first[1] + 1, width)):
                groups[c] = top[c0 - first[1]]
    if merged is None:  # a blank top cell belongs to the group on its left
        for c in range(1, width):
            groups[c] = groups[c] or (groups[c - 1] if below[c] else "")
    names = []
    for g, b in zip(groups, below, strict=False):
        g, b = g.strip(), b.strip()
        names.append(f"{g}/{b}" if g and b and g != b else g or b)
    return names, 2


NUMBER = re.compile(r"-?\d+(\.\d+)?")


@guarded
def read_excel(path: Path, encoding: str, chunk_rows: int, progress: Progress, sheet: str | None = None
               ) -> Iterator[Chunk]:
    """Yield chunks of one sheet of a workbook (the first visible one when `sheet` is None), rows numbered as
    Excel shows them; blank rows are skipped. In a column that holds date cells, a plain number is a date whose
    format was lost (an Excel serial: days since 1899-12-30). Progress: the share of the sheet's rows read."""
    del encoding  # workbooks carry their own
    size = path.stat().st_size
    check_workbook(path)
    with CalamineWorkbook.from_path(str(path)) as book:
        names = [sheet] if sheet else _visible(book)
        if not names:
            raise Unreadable("the workbook has no visible worksheet")
        data = book.get_sheet_by_name(names[0])
        if data.width > MAX_COLUMNS:
            raise Unreadable(f"{data.width:,} columns; at most {MAX_COLUMNS:,} are read")
        first = data.start or (0, 0)
        rows: Iterator[list[Any]] = iter(data.iter_rows())
        top = [excel_text(c) for c in next(rows, [])]
        second = next(rows, [])
        columns, header = header_names(top, [excel_text(c) for c in second], data.merged_cell_ranges, first)
        body = rows if header == 2 or not second else itertools.chain([second], rows)
        width, dated = len(columns), [False] * len(columns)
        raws: list[list[object]] = []
        numbers: list[int] = []
        height = max(data.height, 1)
        for number, cells in enumerate(body, start=first[0] + header + 1):
            check()
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            raws.append((list(cells) + [None] * width)[:width])
            numbers.append(number)
            if len(raws) >= chunk_rows:
                progress(size * (number - first[0]) // height)
                yield _excel_chunk(columns, raws, numbers, dated)
                raws, numbers = [], []
        progress(size)
        yield _excel_chunk(columns, raws, numbers, dated)


EXCEL_EPOCH = datetime(1899, 12, 30)


def _excel_chunk(columns: list[str], raws: list[list[object]], numbers: list[int], dated: list[bool]) -> Chunk:
    """Rows of Excel cells as a chunk of text; `dated` (updated here) marks the columns seen holding dates."""
    for c in range(len(columns)):
        dated[c] = dated[c] or any(isinstance(r[c], (datetime, date)) for r in raws)
    texts = [[excel_text(EXCEL_EPOCH + timedelta(days=v) if dated[c] and isinstance(v, float) and 0 < v < 2958466
                         else v) for c, v in enumerate(r)] for r in raws]
    return _text_chunk(columns, texts, numbers, [])


def preview(path: Path, sheet: str | None = None, rows: int = 20) -> Chunk:
    """The first `rows` rows of a file (of a workbook, of one sheet) as read for ingest, encoding detected. A file
    that cannot be read: no columns, and one problem (row 0, code `unreadable`: its value says what is wrong,
    expected the format it was read as) — never an exception, but `TooLong` past a request's deadline."""
    fmt = file_format(path)
    if fmt is None:
        why = f"{describe(Unreadable(path.suffix or path.name))}: not CSV, JSON Lines, Parquet or Excel"
        return Chunk([], problems=[ReadProblem(0, "unreadable", why, "CSV, JSON Lines, Parquet or Excel")])
    reader = READERS[fmt]
    chunks = read_excel(path, "auto", rows, _ignore, sheet) if fmt == "excel" else reader(path, "auto", rows, _ignore)
    try:
        return next(iter(chunks), Chunk([]))
    except Unreadable as exc:
        return Chunk([], problems=[ReadProblem(0, "unreadable", str(exc), fmt)])


def _ignore(_: int) -> None:
    return None


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet, "excel": read_excel}
