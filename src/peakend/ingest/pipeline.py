"""Ingest files into the store: read, map, validate, store good rows, quarantine the rest.

Ingest is idempotent: events are keyed by sender-given (or derived) ids and quarantined
rows by (file content hash, row, field), so ingesting a file twice stores nothing twice.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd
import pyarrow as pa
from python_calamine import CalamineError

from peakend.contract import FIELDS, Kind
from peakend.errors import MappingError, StoreUnavailable
from peakend.i18n import said, say
from peakend.ingest import attach, corrections, privacy
from peakend.ingest.mapping import STAGE, Mapping, Part, end_note, fitted, plan_parts, used_columns
from peakend.ingest.order import number_timeless
from peakend.ingest.readers import (
    READERS,
    Chunk,
    ReadProblem,
    excel_sheets,
    file_format,
    read_excel,
    sheet_names,
    text_column,
)
from peakend.ingest.validate import CONTROL_CHARS, STORE_VISITS, Context, check, expected_in, q, remember_visits
from peakend.store.backlog import queue_visits
from peakend.store.db import Store
from peakend.store.lake import is_lake, lake_files

CHUNK_ROWS = 100_000
SMALL_CHUNK = 20_000  # rows below which staging runs on one thread (API batches)
TABLE: dict[Kind, str] = {"touch": "touches", "visit": "visits", "survey": "surveys", "audit": "audits"}
# Visit fields a later event may fill in when an earlier one left them empty.
VISIT_FILL = ("customer_key", "customer_mask", "ticket", "segment", "route", "arrival", "departure")
# What a visit row holds: its contract fields and the masked phone derived from its customer key.
VISIT_COLUMNS = (*(f.name for f in FIELDS["visit"]), "customer_mask")


class _Counts:
    """Counters that add up chunk by chunk."""

    def add(self, other: _Counts) -> None:
        """Add another chunk's counts."""
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class KindCounts(_Counts):
    """What ingest did with one kind of event: stored new, already there, rejected, warned (touch dropped),
    in conflict with a stored version (not applied), replaced (a correction applied); and touches whose rating
    was attached to a stored touch, or could not be (no stored touch of the moment, several, several sent:
    `ingest.attach`)."""

    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    warned: int = 0
    conflicts: int = 0
    replaced: int = 0
    attached: int = 0
    unattached_none: int = 0
    unattached_several: int = 0
    unattached_sent: int = 0


@dataclass
class RowCounts(_Counts):
    """What became of a file's rows, each counted once (worst first): rejected, conflicted, warned,
    corrected, stored (something new), already there. They add up to the rows read."""

    rejected: int = 0
    conflicted: int = 0
    warned: int = 0
    corrected: int = 0
    stored: int = 0
    already: int = 0


@dataclass
class FileResult:
    """What ingesting one file did."""

    source: str
    kind: str = ""
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    notes: list[str] = field(default_factory=list)
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    fates: RowCounts = field(default_factory=RowCounts)
    clashes: list[corrections.Clash] = field(default_factory=list)  # the first `SHOWN_CLASHES`
    commonest: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)  # (rows, field, message by lang)
    ordered: int = 0  # visits whose touches came without time and seq, numbered in row order (`ingest.order`)
    refused: bool = False  # refused as a whole, nothing of it read: a mapping that does not fit it, no such sheet

    def absorb(self, out: Outcome) -> None:
        """Add what one chunk did."""
        self.stored += out.stored
        self.ordered += out.ordered
        self.duplicates += out.duplicates
        self.fates.add(out.fates)
        for kind, k in out.kinds.items():
            self.kinds.setdefault(kind, KindCounts()).add(k)
        self.clashes += out.clashes[: SHOWN_CLASHES - len(self.clashes)]

    def summary(self) -> str:
        """The summary in the session language: the rows' fates, then a line per kind of event."""
        f = self.fates
        lines = [say("ingest_summary", source=self.source, rows=self.rows, stored=f.stored, duplicates=f.already,
                     quarantined=self.quarantined, warned=f.warned, conflicted=f.conflicted, corrected=f.corrected)]
        for kind, k in self.kinds.items():
            lines.append("  " + say("ingest_kind", kind=say(f"kind_{kind}"), stored=k.stored, duplicates=k.duplicates,
                                    rejected=k.rejected, warned=k.warned, conflicts=k.conflicts, replaced=k.replaced))
        return "\n".join(lines)


