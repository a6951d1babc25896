"""Jobs kept in the store: queued, claimed, run, their progress, results and tables; the same question answered
once; cancelled; failed with a reason; taken again when their process died (their lease ran out)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from peakend.errors import JobStateError, NotScored
from peakend.service import Workspace
from peakend.service.background import prune_daily
from peakend.service.jobs import MAX_ATTEMPTS, Cancelled, Job, Outcome, Progress, Pruned, job_kind

RAN: list[str] = []


@job_kind("test_square")
def _square(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    RAN.append(job.job_id)
    n = int(job.params["n"])
    progress(1, 2, "half")
    table = pd.DataFrame({"n": [n], "sq": [n * n]})
    return Outcome({"square": n * n, "halls": sorted(job.halls or [])}, {"table": table})


@job_kind("test_refused")
def _refused(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    raise NotScored()


@job_kind("test_broken")
def _broken(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    raise ZeroDivisionError("on purpose")


@job_kind("test_waits", rerun=False)
def _waits(ws: Workspace, job: Job, progress: Progress) -> Outcome:
    return Outcome()


def test_a_job_is_queued_claimed_run_and_keeps_its_result_and_tables(store):
    jobs = Workspace(store).jobs
    job = jobs.submit("test_square", {"n": 7}, "ana", frozenset({"H1"}))
    assert job.state == "queued" and job.halls == frozenset({"H1"})
    assert jobs.run_next()
    done = jobs.get_or_fail(job.job_id)
    assert done.state == "done" and done.result == {"square": 49, "halls": ["H1"]} and done.attempts == 1
    assert done.finished_at is not None and done.started_at is not None
    table = jobs.frames(job.job_id)["table"]
    assert table.to_dict("records") == [{"n": 7, "sq": 49}]
    assert not jobs.run_next()  # nothing left


def test_the_same_question_waiting_is_asked_once_and_answered_from_the_last_result(store):
    jobs = Workspace(store).jobs
    first = jobs.answer("test_square", {"n": 3}, "ana", None, basis=1)
    assert first.last is None and first.running is not None
    again = jobs.answer("test_square", {"n": 3}, "bo", None, basis=1)
    assert again.running is not None and again.running.job_id == first.running.job_id  # not a second job
    assert jobs.run_next() and not jobs.run_next()
    current = jobs.answer("test_square", {"n": 3}, "ana", None, basis=1)
    assert current.running is None and current.result == {"square": 9, "halls": []}
    newer = jobs.answer("test_square", {"n": 3}, "ana", None, basis=2)  # scored again since: recompute
    assert newer.result == {"square": 9, "halls": []} and newer.running is not None
    other = jobs.answer("test_square", {"n": 3}, "ana", frozenset({"H2"}), basis=1)  # another scope: its own
    assert other.last is None


def test_cancelled_jobs_stop_queued_at_once_and_running_at_their_next_report(store):
    jobs = Workspace(store).jobs
    queued = jobs.submit("test_square", {"n": 1}, "ana")
    assert jobs.cancel(queued.job_id).state == "cancelled"
    assert not jobs.run_next()
    running = jobs.submit("test_square", {"n": 2}, "ana")
    claimed = jobs.claim()
    assert claimed is not None and claimed.job_id == running.job_id
    jobs.cancel(running.job_id)
    with pytest.raises(Cancelled):
        Progress(jobs, running.job_id)(1, 2)
    assert jobs.run(claimed).state == "cancelled"


def test_a_failing_job_says_why_in_both_languages(store):
    jobs = Workspace(store).jobs
    refused = jobs.run_here("test_refused", {}, "ana")
    assert refused.state == "failed" and "peakend score" in refused.error("en") and refused.error("zh")
    broken = jobs.run_here("test_broken", {}, "ana")
    assert broken.state == "failed" and "ZeroDivisionError: on purpose" in broken.error("en")
    assert "任务失败" in broken.error("zh")


def test_a_draft_is_queued_once(store):
    jobs = Workspace(store).jobs
    draft = jobs.submit("test_square", {"n": 0}, "ana", state="draft")
    assert not jobs.run_next()  # a draft waits
    assert jobs.queue(draft.job_id, {"n": 5}).state == "queued"
    with pytest.raises(JobStateError):
        jobs.queue(draft.job_id, {"n": 6})
    assert jobs.run_next() and jobs.get_or_fail(draft.job_id).result["square"] == 25


def _cut_off(store, job_id: str) -> None:
    """As if the process running the job died: its lease ran out."""
    store.execute("UPDATE jobs SET state = 'running', lease_until = ? WHERE job_id = ?",
                  [datetime.now() - timedelta(seconds=1), job_id])


def test_a_job_whose_process_died_is_run_again_or_failed_with_the_reason(store):
    jobs = Workspace(store).jobs
    job = jobs.submit("test_square", {"n": 4}, "ana")
    assert jobs.claim() is not None
    _cut_off(store, job.job_id)  # the process died mid-work
    again = jobs.claim()
    assert again is not None and again.job_id == job.job_id and again.attempts == 2
    for _ in range(MAX_ATTEMPTS - 2):
        _cut_off(store, job.job_id)
        assert jobs.claim() is not None
    _cut_off(store, job.job_id)
    assert jobs.claim() is None  # cut off too often: failed, not taken again
    failed = jobs.get_or_fail(job.job_id)
    assert failed.state == "failed" and str(MAX_ATTEMPTS) in failed.error("en")
    once = jobs.submit("test_waits", {}, "ana")  # a kind that is not run again
    assert jobs.claim() is not None
    _cut_off(store, once.job_id)
    assert jobs.claim() is None and jobs.get_or_fail(once.job_id).state == "failed"


NOW = datetime(2026, 3, 1, 12, 0)  # pruning is given its time: the jobs below are dated by hand from it


def _dated(store, job_id: str, state: str, days_ago: float) -> str:
    """Set a job's state and its end (its creation too) `days_ago` days before NOW."""
    when = NOW - timedelta(days=days_ago)
    store.execute("UPDATE jobs SET state = ?, created_at = ?, finished_at = ? WHERE job_id = ?",
                  [state, when - timedelta(minutes=5), None if state in ("queued", "running", "draft") else when,
                   job_id])
    return job_id


