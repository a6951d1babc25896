"""Ingest files into the store: read, map, validate, store good rows, quarantine the rest.

Ingest is idempotent: events are keyed by sender-given (or derived) ids and quarantined
rows by (file content hash, row, field), so ingesting a file twice stores nothing twice.
"""

from __future__ import annotations

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

from peakend.contract import FIELDS, Kind
from peakend.errors import StoreUnavailable
from peakend.i18n import both, say
from peakend.ingest import privacy
from peakend.ingest.mapping import STAGE, Mapping, Part, plan_parts, used_columns
from peakend.ingest.readers import READERS, Chunk, ReadProblem, file_format, text_column
from peakend.ingest.validate import CONTROL_CHARS, STORE_VISITS, Context, check, q, remember_visits
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

    def tally(self, good: int, new: list[str]) -> None:
        """Count a part's stored rows: `good` rows passed the checks, `new` ids were not stored before."""
        self.stored += len(new)
        self.duplicates += good - len(new)

    def summary(self) -> str:
        """The one-line summary in the session language."""
        return say(
            "ingest_summary",
            source=self.source,
            rows=self.rows,
            stored=self.stored,
            duplicates=self.duplicates,
            quarantined=self.quarantined,
        )


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


def kept_record(record: str | None) -> str | None:
    """A rejected record as quarantine keeps it: phones masked, cut at `RECORD_CHARS`."""
    text = privacy.mask_phones_in(record)
    return text if text is None or len(text) <= RECORD_CHARS else text[:RECORD_CHARS] + "…"


class Quarantine:
    """Writes rejected rows of one source, with bilingual messages, once per (row, field).

    `source_hash` keys the rows; given as a function, it is computed only if something is quarantined.
    """

    def __init__(self, store: Store, source: str, source_hash: str | Callable[[], str]):
        self.store, self.source, self._hash = store, privacy.mask_phones_in(source) or source, source_hash
        self.rows: set[int] = set()
        self.problems: list[dict[str, object]] = []  # what was quarantined, for callers to answer with

    @property
    def hash(self) -> str:
        """The source's hash (computed on first use when given as a function)."""
        if callable(self._hash):
            self._hash = self._hash()
        return self._hash

    def add(self, problems: pd.DataFrame, records: dict[int, str], labels: dict[str, str]) -> None:
        """Store problems (columns _row, field, code, value, expected) with their raw records."""
        if problems.empty:
            return
        found = []
        for p in problems.drop_duplicates(["_row", "field"]).to_dict("records"):
            row, shown = int(p["_row"]), labels.get(p["field"], p["field"])
            value = shown_value(p["value"])
            msg = both(p["code"], source=self.source, row=row, field=shown, value=value, expected=p["expected"])
            self.rows.add(row)
            found.append({"row": row, "field": shown, "code": p["code"], "message_en": msg["en"],
                          "message_zh": msg["zh"]})
        self.problems += found
        # One insert of all of them (one statement per row took 6 ms a row: 20,000 rejected rows, two minutes).
        self.store.insert_rows("quarantine", pa.table({
            "source_hash": [self.hash] * len(found), "source": [self.source] * len(found),
            "row_number": pa.array([f["row"] for f in found], pa.int64()),
            **{k: [f[k] for f in found] for k in ("field", "code", "message_en", "message_zh")},
            "record": pa.array([kept_record(records.get(f["row"])) for f in found], pa.string()),
        }))

    def add_read_problems(self, problems: list[ReadProblem]) -> None:
        """Store rows the reader could not read at all."""
        frame = pd.DataFrame(
            [{"_row": p.row, "field": "*", "code": p.code, "value": p.value, "expected": p.expected} for p in problems]
        )
        self.add(frame, {p.row: p.raw or "" for p in problems}, {})


ID_COLUMN: dict[Kind, str] = {"touch": "touch_id", "visit": "visit_id", "survey": "survey_id", "audit": "audit_id"}