def attach_notes(source: str, k: KindCounts | None) -> list[str]:
    """The notes on ratings attached to stored touches, and on those that could not be (how many, and why)."""
    if k is None:
        return []
    found = [("ingest_attached", k.attached)] + [(f"ingest_unattached_{r}", getattr(k, f"unattached_{r}"))
                                                 for r in attach.REASONS]
    return [said(key, source=source, value=n) for key, n in found if n]


SHOWN_CLASHES = 20  # conflicts a file's result lists with both versions (all are kept in the store)


def file_hash(path: Path) -> str:
    """The SHA-256 of a file's bytes: the key of its quarantined rows."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


SHOWN_CHARS = 120  # a rejected value is quoted in its message up to this length
RECORD_CHARS = 20_000  # a quarantined record is kept up to this length


def shown_value(value: object) -> object:
    """A rejected value as a message may quote it: phones masked, control characters escaped, cut short."""
    if not isinstance(value, str):
        return value
    text = privacy.mask_phones_in(value) or ""
    cut = text[:SHOWN_CHARS] + ("…" if len(text) > SHOWN_CHARS else "")
    return "".join(c if c.isprintable() or c in "\t\n" else f"\\x{ord(c):02x}" for c in cut)


def shown_name(name: str) -> str:
    """A file name as sources are kept and named: control characters (a NUL a store cannot hold) escaped."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)


def kept_record(record: str | None) -> str | None:
    """A rejected record as quarantine keeps it: phones masked, cut at `RECORD_CHARS`."""
    text = privacy.mask_phones_in(record)
    return text if text is None or len(text) <= RECORD_CHARS else text[:RECORD_CHARS] + "…"


def row_halls(store: Store, records: dict[int, str]) -> dict[int, str]:
    """The hall of each rejected record: its own `hall_id`, else that of the stored visit it names (a row naming
    neither has none: only an admin handles it)."""
    out, visits = {}, {}
    for row, text in records.items():
        if not text or not text.lstrip().startswith("{"):  # no record of fields (a line not read, nested lists)
            continue
        try:
            record = json.loads(text)
        except (ValueError, RecursionError):  # a line the reader could not read (or nested past Python's depth)
            continue
        hall, visit = (record.get(k) if isinstance(record, dict) else None for k in ("hall_id", "visit_id"))
        if isinstance(hall, str) and hall.strip():
            out[row] = hall.strip()
        elif isinstance(visit, str) and visit and "\x00" not in visit:
            visits[row] = visit
    if visits:
        ids = sorted(set(visits.values()))[:10_000]
        found = dict(store.rows(f"SELECT visit_id, hall_id FROM visits WHERE visit_id IN ({', '.join('?' * len(ids))})",
                                ids))
        out |= {row: found[v] for row, v in visits.items() if v in found}
    return out


class Quarantine:
    """Writes rejected rows of one source, with bilingual messages, once per (row, field).

    `source_hash` keys the rows; given as a function, it is computed only if something is quarantined.
    """

    def __init__(self, store: Store, source: str, source_hash: str | Callable[[], str]):
        self.store, self.source, self._hash = store, privacy.mask_phones_in(source) or source, source_hash
        self.rows: set[int] = set()  # rows rejected
        self.warned: set[int] = set()  # rows stored without a touch that had a problem
        self.problems: list[dict[str, object]] = []  # what was quarantined, for callers to answer with
        self.clashes: list[corrections.Clash] = []

    @property
    def hash(self) -> str:
        """The source's hash (computed on first use when given as a function)."""
        if callable(self._hash):
            self._hash = self._hash()
        return self._hash

    def add(self, problems: pd.DataFrame, records: dict[int, str], labels: dict[str, str],
            action: str = "rejected") -> None:
        """Store problems (columns _row, field, code, value, expected) with their raw records.

        `action` says what became of the row: `rejected` (not stored) or `warned` (stored without the touch).
        """
        if problems.empty:
            return
        found = []
        for p in problems.drop_duplicates(["_row", "field"]).to_dict("records"):
            row, shown = int(p["_row"]), labels.get(p["field"], p["field"])
            value = shown_value(p["value"])
            msg = {code: say(p["code"], code, source=self.source, row=row, field=shown, value=value,
                             expected=expected_in(p["expected"], code)) for code in ("en", "zh")}
            (self.rows if action == "rejected" else self.warned).add(row)
            found.append({"row": row, "field": shown, "code": p["code"], "message_en": msg["en"],
                          "message_zh": msg["zh"], "action": action, "field_id": str(p["field"]),
                          "value_shown": "" if value is None else str(value), "expected": str(p["expected"] or "")})
        self.problems += found
        halls = row_halls(self.store, records)
        # One insert of all of them (one statement per row took 6 ms a row: 20,000 rejected rows, two minutes).
        self.store.insert_rows("quarantine", pa.table({
            "source_hash": [self.hash] * len(found), "source": [self.source] * len(found),
            "row_number": pa.array([f["row"] for f in found], pa.int64()),
            **{k: [f[k] for f in found] for k in ("field", "code", "message_en", "message_zh", "action", "field_id",
                                                  "value_shown", "expected")},
            "record": pa.array([kept_record(records.get(f["row"])) for f in found], pa.string()),
            "hall_id": pa.array([halls.get(f["row"]) for f in found], pa.string()),
        }))

    def clashed(self, clashes: list[corrections.Clash]) -> None:
        """Keep ids sent again with different content, under this source."""
        if clashes:
            corrections.record(self.store, self.source, self.hash, clashes)
            self.clashes += clashes

    def file_problem(self, code: str, value: object = "", expected: object = "", row: int = 0) -> None:
        """A problem of the file as a whole (field `*`): unreadable, empty, of no kind peakend knows."""
        self.add(pd.DataFrame([{"_row": row, "field": "*", "code": code, "value": value, "expected": expected}]),
                 {}, {})

    def add_read_problems(self, problems: list[ReadProblem]) -> None:
        """Store rows the reader could not read at all."""
        frame = pd.DataFrame(
            [{"_row": p.row, "field": "*", "code": p.code, "value": p.value, "expected": p.expected} for p in problems]
        )
        self.add(frame, {p.row: p.raw or "" for p in problems}, {})


