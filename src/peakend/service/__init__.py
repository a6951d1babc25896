"""The application layer: every use case run one way, for every adapter (CLI, web, live worker, demo).

`Workspace` (one per store) knows the blueprint in force, the clock and the language, and hangs the use cases off
itself by topic; long work runs as jobs kept in the store (`service.jobs`), claimed by whichever process is free.
"""

from peakend.service.workspace import Workspace

__all__ = ["Workspace"]