def store_rows(store: Store, kind: Kind) -> list[str]:
    """Insert the validated rows of staging table `typed_ok` into the store; return the ids that were new.

    Rows whose id is already stored are left alone (a retry stores once); a visit's empty
    fields are filled in by a later event that knows them.
    """
    table, id_col = TABLE[kind], ID_COLUMN[kind]
    visit_cols = list(VISIT_COLUMNS)
    present = set(store.columns(table))
    cols = [c for c in (f.name for f in FIELDS[kind]) if c in present and c != id_col]
    source_cols = [("scale_norm" if c in ("rating_scale", "overall_scale") else c) for c in cols]
    wanted = dict.fromkeys(["_row", "_id", *source_cols, *(visit_cols if kind in ("touch", "visit") else [])])
    store.upload("incoming", f"SELECT {', '.join(q(c) for c in wanted)} FROM typed_ok")
    new: list[str] = []
    if kind == "visit":
        new = [r[0] for r in store.rows("SELECT DISTINCT visit_id FROM incoming i WHERE NOT EXISTS "
                                        "(SELECT 1 FROM visits v WHERE v.visit_id = i.visit_id)")]
    if kind in ("touch", "visit"):
        updates = ", ".join(f"{c} = coalesce(visits.{c}, excluded.{c})" for c in VISIT_FILL)
        store.execute(
            f"INSERT INTO visits ({', '.join(visit_cols)}) SELECT DISTINCT ON (visit_id) "
            f"{', '.join(visit_cols)} FROM incoming WHERE hall_id IS NOT NULL ORDER BY visit_id, _row "
            f"ON CONFLICT (visit_id) DO UPDATE SET {updates}"
        )
    if kind != "visit":
        new = [r[0] for r in store.rows(
            f"INSERT INTO {table} ({id_col}, {', '.join(cols)}) SELECT DISTINCT ON (_id) _id, "
            f"{', '.join(source_cols)} FROM incoming ORDER BY _id, _row ON CONFLICT DO NOTHING RETURNING {id_col}"
        )]
    return new


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
    notes = [
        say("missing_column", source=source, field=m, value=", ".join(columns))
        for p in parts
        for m in dict.fromkeys(p.missing)
    ]
    extra = [c for c in columns if c not in used_columns(parts, columns)]
    if extra:
        notes.append(say("extra_columns", source=source, value=", ".join(extra)))
    return notes


class Sink(Protocol):
    """Where `_ingest_chunk` puts rejected rows: a `Quarantine`, or one per request (`PostsQuarantine`)."""

    def add(self, problems: pd.DataFrame, records: dict[int, str], labels: dict[str, str]) -> None:
        """Store problems (columns _row, field, code, value, expected) with their raw records."""


# Counts what a part stored: told the part's good rows and the ids that were new.
Tally = Callable[[int, list[str]], None]


def _ingest_chunk(
    store: Store,
    chunk: Chunk,
    parts: list[Part],
    ctx: Context,
    quarantine: Sink,
    tally: Tally,
    live: bool = False,
) -> None:
    """Check every part of a chunk, then store the rows none of whose parts had a problem.

    A source row is the unit: if any event drawn from it is bad, the whole row is quarantined.
    `tally` hears what each counted part stored (a wide file's visit rows are bookkeeping, not counted).
    With `live`, the visits of stored touches and visits are queued for the live rules.
    """
    if not chunk.size:
        return
    con = store.stage
    privacy.register(store)
    con.register(STAGE, chunk.to_arrow())
    small = chunk.size < SMALL_CHUNK
    if small:  # on a few rows, DuckDB's second thread costs more than it gives
        con.execute("SET threads = 1")
    try:
        with store.transaction():
            bad: set[int] = set()
            remember_visits(con, None)
            for i, part in enumerate(parts):
                con.execute(f"CREATE OR REPLACE TEMP TABLE stage AS {part.sql}")
                con.execute(f"DROP TABLE IF EXISTS typed_{i}")
                mirror_visits(store, part.kind)
                errors = check(con, "stage", part.kind, ctx, f"typed_{i}")
                quarantine.add(errors, _records(con, errors["_row"]), part.labels)
                bad |= set(errors["_row"].astype(int))
                remember_visits(con, f"typed_{i}")
            con.register("bad_rows", pd.DataFrame({"_row": sorted(bad)}, dtype="int64"))
            for i, part in enumerate(parts):
                good = con.execute(
                    f"CREATE OR REPLACE TEMP TABLE typed_ok AS SELECT * FROM typed_{i} "
                    "WHERE _row NOT IN (SELECT _row FROM bad_rows)"
                ).fetchall()[0][0]
                new = store_rows(store, part.kind)
                if live and part.kind in ("touch", "visit"):
                    queue_visits(store, "incoming")
                if part.kind != "visit" or len(parts) == 1:
                    tally(good, new)
    finally:
        con.unregister(STAGE)
        con.unregister("bad_rows")
        if small:
            con.execute("RESET threads")


def ingest_file(
    store: Store,
    path: Path,
    ctx: Context,
    mapping: Mapping | None = None,
    kind: Kind | None = None,
    encoding: str = "utf-8",
    progress: Callable[[int, int], None] | None = None,
) -> FileResult:
    """Ingest one file; bad rows are quarantined and named, never raised."""
    with store.lock:
        return _ingest_file(store, path, ctx, mapping, kind, encoding, progress)