ID_COLUMN: dict[Kind, str] = {"touch": "touch_id", "visit": "visit_id", "survey": "survey_id", "audit": "audit_id"}


@dataclass
class Stored:
    """What storing one part did: the ids that were new, and the ids that clashed with another version."""

    new: list[str]
    clashes: list[corrections.Clash]


def store_rows(store: Store, kind: Kind, replace: bool = False) -> Stored:
    """Insert the validated rows of staging table `typed_ok` into the store.

    Rows whose id is already stored with the same content are left alone (a retry stores once);
    different content is a clash (`ingest.corrections`), applied only with `replace`. A visit's
    empty fields are filled in by a later event that knows them.
    """
    table, id_col = TABLE[kind], ID_COLUMN[kind]
    visit_cols = list(VISIT_COLUMNS)
    present = set(store.columns(table))
    cols = [c for c in (f.name for f in FIELDS[kind]) if c in present and c != id_col]
    source_cols = [("scale_norm" if c in ("rating_scale", "overall_scale") else c) for c in cols]
    wanted = dict.fromkeys(["_row", "_id", *source_cols, *(visit_cols if kind in ("touch", "visit") else [])])
    store.upload("incoming", f"SELECT {', '.join(q(c) for c in wanted)} FROM typed_ok")
    repeated = bool(store.stage.execute("SELECT count(*) > count(DISTINCT _id) FROM typed_ok").fetchall()[0][0])
    clashes = corrections.find(store, kind, table, id_col, cols, source_cols, replace, repeated)
    new: list[str] = []
    if kind == "visit":
        new = [r[0] for r in store.rows("SELECT DISTINCT visit_id FROM incoming i WHERE NOT EXISTS "
                                        "(SELECT 1 FROM visits v WHERE v.visit_id = i.visit_id)")]
    if kind in ("touch", "visit"):
        filled = " OR ".join(f"(visits.{c} IS NULL AND excluded.{c} IS NOT NULL)" for c in VISIT_FILL)
        updates = ", ".join(f"{c} = coalesce(visits.{c}, excluded.{c})" for c in VISIT_FILL) + (
            f", ingested_at = CASE WHEN {filled} THEN CAST(now() AS TIMESTAMP) ELSE visits.ingested_at END")
        store.execute(
            f"INSERT INTO visits ({', '.join(visit_cols)}) SELECT DISTINCT ON (visit_id) "
            f"{', '.join(visit_cols)} FROM incoming WHERE hall_id IS NOT NULL ORDER BY visit_id, _row"
            f"{' DESC' if replace and kind == 'visit' else ''} ON CONFLICT (visit_id) DO UPDATE SET {updates}"
        )
    if kind != "visit":
        new = [r[0] for r in store.rows(
            f"INSERT INTO {table} ({id_col}, {', '.join(cols)}) SELECT _id, {', '.join(source_cols)} "
            f"FROM {corrections.chosen(replace)} AS c ON CONFLICT DO NOTHING RETURNING {id_col}"
        )]
    if replace and clashes:
        corrections.apply(store, kind, table, id_col, cols, source_cols, clashes)
    return Stored(new, clashes)


