"""Group commit: posts arriving while an ingest runs are ingested together, each answered as its own."""

from __future__ import annotations

import threading
import time

import pytest

from peakend.ingest import group_commit
from peakend.ingest.group_commit import GroupCommit
from peakend.ingest.pipeline import Post, RecordsResult
from peakend.ingest.validate import Context


def _touch(visit: str, n: int, rating: object = 4) -> dict[str, object]:
    return {"touch_id": f"{visit}-{n}", "visit_id": visit, "hall_id": "H1", "moment_id": "entering", "seq": n,
            "rating": rating, "rating_scale": "1-5"}


def _post_while_busy(gc: GroupCommit, lock: threading.RLock, posts: list[Post], ctx: Context) -> list[object]:
    """Post from one thread each while `lock` is held, release it once all but the first wait; return the answers."""
    answers: list[object] = [None] * len(posts)

    def send(i: int) -> None:
        try:
            answers[i] = gc.ingest(posts[i], ctx, live=True)
        except Exception as exc:  # the test looks at what each caller got
            answers[i] = exc

    with lock:
        threads = [threading.Thread(target=send, args=(0,))]
        threads[0].start()
        while not gc._turn.locked():  # the first post runs, and waits for the store
            time.sleep(0.001)
        threads += [threading.Thread(target=send, args=(i,)) for i in range(1, len(posts))]
        for t in threads[1:]:
            t.start()
        deadline = time.monotonic() + 120  # a bound: it goes on as soon as all wait
        while len(gc._waiting) < len(posts) - 1 and time.monotonic() < deadline:
            time.sleep(0.001)
    for t in threads:
        t.join(120)
    return answers


def test_posts_that_arrive_during_an_ingest_are_ingested_together(duck, bp):
    gc = GroupCommit(duck)
    posts = [Post([_touch("v0", 1)], "touch", "api:pad-0:touch")]
    posts += [Post([_touch(f"v{k}", 1), _touch(f"v{k}", 2, rating=7 if k == 3 else 2)], "touch", f"api:pad-{k}:touch")
              for k in range(1, 6)]
    posts.append(Post([_touch("v1", 1)], "touch", "api:pad-6:touch"))  # a retry of pad 1's first touch
    answers = _post_while_busy(gc, duck.lock, posts, Context(bp))
    assert gc.groups == 2  # the first alone, then the six that waited for it in one ingest
    got = [(a.stored, a.duplicates, [(p["row"], p["code"]) for p in a.problems]) for a in answers]  # type: ignore[union-attr]
    assert got == [(1, 0, []), (2, 0, []), (2, 0, []), (1, 0, [(1, "out_of_range")]), (2, 0, []), (2, 0, []),
                   (0, 1, [])]
    assert duck.scalar("SELECT count(*) FROM touches") == 10
    assert duck.scalar("SELECT count(*) FROM live_pending") == 6  # live: v0…v5 queued for the rules
    assert duck.rows("SELECT source, row_number FROM quarantine") == [("api:pad-3:touch", 1)]


def test_posts_of_another_kind_wait_for_their_own_ingest(duck, bp):
    gc = GroupCommit(duck)
    visit = {"visit_id": "v9", "hall_id": "H1"}
    posts = [Post([_touch("v0", 1)], "touch", "a"), Post([_touch("v1", 1)], "touch", "b"),
             Post([visit], "visit", "c"), Post([_touch("v2", 1)], "touch", "d")]
    answers = _post_while_busy(gc, duck.lock, posts, Context(bp))
    assert gc.groups == 3  # a; then b with d; then c
    assert [a.stored for a in answers] == [1, 1, 1, 1]  # type: ignore[union-attr]


def test_a_failed_group_is_ingested_again_post_by_post(duck, bp, monkeypatch):
    calls: list[int] = []
    real = group_commit.ingest_posts

    def failing_second(store, posts, ctx, live=False):  # type: ignore[no-untyped-def]
        calls.append(len(posts))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(store, posts, ctx, live)

    monkeypatch.setattr(group_commit, "ingest_posts", failing_second)
    gc = GroupCommit(duck)
    posts = [Post([_touch(f"v{k}", 1)], "touch", f"p{k}") for k in range(4)]
    answers = _post_while_busy(gc, duck.lock, posts, Context(bp))
    assert calls == [1, 3]
    assert all(isinstance(a, RecordsResult) and a.stored == 1 for a in answers)  # each post alone went through
    after = gc.ingest(Post([_touch("v9", 1)], "touch", "p9"), Context(bp))  # the store still takes posts
    assert after.stored == 1


def test_a_group_holds_at_most_max_rows_records(duck, bp):
    gc = GroupCommit(duck, max_rows=3)
    posts = [Post([_touch(f"v{k}", 1), _touch(f"v{k}", 2)], "touch", f"p{k}") for k in range(4)]
    answers = _post_while_busy(gc, duck.lock, posts, Context(bp))
    assert gc.groups == 4  # two posts of two records would exceed three
    assert sum(a.stored for a in answers) == 8  # type: ignore[union-attr]


@pytest.mark.parametrize("n", [1, 8])
def test_a_post_alone_is_ingested_at_once(duck, bp, n):
    gc = GroupCommit(duck)
    for k in range(n):
        assert gc.ingest(Post([_touch(f"v{k}", 1)], "touch", "p"), Context(bp)).stored == 1
    assert gc.groups == n


def test_under_load_a_group_waits_for_the_senders_of_the_last_one_but_not_for_ever(duck, bp):
    gc = GroupCommit(duck, linger=30)
    posts = [Post([_touch(f"v{k}", 1)], "touch", f"p{k}") for k in range(4)]
    _post_while_busy(gc, duck.lock, posts, Context(bp))
    assert gc.groups == 2  # the first alone, then three
    answers: list[RecordsResult] = []

    def send(k: int) -> None:
        answers.append(gc.ingest(Post([_touch(f"w{k}", 1)], "touch", f"p{k}"), Context(bp)))

    threads = [threading.Thread(target=send, args=(k,)) for k in range(3)]
    for t in threads:  # the three post again, a while apart: the first waits for the other two
        t.start()
        time.sleep(0.2)
    for t in threads:
        t.join(20)
    assert gc.groups == 3 and [a.stored for a in answers] == [1, 1, 1]
    gc.linger = 0.2  # a post alone after a group of three waits at most `linger`, then goes alone
    assert gc.ingest(Post([_touch("x", 1)], "touch", "p0"), Context(bp)).stored == 1
    assert gc.groups == 4
