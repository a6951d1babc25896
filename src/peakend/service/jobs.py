"""Long work as jobs kept in the store, claimed by whichever process is free.

A job is a row of table `jobs`: its kind and parameters, who asked and for which halls, its state (draft →
queued → running → done | failed | cancelled), progress (`done` of `total`, `step`), and its result (JSON, and
named tables as Parquet in `job_frames`). Any process with a job runner claims the oldest queued job (`FOR UPDATE
SKIP LOCKED` on PostgreSQL; DuckDB serves one process), holds it by a lease it renews while it works, and writes
the result, so a page on another process, or after a restart, finds it. A job whose process died (its lease ran
out) is run again when its kind is idempotent (an import: ids make a second run store nothing twice), else marked
failed with the reason. A page never runs a job itself: it shows the last finished result of the same question
(`job_key`) with its age, and the progress of the one being computed (`Jobs.answer`).

Finished jobs are pruned (`Jobs.prune`, once a day by the background timers, `peakend jobs prune` by hand): past
setting `job_keep_days` a job goes with its tables and the files its kind names (an import's upload), unless it is
queued or running, or the latest done one of a question a page asks again (its kind `asked_again`).
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from peakend import settings
from peakend.errors import JobNotFound, JobStateError, PeakendError
from peakend.i18n import Lang, both

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

STATES = ("draft", "queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
MAX_ATTEMPTS = 3  # a job whose process died this often is failed, not run again
WRITE_EVERY_S = 0.5  # progress is written (and a cancel looked for) at most this often
PRUNABLE = ("done", "failed", "cancelled", "draft")  # a draft past the retention: an upload never imported
PRUNE_BATCH = 500
COLUMNS = ("job_id", "kind", "job_key", "params", "owner", "halls", "state", "basis", "done", "total", "step",
           "result", "error_en", "error_zh", "attempts", "cancel", "created_at", "started_at", "finished_at")


class Cancelled(Exception):
    """Raised inside a job's work at its next progress report once somebody cancelled it."""


@dataclass
class Outcome:
    """What a job's work gives back: JSON-ready values and named tables."""

    result: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)


Work = Callable[["Workspace", "Job", "Progress"], Outcome]
Files = Callable[[dict[str, Any]], Iterable[Path]]  # the files (folders) a job of given parameters leaves behind


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its work, whether a job of it that was cut off is run again (idempotent work), whether a page
    asks its question again (its latest done job is kept by pruning; an import's question, its upload, is asked
    once), and the files a job of it leaves behind (removed with it)."""

    name: str
    work: Work
    rerun: bool = True
    asked_again: bool = True
    files: Files | None = None


KINDS: dict[str, JobKind] = {}
JOB_MODULES = ("peakend.service.scores", "peakend.service.analysis", "peakend.service.planning",
               "peakend.service.demo", "peakend.service.figures", "peakend.service.imports",
               "peakend.service.rosters")  # that register kinds


def _load_kinds() -> dict[str, JobKind]:
    import importlib

    for module in JOB_MODULES:
        importlib.import_module(module)
    return KINDS


def kind_named(name: str) -> JobKind:
    """The registered job kind `name` (KeyError if there is none)."""
    return KINDS[name] if name in KINDS else _load_kinds()[name]


def job_kind(name: str, rerun: bool = True, asked_again: bool = True,
             files: Files | None = None) -> Callable[[Work], Work]:
    """Register the work of job kind `name` (its module must be imported before a runner claims such a job:
    `peakend.service` imports every module that registers one)."""

    def register(work: Work) -> Work:
        KINDS[name] = JobKind(name, work, rerun, asked_again, files)
        return work

    return register


@dataclass
class Job:
    """One job as stored."""

    job_id: str
    kind: str
    job_key: str
    params: dict[str, Any]
    owner: str
    halls: frozenset[str] | None
    state: str
    basis: int
    done: int
    total: int
    step: str | None
    result: dict[str, Any] | None
    error_en: str | None
    error_zh: str | None
    attempts: int
    cancel: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Job:
        """A job from a row of `COLUMNS`."""
        d = dict(zip(COLUMNS, row, strict=True))
        d["params"] = json.loads(d["params"])
        d["halls"] = None if d["halls"] is None else frozenset(json.loads(d["halls"]))
        d["result"] = None if d["result"] is None else json.loads(d["result"])
        d["cancel"] = bool(d["cancel"])
        return cls(**d)

    @property
    def finished(self) -> bool:
        """Whether it ended (done, failed or cancelled)."""
        return self.state in FINISHED

    @property
    def share(self) -> float | None:
        """How far it has got, 0–1 (None: no total known yet)."""
        return min(self.done / self.total, 1.0) if self.total > 0 else None

    def error(self, lang: Lang) -> str:
        """Why it failed, in `lang`."""
        return (self.error_zh if lang == "zh" else self.error_en) or ""

    def age_s(self, now: datetime | None = None) -> float:
        """Seconds since it finished (or was created, while it has not)."""
        return ((now or datetime.now()) - (self.finished_at or self.created_at)).total_seconds()

    def visible_to(self, user: str, halls: frozenset[str] | None) -> bool:
        """Whether someone of `halls` (None: every hall, an admin) may see it: its owner, an admin, or anyone whose
        halls include all of the job's (a job of every hall: admins only)."""
        return halls is None or user == self.owner or (self.halls is not None and self.halls <= halls)

    def public(self, lang: Lang) -> dict[str, Any]:
        """What a page or the API shows of it."""
        return {"job_id": self.job_id, "kind": self.kind, "state": self.state, "done": self.done,
                "total": self.total, "share": self.share, "step": self.step, "error": self.error(lang),
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "finished_at": self.finished_at.isoformat(timespec="seconds") if self.finished_at else None,
                "age_s": round(self.age_s(), 1), "result": self.result if self.state == "done" else None}


