"""The store: an embedded DuckDB file by default, or a shared PostgreSQL server.

Both hold the same schema, applied by the same migrations. A `Store` hands out:
- `db`, an Ibis backend on the store, which every analytic runs through;
- `execute`/`query`/`scalar` for the few portable SQL statements ingest and migrations need;
- `stage`, a DuckDB connection where incoming rows are typed and checked before they are
  stored (the store itself for DuckDB; a private in-memory database for PostgreSQL).
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from peakend import settings
from peakend.errors import StoreBusy

UPLOAD_CHUNK = 1 << 20  # bytes of CSV per write when copying staged rows to PostgreSQL
Backend = Literal["duckdb", "postgres"]
# Memory for building the indexes of score tables written in bulk (PostgreSQL's default, 64 MB, sorted the
# visit ids of 2M touch scores on disk); for that transaction only.
INDEX_MEMORY = "256MB"
# DuckDB column types as PostgreSQL spells them, for staging tables copied to the server.
PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision",
            "TIMESTAMP": "timestamp", "BOOLEAN": "boolean", "DATE": "date", "FLOAT": "real"}


def default_path() -> str:
    """The store location: env `PEAKEND_DB`, else `peakend.duckdb` in the working directory."""
    return settings.get("db") or settings.DEFAULT_DB


def redacted_url(url: str) -> str:
    """A store URL as messages may show it: a password in it replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@/]*@", r"\1***@", url)


def is_postgres(url: str) -> bool:
    """Whether a store location names a PostgreSQL server."""
    return url.startswith(("postgresql://", "postgres://"))


def migrations(backend: Backend) -> list[tuple[int, str]]:
    """The schema migrations shipped with peakend for `backend`, as (version, SQL) in order.

    `NNN_name.sql` applies to every backend; `NNN_name.postgres.sql` to PostgreSQL only (a
    version another backend skips for good, e.g. indexes DuckDB's scans do not need).
    """
    folder = resources.files("peakend.store").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        parts = entry.name.split(".")
        if parts[-1] == "sql" and (len(parts) == 2 or parts[1] == backend):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return sorted(found)


