"""The live rules' backlog as the store keeps it: table `live_pending`, visits whose new events the rules
have not looked at yet.

Ingest adds the visits of what it stores in the same transaction (`queue_visits`); the live worker
(`live.pending`) takes them, so ingest never calls up into the live loop: the table is the message.
"""

from __future__ import annotations

import threading
import time

from peakend.store.db import Store

_last_ns = 0
_ns_lock = threading.Lock()


def _stamp() -> int:
    """Nanoseconds since the epoch, strictly increasing within this process."""
    global _last_ns
    with _ns_lock:
        _last_ns = max(time.time_ns(), _last_ns + 1)
        return _last_ns


def queue_visits(store: Store, source: str) -> None:
    """Queue the visits named by the rows of store table or view `source` (column `visit_id`)."""
    store.execute(
        f"INSERT INTO live_pending (visit_id, queued_ns) SELECT DISTINCT visit_id, ? FROM {source} "
        "WHERE visit_id IS NOT NULL ON CONFLICT (visit_id) DO UPDATE SET queued_ns = excluded.queued_ns",
        [_stamp()])
