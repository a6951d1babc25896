"""Files in (`ws.files`): CSV, JSON Lines, Parquet and Excel files ingested through the one pipeline — checked,
stored, the bad rows quarantined with their reasons — for the CLI, the browser's imports and the demo alike."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args

import pandas as pd

from peakend import settings
from peakend.contract import Kind
from peakend.errors import BadOption, FilesRefused, MostlyRejected
from peakend.i18n import say
from peakend.ingest import corrections
from peakend.ingest.mapping import Mapping, load_mapping
from peakend.ingest.pipeline import FileResult, ingest_file, sources

__all__ = ["FileResult", "Files", "clash_fields", "kind_of", "mostly_stored", "total"]
from peakend.ingest.validate import Context

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

Advance = Callable[[int, int], None]


class Files:
    """File ingest into a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def context(self, rating_scale: str | None = None, allow_fractions: bool = False, replace: bool = False,
                halls: frozenset[str] | None = None) -> Context:
        """What the checks need: the blueprint in force, a default scale, and the halls a sender may write."""
        return Context(self.ws.blueprint, rating_scale, allow_fractions, replace, halls=halls)

    @staticmethod
    def sources(paths: list[Path], sheet: str | None = None) -> list[tuple[Path, str | None]]:
        """Each file to ingest (folders expanded; a workbook's visible sheets each their own), in order."""
        return sources(paths, sheet)

    @staticmethod
    def mapping(path: Path | None) -> Mapping | None:
        """A mapping file read and checked (MappingError naming what is wrong)."""
        return load_mapping(path) if path is not None else None

    def ingest(self, path: Path, ctx: Context, mapping: Mapping | None = None, kind: Kind | None = None,
               encoding: str = "auto", advance: Advance | None = None, sheet: str | None = None,
               label: str | None = None) -> FileResult:
        """Ingest one file (or one sheet of a workbook); bad rows quarantined and named, never raised."""
        return ingest_file(self.ws.store, path, ctx, mapping, kind, encoding, advance, sheet, label)

    def each(self, paths: list[Path], ctx: Context, mapping: Mapping | None = None, kind: Kind | None = None,
             encoding: str = "auto", sheet: str | None = None,
             advance: Callable[[Path, str | None], Advance | None] = lambda _p, _s: None) -> Iterator[FileResult]:
        """Ingest files one after another (a workbook sheet by sheet), yielding each one's result."""
        for path, part in sources(paths, sheet):
            yield self.ingest(path, ctx, mapping, kind, encoding, advance(path, part), part)

    def mapping_beside(self, path: Path) -> Mapping | None:
        """The mapping kept beside a file (`name.mapping.yaml`), if it has one."""
        beside = path.with_suffix(".mapping.yaml")
        return load_mapping(beside) if beside.exists() else None

    def quarantined(self, lang: str, limit: int = 50) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The quarantined rows (action and message in `lang`, by source and row) and the conflicts."""
        column = "message_zh" if lang == "zh" else "message_en"
        rows = self.ws.store.query(f"SELECT action, {column} AS message FROM quarantine ORDER BY source, row_number "
                                   "LIMIT ?", [limit])
        return rows, corrections.listed(self.ws.store, limit)


def mostly_stored(results: list[FileResult]) -> None:
    """MostlyRejected (exit 1) when the files' quarantined rows are more than `ingest_max_rejected` of their rows."""
    rows = sum(r.rows for r in results)
    bad = sum(_refused_rows(r) for r in results)
    most = settings.get("ingest_max_rejected")
    if rows and bad / rows > most:
        raise MostlyRejected(quarantined=bad, rows=rows, share=bad / rows, most=most)


def _refused_rows(r: FileResult) -> int:
    """A file's rows quarantined: all of them when it stored nothing and was refused as a whole (its rows could not
    be told apart: one record for the file); an empty file's record is not a row."""
    if r.quarantined and not r.stored and not r.duplicates:
        return r.rows
    return min(r.quarantined, r.rows)


def total(results: list[FileResult]) -> str | None:
    """What several files' ingest stored and quarantined in all (None for one file); FilesRefused (exit 2) when a
    file was refused as a whole, MostlyRejected (exit 1) when most of their rows were quarantined."""
    refused = sum(r.refused for r in results)
    if refused:
        raise FilesRefused(value=refused)
    mostly_stored(results)
    stored, quarantined = sum(r.stored for r in results), sum(r.quarantined for r in results)
    return say("ingest_total", files=len(results), stored=stored, quarantined=quarantined) if len(results) > 1 else None


def kind_of(kind: str | None) -> Kind | None:
    """An `--kind` value checked: None (each row's kind read from its columns) or one kind (BadOption)."""
    if kind is not None and kind not in get_args(Kind):
        raise BadOption(option="--kind", expected=", ".join(get_args(Kind)), value=kind)
    return cast("Kind | None", kind)


def clash_fields(c: Any) -> tuple[str, str]:
    """A conflict or correction's differing fields: the stored and the sent version, as JSON text."""
    before, sent = corrections.differing(c.kept, c.sent)
    return json.dumps(before, ensure_ascii=False, default=str), json.dumps(sent, ensure_ascii=False, default=str)

