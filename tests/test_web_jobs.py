"""The web as a thin adapter over the application layer: long work as jobs any process of the server runs and
follows (an import started through one app, finished through another on the same PostgreSQL store; a job cut
off is run again without storing a row twice), pages that answer while their figures are computed, the jobs API
scoped to who may see a job, and no route whose module imports a domain package."""

from __future__ import annotations

import ast
import inspect
import sys
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from peakend.web.app import create_app
from tests.conftest import add_user, empty_postgres, run_jobs, signed_in

TWINS = Path(__file__).parent / "data" / "twins"
A, B = "天河北厅", "花都新华厅"
DOMAIN = ("blueprint", "ingest", "store", "scoring", "live", "simulate", "loyalty", "text", "demo", "report")
DRAWING = ("peakend.report.charts", "peakend.report.floor")  # rendering, shared with the report


def _upload(c: TestClient) -> dict:
    with (TWINS / "gbk.csv").open("rb") as f:
        up = c.post("/api/v1/imports", files={"file": ("排队导出.csv", f, "text/csv")})
    assert up.status_code == 200, up.text
    return up.json()


def _run(c: TestClient, seen: dict) -> dict:
    columns = {field: column for column, field in seen["suggested"].items()}
    run = c.post(f"/api/v1/imports/{seen['token']}/run", json={"columns": columns, "rating_scale": "1-5"})
    assert run.status_code == 202, run.text
    return run.json()


def test_an_import_started_on_one_process_is_followed_and_finished_on_another(tmp_path, monkeypatch):
    """Two apps on one PostgreSQL store are two processes' view: the upload and run on the first, the job run by
    the second's runner, the result seen from both; a second run is refused (409); a job whose process died
    (its lease ran out) after storing its rows is run again and stores none twice."""
    monkeypatch.setenv("PEAKEND_UPLOADS", str(tmp_path / "uploads"))  # the folder every process shares
    monkeypatch.setenv("PEAKEND_SCORE_MINUTES", "0")  # no scoring job after the import: one job to follow
    url = empty_postgres()
    one, two = create_app(url, secret="s"), create_app(url, secret="s")
    try:
        add_user(one.state.peakend.store, "admin", "admin-pass-1", "admin")
        first, second = signed_in(one, "admin", "admin-pass-1"), signed_in(two, "admin", "admin-pass-1")
        seen = _upload(first)
        assert second.get(f"/api/v1/imports/{seen['token']}").json()["status"] == "uploaded"  # seen from the other
        assert _run(first, seen)["status"] == "running"
        assert second.get(f"/api/v1/jobs/{seen['token']}").json()["state"] == "queued"
        assert run_jobs(two) == 1  # the second process's runner takes it
        done = first.get(f"/api/v1/imports/{seen['token']}").json()
        assert (done["status"], done["rows"], done["stored"], done["quarantined"]) == ("done", 10, 9, 1)
        assert [(p["row_number"], p["code"]) for p in done["problems"]] == [(11, "out_of_range")]
        assert second.get(f"/api/v1/imports/{seen['token']}").json() == done
        again = second.post(f"/api/v1/imports/{seen['token']}/run", json={"columns": {}})
        assert again.status_code == 409  # it ran: not started twice (and no FileNotFoundError)
        assert first.post(f"/import/{seen['token']}", data={}).status_code == 409

        # cut off: the same file again, claimed by the first process, which stores every row and then dies
        seen = _upload(first)
        _run(first, seen)
        jobs = one.state.peakend.ws.jobs
        job = jobs.claim()
        assert job is not None and job.job_id == seen["token"]
        ws = one.state.peakend.ws
        from peakend.service.imports import source_of

        mapping = ws.imports.parse(job.params["mapping"])
        got = ws.files.ingest(Path(job.params["path"]), ws.files.context(), mapping, mapping.kind, "auto", None,
                              None, source_of(job))
        assert (got.fates.stored, got.fates.already) == (0, 9)  # the first import stored them already
        before = ws.store.scalar("SELECT count(*) FROM touches")
        ws.store.execute("UPDATE jobs SET lease_until = ? WHERE job_id = ?",
                         [datetime.now() - timedelta(seconds=1), job.job_id])  # its process died
        assert run_jobs(two) == 1
        rerun = second.get(f"/api/v1/imports/{seen['token']}").json()
        assert (rerun["status"], rerun["stored"], rerun["already"]) == ("done", 0, 9)
        assert second.get(f"/api/v1/jobs/{seen['token']}").json()["state"] == "done"
        assert ws.store.scalar("SELECT count(*) FROM touches") == before == 9
        assert ws.store.scalar("SELECT attempts FROM jobs WHERE job_id = ?", [job.job_id]) == 2
    finally:
        one.state.peakend.store.close()
        two.state.peakend.store.close()