def mirror_visits(store: Store, kind: Kind) -> None:
    """Give the staging database `store_visits`: the stored visits that staged rows name.

    Validation joins it to tell a touch of a known visit from one of an unknown visit.
    """
    if kind == "audit":
        return
    con = store.stage

    def named() -> list[str]:
        sql = ("SELECT DISTINCT pk_scrub_key(visit_id) FROM stage WHERE visit_id IS NOT NULL "
               f"AND NOT regexp_matches(visit_id, '{CONTROL_CHARS}')")
        return [r[0] for r in con.execute(sql).fetchall()]

    store.stage_visits(STORE_VISITS, named)


def _records(con: duckdb.DuckDBPyConnection, rows: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(rows))
    if not wanted:
        return {}
    found = con.execute(
        f"SELECT _row, to_json(_peakend_record) FROM {STAGE} AS _peakend_record "
        f"WHERE _row IN ({', '.join(map(str, wanted))})")
    return {
        int(r): json.dumps({k: v for k, v in json.loads(j).items() if k != "_row"}, ensure_ascii=False)
        for r, j in found.fetchall()
    }


def _file_notes(source: str, columns: list[str], parts: list[Part]) -> list[str]:
    missing = dict.fromkeys(m for p in parts for m in p.missing)
    notes: list[str] = [said("missing_hall" if m == "hall_id" else "missing_column", source=source, field=m,
                              value=", ".join(columns)) for m in missing]
    extra = [c for c in columns if c not in used_columns(parts, columns)]
    if extra:
        notes.append(said("extra_columns", source=source, value=", ".join(extra)))
    return notes


class Sink(Protocol):
    """Where `_ingest_chunk` puts rejected rows: a `Quarantine`, or one per request (`PostsQuarantine`)."""

    def add(self, problems: pd.DataFrame, records: dict[int, str], labels: dict[str, str],
            action: str = "rejected") -> None:
        """Store problems (columns _row, field, code, value, expected) with their raw records."""

    def clashed(self, clashes: list[corrections.Clash]) -> None:
        """Keep ids sent again with different content (conflicts or corrections)."""


# Hears what each part stored: its good rows (in `typed_ok`) and the ids that were new.
Tally = Callable[[int, list[str]], None]


@dataclass
class Outcome:
    """What ingesting one chunk did: events stored and already there (counted parts), the rows' fates,
    counts per kind of event, and the clashes."""

    stored: int = 0
    duplicates: int = 0
    fates: RowCounts = field(default_factory=RowCounts)
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    clashes: list[corrections.Clash] = field(default_factory=list)
    ordered: int = 0  # visits numbered in row order (`ingest.order`)


def _checked(con: duckdb.DuckDBPyConnection, store: Store, parts: list[Part], ctx: Context,
             quarantine: Sink) -> tuple[set[int], list[set[int]], dict[str, KindCounts]]:
    """Check every part into `typed_<i>`; quarantine what cannot be stored.

    A source row is the unit: a problem in any event drawn from it rejects the whole row, except a
    touch of a wide file (one row, many moments): that touch alone is dropped, with a warning, and
    the rest of the row is stored. Returns the rejected rows, each part's dropped rows, and counts.
    """
    wide = len(parts) > 1
    bad: set[int] = set()
    found: list[tuple[pd.DataFrame, set[int]]] = []
    remember_visits(con, None)
    for i, part in enumerate(parts):
        con.execute(f"CREATE OR REPLACE TEMP TABLE stage AS {part.sql}")
        con.execute(f"DROP TABLE IF EXISTS typed_{i}")
        mirror_visits(store, part.kind)
        errors = check(con, "stage", part.kind, ctx, f"typed_{i}")
        rows = set(errors["_row"].astype(int))
        found.append((errors, rows))
        if not (wide and part.kind == "touch"):
            bad |= rows
        remember_visits(con, f"typed_{i}")
    counts: dict[str, KindCounts] = {}
    dropped: list[set[int]] = []
    con.register("bad_rows", pd.DataFrame({"_row": sorted(bad)}, dtype="int64"))
    for i, (part, (errors, rows)) in enumerate(zip(parts, found, strict=True)):
        k = counts.setdefault(part.kind, KindCounts())
        warned = rows - bad if wide and part.kind == "touch" else set()
        # every event a rejected row would have given is rejected with it
        k.rejected += con.execute(f"SELECT count(*) FROM typed_{i} WHERE _row IN (SELECT _row FROM bad_rows)"
                                  ).fetchall()[0][0] if bad else 0
        k.warned += len(warned)
        rejected = errors[errors["_row"].isin(bad)]
        records = _records(con, rejected["_row"])
        quarantine.add(rejected, records, part.labels)
        if warned:
            mine = errors[errors["_row"].isin(warned)]
            quarantine.add(mine, _records(con, mine["_row"]), part.labels, "warned")
        dropped.append(bad | warned)
    return bad, dropped, counts


