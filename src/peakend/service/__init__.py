"""The application layer: every use case run one way, for every adapter (CLI, web, live worker, demo).

`Workspace` (one per store) knows the blueprint in force, the clock and the language, and hangs the use cases off
itself by topic; long work runs as jobs kept in the store (`service.jobs`), claimed by whichever process is free.
"""

from peakend.service.workspace import Workspace
from peakend.store.db import is_postgres, redacted_url


def backend_of(url: str) -> str:
    """The engine a store location names: postgres or duckdb."""
    return "postgres" if is_postgres(url) else "duckdb"


__all__ = ["Workspace", "backend_of", "is_postgres", "redacted_url"]
