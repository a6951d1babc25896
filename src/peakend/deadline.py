"""A request's deadline: work done for one web request stops itself once the request has run too long.

The web guard opens `within(setting request_deadline_s)` around every request (renewed while the request's body
streams in, so a slow upload does not eat its own time); code that may run long on outside input (the file
readers, row by row) calls `check()`, which raises `TooLong` once the deadline has passed — the request answers
503 with Retry-After, and the thread doing the work stops at its next check instead of running on. Work outside a
request (jobs, the CLI, the live worker) has no deadline: `check()` does nothing there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from peakend.errors import TooLong

clock = time.monotonic  # (a test may step it)


class Deadline:
    """When the work of one request must stop."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = clock() + seconds

    def renew(self) -> None:
        """Count the seconds from now (the request is still arriving)."""
        self.at = clock() + self.seconds


_DEADLINE: ContextVar[Deadline | None] = ContextVar("peakend_deadline", default=None)


@contextmanager
def within(seconds: float) -> Iterator[Deadline]:
    """Run the block with a deadline `seconds` from now (for the calls it makes, in this context and in the
    threads the web framework runs them on)."""
    deadline = Deadline(seconds)
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


def check() -> None:
    """Raise `TooLong` if this context's deadline has passed."""
    found = _DEADLINE.get()
    if found is not None and clock() >= found.at:
        raise TooLong(seconds=found.seconds)