def _ingest_chunk(
    store: Store,
    chunk: Chunk,
    parts: list[Part],
    ctx: Context,
    quarantine: Sink,
    tally: Tally | None = None,
    live: bool = False,
) -> Outcome:
    """Check every part of a chunk, then store the rows none of whose parts had a problem (see `_checked`).

    `tally` hears what each part stored. With `live`, the visits of stored touches and visits are
    queued for the live rules.
    """
    out = Outcome()
    if not chunk.size:
        return out
    con = store.stage
    privacy.register(store)
    con.register(STAGE, chunk.to_arrow())
    small = chunk.size < SMALL_CHUNK
    if small:  # on a few rows, DuckDB's second thread costs more than it gives
        con.execute("SET threads = 1")
    try:
        with store.transaction():
            bad, dropped, counts = _checked(con, store, parts, ctx, quarantine)
            new_rows: set[int] = set()
            clashes: list[corrections.Clash] = []
            fresh: list[str] = []  # touches stored by this chunk's earlier parts (`attach`: no visit stored before)
            for i, part in enumerate(parts):
                con.register("bad_rows", pd.DataFrame({"_row": sorted(dropped[i])}, dtype="int64"))
                good = con.execute(
                    f"CREATE OR REPLACE TEMP TABLE typed_ok AS SELECT * FROM typed_{i} "
                    "WHERE _row NOT IN (SELECT _row FROM bad_rows)"
                ).fetchall()[0][0]
                if part.kind == "touch" and len(parts) == 1:  # a wide file's touches have their seq
                    out.ordered += number_timeless(store, ctx.replace)
                joined = attach.attach(store, ctx.replace, fresh) if part.kind == "touch" else attach.Attached(set())
                done = store_rows(store, part.kind, ctx.replace)
                fresh += done.new if part.kind == "touch" else []
                if live and part.kind in ("touch", "visit"):
                    queue_visits(store, "incoming")
                new_rows |= _rows_of(con, done.new, ctx.replace) | joined.rows
                clashes += done.clashes
                k = counts[part.kind]
                _count_attached(k, joined)
                k.conflicts += sum(c.action == "conflict" for c in done.clashes)
                k.replaced += sum(c.action == "replaced" for c in done.clashes)
                k.stored += len(done.new)
                k.duplicates += good - len(done.new)
                if part.kind != "visit" or len(parts) == 1:  # a wide file's visit rows are bookkeeping
                    out.stored += len(done.new)
                    out.duplicates += good - len(done.new)
                if tally:
                    tally(good, done.new)
            quarantine.clashed(clashes)
            out.fates = _fates(chunk.size, bad, dropped, clashes, new_rows)
            out.kinds, out.clashes = counts, clashes
    finally:
        con.unregister(STAGE)
        con.unregister("bad_rows")
        if small:
            con.execute("RESET threads")
    return out


def _count_attached(k: KindCounts, joined: attach.Attached) -> None:
    """Count touches whose rating was attached (stored, not already there) and those that could not be."""
    k.attached += joined.touches
    k.duplicates -= joined.touches
    for reason, n in (joined.unattached or {}).items():
        setattr(k, f"unattached_{reason}", getattr(k, f"unattached_{reason}") + n)


def _rows_of(con: duckdb.DuckDBPyConnection, ids: list[str], replace: bool) -> set[int]:
    """The row of `typed_ok` that stored each new id in `ids`: its first (as a correction, its last)."""
    if not ids:
        return set()
    con.register("new_ids", pd.DataFrame({"_id": ids}))
    pick = "max" if replace else "min"
    try:
        return {int(r[0]) for r in con.execute(
            f"SELECT {pick}(_row) FROM typed_ok WHERE _id IN (SELECT _id FROM new_ids) GROUP BY _id").fetchall()}
    finally:
        con.unregister("new_ids")


def _fates(size: int, bad: set[int], dropped: list[set[int]], clashes: list[corrections.Clash],
           new_rows: set[int]) -> RowCounts:
    """Each row counted once, worst first: rejected, conflicted, warned, corrected, stored, already there."""
    conflicted = {c.row for c in clashes if c.action == "conflict"} - bad
    warned = set().union(*dropped) - bad - conflicted if dropped else set()
    corrected = {c.row for c in clashes if c.action == "replaced"} - bad - conflicted - warned
    stored = new_rows - bad - conflicted - warned - corrected
    fates = RowCounts(len(bad), len(conflicted), len(warned), len(corrected), len(stored))
    fates.already = size - fates.rejected - fates.conflicted - fates.warned - fates.corrected - fates.stored
    return fates