def test_jobs_are_seen_and_cancelled_only_by_who_may_see_them(tmp_path):
    """A job of hall A: its owner and admins see it; a manager of B gets 404 as if it did not exist; cancelling a
    queued job ends it at once; the asker's recent jobs list theirs only."""
    app = create_app(str(tmp_path / "j.duckdb"), secret="s")
    try:
        store = app.state.peakend.store
        add_user(store, "admin", "admin-pass-1", "admin")
        add_user(store, "mgr_a", "mgr-pass-1", "manager", [A])
        add_user(store, "mgr_b", "mgr-pass-1", "manager", [B])
        job = app.state.peakend.ws.jobs.submit("verdicts", {}, "mgr_a", frozenset([A]))
        a, b = signed_in(app, "mgr_a", "mgr-pass-1"), signed_in(app, "mgr_b", "mgr-pass-1")
        admin = signed_in(app, "admin", "admin-pass-1")
        assert a.get(f"/api/v1/jobs/{job.job_id}").json()["state"] == "queued"
        assert admin.get(f"/api/v1/jobs/{job.job_id}").status_code == 200
        assert b.get(f"/api/v1/jobs/{job.job_id}").status_code == 404
        assert b.post(f"/api/v1/jobs/{job.job_id}/cancel").status_code == 404
        assert [j["job_id"] for j in a.get("/api/v1/jobs").json()] == [job.job_id]
        assert b.get("/api/v1/jobs").json() == []
        assert a.post(f"/api/v1/jobs/{job.job_id}/cancel").json()["state"] == "cancelled"
        assert run_jobs(app) == 0  # nothing left to run
        assert TestClient(app).get(f"/api/v1/jobs/{job.job_id}").status_code == 401
        add_user(store, "mgr_a2", "mgr-pass-1", "manager", [A])  # another manager of A: sees A's figures' jobs,
        upload = app.state.peakend.ws.imports.upload(tmp_path / "x.csv", "x.csv", "mgr_a", frozenset([A]))
        other = signed_in(app, "mgr_a2", "mgr-pass-1")
        assert other.get(f"/api/v1/jobs/{job.job_id}").status_code == 200
        assert other.get(f"/api/v1/jobs/{upload.job_id}").status_code == 404  # not another's upload
        assert a.get(f"/api/v1/jobs/{upload.job_id}").json()["state"] == "draft"
    finally:
        app.state.peakend.store.close()


def test_scoring_through_the_api_is_a_job_followed_to_its_result(tmp_path):
    """POST /api/v1/score answers at once: 409 on a store with no touch; else 202 with the job and its Location,
    the same job again while it waits; once run, the job's result counts the 2 visits and 3 touches sent."""
    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    try:
        add_user(app.state.peakend.store, "admin", "admin-pass-1", "admin")
        admin = signed_in(app, "admin", "admin-pass-1")
        assert admin.post("/api/v1/score").status_code == 409
        sent = [{"touch_id": f"t{i}", "visit_id": v, "hall_id": A, "moment_id": m, "rating": 4, "rating_scale": "1-5",
                 "seq": i} for i, (v, m) in enumerate([("v1", "entering"), ("v1", "leaving"), ("v2", "leaving")])]
        assert admin.post("/api/v1/touches/batch", json=sent).status_code == 200
        started = admin.post("/api/v1/score")
        assert started.status_code == 202 and started.json()["state"] == "queued"
        assert started.headers["Location"] == f"/api/v1/jobs/{started.json()['job_id']}"
        assert admin.post("/api/v1/score").json()["job_id"] == started.json()["job_id"]
        assert run_jobs(app) == 1
        done = admin.get(started.headers["Location"]).json()
        assert done["state"] == "done" and (done["result"]["visits"], done["result"]["touches"]) == (2, 3)
    finally:
        app.state.peakend.store.close()


def _imported(module: str) -> set[str]:
    """The modules `module` imports at run time (imports under `if TYPE_CHECKING:` are for the type checker)."""
    tree = ast.parse(inspect.getsource(sys.modules[module]))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(
        node.test) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{a.name}" for a in node.names}  # what it takes from the module
    return found


def _endpoints(routes: list) -> list:
    """Every route's endpoint, routers included in the app (as FastAPI keeps them) opened up."""
    found = []
    for r in routes:
        if getattr(r, "endpoint", None) is not None:
            found.append(r.endpoint)
        if getattr(r, "original_router", None) is not None:
            found += _endpoints(r.original_router.routes)
    return found


def test_no_route_s_module_imports_a_domain_package(tmp_path):
    """Every route of the app is an adapter: its endpoint's module reaches the domain only through the service
    (drawing charts and the floor plan aside), as the import contract says."""
    app = create_app(str(tmp_path / "r.duckdb"), secret="s")
    try:
        modules = {e.__module__ for e in _endpoints(app.routes)}
        assert {"peakend.web.api", "peakend.web.pages", "peakend.web.whatif", "peakend.web.imports"} <= modules
        bad = {m: sorted(i for i in _imported(m) if i.startswith(tuple(f"peakend.{d}" for d in DOMAIN))
                         and not i.startswith(DRAWING)) for m in modules if m.startswith("peakend.")}
        assert {m: found for m, found in bad.items() if found} == {}
        assert "peakend.scoring.run.score" in _imported("peakend.service.scores")  # it sees imports: it can fail
    finally:
        app.state.peakend.store.close()