def _squared(jobs, n: int, state: str, days_ago: float) -> str:
    """A test_square job of `n` run (its table stored), then given `state` and dated."""
    job = jobs.submit("test_square", {"n": n}, "ana", dedupe=False)
    assert jobs.run_next()
    return _dated(jobs.store, job.job_id, state, days_ago)


def _upload(jobs, folder, name: str, state: str, days_ago: float) -> tuple[str, object]:
    """An import of an upload waiting in `folder` (a folder of its own, as the web app keeps one), dated."""
    (folder / name).mkdir(parents=True)
    (folder / name / "visits.csv").write_text("visit_id\n1\n", "utf-8")
    job = jobs.submit("import", {"path": str(folder / name / "visits.csv"), "name": "visits.csv"}, "ana",
                      state="draft", dedupe=False)
    return _dated(jobs.store, job.job_id, state, days_ago), folder / name


def test_pruning_keeps_the_latest_answer_of_each_question_and_work_not_finished(store, tmp_path, monkeypatch):
    monkeypatch.setenv("PEAKEND_UPLOADS", str(tmp_path / "uploads"))
    jobs = Workspace(store).jobs
    older = _squared(jobs, 1, "done", 40)  # n=1 answered three times, all past the 30 days
    latest = _squared(jobs, 1, "done", 35)  # the latest done one: the page shows it
    failed_since = _squared(jobs, 1, "failed", 31)
    young = _squared(jobs, 2, "done", 10)
    old_two = _squared(jobs, 2, "done", 50)  # n=2's latest done is the young one
    queued = _dated(store, jobs.submit("test_square", {"n": 5}, "ana").job_id, "queued", 90)
    running = _dated(store, jobs.submit("test_square", {"n": 6}, "ana").job_id, "running", 90)
    cancelled = _dated(store, jobs.cancel(jobs.submit("test_square", {"n": 3}, "ana").job_id).job_id, "cancelled",
                       60)
    imported, imported_dir = _upload(jobs, tmp_path / "uploads", "u1", "done", 45)  # an upload: asked once
    abandoned, abandoned_dir = _upload(jobs, tmp_path / "uploads", "u2", "draft", 45)  # never imported
    recent_draft, recent_dir = _upload(jobs, tmp_path / "uploads", "u3", "draft", 2)
    outside, outside_dir = _upload(jobs, tmp_path / "elsewhere", "u4", "failed", 45)  # not in the uploads folder
    gone = {older, failed_since, old_two, cancelled, imported, abandoned, outside}
    assert set(jobs.prunable(NOW, 30)) == gone
    assert jobs.prune(NOW, 30, dry=True) == Pruned(jobs=7, tables=3, files=2)  # tables: older, failed, old_two
    assert len(store.rows("SELECT job_id FROM jobs")) == 12 and abandoned_dir.exists()  # a dry run removes nothing
    assert jobs.prune(NOW, 30) == Pruned(jobs=7, tables=3, files=2)
    left = {str(j) for (j,) in store.rows("SELECT job_id FROM jobs")}
    assert left == {latest, young, queued, running, recent_draft}
    assert {str(j) for (j,) in store.rows("SELECT DISTINCT job_id FROM job_frames")} == {latest, young}
    assert not imported_dir.exists() and not abandoned_dir.exists()
    assert recent_dir.exists() and outside_dir.exists()  # young, and never anything outside the uploads folder
    assert jobs.last("test_square", {"n": 1}, None).job_id == latest
    assert jobs.frames(latest)["table"].to_dict("records") == [{"n": 1, "sq": 1}]
    assert jobs.prune(NOW, 30) == Pruned()  # nothing more
    later = NOW + timedelta(days=28, hours=1)  # the last draft is past the 30 days now; the latest answers stay
    assert jobs.prune(later, 30) == Pruned(jobs=1, files=1) and not recent_dir.exists()


