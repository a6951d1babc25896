"""Shared fixtures: the default blueprint, an in-memory store, and a CSV writer."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from peakend.blueprint.load import load_blueprint
from peakend.blueprint.model import Blueprint
from peakend.store.db import connect


@pytest.fixture(scope="session")
def bp() -> Blueprint:
    return load_blueprint()


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = connect(":memory:")
    yield c
    c.close()


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    """Write a CSV file of `rows` under `header`."""
    with path.open("w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Every test starts in English; `--lang zh` in one test must not leak into the next."""
    monkeypatch.setenv("PEAKEND_LANG", "en")