def commonest(problems: list[dict[str, object]], n: int = 3) -> list[tuple[int, str, dict[str, str]]]:
    """This run's `n` commonest problems by field and code, most first: (rows, field, the first row's message in
    each language)."""
    groups: dict[tuple[str, str], list] = {}
    for p in problems:
        g = groups.setdefault((str(p["field"]), str(p["code"])), [0, p])
        g[0] += 1
        if int(str(p["row"])) < int(str(g[1]["row"])):
            g[1] = p
    ranked = sorted(groups.values(), key=lambda g: (-g[0], int(str(g[1]["row"]))))[:n]
    return [(count, str(p["field"]), {"en": str(p["message_en"]), "zh": str(p["message_zh"])}) for count, p in ranked]


def ingest_file(
    store: Store,
    path: Path,
    ctx: Context,
    mapping: Mapping | None = None,
    kind: Kind | None = None,
    encoding: str = "auto",
    progress: Callable[[int, int], None] | None = None,
    sheet: str | None = None,
    label: str | None = None,
) -> FileResult:
    """Ingest one file (of a workbook, one sheet: its source is `file#sheet`); bad rows are quarantined and named,
    never raised. `encoding` of a text file: `auto` detects it. `label` names the source instead of the path (an
    upload: its own file name)."""
    with store.lock:
        return _ingest_file(store, path, ctx, mapping, kind, encoding, progress, sheet, label)


def _ingest_file(
    store: Store,
    path: Path,
    ctx: Context,
    mapping: Mapping | None,
    kind: Kind | None,
    encoding: str,
    progress: Callable[[int, int], None] | None,
    sheet: str | None = None,
    label: str | None = None,
) -> FileResult:
    source = shown_name((label or str(path)) + (f"#{sheet}" if sheet else ""))
    result = FileResult(source)
    fmt = file_format(path)
    if mapping is not None:  # the mapping's scale and fractions, unless the caller gave them
        ctx = dataclasses.replace(ctx, rating_scale=ctx.rating_scale or mapping.rating_scale,
                                  allow_fractions=ctx.allow_fractions or mapping.allow_fractions)
    quarantine = Quarantine(store, source, file_hash(path) + (f"#{sheet}" if sheet else "") if path.is_file()
                            else source)
    def refuse(code: str, value: object = "", expected: object = "", row: int = 0) -> None:
        """A problem of the file as a whole: kept in quarantine (field `*`) and told as a note."""
        quarantine.file_problem(code, value, expected, row)
        result.notes.append(said(code, source=source, value=value, expected=expected))

    if fmt is None or not path.is_file() or path.stat().st_size == 0:
        refuse("empty_file" if path.is_file() and fmt else "unreadable",
               "no such file" if not path.exists() else path.suffix,
               "CSV, JSON Lines, Parquet or Excel" if fmt is None else "a file")
        result.quarantined = 1
        return result
    size = path.stat().st_size
    if sheet is not None and fmt == "excel" and not _has_sheet(path, sheet, refuse):
        result.quarantined, result.refused = 1, True
        return result
    reader = functools.partial(read_excel, sheet=sheet) if fmt == "excel" else READERS[fmt]
    parts: list[Part] | None = None
    try:
        for chunk in reader(path, encoding, CHUNK_ROWS, lambda done: progress and progress(done, size)):
            if parts is None:
                try:
                    mapping = fitted(chunk.columns, mapping, ctx.blueprint, source, sheet is not None)
                except MappingError as exc:  # a column or moment it names is not there: nothing of the file stored
                    result.rows += chunk.size
                    refuse(exc.key, exc.fields["value"], exc.fields["expected"])
                    result.refused = True
                    break
                parts = plan_parts(chunk.columns, mapping, kind)
                if not parts:
                    result.rows += chunk.size
                    refuse("unknown_kind", ", ".join(chunk.columns), row=chunk.numbers[0] if chunk.numbers else 0)
                    break
                result.kind = "+".join(dict.fromkeys(p.kind for p in parts))
                result.notes += _file_notes(source, chunk.columns, parts)
                result.notes += [n for n in [end_note(mapping, ctx.blueprint, source)] if n]
            quarantine.add_read_problems(chunk.problems)
            result.rows += chunk.size + len(chunk.problems)
            result.absorb(_ingest_chunk(store, chunk, parts, ctx, quarantine))
    except (OSError, ValueError, CalamineError) as exc:  # unreadable Parquet or workbook, bad encoding name, ...
        refuse("unreadable", str(exc), fmt)
    if parts is None and not result.notes:
        refuse("empty_file")
    if result.ordered:
        result.notes.append(said("ingest_row_order", source=source, value=result.ordered))
    result.notes += attach_notes(source, result.kinds.get("touch"))
    if not any(p["field_id"] == "hall_id" and p["code"] == "missing" for p in quarantine.problems):
        result.notes = [n for n in result.notes if getattr(n, "key", "") != "missing_hall"]  # no row needed one
    result.quarantined = len(quarantine.rows)
    result.commonest = commonest(quarantine.problems)
    store.execute(
        "INSERT INTO ingest_log (source_hash, source, kind, rows_read, stored, duplicates, quarantined) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            quarantine.hash,
            quarantine.source,
            result.kind or "?",
            result.rows,
            result.stored,
            result.duplicates,
            result.quarantined,
        ],
    )
    return result