def key_of(kind: str, params: dict[str, Any], halls: frozenset[str] | None) -> str:
    """What a job computes, as one text: the same question asked twice has the same key."""
    return json.dumps([kind, params, sorted(halls) if halls is not None else None], sort_keys=True,
                      ensure_ascii=False, default=str)


class Progress:
    """Handed to a job's work: `progress(done, total, step)` records how far it got (written at most every
    half second) and raises `Cancelled` once the job was cancelled."""

    def __init__(self, jobs: Jobs, job_id: str):
        self.jobs, self.job_id, self.last = jobs, job_id, 0.0

    def __call__(self, done: int | None = None, total: int | None = None, step: str | None = None) -> None:
        now = time.monotonic()
        if now - self.last < WRITE_EVERY_S:
            return
        self.last = now
        if self.jobs.note(self.job_id, done, total, step):
            raise Cancelled


@dataclass(frozen=True)
class Pruned:
    """What pruning removed (or, a dry run, would remove): jobs, their stored tables, files or folders."""

    jobs: int = 0
    tables: int = 0
    files: int = 0


@dataclass
class Answer:
    """A question a page asks of long work: the last finished result (`last`, None if there is none) and the job
    computing a newer one (`running`, None if `last` is current)."""

    last: Job | None
    running: Job | None

    @property
    def result(self) -> dict[str, Any] | None:
        """The last result, if it was a success."""
        return self.last.result if self.last is not None and self.last.state == "done" else None


