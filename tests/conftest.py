"""Shared fixtures: the default blueprint, an in-memory store, and a CSV writer."""

from __future__ import annotations

import csv
import functools
import os
from pathlib import Path

import pytest

from peakend.blueprint.load import load_blueprint
from peakend.blueprint.model import Blueprint
from peakend.store.db import Store, connect


@pytest.fixture(scope="session")
def bp() -> Blueprint:
    return load_blueprint()


def postgres_url() -> str:
    """The test PostgreSQL server (started by scripts/services.sh); a clear failure, never a skip."""
    url = os.environ.get("PEAKEND_TEST_PG")
    if not url:
        pytest.fail("PEAKEND_TEST_PG is not set: run the tests with `make test`, which starts PostgreSQL")
    return _own_database(url, WORKER) if WORKER else url


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1… when the tests run in parallel (pytest -n)


@functools.cache
def _own_database(url: str, worker: str) -> str:
    """A parallel test process's own copy of the test database (`peakend_test_gw0`…), created once."""
    import psycopg

    name = f"{url.rsplit('/', 1)[1]}_{worker}"
    with psycopg.connect(url, autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            c.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def signed_in(app, user: str, password: str, follow_redirects: bool = False):
    """A client of `app` logged in as `user`, posting from the app's own origin (as its pages do)."""
    from fastapi.testclient import TestClient

    c = TestClient(app, headers={"Origin": "http://testserver"}, follow_redirects=follow_redirects)
    assert c.post("/api/v1/login", json={"username": user, "password": password}).status_code == 200
    return c


def empty_postgres() -> str:
    """The test PostgreSQL database, emptied of every table."""
    import psycopg

    url = postgres_url()
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("DROP SCHEMA IF EXISTS public CASCADE")
        c.execute("CREATE SCHEMA public")
    return url


def other_postgres(name: str) -> str:
    """A fresh database `name` on the test server, for stores that outlive one test."""
    import psycopg

    url = postgres_url()
    name = f"{name}_{WORKER}" if WORKER else name
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The 14-day demo, built once through `peakend demo` (about 35 s)."""
    from typer.testing import CliRunner

    from peakend.cli import app

    folder = tmp_path_factory.mktemp("demo14")
    result = CliRunner().invoke(app, ["demo", "--dir", str(folder), "--days", "14"])
    assert result.exit_code == 0, result.output
    return folder


def shared_demo(tmp_path_factory: pytest.TempPathFactory, days: int) -> tuple[Path, str]:
    """`peakend demo --days <days>` run once for the whole test run, whichever worker asks first (the others wait
    for it): its folder, never to be changed (copy it with `demo_copy`), and what the command printed (in English).
    Each 3-day demo built costs a minute or more on a loaded machine; three test files use one."""
    import fcntl

    from typer.testing import CliRunner

    from peakend.cli import app

    base = tmp_path_factory.getbasetemp()
    root = base.parent if WORKER else base  # the run's folder every worker shares (pytest-N/)
    folder, said = root / f"shared-demo-{days}", root / f"shared-demo-{days}.txt"
    with open(root / f"shared-demo-{days}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not said.exists():
            result = CliRunner().invoke(app, ["demo", "--dir", str(folder), "--days", str(days)],
                                        env={"PEAKEND_LANG": "en"})
            assert result.exit_code == 0, result.output
            said.write_text(result.output, "utf-8")
    return folder, said.read_text("utf-8")


def demo_copy(tmp_path_factory: pytest.TempPathFactory, days: int, into: Path) -> str:
    """A copy of the shared demo of `days` days at `into` (a folder that does not exist yet); what `demo` printed."""
    import shutil

    folder, said = shared_demo(tmp_path_factory, days)
    shutil.copytree(folder, into)
    return said


@pytest.fixture(params=["duckdb", "postgres"])
def store(request) -> Store:
    """An empty store, once embedded (DuckDB) and once on the PostgreSQL server."""
    s = connect(":memory:" if request.param == "duckdb" else empty_postgres())
    yield s
    s.close()


@pytest.fixture
def duck() -> Store:
    """An empty embedded store."""
    s = connect(":memory:")
    yield s
    s.close()


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    """Write a CSV file of `rows` under `header`."""
    with path.open("w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


SERVER_SECRET = "tests-server-secret"


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    """Every test starts in English (`--lang zh` in one test must not leak into the next), with a server secret."""
    monkeypatch.setenv("PEAKEND_LANG", "en")
    monkeypatch.setenv("PEAKEND_SECRET", SERVER_SECRET)  # endpoint signing secrets are sealed with a key from it


def add_user(store: Store, *args, **kwargs) -> None:
    """Create a user on `store` (as `peakend user add` does)."""
    from peakend.service import Workspace

    Workspace(store).people.add_user(*args, **kwargs)


def add_token(store: Store, *args, **kwargs) -> str:
    """Create a device token on `store` (as `peakend token add` does); return it."""
    from peakend.service import Workspace

    return Workspace(store).people.add_token(*args, **kwargs)


def run_jobs(app) -> int:
    """Run every queued job of `app`'s store here, as a job runner would (the test client starts no lifespan
    threads); how many ran."""
    ran = 0
    while app.state.peakend.ws.jobs.run_next():
        ran += 1
    return ran


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a parallel run (`pytest -n`, `--dist loadgroup`), keep on one worker the tests that share an expensive
    fixture: every file with a test of the 14-day demo (the demo is built once, on that worker), and each other file
    whose fixture is built once per file."""
    demo_files, module_files = set(), set()
    for item in items:
        file = item.nodeid.split("::")[0]
        if "demo" in getattr(item, "fixturenames", ()):
            demo_files.add(file)
        defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        if any(d[-1].scope == "module" for d in defs.values()):
            module_files.add(file)
    for item in items:
        file = item.nodeid.split("::")[0]
        if file in demo_files:
            item.add_marker(pytest.mark.xdist_group("demo"))
        elif file in module_files:
            item.add_marker(pytest.mark.xdist_group(file))


def scored_through_api(client, app) -> dict:
    """POST /api/v1/score as `client` (202: a job), run the job here, and return its result (visits, touches…)."""
    started = client.post("/api/v1/score")
    assert started.status_code == 202, started.text
    run_jobs(app)
    done = client.get(started.headers["Location"]).json()
    assert done["state"] == "done", done
    return done["result"]
