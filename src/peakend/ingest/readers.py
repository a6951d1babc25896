"""Read CSV, JSON Lines and Parquet files into chunks of text cells with row numbers.

Every reader yields `Chunk`s of at most `chunk_rows` rows. Rows that cannot be read at all
(bytes that are not in the file's encoding, a line that is not a JSON object, a row with
the wrong number of cells) come back as `ReadProblem`s, so they are quarantined, not lost.
Row numbers are line numbers in text files (the CSV header is line 1) and 1-based record
numbers in Parquet.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from peakend.contract import FIELDS
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
}


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


def read_csv(path: Path, encoding: str, chunk_rows: int, progress: Progress) -> Iterator[Chunk]:
    """Yield chunks of a CSV file (delimiter sniffed among , ; tab |)."""
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")
        sample = text.read(64 * 1024)
        text.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(text, dialect)
        header = next(reader, None)
        if header is None:
            return
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        columns = [h.strip() for h in header]
        rows: list[list[str]] = []
        numbers: list[int] = []
        problems: list[ReadProblem] = []
        for cells in reader:
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


def read_jsonl(path: Path, encoding: str, chunk_rows: int, progress: Progress) -> Iterator[Chunk]:
    """Yield chunks of a JSON Lines file: one object per line, keys become columns."""
    records: list[tuple[int, dict[str, object]]] = []
    problems: list[ReadProblem] = []

    def flush() -> Chunk:
        columns = list(dict.fromkeys(k for _, rec in records for k in rec))
        cells = {c: text_column([rec.get(c) for _, rec in records]) for c in columns}
        chunk = Chunk(columns, cells, [number for number, _ in records], list(problems))
        records.clear()
        problems.clear()
        return chunk

    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line.decode(encoding))
            except UnicodeDecodeError as exc:
                byte = line[exc.start] if exc.start < len(line) else 0
                problems.append(ReadProblem(number, "bad_utf8", f"0x{byte:02x}", raw=line.decode(encoding, "replace")))
                continue
            except json.JSONDecodeError as exc:
                problems.append(ReadProblem(number, "bad_json", str(exc), raw=line.decode(encoding, "replace")))
                continue
            if not isinstance(rec, dict):
                problems.append(ReadProblem(number, "bad_json", "not an object", raw=line.decode(encoding)))
                continue
            records.append((number, rec))
            if len(records) + len(problems) >= chunk_rows:
                progress(raw.tell())
                yield flush()
        progress(raw.tell())
        yield flush()


def read_parquet(path: Path, encoding: str, chunk_rows: int, progress: Progress) -> Iterator[Chunk]:
    """Yield chunks of a Parquet file; every cell is turned into text for the validator, column by column.

    A file in a lake (`peakend export`) gets the `key=value` folders above it as columns too.
    """
    del encoding  # Parquet strings are UTF-8 by specification
    pf = pq.ParquetFile(path)
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


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}
