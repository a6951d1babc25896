"""Column mappings: how a file's own columns become contract fields.

Without a mapping, a file's columns must carry the contract names. A small YAML mapping
renames columns (`format: long`), or turns a wide file, one row per visit with one rating
column per moment in journey order plus an overall answer, into touch and survey rows
(`format: wide`). Each mapping yields `Part`s: SQL selects over the staged chunk that
produce contract fields for one kind of event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from peakend.contract import FIELDS, Kind, detect_kind
from peakend.errors import MappingError
from peakend.ingest.validate import lit, q

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


class Mapping(_Strict):
    """A file's column mapping (see the module docstring and README for examples)."""

    format: Literal["long", "wide"] = "long"
    kind: Kind | None = None
    columns: dict[str, str] = {}
    defaults: dict[str, str | int | float] = {}
    rating_scale: str | None = None  # the scale of ratings given without one
    moments: list[MomentColumns] = []
    survey: dict[str, str] = {}
    overall_scale: str | None = None




def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping YAML file."""
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
        mapping = Mapping.model_validate(data or {})
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(source=path, value=exc) from exc
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise MappingError(source=path, value="\n" + "\n".join(lines)) from exc
    if mapping.format == "wide" and not mapping.moments:
        raise MappingError(source=path, value="a wide mapping needs a 'moments' list (journey order)")
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
    return None


def _select(
    kind: Kind, columns: set[str], mapping: Mapping, sql: dict[str, str | None], labels: dict[str, str], where: str = ""
) -> Part:
    """A part of `kind`; `sql` overrides a field's expression, `labels` its shown name."""
    part = Part(kind, "")
    exprs = ["_row"]
    for spec in FIELDS[kind]:
        src = sql[spec.name] if spec.name in sql else _source(spec.name, columns, mapping)
        exprs.append(f"CAST({src or 'NULL'} AS VARCHAR) AS {q(spec.name)}")
        part.labels[spec.name] = labels.get(spec.name) or mapping.columns.get(spec.name, spec.name)
        if src is None and spec.required:
            part.missing.append(part.labels[spec.name])
    part.sql = f"SELECT {', '.join(exprs)} FROM {STAGE}" + (f" WHERE {where}" if where else "")
    return part


def _any_present(cols: list[str], columns: set[str]) -> str:
    return " OR ".join(f"{q(c)} IS NOT NULL" for c in cols if c in columns) or "false"


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
        cells = {k: v for k, v in cells.items() if v}
        sql: dict[str, str | None] = {k: (q(v) if v in columns else None) for k, v in cells.items()}
        sql |= {"moment_id": lit(mc.moment), "seq": str(seq), "touch_id": None}
        where = _any_present([v for v in cells.values() if v], columns)
        parts.append(_select("touch", columns, mapping, sql, {k: v for k, v in cells.items() if v}, where))
    if mapping.survey:
        labels = dict(mapping.survey)
        sql = {k: (q(v) if v in columns else None) for k, v in labels.items()}
        if mapping.overall_scale:
            sql["overall_scale"] = lit(mapping.overall_scale)
        where = _any_present(list(labels.values()), columns)
        parts.append(_select("survey", columns, mapping, sql, labels, where))
    return parts


def plan_parts(columns: list[str], mapping: Mapping | None, kind: Kind | None) -> list[Part]:
    """The parts a file with these columns yields (empty when its kind cannot be told)."""
    mapping = mapping or Mapping()
    cols = set(columns)
    if mapping.format == "wide":
        return _wide_parts(cols, mapping)
    renamed = [f for f, c in mapping.columns.items() if c in cols] + columns
    chosen = kind or mapping.kind or detect_kind(renamed)
    if chosen is None:
        return []
    return [_select(chosen, cols, mapping, {}, {})]


def used_columns(parts: list[Part], columns: list[str]) -> set[str]:
    """The file columns that some part reads."""
    return {c for c in columns if any(q(c) in p.sql for p in parts)}
