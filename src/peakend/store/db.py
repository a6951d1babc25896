"""The embedded DuckDB store: open a file, apply pending migrations, hand out connections."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import duckdb

DEFAULT_PATH = "peakend.duckdb"


def default_path() -> str:
    """The store path: env `PEAKEND_DB`, else `peakend.duckdb` in the working directory."""
    return os.environ.get("PEAKEND_DB", DEFAULT_PATH)


def migrations() -> list[tuple[int, str]]:
    """The schema migrations shipped with peakend, as (version, SQL) in order."""
    folder = resources.files("peakend.store").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the store's schema version; return the new version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    current = int(scalar(con, "SELECT coalesce(max(version), 0) FROM schema_migrations"))  # type: ignore[arg-type]
    for version, sql in migrations():
        if version > current:
            con.execute("BEGIN")
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version) VALUES (?)", [version])
            con.execute("COMMIT")
            current = version
    return current


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store at `path` and bring its schema up to date."""
    target = str(path or default_path())
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target)
    migrate(con)
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    """The single value a query returns (fetching all rows, as DuckDB 2 requires)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def materialize(db: object, name: str, expr: object) -> None:
    """Write an Ibis expression to table `name` in one CREATE TABLE … AS statement.

    Ibis's own create_table creates, inserts, drops and renames: about 40% slower on large
    results. Going through a view keeps Ibis in charge of registering in-memory tables.
    """
    view = f"_peakend_{name}_view"
    db.create_view(view, expr, overwrite=True)  # type: ignore[attr-defined]
    db.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "{view}"').fetchall()  # type: ignore[attr-defined]
    db.drop_view(view)  # type: ignore[attr-defined]
