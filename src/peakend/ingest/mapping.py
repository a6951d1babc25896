"""Column mappings: how a file's own columns become contract fields.

Without a mapping, a file's columns must carry the contract names. A small YAML mapping
renames columns (`format: long`), or turns a wide file, one row per visit with one rating
column per moment in journey order plus an overall answer, into touch and survey rows
(`format: wide`), or a mystery-shopping sheet, one row per audited visit with one column per
checklist item, into audit rows (`format: audit`, `items: {item id: column}`; a blank cell or a
missing code is an item not seen: no audit). Each mapping yields `Part`s: SQL selects over the
staged chunk that produce contract fields for one kind of event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from peakend.blueprint.model import Blueprint
from peakend.contract import FIELDS, SCALE_ALIASES, Kind, detect_kind, fold
from peakend.errors import MappingError
from peakend.i18n import said
from peakend.ingest.suggest import implied_columns
from peakend.ingest.validate import fold_sql, lit, moment_names, q
from peakend.safe_yaml import YamlRefused
from peakend.safe_yaml import dump as yaml_dump
from peakend.safe_yaml import load as yaml_load
from peakend.store.db import Store

STAGE = "stage_raw"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MomentColumns(_Strict):
    """The columns a wide file holds for one moment (only `rating` is usual)."""

    moment: str
    rating: str | None = None
    wait: str | None = None
    service: str | None = None
    outcome: str | None = None
    staff: str | None = None


class Answers(_Strict):
    """How one column's answers read: codes that mean no answer, and words that stand for values."""

    missing: list[str] | None = None
    values: dict[str, float] | None = None


class Mapping(_Strict):
    """A file's column mapping (see the module docstring and docs/en/guide/data-in.md for examples).

    `missing` and `values` read every rating and survey answer column (`per_column` overrides them for
    one file column): a missing code becomes no answer, a word its value; both compared as
    `contract.fold` does (case, surrounding and repeated spaces, full-width characters).
    """

    format: Literal["long", "wide", "audit"] = "long"
    kind: Kind | None = None
    columns: dict[str, str] = {}
    defaults: dict[str, str | int | float] = {}
    rating_scale: str | None = None  # the scale of ratings given without one
    moments: list[MomentColumns] = []
    items: dict[str, str] = {}  # format audit: checklist item id → the column holding its pass or fail
    survey: dict[str, str] = {}
    overall_scale: str | None = None
    missing: list[str] = []
    values: dict[str, float] = {}
    per_column: dict[str, Answers] = {}
    allow_fractions: bool = False  # accept ratings between the points of their scale (3.5 on 1–5)

    @field_validator("rating_scale", "overall_scale")
    @classmethod
    def _known_scale(cls, value: str | None) -> str | None:
        if value is not None and value.strip().lower() not in SCALE_ALIASES:
            raise ValueError(f"unknown scale {value!r}; the scales are {', '.join(SCALE_ALIASES)} "
                             "(a 0 that means 'not applicable' is a missing code: missing: [\"0\"])")
        return value

    def answers(self, column: str) -> tuple[list[str], dict[str, float]]:
        """The missing codes and word values of file column `column`."""
        own = self.per_column.get(column, Answers())
        return (self.missing if own.missing is None else own.missing,
                self.values if own.values is None else own.values)




def mapping_yaml(mapping: Mapping) -> str:
    """The mapping as the YAML `load_mapping` reads (only what differs from the defaults)."""
    data = mapping.model_dump(exclude_defaults=True)
    return yaml_dump(data)


def save_mapping(store: Store, name: str, mapping: Mapping, who: str, halls: frozenset[str] | None = None) -> bool:
    """Keep a mapping under `name` for the next import, scoped to `halls` (None: every hall). A mapping of that name
    saved by someone else is replaced only by an admin (`halls` None); whether it was saved."""
    with store.lock:
        found = store.rows("SELECT saved_by FROM mappings WHERE name = ?", [name])
        if found and found[0][0] != who and halls is not None:
            return False
        store.execute("DELETE FROM mappings WHERE name = ?", [name])
        store.execute("INSERT INTO mappings (name, yaml, saved_by, halls) VALUES (?, ?, ?, ?)",
                      [name, mapping_yaml(mapping), who, None if halls is None else ",".join(sorted(halls))])
    return True