def test_the_server_prunes_at_start_and_once_a_day_by_setting(duck, monkeypatch):
    monkeypatch.setenv("PEAKEND_JOB_KEEP_DAYS", "7")
    ws = Workspace(duck)
    first = _squared(ws.jobs, 1, "done", 9)
    _squared(ws.jobs, 1, "done", 8)
    assert prune_daily(ws, None, NOW) == NOW.date()
    assert ws.jobs.get(first) is None
    second = _squared(ws.jobs, 1, "done", 7.5)
    third = _squared(ws.jobs, 1, "done", 7.25)
    assert prune_daily(ws, NOW.date(), NOW + timedelta(hours=11)) == NOW.date()  # once that day
    assert ws.jobs.get(second) is not None
    assert prune_daily(ws, NOW.date(), NOW + timedelta(hours=12)) == (NOW + timedelta(days=1)).date()
    assert ws.jobs.get(second) is None and ws.jobs.get(third) is not None  # the latest done one stays


def test_jobs_prune_at_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from peakend.cli import app
    from peakend.store.db import connect

    db = str(tmp_path / "s.duckdb")
    with Workspace(connect(db)) as ws:
        old = ws.jobs.submit("test_square", {"n": 1}, "ana")
        assert ws.jobs.run_next()
        ws.jobs.submit("test_square", {"n": 1}, "ana", dedupe=False)
        assert ws.jobs.run_next()
        ws.store.execute("UPDATE jobs SET finished_at = ? WHERE job_id = ?",
                         [datetime.now() - timedelta(days=400), old.job_id])
    run = CliRunner().invoke
    dry = run(app, ["jobs", "prune", "--days", "30", "--dry-run", "--db", db])
    assert dry.exit_code == 0 and "would remove 1 job finished more than 30 days ago, 1 stored tables" in dry.output
    done = run(app, ["--lang", "zh", "jobs", "prune", "--db", db])
    assert done.exit_code == 0 and "已删除结束超过 30 天的任务 1 个、保存的表 1 张" in done.output
    with Workspace(connect(db)) as ws:
        assert ws.jobs.get(old.job_id) is None and len(ws.store.rows("SELECT job_id FROM jobs")) == 1


def test_who_sees_a_job():
    job = Job("j", "k", "key", {}, "ana", frozenset({"H1"}), "done", 0, 0, 0, None, None, None, None, 1, False,
              datetime.now(), None, None)
    assert job.visible_to("ana", frozenset())  # its owner
    assert job.visible_to("bo", None)  # an admin
    assert job.visible_to("bo", frozenset({"H1", "H2"}))  # a manager of its halls
    assert not job.visible_to("bo", frozenset({"H2"}))
    everyone = Job(**{**job.__dict__, "halls": None})
    assert not everyone.visible_to("bo", frozenset({"H1"}))  # a job of every hall: admins and its owner


def test_a_verdict_kept_by_a_job_says_the_same_after_the_round_trip():
    """The network page's verdicts come back from the job's JSON: nested differences included, the same words."""
    import dataclasses
    import json

    from peakend.scoring.compare import Difference, Verdict
    from peakend.service.analysis import _verdict

    v = Verdict("overall", "r2", "peak_end", 0.5, 0.4, 0.01, "peak_end", low=0.05, high=0.15, repeats=10, folds=5,
                best="all_moments", best_score=0.55, best_diff=Difference(0.15, 0.1, 0.2, 0.001), best_picks=9,
                outer=10, diff=0.1)
    back = _verdict(json.loads(json.dumps(dataclasses.asdict(v))))
    assert back == v and back.say("en") == v.say("en") and back.say("zh") == v.say("zh")