class Jobs:
    """The jobs of one workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    @property
    def store(self) -> Any:
        return self.ws.store

    # -- asking ----------------------------------------------------------------------------------------------
    def submit(self, kind: str, params: dict[str, Any], owner: str, halls: frozenset[str] | None = None,
               basis: int = 0, state: str = "queued", dedupe: bool = True) -> Job:
        """Queue a job (`state` draft: kept until `queue`); with `dedupe`, a queued or running job of the same
        question and at least this `basis` is returned instead of a new one."""
        kind_named(kind)  # KeyError for a kind nobody registered
        key = key_of(kind, params, halls)
        with self.store.lock:
            if dedupe:
                found = self._select("job_key = ? AND state IN ('queued', 'running') AND basis >= ? "
                                     "ORDER BY created_at DESC LIMIT 1", [key, basis])
                if found:
                    return found[0]
            job_id = secrets.token_urlsafe(12)
            self.store.execute(
                "INSERT INTO jobs (job_id, kind, job_key, params, owner, halls, state, basis, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [job_id, kind, key, json.dumps(params, ensure_ascii=False, default=str), owner,
                 None if halls is None else json.dumps(sorted(halls), ensure_ascii=False), state, basis,
                 datetime.now()])
        self.ws.wake_jobs()
        return self.get_or_fail(job_id)

    def queue(self, job_id: str, params: dict[str, Any]) -> Job:
        """Queue a draft job with its final parameters (an import once its mapping is chosen); 409 otherwise."""
        job = self.get_or_fail(job_id)
        key = key_of(job.kind, params, job.halls)
        changed = self.store.execute(
            "UPDATE jobs SET params = ?, job_key = ?, state = 'queued' WHERE job_id = ? AND state = 'draft'",
            [json.dumps(params, ensure_ascii=False, default=str), key, job_id])
        if not changed:
            raise JobStateError(state=job.state)
        self.ws.wake_jobs()
        return self.get_or_fail(job_id)

    def answer(self, kind: str, params: dict[str, Any], owner: str, halls: frozenset[str] | None,
               basis: int) -> Answer:
        """The last finished result of this question and, unless it was computed on `basis` (e.g. the current
        scoring run) or later, the job computing a newer one (started now if none is queued or running)."""
        last = self.last(kind, params, halls)
        if last is not None and last.basis >= basis:
            return Answer(last, None)
        return Answer(last, self.submit(kind, params, owner, halls, basis))

    def last(self, kind: str, params: dict[str, Any], halls: frozenset[str] | None) -> Job | None:
        """The last finished (done or failed) job of this question, or None; nothing is started."""
        found = self._select("job_key = ? AND state IN ('done', 'failed') ORDER BY finished_at DESC LIMIT 1",
                             [key_of(kind, params, halls)])
        return found[0] if found else None

    def get(self, job_id: str) -> Job | None:
        """The job `job_id`, or None."""
        found = self._select("job_id = ?", [job_id])
        return found[0] if found else None

    def get_or_fail(self, job_id: str) -> Job:
        """The job `job_id` (JobNotFound, 404, if there is none)."""
        job = self.get(job_id)
        if job is None:
            raise JobNotFound(value=job_id)
        return job

    def frames(self, job_id: str) -> dict[str, pd.DataFrame]:
        """A finished job's tables, by name."""
        rows = self.store.rows("SELECT name, data FROM job_frames WHERE job_id = ?", [job_id])
        return {str(name): pd.read_parquet(io.BytesIO(bytes(data))) for name, data in rows}

    def recent(self, owner: str | None = None, kinds: tuple[str, ...] = (), limit: int = 50) -> list[Job]:
        """The latest jobs (of `owner`, of `kinds`), newest first."""
        where, params = ["1 = 1"], []
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        if kinds:
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params += list(kinds)
        return self._select(" AND ".join(where) + " ORDER BY created_at DESC LIMIT ?", [*params, limit])

    def cancel(self, job_id: str) -> Job:
        """Cancel a job: a queued or draft one at once, a running one at its next progress report."""
        now = datetime.now()
        with self.store.lock:
            self.store.execute("UPDATE jobs SET state = 'cancelled', finished_at = ?, cancel = true "
                               "WHERE job_id = ? AND state IN ('draft', 'queued')", [now, job_id])
            self.store.execute("UPDATE jobs SET cancel = true WHERE job_id = ? AND state = 'running'", [job_id])
        return self.get_or_fail(job_id)

    # -- working ---------------------------------------------------------------------------------------------
    def note(self, job_id: str, done: int | None, total: int | None, step: str | None) -> bool:
        """Record a running job's progress (and renew its lease); whether it has been cancelled."""
        sets, params = ["lease_until = ?"], [self._lease()]  # type: list[str], list[Any]
        for column, value in (("done", done), ("total", total), ("step", step)):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        self.store.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE job_id = ?", [*params, job_id])
        return bool(self.store.scalar("SELECT cancel FROM jobs WHERE job_id = ?", [job_id]))

    def claim(self) -> Job | None:
        """Take the oldest queued job, or one whose process died (its lease ran out); None if there is none.
        A cut-off job of a kind that is not run again, or cut off too often, is failed with the reason."""
        now = datetime.now()
        self._fail_cut_off(now)
        skip = " FOR UPDATE SKIP LOCKED" if self.store.backend == "postgres" else ""
        rows = self.store.rows(
            "UPDATE jobs SET state = 'running', claimed_by = ?, lease_until = ?, attempts = attempts + 1, "
            "started_at = coalesce(started_at, ?) WHERE job_id IN (SELECT job_id FROM jobs WHERE state = 'queued' "
            f"OR (state = 'running' AND lease_until < ?) ORDER BY created_at LIMIT 1{skip}) RETURNING job_id",
            [self.worker, self._lease(), now, now])
        return self.get(rows[0][0]) if rows else None

    def _fail_cut_off(self, now: datetime) -> None:
        for job in self._select("state = 'running' AND lease_until < ?", [now]):
            known = job.kind in KINDS or job.kind in _load_kinds()
            if not known or not KINDS[job.kind].rerun or job.attempts >= MAX_ATTEMPTS:
                self._finish(job.job_id, "failed", error=both("job_cut_off", attempts=job.attempts),
                             where="AND state = 'running' AND lease_until < ?", extra=[now])

    def run(self, job: Job) -> Job:
        """Do a claimed job's work here, renewing its lease while it runs; store its result or why it failed."""
        stop = threading.Event()
        keeper = threading.Thread(target=self._keep_lease, args=(job.job_id, stop), daemon=True,
                                  name=f"peakend-lease-{job.job_id}")
        keeper.start()
        try:
            out = kind_named(job.kind).work(self.ws, job, Progress(self, job.job_id))
        except Cancelled:
            self._finish(job.job_id, "cancelled")
        except PeakendError as exc:
            with self.store.transaction():
                self._finish(job.job_id, "failed", result={"status": exc.status},  # the HTTP status an API answers
                             error={"en": exc.say("en"), "zh": exc.say("zh")})
                self._tell(job, "failed", None, exc.say("en"))
        except Exception as exc:  # a bug or a lost store: the job says so instead of spinning for ever
            logging.getLogger("peakend.jobs").exception("job %s (%s) failed", job.job_id, job.kind)
            what = f"{type(exc).__name__}: {exc}"
            with self.store.transaction():
                self._finish(job.job_id, "failed", error=both("job_failed", value=what))
                self._tell(job, "failed", None, what)
        else:
            self._save(job.job_id, out, job)
        finally:
            stop.set()
            keeper.join(5)
        return self.get_or_fail(job.job_id)

    def run_next(self) -> bool:
        """Claim and run one job; whether there was one."""
        job = self.claim()
        if job is None:
            return False
        self.run(job)
        return True

    def run_here(self, kind: str, params: dict[str, Any], owner: str,
                 halls: frozenset[str] | None = None, basis: int = 0) -> Job:
        """Queue a job and run it in this process now (the CLI, tests); its row says what happened."""
        job = self.submit(kind, params, owner, halls, basis, dedupe=False)
        self.store.execute("UPDATE jobs SET state = 'running', claimed_by = ?, lease_until = ?, attempts = 1, "
                           "started_at = ? WHERE job_id = ?", [self.worker, self._lease(), datetime.now(), job.job_id])
        return self.run(self.get_or_fail(job.job_id))

    def _tell(self, job: Job, state: str, result: dict[str, Any] | None, error: str | None) -> None:
        """An import's end as an `import.finished` event (the outbox), one per hall of its scope (none: the
        network's); inside the transaction that stores the job's end."""
        if job.kind != "import":
            return
        from peakend.live.outbox import emit

        now = datetime.now()
        for hall in sorted(job.halls) if job.halls else [None]:
            emit(self.store, "import.finished", f"{job.job_id}:{hall or ''}", hall, now, {
                "job_id": job.job_id, "hall_id": hall, "state": state, "owner": job.owner, "result": result,
                "error": error, "link": f"/api/v1/jobs/{job.job_id}"})

    def _save(self, job_id: str, out: Outcome, job: Job | None = None) -> None:
        with self.store.transaction():
            if job is not None:
                self._tell(job, "done", out.result, None)
            self.store.execute("DELETE FROM job_frames WHERE job_id = ?", [job_id])
            for name, frame in out.frames.items():
                buf = io.BytesIO()
                frame.to_parquet(buf, index=False)
                self.store.execute("INSERT INTO job_frames (job_id, name, data) VALUES (?, ?, ?)",
                                   [job_id, name, buf.getvalue()])
            self._finish(job_id, "done", result=out.result)

    def _finish(self, job_id: str, state: str, result: dict[str, Any] | None = None,
                error: dict[Lang, str] | None = None, where: str = "", extra: list[Any] | None = None) -> None:
        self.store.execute(
            f"UPDATE jobs SET state = ?, finished_at = ?, lease_until = NULL, result = ?, error_en = ?, error_zh = ? "
            f"WHERE job_id = ? {where}",
            [state, datetime.now(), None if result is None else json.dumps(result, ensure_ascii=False, default=str),
             (error or {}).get("en"), (error or {}).get("zh"), job_id, *(extra or [])])

    def _keep_lease(self, job_id: str, stop: threading.Event) -> None:
        every = settings.get("job_lease_seconds") / 3
        while not stop.wait(every):
            try:
                self.store.execute("UPDATE jobs SET lease_until = ? WHERE job_id = ? AND state = 'running'",
                                   [self._lease(), job_id])
            except Exception:  # the store is gone: the lease runs out and another process takes the job
                logging.getLogger("peakend.jobs").warning("could not renew the lease of job %s", job_id)

    # -- pruning ---------------------------------------------------------------------------------------------
    def prunable(self, now: datetime, keep_days: int) -> list[str]:
        """The jobs pruning removes at `now`: finished (or drafts) more than `keep_days` ago, except the latest
        done job of each question a page asks again; oldest first."""
        cutoff = now - timedelta(days=keep_days)
        marks = ", ".join("?" * len(PRUNABLE))
        old = self.store.rows(f"SELECT job_id, kind, job_key, state FROM jobs WHERE state IN ({marks}) "
                              "AND coalesce(finished_at, created_at) < ? ORDER BY coalesce(finished_at, created_at), "
                              "job_id", [*PRUNABLE, cutoff])
        latest = {str(key): str(job_id) for key, job_id in self.store.rows(
            "SELECT job_key, job_id FROM jobs WHERE state = 'done' ORDER BY finished_at, job_id")}  # the last wins
        return [str(job_id) for job_id, kind, key, state in old
                if not (state == "done" and latest.get(str(key)) == job_id and _asked_again(str(kind)))]

    def prune(self, now: datetime, keep_days: int | None = None, dry: bool = False) -> Pruned:
        """Remove what `prunable` names with its tables and files (`dry`: only count them); what went. `keep_days`
        defaults to setting `job_keep_days`."""
        ids = self.prunable(now, settings.get("job_keep_days") if keep_days is None else keep_days)
        jobs = tables = files = 0
        for i in range(0, len(ids), PRUNE_BATCH):
            batch = ids[i:i + PRUNE_BATCH]
            marks = ", ".join("?" * len(batch))
            if dry:
                jobs += len(batch)
                tables += int(self.store.scalar(f"SELECT count(*) FROM job_frames WHERE job_id IN ({marks})", batch))
                files += sum(1 for kind, params in self.store.rows(
                    f"SELECT kind, params FROM jobs WHERE job_id IN ({marks})", batch) for _ in _files(kind, params))
                continue
            with self.store.transaction():  # a draft queued meanwhile stays (its state is checked again here)
                gone = self.store.rows(f"DELETE FROM jobs WHERE job_id IN ({marks}) AND state IN "
                                       f"({', '.join('?' * len(PRUNABLE))}) RETURNING job_id, kind, params",
                                       [*batch, *PRUNABLE])
                if gone:
                    went = [str(r[0]) for r in gone]
                    tables += self.store.execute(
                        f"DELETE FROM job_frames WHERE job_id IN ({', '.join('?' * len(went))})", went)
            jobs += len(gone)
            for _, kind, params in gone:
                for path in _files(kind, params):
                    shutil.rmtree(path, ignore_errors=True)
                    files += 1
        if jobs and not dry:
            logging.getLogger("peakend.jobs").info("pruned %s jobs, %s tables, %s files", jobs, tables, files)
        return Pruned(jobs, tables, files)

    @staticmethod
    def _lease() -> datetime:
        return datetime.now() + timedelta(seconds=settings.get("job_lease_seconds"))

    def _select(self, where: str, params: list[Any]) -> list[Job]:
        rows = self.store.rows(f"SELECT {', '.join(COLUMNS)} FROM jobs WHERE {where}", params)
        return [Job.from_row(r) for r in rows]


def _asked_again(kind: str) -> bool:
    """Whether a page asks the question of a job of `kind` again (a kind nobody registered: taken as yes)."""
    try:
        return kind_named(kind).asked_again
    except KeyError:
        return True


def _files(kind: str, params: str) -> list[Path]:
    """The files (folders) a job of `kind` with `params` (JSON) left behind that are still there."""
    try:
        named = kind_named(kind).files
    except KeyError:
        return []
    return [] if named is None else [p for p in named(json.loads(params)) if p.exists()]


def run_jobs(jobs: Jobs, stop: threading.Event, wake: threading.Event, idle_s: float = 2.0) -> None:
    """A job runner: claim and run jobs until `stop`; between them wait for `wake` (a job was queued in this
    process) or `idle_s` (one queued by another process)."""
    log = logging.getLogger("peakend.jobs")
    while not stop.is_set():
        try:
            ran = jobs.run_next()
        except Exception:  # a lost store: log and try again
            log.exception("could not claim a job")
            ran = False
        if ran:
            jobs.ws.webhooks.wake.set()  # a finished import's event: delivered now
        else:
            wake.wait(idle_s)
            wake.clear()
