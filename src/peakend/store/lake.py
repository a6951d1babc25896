"""The store as a Parquet data lake: one folder per event table, partitioned by date and hall.

    lake/visits/date=2026-10-01/hall_id=天河北厅/part-0.parquet
    lake/touches/…   lake/surveys/…   lake/audits/…

This is the Hive layout Spark, DuckDB, Polars and pandas read directly. Partition values are
written as they are (UTF-8), not percent-encoded: Spark reads percent escapes byte by byte, which
would garble Chinese hall names. A hall id that cannot be a folder name (a slash, '=', a
leading dot) is refused by name. A date comes from the row's own time (arrival, the touch's start or
else its visit's arrival, the answer, the audit); a row without one goes under Hive's null
partition.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from peakend.errors import LakeError
from peakend.store.db import Store

TABLES = ("visits", "touches", "surveys", "audits")  # in the order a lake is ingested
PARTITIONS = pa.schema([("date", pa.date32()), ("hall_id", pa.string())])
ROWS_PER_BATCH = 500_000




def partitioning() -> ds.Partitioning:
    """Hive partitioning by date and hall (pyarrow percent-encodes the values; `_plain_names` undoes it)."""
    return ds.HivePartitioning(PARTITIONS)


def _dated(store: Store, table: str) -> ir.Table:
    """The table with the `date` and `hall_id` it is partitioned by."""
    t = store.table(table)
    if table == "visits":
        return t.mutate(date=t.arrival.coalesce(t.departure).date())
    if table == "audits":
        return t.mutate(date=t.audited_at.date())
    visits = store.table("visits")  # touches and surveys: the hall of their visit, its arrival if they have no time
    j = t.left_join(visits.select("visit_id", v_hall=visits.hall_id, v_arrival=visits.arrival), "visit_id")
    own_time = j.start_at if table == "touches" else j.answered_at
    return j.mutate(date=own_time.coalesce(j.v_arrival).date(), hall_id=j.v_hall).drop(
        "v_hall", "v_arrival", "visit_id_right")


def _check_halls(store: Store) -> None:
    """Refuse hall ids that cannot name a partition folder."""
    bad = [h for (h,) in store.rows("SELECT DISTINCT hall_id FROM visits UNION SELECT DISTINCT hall_id FROM audits")
           if h is not None and ("/" in h or "\\" in h or h.startswith(".") or "=" in h)]
    if bad:
        raise LakeError("lake_hall_names", value=bad[:5])


def export_lake(store: Store, out: Path, step: Callable[[str, int], None] = lambda t, n: None) -> dict[str, int]:
    """Write the store's event tables under `out` (each table folder replaced); return rows per table."""
    _check_halls(store)
    written = {}
    for table in TABLES:
        folder = out / table
        if folder.exists():
            shutil.rmtree(folder)
        expr = _dated(store, table).drop("ingested_at")
        with store.lock:
            reader = store.arrow_batches(expr, ROWS_PER_BATCH)
            schema = reader.schema
            counted = _counting(reader, functools.partial(step, table))
            ds.write_dataset(counted, folder, schema=schema, format="parquet", partitioning=partitioning(),
                             basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore",
                             max_rows_per_group=ROWS_PER_BATCH)
            written[table] = counted.total
        _plain_names(folder)
        if not any(folder.rglob("*.parquet")):  # no rows: one empty file keeps the schema for readers
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_batches([], schema=schema), folder / "empty.parquet")
    return written


def _plain_names(folder: Path) -> None:
    """Rename percent-encoded partition folders (pyarrow's writer encodes them) to their UTF-8 names."""
    for path in sorted(folder.rglob("*=*"), key=lambda p: len(p.parts), reverse=True):  # deepest first
        plain = unquote(path.name)
        if path.is_dir() and plain != path.name:
            path.rename(path.with_name(plain))


class _counting:
    """A record-batch stream that counts its rows as they pass."""

    def __init__(self, reader: pa.RecordBatchReader, step: Callable[[int], None]) -> None:
        self.reader, self.step, self.total = reader, step, 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self.reader:
            self.total += batch.num_rows
            self.step(self.total)
            yield batch


def is_lake(folder: Path) -> bool:
    """Whether `folder` holds a lake (a `visits` or `touches` table folder)."""
    return folder.is_dir() and any((folder / t).is_dir() for t in ("visits", "touches"))


def lake_files(lake: Path) -> list[Path]:
    """The lake's Parquet files, table by table in ingest order (visits before the touches that refer to them)."""
    if not is_lake(lake):
        raise LakeError("lake_not", source=lake)
    return [f for t in TABLES if (lake / t).is_dir() for f in sorted((lake / t).rglob("*.parquet"))]


def hive_values(path: Path) -> dict[str, str | None]:
    """The `key=value` folders above a lake file (Hive's null partition read as None)."""
    out: dict[str, str | None] = {}
    for part in path.parent.parts:
        key, sep, value = part.partition("=")
        if sep and key.isidentifier():
            out[key] = None if value == "__HIVE_DEFAULT_PARTITION__" else value
    return out


def read_table(con: ibis.BaseBackend, lake: Path, table: str) -> ir.Table:
    """A lake table on an Ibis backend (DuckDB or PySpark), partition columns included."""
    folder = lake / table
    if not folder.is_dir():
        raise LakeError("lake_table", source=lake, value=table)
    name = f"lake_{table}"
    if con.name == "duckdb":  # a view of our own: Ibis passes hive_types as a MAP, DuckDB wants a STRUCT
        glob = str(folder / "**" / "*.parquet").replace("'", "''")
        partitioned = any(hive_values(f) for f in folder.rglob("*.parquet"))  # an empty table has one plain file
        hive = ("hive_partitioning = true, hive_types = {'date': DATE, 'hall_id': VARCHAR}" if partitioned
                else "hive_partitioning = false")
        con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet('{glob}', "
                    f"union_by_name = true, {hive})")
        return con.table(name)
    return con.read_parquet(str(folder), table_name=name)
