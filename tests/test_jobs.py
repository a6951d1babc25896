"""Jobs kept in the store: queued, claimed, run, their progress, results and tables; the same question answered
once; cancelled; failed with a reason; taken again when their process died (their lease ran out)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from peakend.errors import JobStateError, NotScored
from peakend.service import Workspace
from peakend.service.jobs import MAX_ATTEMPTS, Cancelled, Job, Outcome, Progress, job_kind

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