class Store:
    """One open store. Thread-safe: every statement runs under the store's lock, except reads asked
    to go `beside` it (on the calling thread's own connection, seeing what is committed).

    What is the same on every engine is here; `DuckDBStore` and `PostgresStore` hold what differs.
    """

    backend: Backend

    def __init__(self, url: str):
        self.url = url
        self.lock = threading.RLock()
        self._columns: dict[str, list[str]] = {}  # column names by table (Store.columns)
        self._beside = threading.local()  # each thread's connection for reads beside the lock (Store.fetch)
        self._beside_all: list[Any] = []
        self._beside_lock = threading.Lock()  # guards _beside_all and the connections they are made from
        self.stage: duckdb.DuckDBPyConnection  # where incoming rows are typed and checked
        self.db: Any  # the Ibis backend on the store

    # -- portable SQL on the store ------------------------------------------------------
    def execute(self, sql: str, params: Sequence[object] | None = None) -> int:
        """Run one statement (with `?` placeholders) on the store; return the rows it inserted or changed."""
        with self.lock:
            return self._execute(sql, params)

    def _execute(self, sql: str, params: Sequence[object] | None) -> int:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[None]:
        """Everything inside commits together, or not at all (holds the store's lock)."""
        raise NotImplementedError

    @contextmanager
    def analytic(self) -> Iterator[None]:
        """Whole-table work (a scoring run) inside: the server may give its sorts more memory (holds the lock)."""
        with self.lock:
            yield

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run one statement (with `?` placeholders) once per row of parameters."""
        rows = list(rows)
        if rows:
            with self.lock:
                self._executemany(sql, rows)

    def _executemany(self, sql: str, rows: list[Sequence[object]]) -> None:
        raise NotImplementedError

    def insert_rows(self, table: str, rows: list[dict[str, Any]] | pa.Table) -> None:
        """Insert rows (dicts with the same keys, or an Arrow table) into `table`, skipping any whose key is there.
        NaN and NaT are stored as NULL."""
        if len(rows):
            self._insert_rows(table, rows, rows.column_names if isinstance(rows, pa.Table) else list(rows[0]))

    def _insert_rows(self, table: str, rows: list[dict[str, Any]] | pa.Table, cols: list[str]) -> None:
        raise NotImplementedError

    def fetch(self, sql: str, params: Sequence[object] | None = None,
              beside: bool = False) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows (as tuples, NULL as None) of a query on the store.

        With `beside`, the query runs on a connection of the calling thread's own, without the
        store's lock: beside an ingest, on what is committed (the live worker's reads).
        """
        if beside:
            return self._fetch_on(self._beside_connection(), sql, params)
        with self.lock:
            return self._fetch_on(self._main_connection(), sql, params)

    def _main_connection(self) -> Any:
        raise NotImplementedError

    def _fetch_on(self, con: Any, sql: str, params: Sequence[object] | None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """`fetch` on one connection of this store's engine (every query the store answers passes here)."""
        return self._query_on(con, sql, params)

    def _query_on(self, con: Any, sql: str, params: Sequence[object] | None) -> tuple[list[str], list[tuple[Any, ...]]]:
        raise NotImplementedError

    def _beside_connection(self) -> Any:
        """The calling thread's own connection to the store (made at first use, closed with the store)."""
        con = getattr(self._beside, "con", None)
        if con is None:
            with self._beside_lock:  # not the store's lock: this must not wait for an ingest
                con = self._new_connection()
                self._beside.con = con
                self._beside_all.append(con)
        return con

    def _new_connection(self) -> Any:
        raise NotImplementedError

    def rows(self, sql: str, params: Sequence[object] | None = None, beside: bool = False) -> list[tuple[Any, ...]]:
        """The rows of a query on the store, as tuples (`beside`: as `fetch`)."""
        return self.fetch(sql, params, beside)[1]

    def query(self, sql: str, params: Sequence[object] | None = None, beside: bool = False) -> pd.DataFrame:
        """The rows of a query on the store, as a data frame (`beside`: as `fetch`)."""
        cols, rows = self.fetch(sql, params, beside)
        return pd.DataFrame(rows, columns=cols)

    def scalar(self, sql: str, params: Sequence[object] | None = None) -> Any:
        """The single value a query returns (None when it returns no row)."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def table(self, name: str) -> ir.Table:
        """The Ibis table `name` (its schema is read on the store's connection, so under the store's lock)."""
        with self.lock:
            return self.db.table(name)

    def arrow_batches(self, expr: ir.Table, rows: int) -> pa.RecordBatchReader:
        """Stream an Ibis expression's result as Arrow record batches of about `rows` rows (under the lock)."""
        with self.lock:
            return expr.to_pyarrow_batches(chunk_size=rows)

    def distinct(self, table: str, column: str) -> list[Any]:
        """The distinct non-null values of `table.column`, in order (a column scan on DuckDB)."""
        return [r[0] for r in self.rows(f'SELECT DISTINCT "{column}" FROM {table} WHERE "{column}" IS NOT NULL '
                                        "ORDER BY 1")]

    def has_table(self, name: str) -> bool:
        """Whether the store holds a table (or view) called `name`."""
        # Not Ibis's list_tables: under DuckDB 2 it calls the removed fetch_arrow_table.
        return bool(self.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    def columns(self, table: str) -> list[str]:
        """The column names of a store table, in order (remembered until the schema changes here)."""
        if table not in self._columns:
            self._columns[table] = [r[0] for r in self.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = current_schema() AND table_catalog = current_database() ORDER BY ordinal_position",
                [table])]
        return self._columns[table]

    def file_beside(self, name: str) -> Path:
        """A file that belongs with the store (e.g. the SMS outbox): beside its DuckDB file, else here."""
        return Path(name)

    # -- moving data ---------------------------------------------------------------------
    def upload(self, name: str, select: str) -> None:
        """Make the rows of a staging-database query visible in the store as temp table `name`."""
        raise NotImplementedError

    def stage_visits(self, name: str, ids: Callable[[], list[str]]) -> None:
        """Give the staging database `name` (visit_id, hall_id): at least the stored visits among `ids()`."""
        raise NotImplementedError

    def materialize(self, name: str, expr: ibis.Table, index: Sequence[str] = ()) -> None:
        """Write an Ibis expression to store table `name`, replacing it (`index`: columns looked up by)."""
        self._columns.pop(name, None)
        with self.lock:
            self._materialize(name, expr, index)

    def _materialize(self, name: str, expr: ibis.Table, index: Sequence[str]) -> None:
        raise NotImplementedError

    def write_frame(self, name: str, frame: pd.DataFrame) -> None:
        """Replace store table `name` by a data frame (a column with no value at all, as in an empty frame, is
        stored as text: an engine cannot make a column of no type)."""
        untyped = [c for c in frame.columns if frame[c].dtype == object and frame[c].isna().all()]
        frame = frame.astype(dict.fromkeys(untyped, "string"))
        self._columns.pop(name, None)
        with self.lock:
            self.db.create_table(name, frame, overwrite=True)
            self._settle(name, ())

    def _settle(self, name: str, index: Sequence[str]) -> None:
        """A table just written, made ready to be read (nothing to do on an embedded store)."""

    # -- life cycle ----------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply every migration newer than the store's schema version; return the new version."""
        self._columns.clear()
        with self.lock:
            self.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
            )
            current = int(self.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations"))
            for version, sql in migrations(self.backend):
                if version > current:
                    with self.transaction():
                        self._run_script(sql)
                        self.execute("INSERT INTO schema_migrations (version) VALUES (?)", [version])
                    current = version
            return current

    def _run_script(self, sql: str) -> None:
        """Run a migration's statements (several, separated by semicolons)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the store's connections."""
        for con in self._beside_all:
            con.close()
        self.stage.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBStore(Store):
    """An embedded DuckDB file (or `:memory:`): the store is also the staging database."""

    backend: Backend = "duckdb"

    def __init__(self, url: str):
        super().__init__(url)
        if url != ":memory:":
            Path(url).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.stage = duckdb.connect(url)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(path=url) from exc
            raise
        self.db = ibis.duckdb.from_connection(self.stage)
        self._beside_base = self.stage.cursor()  # the beside connections are made from it, not from `stage`

    def _execute(self, sql: str, params: Sequence[object] | None) -> int:
        result = self.stage.execute(sql, params or [])
        rows = result.fetchall() if result.description and result.description[0][0] == "Count" else []
        return int(rows[0][0]) if rows else 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together, or not at all (holds the store's lock)."""
        with self.lock:
            self.stage.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self.stage.execute("ROLLBACK")
                raise
            self.stage.execute("COMMIT")

    def _executemany(self, sql: str, rows: list[Sequence[object]]) -> None:
        self.stage.executemany(sql, rows)

    def _insert_rows(self, table: str, rows: list[dict[str, Any]] | pa.Table, cols: list[str]) -> None:
        """In one statement from Arrow columns (executemany runs one statement per row; a pandas frame
        of objects took four times as long as Arrow)."""
        names = ", ".join(f'"{c}"' for c in cols)
        frame = rows if isinstance(rows, pa.Table) else pa.table(
            {c: pa.array([r[c] for r in rows], from_pandas=True) for c in cols})
        with self.lock:
            self.stage.register("_peakend_rows", frame)
            try:
                self.stage.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _peakend_rows "
                                   "ON CONFLICT DO NOTHING")
            finally:
                self.stage.unregister("_peakend_rows")

    def _main_connection(self) -> Any:
        return self.stage

    def _query_on(self, con: Any, sql: str, params: Sequence[object] | None) -> tuple[list[str], list[tuple[Any, ...]]]:
        result = con.execute(sql, params or [])
        return [d[0] for d in result.description or []], result.fetchall()

    def _new_connection(self) -> Any:
        return self._beside_base.cursor()

    def arrow_batches(self, expr: ir.Table, rows: int) -> pa.RecordBatchReader:
        """Through the connection's own reader: Ibis 12 calls a cursor method DuckDB 2 removed."""
        with self.lock:
            return self.stage.sql(str(self.db.compile(expr))).to_arrow_reader(rows)

    def file_beside(self, name: str) -> Path:
        """A file beside the DuckDB file (here for an in-memory store)."""
        return Path(name) if self.url == ":memory:" else Path(self.url).with_name(name)

    def upload(self, name: str, select: str) -> None:
        """The store is the staging database: a view."""
        with self.lock:
            self.stage.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")

    def stage_visits(self, name: str, ids: Callable[[], list[str]]) -> None:
        """Every stored visit, as a view (the staging database is the store)."""
        self.stage.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT visit_id, hall_id FROM visits")

    def _materialize(self, name: str, expr: ibis.Table, index: Sequence[str]) -> None:
        """One CREATE TABLE … AS statement (Ibis's create_table creates, inserts, drops and renames: about
        40% slower on large results)."""
        view = f"_peakend_{name}_view"
        self.db.create_view(view, expr, overwrite=True)
        self.stage.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "{view}"').fetchall()
        self.db.drop_view(view)

    def _run_script(self, sql: str) -> None:
        self.stage.execute(sql)

    def close(self) -> None:
        """Close the store's connections."""
        for con in self._beside_all:
            con.close()
        self._beside_base.close()
        self.stage.close()


class PostgresStore(Store):
    """A shared PostgreSQL server; incoming rows are checked in a private in-memory DuckDB first."""

    backend: Backend = "postgres"

    def distinct(self, table: str, column: str) -> list[Any]:
        """As `Store.distinct`, by stepping through an index that leads with `column` from one value to the next
        (PostgreSQL reads every row for a DISTINCT: at 20M touches the audits page's hall list took 3.9 s; the page
        3.99 s -> 0.10 s this way)."""
        if not self._leads_index(table, column):
            return super().distinct(table, column)
        return [r[0] for r in self.rows(
            f'WITH RECURSIVE d(v) AS (SELECT min("{column}") FROM {table} UNION ALL '
            f'SELECT (SELECT min("{column}") FROM {table} WHERE "{column}" > d.v) FROM d WHERE d.v IS NOT NULL) '
            "SELECT v FROM d WHERE v IS NOT NULL")]

    def _leads_index(self, table: str, column: str) -> bool:
        """Whether an index of `table` has `column` first (then each step of `distinct` is one index probe); asked
        of the server once per store (its indexes are its migrations')."""
        known: dict[tuple[str, str], bool] = vars(self).setdefault("_leading", {})
        if (table, column) not in known:
            known[table, column] = bool(self.scalar(
                "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = i.indkey[0] WHERE i.indrelid = to_regclass(?) AND a.attname = ?", [table, column]))
        return known[table, column]

    def __init__(self, url: str):
        import psycopg

        super().__init__(url)
        self.pg = psycopg.connect(url, autocommit=True)
        self.pg.execute("SET jit = off")  # JIT compiled the scoring queries for 7 s to run them in 3
        self.db = ibis.postgres.from_connection(self.pg)
        self.stage = duckdb.connect(":memory:")
        self._arrow: Any = None  # the ADBC connection (PostgresStore.arrow_connection)

    def _execute(self, sql: str, params: Sequence[object] | None) -> int:
        return max(self.pg.execute(_pg(sql, params), params or None).rowcount, 0)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together, or not at all (holds the store's lock)."""
        with self.lock, self.pg.transaction():
            yield

    @contextmanager
    def analytic(self) -> Iterator[None]:
        """Sorts and hashes in memory (work_mem 256 MB: at 4 MB the visit picks of 2M touches spilled to disk),
        for this session's scoring only: every connection of every server process may take work_mem per sort."""
        with self.lock:
            self.pg.execute("SET work_mem = '256MB'")
            try:
                yield
            finally:
                self.pg.execute("RESET work_mem")

    def _executemany(self, sql: str, rows: list[Sequence[object]]) -> None:
        with self.pg.cursor() as cur:
            cur.executemany(_pg(sql, rows), rows)

    def _insert_rows(self, table: str, rows: list[dict[str, Any]] | pa.Table, cols: list[str]) -> None:
        names = ", ".join(f'"{c}"' for c in cols)
        dicts = rows.to_pylist() if isinstance(rows, pa.Table) else rows
        self.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))}) "
                         "ON CONFLICT DO NOTHING", [[r[c] for c in cols] for r in dicts])

    def _main_connection(self) -> Any:
        return self.pg

    def _query_on(self, con: Any, sql: str, params: Sequence[object] | None) -> tuple[list[str], list[tuple[Any, ...]]]:
        with con.cursor() as cur:
            cur.execute(_pg(sql, params), params or None)
            return [d.name for d in cur.description or []], [tuple(r) for r in cur.fetchall()]

    def _new_connection(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def upload(self, name: str, select: str) -> None:
        """The rows are copied in with COPY, as CSV written by DuckDB (NULL unquoted empty, an empty
        string quoted: the distinction PostgreSQL's CSV reading keeps)."""
        with self.lock:
            schema = self.stage.execute(f"DESCRIBE {select}").fetchall()
            cols = ", ".join(f'"{c}" {PG_TYPES.get(t, "text")}' for c, t, *_ in schema)
            self.pg.execute(f"DROP TABLE IF EXISTS {name}")
            self.pg.execute(f"CREATE TEMP TABLE {name} ({cols})")
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "rows.csv"
                target = str(path).replace("'", "''")
                self.stage.execute(f"COPY ({select}) TO '{target}' (FORMAT csv, HEADER false)")
                with path.open("rb") as f, self.pg.cursor() as cur, \
                        cur.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:
                    while chunk := f.read(UPLOAD_CHUNK):
                        copy.write(chunk)

    def stage_visits(self, name: str, ids: Callable[[], list[str]]) -> None:
        """The stored visits among `ids()`, copied into the staging database."""
        found = self.query("SELECT visit_id, hall_id FROM visits WHERE visit_id = ANY(?)", [ids()])
        self.stage.register("_found_visits", found.astype({"visit_id": "object", "hall_id": "object"}))
        self.stage.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT visit_id::VARCHAR AS visit_id, "
                           "hall_id::VARCHAR AS hall_id FROM _found_visits")
        self.stage.unregister("_found_visits")

    def _materialize(self, name: str, expr: ibis.Table, index: Sequence[str]) -> None:
        """CREATE TABLE AS, then swapped in: PostgreSQL runs it in parallel, not Ibis's INSERT after a CREATE
        (2.6 s rather than 5.1 s for the touch scores of 2M touches)."""
        new = f"{name}__new"
        self.pg.execute(f'DROP TABLE IF EXISTS "{new}"')
        self.pg.execute(f'CREATE TABLE "{new}" AS {self.db.compile(expr)}')
        with self.pg.transaction():
            self.pg.execute(f'DROP TABLE IF EXISTS "{name}"')
            self.pg.execute(f'ALTER TABLE "{new}" RENAME TO "{name}"')
        self._settle(name, index)

    def _settle(self, name: str, index: Sequence[str]) -> None:
        """Indexed by each column of `index`, and analyzed. Without statistics the planner takes a new table
        for an empty one: a page joining two score tables of millions of rows then planned nested loops and
        took minutes, not 0.2 s."""
        for column in index:
            self.pg.execute(f'CREATE INDEX IF NOT EXISTS "{name}_{column}" ON "{name}" ("{column}")')
        self.pg.execute(f'ANALYZE "{name}"')

    def _run_script(self, sql: str) -> None:
        self.pg.execute(sql)

    # -- Arrow in and out (ADBC: PostgreSQL's binary COPY, column by column) --------------
    def arrow_connection(self) -> Any:
        """The store's ADBC connection, made at first use (not in autocommit: `read_arrow` and `write_arrow`
        end their transactions)."""
        if self._arrow is None:
            import adbc_driver_postgresql.dbapi as adbc

            self._arrow = adbc.connect(self.url)
        return self._arrow

    @contextmanager
    def read_arrow(self, sql: str) -> Iterator[pa.RecordBatchReader]:
        """The rows of a query streamed as Arrow record batches, read in binary (under the store's lock)."""
        with self.lock:
            con = self.arrow_connection()
            cur = con.cursor()
            try:
                cur.execute(sql)
                yield cur.fetch_record_batch()
            finally:
                cur.close()
                con.rollback()  # ends the read's transaction (its snapshot)

    def write_arrow(self, before: Sequence[str] = (), append: Mapping[str, Callable[[], pa.RecordBatchReader]] = {},
                    replace: Mapping[str, Callable[[], pa.RecordBatchReader]] = {},
                    index: Mapping[str, Sequence[str]] = {}) -> None:
        """One transaction: the `before` statements, then rows appended to tables (`append`: through a temporary
        table, so PostgreSQL casts them to the table's column types), then whole tables `replace`d (written in
        bulk beside the old ones, indexed by their `index` columns and analyzed, then swapped in). Readers see
        every table as it was before, or every table as it is after: never half a run."""
        self._columns.clear()
        with self.lock:
            con = self.arrow_connection()
            try:
                with con.cursor() as cur:
                    cur.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
                    for sql in before:
                        cur.execute(sql)
                    for name, rows in append.items():
                        _append(cur, name, rows())
                    for name, rows in replace.items():
                        _create(cur, name, rows(), index.get(name, ()))
                    for name in replace:
                        _swap(cur, name, index.get(name, ()))
                con.commit()
            except BaseException:
                con.rollback()
                raise

    def close(self) -> None:
        """Close the store's connections."""
        super().close()
        if self._arrow is not None:
            self._arrow.close()
        self.pg.close()


