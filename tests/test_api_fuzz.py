"""Property test of the HTTP API against its own OpenAPI document: no input gives a 500.

Schemathesis generates requests for every operation in /openapi.json, both valid ones and
ones that break the schema, and sends them as a stranger, as a hall's device and as the
network admin: the valid ones on the embedded store and on the PostgreSQL server, the others (refused before
any store is reached) on the embedded one.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from peakend.web.app import create_app
from tests.conftest import add_token, add_user, empty_postgres, run_jobs
from tests.test_web import PASSWORD, A, B, touches

WHO = ("stranger", "device", "admin")
# Per operation and mode (each example is sent three times). CI runs a fixed draw so that a result is reproducible;
# PEAKEND_FUZZ_EXAMPLES=200 PEAKEND_FUZZ_RANDOM=1 hunts deeper with fresh draws.
EXAMPLES = int(os.environ.get("PEAKEND_FUZZ_EXAMPLES", "10"))
FIXED_DRAW = os.environ.get("PEAKEND_FUZZ_RANDOM") != "1"


@pytest.fixture(scope="module")
def fuzzed(request, tmp_path_factory):
    """A scored store with two halls, a device token of hall A and an admin's session cookie."""
    url = str(tmp_path_factory.mktemp("fuzz") / "f.duckdb") if request.param == "duckdb" else empty_postgres()
    app = create_app(url, secret="fuzz-secret")
    store = app.state.peakend.store
    add_user(store, "admin", PASSWORD, "admin")
    add_user(store, "mgr_a", PASSWORD, "manager", [A])
    token = add_token(store, A, "pad")
    # not as a context: leaving it would shut the app (and its store) down
    c = TestClient(app, headers={"Origin": "http://testserver"})
    assert c.post("/api/v1/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
    for hall, visit in ((A, "a1"), (B, "b1")):
        sent = touches(hall, visit, [("entering", 4), ("counter_result", 1), ("leaving", 5)])
        assert c.post("/api/v1/touches/batch", json=sent).status_code == 200
    assert c.post("/api/v1/score").status_code == 202 and run_jobs(app) == 1
    assert c.get("/api/v1/training", params={"q": "排队"}).status_code == 200  # its index built before the clock runs
    cookies = dict(c.cookies)
    app.state.fuzz_auth = {
        "stranger": ({}, {}),
        "device": ({"Authorization": f"Bearer {token}"}, {}),
        "admin": ({"Origin": "http://testserver"}, cookies),
    }
    yield app
    store.close()


def without_lifespan(app):
    """The app without its lifespan: schemathesis opens a client per call, whose exit would close the store."""

    async def serve(scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return serve


def operations(app) -> list:
    """Every operation of the app's OpenAPI document."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", without_lifespan(app))
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(app, op, mode: GenerationMode, who: tuple[str, ...]):
    """A Hypothesis test sending generated requests for `op` as each of `who`."""

    @given(case=op.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=FIXED_DRAW)
    def no_server_error(case) -> None:
        for name in who:
            headers, cookies = app.state.fuzz_auth[name]
            case.call_and_validate(headers=headers, cookies=cookies, checks=[not_a_server_error])

    return no_server_error


# Requests that break the schema are refused before they reach a store: sent to the embedded one only.
@pytest.mark.parametrize(("fuzzed", "mode"), [("duckdb", GenerationMode.POSITIVE), ("duckdb", GenerationMode.NEGATIVE),
                                              ("postgres", GenerationMode.POSITIVE)],
                         indirect=["fuzzed"], ids=["duckdb-positive", "duckdb-negative", "postgres-positive"])
def test_no_request_gives_a_server_error(fuzzed, mode):
    ops = operations(fuzzed)
    assert len(ops) >= 15  # every ingest, query, export and scoring route is in the document
    fuzzed_ops = []
    for op in ops:
        who = WHO[:1] if op.path.endswith("/login") else WHO  # logging in is the same for all (and slow: Argon2)
        try:
            fuzz(fuzzed, op, mode, who)()
            fuzzed_ops.append(op.label)
        except Unsatisfiable:  # nothing to break: no parameters, or only free-text ones
            assert mode is GenerationMode.NEGATIVE, op.label
    assert sum("POST" in label for label in fuzzed_ops) >= 9  # at least every ingest route and login