def saved_mappings(store: Store, who: str | None = None, halls: frozenset[str] | None = None) -> dict[str, Mapping]:
    """The saved mappings by name that `who` of `halls` may use (None: an admin, every one): their own, and those
    scoped to halls all of which are theirs."""
    out = {}
    for n, y, by, scope in store.rows("SELECT name, yaml, saved_by, halls FROM mappings ORDER BY name"):
        mine = halls is None or by == who or (scope is not None and set(scope.split(",")) <= halls)
        if mine:
            out[str(n)] = Mapping.model_validate(yaml_load(y) or {})
    return out


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping YAML file."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(source=path, value=exc) from exc
    return parse_mapping(text, str(path))


def parse_mapping(text: str, source: str) -> Mapping:
    """Check a mapping given as YAML text (a file's, or one pasted in the browser); MappingError names what is
    wrong."""
    try:
        mapping = Mapping.model_validate(yaml_load(text) or {})
    except YamlRefused as exc:
        raise MappingError(exc.key, **exc.fields(source)) from exc
    except yaml.YAMLError as exc:
        raise MappingError(source=source, value=exc) from exc
    except ValidationError as exc:
        lines = [f"{source}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise MappingError(source=source, value="\n" + "\n".join(lines)) from exc
    if mapping.format == "wide" and not mapping.moments:
        raise MappingError(source=source, value="a wide mapping needs a 'moments' list (journey order)")
    if mapping.format == "audit" and not mapping.items:
        raise MappingError(source=source, value="an audit mapping needs 'items': checklist item id → column")
    return mapping


@dataclass
class Part:
    """One kind of event drawn from a file: its SQL and where each field came from."""

    kind: Kind
    sql: str
    labels: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def _source(name: str, columns: set[str], mapping: Mapping) -> str | None:
    """The SQL for contract field `name` from the file or the defaults (None: nothing)."""
    col = mapping.columns.get(name, name)
    if col in columns:
        return q(col)
    if name in mapping.defaults:
        return lit(mapping.defaults[name])
    scale = {"rating_scale": mapping.rating_scale, "overall_scale": mapping.overall_scale}.get(name)
    return None if scale is None else lit(scale)  # the scale the mapping gives answers sent without one


ANSWER_FIELDS = frozenset({"rating", "overall", "recommend", "repurchase", "relationship", "switch_resist"})


def answer_sql(expr: str, column: str, mapping: Mapping) -> str:
    """SQL for an answer cell as the mapping reads it: a missing code NULL, a word its value, else as sent."""
    missing, values = mapping.answers(column)
    if not missing and not values:
        return expr
    folded = fold_sql(expr)
    out = expr
    if values:
        whens = " ".join(f"WHEN {lit(fold(k))} THEN {lit(repr(float(v)))}" for k, v in values.items())
        out = f"coalesce(CASE {folded} {whens} END, {expr})"
    if missing:
        out = f"CASE WHEN {folded} IN ({', '.join(lit(fold(x)) for x in missing)}) THEN NULL ELSE {out} END"
    return out


def _select(
    kind: Kind, columns: set[str], mapping: Mapping, sql: dict[str, str | None], labels: dict[str, str], where: str = ""
) -> Part:
    """A part of `kind`; `sql` overrides a field's expression, `labels` its shown name."""
    part = Part(kind, "")
    exprs = ["_row"]
    for spec in FIELDS[kind]:
        src = sql[spec.name] if spec.name in sql else _source(spec.name, columns, mapping)
        if src is not None and spec.name in ANSWER_FIELDS and spec.name not in sql:
            src = answer_sql(src, mapping.columns.get(spec.name, spec.name), mapping)
        exprs.append(f"CAST({src or 'NULL'} AS VARCHAR) AS {q(spec.name)}")
        part.labels[spec.name] = labels.get(spec.name) or mapping.columns.get(spec.name, spec.name)
        if src is None and spec.required:
            part.missing.append(part.labels[spec.name])
    part.sql = f"SELECT {', '.join(exprs)} FROM {STAGE}" + (f" WHERE {where}" if where else "")
    return part


def _cell(field_name: str, column: str, columns: set[str], mapping: Mapping) -> str | None:
    """SQL for a wide file's cell of `column` as field `field_name` (None when the file lacks the column)."""
    if column not in columns:
        return None
    return answer_sql(q(column), column, mapping) if field_name in ANSWER_FIELDS else q(column)


def _any_present(cells: dict[str, str | None]) -> str:
    return " OR ".join(f"({expr}) IS NOT NULL" for expr in cells.values() if expr) or "false"


def _wide_parts(columns: set[str], mapping: Mapping) -> list[Part]:
    parts = [_select("visit", columns, mapping, {}, {})]  # every row is a visit, rated or not
    for seq, mc in enumerate(mapping.moments, start=1):
        cells = {
            "rating": mc.rating,
            "wait_min": mc.wait,
            "service_min": mc.service,
            "outcome": mc.outcome,
            "staff_id": mc.staff,
        }
        named = {k: v for k, v in cells.items() if v}
        sql: dict[str, str | None] = {k: _cell(k, v, columns, mapping) for k, v in named.items()}
        where = _any_present(sql)  # a moment whose cells are all empty or missing codes: no touch
        sql |= {"moment_id": lit(mc.moment), "seq": str(seq), "touch_id": None}
        parts.append(_select("touch", columns, mapping, sql, named, where))
    if mapping.survey:
        labels = dict(mapping.survey)
        sql = {k: _cell(k, v, columns, mapping) for k, v in labels.items()}
        where = _any_present(sql)
        if mapping.overall_scale:
            sql["overall_scale"] = lit(mapping.overall_scale)
        parts.append(_select("survey", columns, mapping, sql, labels, where))
    return parts


def _audit_parts(columns: set[str], mapping: Mapping) -> list[Part]:
    """One audit part per checklist item whose column the sheet has; a cell blank or a missing code: not seen."""
    parts = []
    for item, column in mapping.items.items():
        if column not in columns:
            continue
        missing, _ = mapping.answers(column)
        cell = q(column)
        seen = f"{cell} IS NOT NULL" + (f" AND {fold_sql(cell)} NOT IN ({', '.join(lit(fold(x)) for x in missing)})"
                                         if missing else "")
        parts.append(_select("audit", columns, mapping, {"item": lit(item), "passed": cell, "audit_id": None},
                             {"passed": column}, seen))
    return parts


def plan_parts(columns: list[str], mapping: Mapping | None, kind: Kind | None) -> list[Part]:
    """The parts a file with these columns yields (empty when its kind cannot be told). Without a mapping, a long
    file's columns named by a sure synonym are read as their fields (`moment`, `time`: `suggest.implied_columns`)."""
    if mapping is None and kind in (None, "touch"):
        mapping = Mapping(columns=implied_columns(columns))
    mapping = grouped(columns, mapping or Mapping())
    cols = set(columns)
    if mapping.format == "wide":
        return _wide_parts(cols, mapping)
    if mapping.format == "audit":
        return _audit_parts(cols, mapping)
    renamed = [f for f, c in mapping.columns.items() if c in cols] + columns
    chosen = kind or mapping.kind or detect_kind(renamed)
    if chosen is None:
        return []
    return [_select(chosen, cols, mapping, {}, {})]


def grouped(columns: list[str], mapping: Mapping) -> Mapping:
    """`mapping` with the columns of a two-row header read by their lower name: `来访/visit_id` is field
    `visit_id` when the file has no column of that name and the mapping names no other for it."""
    known = {f.name for fields in FIELDS.values() for f in fields}
    lower = {c.rsplit("/", 1)[1].strip(): c for c in columns if "/" in c}
    found = {name: c for name, c in lower.items()
             if name in known and name not in columns and name not in mapping.columns}
    return mapping.model_copy(update={"columns": {**found, **mapping.columns}}) if found else mapping


def end_note(mapping: Mapping | None, bp: Blueprint, source: str) -> str | None:
    """A warning when a wide mapping's last moment is not the blueprint's end (the end would be misread)."""
    if mapping is None or mapping.format != "wide" or not mapping.moments:
        return None
    last, ends = mapping.moments[-1].moment, [m.id for m in bp.moments if m.role == "end"]
    if last in ends or moment_names(bp).get(last) in ends:  # the end named by its id or its name
        return None
    return said("mapping_end", source=source, value=last, expected=", ".join(ends) or "-", blueprint=bp.id)


def named_columns(mapping: Mapping) -> list[str]:
    """Every file column `mapping` names: its fields' columns, its moments' cells, survey answers, audit items and
    the columns read by their own rules (`per_column`)."""
    cells = [c for mc in mapping.moments for c in (mc.rating, mc.wait, mc.service, mc.outcome, mc.staff) if c]
    return list(dict.fromkeys([*mapping.columns.values(), *cells, *mapping.survey.values(), *mapping.items.values(),
                               *mapping.per_column]))


def fitted(columns: list[str], mapping: Mapping | None, bp: Blueprint, source: str, sheet: bool = False
           ) -> Mapping | None:
    """`mapping` checked against a file's columns and the blueprint, its moments given by name read as their ids
    (柜台办理 → counter). MappingError (`mapping_no_column`, `mapping_no_moment`) when it names a column the file
    lacks or a moment the blueprint lacks. A workbook's `sheet` with none of its columns is one it is not for (a
    note, a cover): left as it is."""
    if mapping is None:
        return None
    named = named_columns(mapping)
    absent = [c for c in named if c not in columns]
    if sheet and len(absent) == len(named):
        return mapping
    if absent:
        raise MappingError("mapping_no_column", source=source, value=", ".join(absent), expected=", ".join(columns))
    ids, names = set(bp.moment_ids()), {fold(n): i for n, i in moment_names(bp).items()}
    read = {mc.moment: mc.moment if mc.moment in ids else names.get(fold(mc.moment)) for mc in mapping.moments}
    unknown = [m for m, found in read.items() if found is None]
    if unknown:
        raise MappingError("mapping_no_moment", source=source, value=", ".join(unknown),
                           expected=", ".join(f"{m.id} ({m.zh} / {m.en})" for m in bp.moments))
    if all(m == found for m, found in read.items()):
        return mapping
    moments = [mc.model_copy(update={"moment": read[mc.moment]}) for mc in mapping.moments]
    return mapping.model_copy(update={"moments": moments})


def used_columns(parts: list[Part], columns: list[str]) -> set[str]:
    """The file columns that some part reads."""
    return {c for c in columns if any(q(c) in p.sql for p in parts)}


def read_as(rows: list[dict[str, object]], columns: list[str], mapping: Mapping, limit: int = 8
            ) -> list[tuple[Kind, list[str], list[dict[str, object]]]]:
    """The first rows of a file as `mapping` reads them, before any check: for each kind of event it yields, the
    fields it fills and its first `limit` events (a missing code already no answer, a word its value)."""
    parts = plan_parts(columns, mapping, mapping.kind)
    if not rows or not parts:
        return []
    table = pa.table({"_row": pa.array([r.get("_row") for r in rows], pa.int64()),
                      **{c: pa.array([None if r.get(c) is None else str(r.get(c)) for r in rows], pa.string())
                         for c in columns}})
    found: dict[Kind, list[dict[str, object]]] = {}
    with duckdb.connect() as con:
        con.register(STAGE, table)
        for part in parts:
            if part.kind == "visit" and len(parts) > 1:
                continue  # a wide file's visit rows are bookkeeping: its touches and answers say the same
            cur = con.execute(part.sql)
            names = [d[0] for d in cur.description]
            found.setdefault(part.kind, []).extend(dict(zip(names, r, strict=True)) for r in cur.fetchall())
    out: list[tuple[Kind, list[str], list[dict[str, object]]]] = []
    for kind, got in found.items():
        got = sorted(got, key=lambda r: (int(str(r["_row"])), int(str(r.get("seq") or 0))))[:limit]
        filled = [f.name for f in FIELDS[kind] if any(r.get(f.name) is not None for r in got)]
        out.append((kind, filled, [{f: r[f] for f in filled} for r in got]))
    return out