def _has_sheet(path: Path, sheet: str, refuse: Callable[..., None]) -> bool:
    """Whether a workbook has sheet `sheet`; when it has not, refused naming the sheets it has (`no_sheet`). A
    workbook that cannot be read is left to the reader to tell."""
    try:
        names = sheet_names(path)
    except (OSError, ValueError, CalamineError):
        return True
    if sheet in names:
        return True
    refuse("no_sheet", sheet, ", ".join(names))
    return False


@dataclass
class RecordsResult:
    """What ingesting a batch of records did; `problems` name each rejected record's index and field."""

    stored: int = 0
    duplicates: int = 0
    problems: list[dict[str, object]] = field(default_factory=list)
    clashes: list[corrections.Clash] = field(default_factory=list)


@dataclass
class Post:
    """One request's events as JSON objects: record i is row `numbers[i]` (default i) of `source`."""

    records: list[dict[str, object]]
    kind: Kind
    source: str
    numbers: list[int] | None = None

    def rows(self) -> list[int]:
        """The row number of each record in its request."""
        return self.numbers or list(range(len(self.records)))


def records_hash(records: list[dict[str, object]]) -> str:
    """The SHA-256 of a batch's canonical JSON: the key of its quarantined records."""
    text = json.dumps(records, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PostsQuarantine:
    """The quarantines of several posts checked as one chunk: chunk row r is a row of post `owner[r]`.

    Each post's rejected records are kept under its own source, hash and row numbers, as if
    it had been ingested alone.
    """

    def __init__(self, store: Store, posts: list[Post], owner: list[int], local: list[int]):
        self.owner, self.local = owner, local
        self.each = [Quarantine(store, p.source, functools.partial(records_hash, p.records)) for p in posts]

    def add(self, problems: pd.DataFrame, records: dict[int, str], labels: dict[str, str],
            action: str = "rejected") -> None:
        """Hand each post the problems of its rows, renumbered as rows of that post."""
        if problems.empty:
            return
        owners = problems["_row"].map(lambda r: self.owner[int(r)])
        for k, mine in problems.groupby(owners):
            mine = mine.assign(_row=mine["_row"].map(lambda r: self.local[int(r)]))
            own = {self.local[r]: rec for r, rec in records.items() if self.owner[r] == k}
            self.each[int(k)].add(mine, own, labels, action)

    def clashed(self, clashes: list[corrections.Clash]) -> None:
        """Hand each post the clashes of its rows, renumbered as rows of that post."""
        for c in clashes:
            self.each[self.owner[c.row]].clashed([dataclasses.replace(c, row=self.local[c.row])])


def _post_chunk(posts: list[Post]) -> tuple[Chunk, list[int], list[int]]:
    """The posts' records as one chunk numbered 0…n−1, with each row's post and its row in that post."""
    known = [f.name for f in FIELDS[posts[0].kind]]
    extra = sorted({k for p in posts for r in p.records for k in r} - set(known))
    columns = known + extra
    records = [r for p in posts for r in p.records]
    cells = {c: text_column([r.get(c) for r in records]) for c in columns}
    owner = [k for k, p in enumerate(posts) for _ in p.records]
    local = [n for p in posts for n in p.rows()]
    return Chunk(columns, numbers=list(range(len(records))), cells=cells), owner, local


def ingest_posts(store: Store, posts: list[Post], ctx: Context, live: bool = False) -> list[RecordsResult]:
    """Ingest several requests' events of one kind together: one check, one transaction (group commit).

    Each post is answered as if it had been ingested alone after the ones before it: its own
    stored and duplicate counts (a record is new in the post where it first appears) and its
    own rejected records, named by its row numbers and quarantined under its source. With
    `live`, the visits of stored touches and visits are queued for the live rules (`live.pending`).
    """
    if not posts:
        return []
    kind = posts[0].kind
    if any(p.kind != kind for p in posts):
        raise ValueError("ingest_posts takes posts of one kind")
    chunk, owner, local = _post_chunk(posts)
    results = [RecordsResult() for _ in posts]
    quarantine = PostsQuarantine(store, posts, owner, local)

    def tally(good: int, new: list[str]) -> None:
        firsts: dict[str, int] = {}
        for row, id_ in store.stage.execute("SELECT _row, _id FROM typed_ok ORDER BY _row").fetchall():
            firsts.setdefault(id_, row)
            results[owner[row]].duplicates += 1
        for new_id in new:
            result = results[owner[firsts[new_id]]]
            result.stored += 1
            result.duplicates -= 1

    with store.lock:
        _ingest_chunk(store, chunk, plan_parts(chunk.columns, None, kind), ctx, quarantine, tally, live)
    for result, q_ in zip(results, quarantine.each, strict=True):
        result.problems, result.clashes = q_.problems, q_.clashes
    return results


def ingest_records(
    store: Store,
    records: list[dict[str, object]],
    kind: Kind,
    ctx: Context,
    source: str,
    numbers: list[int] | None = None,
    live: bool = False,
) -> RecordsResult:
    """Ingest events sent as JSON objects (the HTTP API), checked by the same contract as files.

    Record i is row `numbers[i]` (default i) of the request; a bad record is quarantined and
    named, the good ones stored. With `live`, their visits are queued for the live rules
    (`live.pending`) in the same transaction.
    """
    return ingest_posts(store, [Post(records, kind, source, numbers)], ctx, live)[0]




def ingest_isolated(store: Store, post: Post, ctx: Context, live: bool = False) -> RecordsResult:
    """Ingest one post whose group failed in the store: halves that fail are split again, so a record
    the store refuses (one the contract checks let through) is quarantined alone and the rest stored.

    Raises `StoreUnavailable` when the store does not answer at all (then no record is to blame).
    """
    try:
        return ingest_posts(store, [post], ctx, live)[0]
    except Exception as exc:
        try:
            store.scalar("SELECT 1")
        except Exception as down:
            raise StoreUnavailable(value=type(down).__name__) from exc
        if len(post.records) > 1:
            half = len(post.records) // 2
            rows = post.rows()
            parts = [Post(post.records[:half], post.kind, post.source, rows[:half]),
                     Post(post.records[half:], post.kind, post.source, rows[half:])]
            results = [ingest_isolated(store, part, ctx, live) for part in parts]
            return RecordsResult(sum(r.stored for r in results), sum(r.duplicates for r in results),
                                 [x for r in results for x in r.problems], [x for r in results for x in r.clashes])
        return _refused(store, post, exc)


def _refused(store: Store, post: Post, exc: Exception) -> RecordsResult:
    """Quarantine the one record of `post` that the store refused, naming the store's reason."""
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    quarantine = Quarantine(store, post.source, lambda: records_hash(post.records))
    row = post.rows()[0]
    frame = pd.DataFrame([{"_row": row, "field": "*", "code": "store_refused", "value": reason, "expected": ""}])
    quarantine.add(frame, {row: json.dumps(post.records[0], ensure_ascii=False, default=str)}, {})
    return RecordsResult(problems=quarantine.problems)


def sources(paths: Iterable[Path], sheet: str | None = None) -> list[tuple[Path, str | None]]:
    """The files named (folders expanded), each workbook as its visible sheets (or only `sheet`): (path, sheet)."""
    out: list[tuple[Path, str | None]] = []
    for path in expand_paths(paths):
        if file_format(path) != "excel" or not path.is_file():
            out.append((path, None))
            continue
        try:
            names = excel_sheets(path)
        except (OSError, ValueError, CalamineError):
            out.append((path, None))  # unreadable: ingest_file quarantines it and says so
            continue
        out += [(path, s) for s in names if sheet is None or s == sheet] or [(path, sheet or None)]
    return out


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, with folders expanded to the readable files beneath them, sorted (a lake table by table)."""
    out: list[Path] = []
    for p in paths:
        if is_lake(p):
            out += lake_files(p)
        elif p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and file_format(f))
        else:
            out.append(p)
    return out


__all__ = ["FileResult", "Post", "RecordsResult", "StoreUnavailable", "expand_paths", "ingest_file", "ingest_isolated",
           "ingest_posts", "ingest_records", "q", "sources"]