def _append(cur: Any, name: str, rows: pa.RecordBatchReader) -> None:
    """Rows appended to table `name` on an ADBC cursor, through a temporary table."""
    scratch = f"_peakend_new_{name}"
    cur.execute(f'DROP TABLE IF EXISTS "{scratch}"')
    cur.adbc_ingest(scratch, rows, mode="create", temporary=True)
    quoted = ", ".join(f'"{c}"' for c in rows.schema.names)
    cur.execute(f'INSERT INTO "{name}" ({quoted}) SELECT {quoted} FROM "{scratch}"')
    cur.execute(f'DROP TABLE "{scratch}"')


def _create(cur: Any, name: str, rows: pa.RecordBatchReader, index: Sequence[str]) -> None:
    """Table `<name>__new` written from Arrow (binary COPY), indexed and analyzed."""
    new = f"{name}__new"
    cur.execute(f'DROP TABLE IF EXISTS "{new}"')
    cur.adbc_ingest(new, rows, mode="create")
    for column in index:
        cur.execute(f'CREATE INDEX "{new}_{column}" ON "{new}" ("{column}")')
    cur.execute(f'ANALYZE "{new}"')  # see PostgresStore._settle


def _swap(cur: Any, name: str, index: Sequence[str]) -> None:
    """Table `<name>__new` in place of `name`, its indexes named as `PostgresStore._settle` names them."""
    cur.execute(f'DROP TABLE IF EXISTS "{name}"')
    cur.execute(f'ALTER TABLE "{name}__new" RENAME TO "{name}"')
    for column in index:
        cur.execute(f'ALTER INDEX "{name}__new_{column}" RENAME TO "{name}_{column}"')


def _pg(sql: str, params: object) -> str:
    """Turn `?` placeholders into psycopg's `%s` when there are parameters (SQL with parameters holds no literal
    `?`; SQL without, such as a compiled Ibis expression, is sent as it is)."""
    return sql.replace("%", "%%").replace("?", "%s") if params else sql


def connect(url: str | Path | None = None) -> Store:
    """Open (creating if needed) the store at `url` and bring its schema up to date.

    `url` is a DuckDB file path, `:memory:`, or a `postgresql://` URL; default `default_path()`.
    """
    location = str(url or default_path())
    store: Store = PostgresStore(location) if is_postgres(location) else DuckDBStore(location)
    store.migrate()
    return store
