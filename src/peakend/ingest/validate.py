"""Vectorised validation of staged rows against the event contract, in DuckDB SQL.

A staged table holds text cells (one column per contract field, plus `_row`). `check`
types every cell and lists every problem as (row, field, code, value, expected); rows
with no problem become typed records ready to store. Doing this in SQL keeps ingest fast
on large files while every bad cell is still named.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.contract import (
    BINARY_WORDS,
    DERIVED_ID,
    FALSE_WORDS,
    FIELDS,
    FULL_WIDTH,
    HALF_WIDTH,
    ID_FIELD,
    KEY_FIELDS,
    OUTCOME_ALIASES,
    SAT3_WORDS,
    SCALE_ALIASES,
    SCALE_TAKES,
    SCALES,
    SET_FIELDS,
    TRUE_WORDS,
    FieldSpec,
    Kind,
    fold,
)
from peakend.ingest.privacy import key_sql, mask_sql, scrub_sql

TIME_FORMATS = [
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M",
]
# Numbers as people write them, in decimal (DuckDB alone also reads 0x7fffffff, 0b101 and 1_000).
INTEGER = r"\s*[+-]?[0-9]+(?:\.[0-9]*)?\s*"
DECIMAL = r"\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))\s*"
# A UTC offset after a time (10:00+08:00, 10:00:00-0530, 10:00+8): its sign (group 1), hours (2), minutes (3).
OFFSET = r"[0-9]:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*([+-])([0-9]{1,2})(?::?([0-9]{2}))?$"
OFFSETS = "-12:00 … +14:00"  # the offsets in use
A_NUMBER = "a number"  # the expectation of a number, said in each language by `expected_in`
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # an RE2 class: controls other than tab and newlines
PHONE = "_phone_digits"  # a customer key's digits when it is a phone (privacy.register's macros)
TYPE_CODE = {
    "int": "not_integer",
    "float": "not_number",
    "timestamp": "not_timestamp",
    "bool": "not_bool",
    "rating": "not_number",
}


@dataclass(frozen=True)
class Context:
    """What ingest needs besides the rows: the blueprint, the default rating scale, whether a rating
    between the points of its scale (3.5 on 1–5) is accepted, and whether an id sent again with
    different content is a correction to apply (`replace`) or a conflict to report; and, for a sender scoped
    to some halls (a manager's upload), which: a row of another hall is refused (`forbidden_hall`), a survey of
    another hall's visit is answered as one of no stored visit (`unknown_visit`)."""

    blueprint: Blueprint
    rating_scale: str | None = None
    allow_fractions: bool = False
    replace: bool = False
    halls: frozenset[str] | None = None  # the halls the sender may write (None: every hall)


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    """A SQL literal for a string, number or None."""
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _in(values: Iterable[object]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _map(expr: str, mapping: dict[str, object]) -> str:
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} END"


def fold_sql(expr: str) -> str:
    """SQL for a word as answers are compared (`contract.fold`): full-width as ASCII, spaces collapsed, lower."""
    return (f"lower(trim(regexp_replace(translate({expr}, {lit(FULL_WIDTH)}, {lit(HALF_WIDTH)}), "
            f"'[ \\t\\n\\f\\r]+', ' ', 'g')))")


def _number_sql(raw: str) -> str:
    """SQL for a number as typed, full-width digits and signs read as ASCII."""
    return f"translate({raw}, {lit(FULL_WIDTH[:94])}, {lit(HALF_WIDTH[:94])})"


def _decimal_sql(raw: str, pattern: str, kind: str) -> str:
    """SQL for a number of `kind` (BIGINT, DOUBLE) written in decimal as `pattern` says; NULL for anything else."""
    number = _number_sql(raw)
    return f"CASE WHEN regexp_full_match({number}, {lit(pattern)}) THEN TRY_CAST({number} AS {kind}) END"


def bad_offset_sql(raw: str) -> str:
    """SQL: whether a time's UTC offset is outside `OFFSETS` or has minutes past 59 (+99:00, +0875)."""
    sign = f"regexp_extract({raw}, {lit(OFFSET)}, 1)"
    hours = f"TRY_CAST(regexp_extract({raw}, {lit(OFFSET)}, 2) AS INTEGER)"
    minutes = f"coalesce(TRY_CAST(nullif(regexp_extract({raw}, {lit(OFFSET)}, 3), '') AS INTEGER), 0)"
    most = f"CASE {sign} WHEN '-' THEN {12 * 60} ELSE {14 * 60} END"
    return f"(regexp_matches({raw}, {lit(OFFSET)}) AND ({hours} * 60 + {minutes} > {most} OR {minutes} > 59))"


def _typed(spec: FieldSpec) -> str:
    raw = q(spec.name)
    if spec.type == "int":
        return _decimal_sql(raw, INTEGER, "BIGINT")
    if spec.type == "float":
        return _decimal_sql(raw, DECIMAL, "DOUBLE")
    if spec.type == "timestamp":
        return f"coalesce(TRY_CAST({raw} AS TIMESTAMP), TRY_STRPTIME({raw}, {TIME_FORMATS!r})::TIMESTAMP)"
    if spec.type == "bool":
        return (
            f"CASE WHEN lower({raw}) IN {_in(TRUE_WORDS)} THEN true "
            f"WHEN lower({raw}) IN {_in(FALSE_WORDS)} THEN false END"
        )
    if spec.type == "rating":
        words = _map(fold_sql(raw), {**SAT3_WORDS, **BINARY_WORDS})
        return f"coalesce({words}, {_decimal_sql(raw, DECIMAL, 'DOUBLE')})"
    if spec.name == "outcome":
        return _map(f"lower({raw})", dict(OUTCOME_ALIASES))
    if spec.name == "customer_key":
        return key_sql(raw, PHONE)
    if spec.name in SET_FIELDS:
        return raw
    return scrub_sql(raw, key=spec.name in KEY_FIELDS)


def _scale_expr(rating: str, scale: str, default: str | None) -> str:
    """SQL for a rating's scale: a satisfaction or yes/no word says its own, else the given or default scale."""
    named = _map(fold_sql(f"coalesce({q(scale)}, {lit(default)})"), {fold(k): v for k, v in SCALE_ALIASES.items()})
    folded = fold_sql(q(rating))
    return (f"CASE WHEN {q(rating)} IS NULL THEN NULL WHEN {folded} IN {_in(SAT3_WORDS)} THEN 'sat3' "
            f"WHEN {folded} IN {_in(BINARY_WORDS)} THEN 'binary' ELSE {named} END")


def _derived_id(kind: Kind) -> str:
    parts = [f"coalesce(CAST(t.{q(f)} AS VARCHAR), '')" for f in DERIVED_ID[kind]]
    return f"coalesce(t.{q(ID_FIELD[kind])}, " + " || ':' || ".join(parts) + ")"


def typed_select(kind: Kind, ctx: Context, stage: str) -> str:
    """SQL typing every contract field of `stage`; raw text stays beside as `raw_<field>`.

    A phone number given as `customer_key` is hashed, with its masked form as `customer_mask`
    (needs `privacy.register` on the connection).
    """
    cols = ["_row"]
    for spec in FIELDS[kind]:
        typed = _typed(spec)
        if spec.name == "moment_id" and (names := moment_names(ctx.blueprint)):  # a moment by its name is that moment
            whens = " ".join(f"WHEN {lit(n)} THEN {lit(i)}" for n, i in names.items())
            typed = f"CASE {typed} {whens} ELSE {typed} END"
        cols.append(f"{typed} AS {q(spec.name)}")
        cols.append(f"{q(spec.name)} AS {q('raw_' + spec.name)}")
        if spec.name == "customer_key":
            cols.append(f"{mask_sql(PHONE)} AS customer_mask")
    if kind == "touch":
        cols.append(f"{_scale_expr('rating', 'rating_scale', ctx.rating_scale)} AS scale_norm")
    if kind == "survey":
        cols.append(f"{_scale_expr('overall', 'overall_scale', ctx.rating_scale)} AS scale_norm")
    if any(spec.name == "customer_key" for spec in FIELDS[kind]):
        stage = f"(SELECT *, pk_phone_digits(customer_key) AS {PHONE} FROM {stage})"
    return f"SELECT {', '.join(cols)} FROM {stage}"


@dataclass(frozen=True)
class Rule:
    """One check: rows where `condition` holds have a problem `code_sql` in `field`."""

    field: str
    condition: str
    code_sql: str
    expected_sql: str

    def select(self) -> str:
        """SQL for the rows of `typed` failing this rule, as (_row, field, code, value, expected)."""
        shown = f"CAST({q('raw_' + self.field)} AS VARCHAR)"
        return (
            f"SELECT _row, {lit(self.field)} AS field, {self.code_sql} AS code, {shown} AS value, "
            f"{self.expected_sql} AS expected FROM typed WHERE {self.condition}"
        )


def _check(field: str, condition: str, code: str, expected: str = "", expected_sql: str | None = None) -> Rule:
    return Rule(field, condition, lit(code), expected_sql or lit(expected))


def _either(field: str, *problems: tuple[str, str, str]) -> Rule:
    """One rule for several problems of a field, each (condition, code, expected): the first that holds wins."""
    code = " ".join(f"WHEN {c} THEN {lit(k)}" for c, k, _ in problems)
    expected = " ".join(f"WHEN {c} THEN {lit(e)}" for c, _, e in problems)
    return Rule(field, " OR ".join(f"({c})" for c, _, _ in problems), f"CASE {code} END", f"CASE {expected} END")


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def time_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The event times ingest accepts: settings `past_days` before now to `future_days` after it."""
    now = (now or datetime.now()).replace(microsecond=0)
    return now - timedelta(days=settings.get("past_days")), now + timedelta(days=settings.get("future_days"))


def _field_checks(kind: Kind) -> list[Rule]:
    out = []
    first, last = time_window()
    for spec in FIELDS[kind]:
        raw, typed = q("raw_" + spec.name), q(spec.name)
        if spec.required:  # a visit's hall is needed only to create it: a stored visit's is known
            known = " AND known_hall IS NULL" if kind == "visit" and spec.name == "hall_id" else ""
            out.append(_check(spec.name, f"{raw} IS NULL{known}", "missing"))
        if spec.type == "text":  # PostgreSQL cannot hold NUL in text; other controls are never meant
            most = settings.get("max_text_chars" if spec.free else "max_id_chars")
            out.append(_either(spec.name, (f"regexp_matches({raw}, '{CONTROL_CHARS}')", "control_char", ""),
                               (f"length({raw}) > {most}", "too_long", f"{most:,}")))
        elif spec.type == "timestamp":
            window = f"{first:%Y-%m-%d %H:%M} … {last:%Y-%m-%d %H:%M}"
            out.append(_either(spec.name, (bad_offset_sql(raw), "bad_offset", OFFSETS),
                               (f"{raw} IS NOT NULL AND {typed} IS NULL", "not_timestamp", ""),
                               (f"{typed} < {lit(str(first))}::TIMESTAMP OR {typed} > {lit(str(last))}::TIMESTAMP",
                                "out_of_range", window)))
        elif spec.type in TYPE_CODE and spec.type != "rating":  # a rating's own check names its scale's words
            out.append(_check(spec.name, f"{raw} IS NOT NULL AND {typed} IS NULL", TYPE_CODE[spec.type],
                              A_NUMBER if spec.type == "float" else ""))
        finite = f" OR NOT isfinite({typed})" if spec.type == "float" else ""
        if spec.lo is not None and spec.hi is not None:
            out.append(_check(spec.name, f"{typed} < {spec.lo} OR {typed} > {spec.hi}{finite}", "out_of_range",
                              f"{_number(spec.lo)}–{_number(spec.hi)}"))
        elif spec.lo is not None:
            out.append(_check(spec.name, f"{typed} < {spec.lo}{finite}", "out_of_range", f">= {_number(spec.lo)}"))
    return out


def _rating_checks(rating: str, scale: str, fractions: bool) -> list[Rule]:
    names = ", ".join(SCALES)
    takes = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in SCALE_TAKES.items())
    out = [
        _check(rating, f"{q('raw_' + rating)} IS NOT NULL AND {q(rating)} IS NULL", "not_number",
               expected_sql=f"CASE scale_norm {takes} ELSE {lit(A_NUMBER)} END"),
        _check(
            scale,
            f"{q('raw_' + scale)} IS NOT NULL AND scale_norm IS NULL AND {q(rating)} IS NOT NULL",
            "not_in_set",
            names,
        ),
        _check(
            rating, f"{q(rating)} IS NOT NULL AND scale_norm IS NULL AND {q('raw_' + scale)} IS NULL", "no_scale", names
        ),
    ]
    for name, (lo, hi) in SCALES.items():
        out.append(
            _check(
                rating,
                f"scale_norm = {lit(name)} AND ({q(rating)} < {lo} OR {q(rating)} > {hi} OR NOT isfinite({q(rating)}))",
                "out_of_range",
                f"{lo:g}–{hi:g} ({name})",
            )
        )
    if not fractions:  # every scale's points are whole numbers
        out.append(_check(rating, f"scale_norm IS NOT NULL AND {q(rating)} <> floor({q(rating)})", "fraction",
                          expected_sql="scale_norm"))
    return out


def _hall_conflict() -> Rule:
    return _check("hall_id", "hall_id IS NOT NULL AND known_hall IS NOT NULL AND hall_id <> known_hall",
                  "hall_conflict", expected_sql="known_hall")


def _order_check(field: str, earlier: str) -> Rule:
    return _check(field, f"{q(field)} < {q(earlier)}", "before", earlier)


def moment_names(bp: Blueprint) -> dict[str, str]:
    """A moment's Chinese or English name → its id, for names that are no moment's id and name one moment only
    (a rating pad or a survey may write 排队 where the blueprint's id is m1)."""
    ids, found = set(bp.moment_ids()), dict[str, set[str]]()
    for m in bp.moments:
        for name in {m.zh.strip(), m.en.strip()} - {"", m.id}:
            found.setdefault(name, set()).add(m.id)
    return {n: next(iter(i)) for n, i in found.items() if len(i) == 1 and n not in ids}


def _set_check(field: str, shown_as: list[str], allowed: list[str] | None = None) -> Rule:
    """Values must be one of `allowed` (default: `shown_as`, which the message lists)."""
    shown = ", ".join(shown_as[:8]) + (", …" if len(shown_as) > 8 else "")
    return _check(field, f"{q(field)} IS NOT NULL AND {q(field)} NOT IN {_in(allowed or shown_as)}", "not_in_set",
                  shown)


def _kind_checks(kind: Kind, ctx: Context) -> list[Rule]:
    bp = ctx.blueprint
    out: list[Rule] = []
    if kind in ("touch", "visit"):
        out.append(_order_check("departure", "arrival"))
        if bp.routes:
            out.append(_set_check("route", [r.id for r in bp.routes]))
    if kind == "visit":  # a visit id is the network's: another hall's visit is never changed
        out.append(_hall_conflict())
    if kind == "touch":
        out.append(_set_check("moment_id", [m.id if m.zh in (m.id, "") else f"{m.id} ({m.zh})" for m in bp.moments],
                              bp.moment_ids()))
        out.append(
            _check(
                "outcome",
                f"{q('raw_outcome')} IS NOT NULL AND outcome IS NULL",
                "not_in_set",
                "resolved, unresolved, complaint, abandoned (已解决/未解决/投诉/放弃)",
            )
        )
        out.append(_order_check("end_at", "start_at"))
        out += _rating_checks("rating", "rating_scale", ctx.allow_fractions)
        out.append(_check("visit_id", "hall_id IS NULL AND known_hall IS NULL", "unknown_visit"))
        out.append(_hall_conflict())
    if kind == "survey":
        out += _rating_checks("overall", "overall_scale", ctx.allow_fractions)
        out.append(_check("visit_id", "visit_id IS NOT NULL AND known_hall IS NULL", "unknown_visit"))
    if kind == "audit":
        out.append(_set_check("item", [c.id for c in bp.audit_items()]))
    if ctx.halls is not None:
        out.append(_scope_check(kind, ctx.halls))
    return out


def _scope_check(kind: Kind, halls: frozenset[str]) -> Rule:
    """Rows of halls other than `halls` refused; a survey of another hall's visit as if the visit were absent."""
    allowed = ", ".join(lit(h) for h in sorted(halls)) or "NULL"
    if kind == "survey":
        return _check("visit_id", f"known_hall IS NOT NULL AND known_hall NOT IN ({allowed})", "unknown_visit")
    hall = "coalesce(hall_id, known_hall)"
    return _check("hall_id", f"{hall} IS NOT NULL AND {hall} NOT IN ({allowed})", "forbidden_hall",
                  ", ".join(sorted(halls)))


STORE_VISITS = "store_visits"  # stored visits named by the rows being checked (pipeline.mirror_visits)
CHUNK_VISITS = "chunk_visits"  # visits drawn from earlier parts of the rows being checked


def _known_halls(kind: Kind) -> str:
    """SQL for each visit id's hall: from the store, earlier parts, else this part's first row."""
    if kind == "audit":
        return ""
    own = (
        "UNION ALL SELECT visit_id, arg_min(hall_id, _row), 3 FROM typed0 WHERE hall_id IS NOT NULL GROUP BY visit_id"
        if kind == "touch"
        else ""
    )
    return (
        "known AS (SELECT visit_id, arg_min(hall_id, pri) AS known_hall FROM ("
        f"SELECT visit_id, hall_id, 1 AS pri FROM {STORE_VISITS} WHERE visit_id IN (SELECT visit_id FROM typed0) "
        f"UNION ALL SELECT visit_id, hall_id, 2 FROM {CHUNK_VISITS} {own}) GROUP BY visit_id)"
    )


def remember_visits(con: duckdb.DuckDBPyConnection, typed: str | None) -> None:
    """Start (None) or extend the set of visits that later parts of the same rows may name."""
    if typed is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {CHUNK_VISITS} (visit_id VARCHAR, hall_id VARCHAR)")
    elif {"visit_id", "hall_id"} <= {r[0] for r in con.execute(f"DESCRIBE {typed}").fetchall()}:
        con.execute(f"INSERT INTO {CHUNK_VISITS} SELECT visit_id, hall_id FROM {typed} WHERE hall_id IS NOT NULL")


def check(con: duckdb.DuckDBPyConnection, stage: str, kind: Kind, ctx: Context, out: str) -> pd.DataFrame:
    """Type `stage` into temp table `out` and return every problem found, one row each."""
    known = _known_halls(kind)
    join = "LEFT JOIN known USING (visit_id)" if known else ""
    hall = "known.known_hall" if known else "NULL AS known_hall"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE typed AS WITH typed0 AS MATERIALIZED ({typed_select(kind, ctx, stage)})"
        f"{', ' + known if known else ''} SELECT t.*, {hall}, {_derived_id(kind)} AS _id FROM typed0 t {join}"
    )
    if kind == "visit":  # a row of a stored visit without a hall: the visit's own (it may fill in empty fields)
        con.execute("UPDATE typed SET hall_id = known_hall WHERE hall_id IS NULL AND known_hall IS NOT NULL")
    checks = _field_checks(kind) + _kind_checks(kind, ctx)
    errors = con.execute(" UNION ALL ".join(c.select() for c in checks) + " ORDER BY _row, field").df()
    con.execute(f"ALTER TABLE typed RENAME TO {out}")
    return errors


def expected_in(expected: str, language: str) -> str:
    """An expectation as a problem message says it in `language` (only the bare "a number" needs words)."""
    return "数字" if expected == A_NUMBER and language == "zh" else expected