def _ingest_file(
    store: Store,
    path: Path,
    ctx: Context,
    mapping: Mapping | None,
    kind: Kind | None,
    encoding: str,
    progress: Callable[[int, int], None] | None,
) -> FileResult:
    source = str(path)
    result = FileResult(source)
    fmt = file_format(path)
    if mapping is not None:  # the mapping's scale and fractions, unless the caller gave them
        ctx = Context(ctx.blueprint, ctx.rating_scale or mapping.rating_scale,
                      ctx.allow_fractions or mapping.allow_fractions)
    quarantine = Quarantine(store, source, file_hash(path) if path.is_file() else source)
    if fmt is None or not path.is_file() or path.stat().st_size == 0:
        code = "empty_file" if path.is_file() and fmt else "unreadable"
        expected = "CSV, JSON Lines or Parquet" if fmt is None else "a file"
        quarantine.add(
            pd.DataFrame(
                [
                    {
                        "_row": 0,
                        "field": "*",
                        "code": code,
                        "value": "no such file" if not path.exists() else path.suffix,
                        "expected": expected,
                    }
                ]
            ),
            {},
            {},
        )
        result.notes.append(say(code, source=source, value=path.suffix, expected=expected))
        result.quarantined = 1
        return result
    size = path.stat().st_size
    reader = READERS[fmt]
    parts: list[Part] | None = None
    try:
        for chunk in reader(path, encoding, CHUNK_ROWS, lambda done: progress and progress(done, size)):
            if parts is None:
                parts = plan_parts(chunk.columns, mapping, kind)
                if not parts:
                    result.notes.append(say("unknown_kind", source=source, value=", ".join(chunk.columns)))
                    result.rows += chunk.size
                    frame = pd.DataFrame(
                        [
                            {
                                "_row": n,
                                "field": "*",
                                "code": "unknown_kind",
                                "value": ", ".join(chunk.columns),
                                "expected": "",
                            }
                            for n in chunk.numbers[:1]
                        ]
                    )
                    quarantine.add(frame, {}, {})
                    break
                result.kind = "+".join(dict.fromkeys(p.kind for p in parts))
                result.notes += _file_notes(source, chunk.columns, parts)
            quarantine.add_read_problems(chunk.problems)
            result.rows += chunk.size + len(chunk.problems)
            _ingest_chunk(store, chunk, parts, ctx, quarantine, result.tally)
    except (OSError, ValueError) as exc:  # unreadable Parquet, bad encoding name, ...
        quarantine.add(
            pd.DataFrame([{"_row": 0, "field": "*", "code": "unreadable", "value": str(exc), "expected": fmt}]), {}, {}
        )
        result.notes.append(say("unreadable", source=source, value=str(exc), expected=fmt))
    if parts is None and not result.notes:
        quarantine.add(
            pd.DataFrame([{"_row": 0, "field": "*", "code": "empty_file", "value": "", "expected": ""}]), {}, {}
        )
        result.notes.append(say("empty_file", source=source))
    result.quarantined = len(quarantine.rows)
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


@dataclass
class RecordsResult:
    """What ingesting a batch of records did; `problems` name each rejected record's index and field."""

    stored: int = 0
    duplicates: int = 0
    problems: list[dict[str, object]] = field(default_factory=list)


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

    def add(self, problems: pd.DataFrame, records: dict[int, str], labels: dict[str, str]) -> None:
        """Hand each post the problems of its rows, renumbered as rows of that post."""
        if problems.empty:
            return
        owners = problems["_row"].map(lambda r: self.owner[int(r)])
        for k, mine in problems.groupby(owners):
            mine = mine.assign(_row=mine["_row"].map(lambda r: self.local[int(r)]))
            own = {self.local[r]: rec for r, rec in records.items() if self.owner[r] == k}
            self.each[int(k)].add(mine, own, labels)


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
        result.problems = q_.problems
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
                                 [x for r in results for x in r.problems])
        return _refused(store, post, exc)


def _refused(store: Store, post: Post, exc: Exception) -> RecordsResult:
    """Quarantine the one record of `post` that the store refused, naming the store's reason."""
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    quarantine = Quarantine(store, post.source, lambda: records_hash(post.records))
    row = post.rows()[0]
    frame = pd.DataFrame([{"_row": row, "field": "*", "code": "store_refused", "value": reason, "expected": ""}])
    quarantine.add(frame, {row: json.dumps(post.records[0], ensure_ascii=False, default=str)}, {})
    return RecordsResult(problems=quarantine.problems)


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
           "ingest_posts", "ingest_records", "q"]
