"""Group commit: posts that arrive while an ingest runs are then ingested together.

Every ingest pays a fixed cost whatever its size (the contract checks, one transaction): about
a tenth of a second on a 2-core machine, so posts ingested one by one would cap a server at a
few posts a second. Posts that arrive while an ingest runs wait for it, and the first of them
then ingests all that wait (of the same kind) as one chunk (`pipeline.ingest_posts`), each still
answered as its own. A post that finds no ingest running goes at once, unless the server is
busy: when fewer posts wait than the last group held, the group waits up to `LINGER_S` for the
senders of that group to post again (under steady load from many devices, groups then stay whole
instead of alternating between one post and the rest, each paying the fixed cost).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from peakend.ingest.pipeline import Post, RecordsResult, ingest_isolated, ingest_posts
from peakend.ingest.validate import Context
from peakend.store.db import Store

MAX_ROWS = 20_000  # records ingested together at most (a larger post still goes, alone)
LINGER_S = 0.1  # how long a group waits at most for the senders of the last group


@dataclass
class _Job:
    post: Post
    ctx: Context
    live: bool
    done: threading.Event = field(default_factory=threading.Event)
    result: RecordsResult | None = None
    error: Exception | None = None

    def joins(self, first: _Job) -> bool:
        """Whether this job can be ingested with `first`: same kind, blueprint, options and live flag."""
        a, b = self.ctx, first.ctx
        return (self.post.kind == first.post.kind and a.blueprint is b.blueprint and self.live == first.live
                and (a.rating_scale, a.allow_fractions, a.replace) == (b.rating_scale, b.allow_fractions, b.replace))


class GroupCommit:
    """Ingests posts to one store, gathering those that arrive while an ingest runs (thread-safe)."""

    def __init__(self, store: Store, max_rows: int = MAX_ROWS, linger: float = LINGER_S):
        self.store, self.max_rows, self.linger = store, max_rows, linger
        self._waiting: list[_Job] = []
        self._mutex = threading.Lock()  # guards _waiting and _last_posts
        self._arrived = threading.Condition(self._mutex)  # notified when a post starts waiting
        self._turn = threading.Lock()  # held by the thread running an ingest
        self._last_posts = 0  # posts in the last group
        self.groups = 0  # ingests run, for tests and benchmarks

    def ingest(self, post: Post, ctx: Context, live: bool = False) -> RecordsResult:
        """Ingest one post (`pipeline.ingest_records` semantics), together with any that wait beside it."""
        job = _Job(post, ctx, live)
        with self._arrived:
            self._waiting.append(job)
            self._arrived.notify_all()
        while not job.done.is_set():
            with self._turn:
                if not job.done.is_set():  # our job waits: run the first waiting group (ours, or before ours)
                    self._gather()
                    self._run(self._take())
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _gather(self) -> None:
        """Wait (at most `linger`) until as many posts wait as the last group held."""
        deadline = time.monotonic() + self.linger
        with self._arrived:
            while len(self._waiting) < self._last_posts and (left := deadline - time.monotonic()) > 0:
                self._arrived.wait(left)

    def _take(self) -> list[_Job]:
        """The first waiting job and the waiting jobs that join it, up to `max_rows` records, in arrival order."""
        with self._mutex:
            first = self._waiting[0]
            group, rest, rows = [first], [], len(first.post.records)
            for job in self._waiting[1:]:
                if job.joins(first) and rows + len(job.post.records) <= self.max_rows:
                    group.append(job)
                    rows += len(job.post.records)
                else:
                    rest.append(job)
            self._waiting, self._last_posts = rest, len(group)
            return group

    def _run(self, group: list[_Job]) -> None:
        """Ingest a group; if it fails, each post again on its own (`ingest_isolated`), so that a post
        the store refuses fails alone (its refused records quarantined) and never fails the others."""
        self.groups += 1
        try:
            results = ingest_posts(self.store, [j.post for j in group], group[0].ctx, group[0].live)
            for job, result in zip(group, results, strict=True):
                job.result = result
        except Exception:
            for job in group:
                try:
                    job.result = ingest_isolated(self.store, job.post, job.ctx, job.live)
                except Exception as exc:  # the store is down: each request answers with that, none hangs
                    job.error = exc
        finally:
            for job in group:
                job.done.set()
