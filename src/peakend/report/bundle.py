"""The charts' JavaScript (Vega, Vega-Lite and vega-embed, about 0.9 MB), made by vl-convert once per version and
kept in the user's cache folder: making it takes 10–40 s, which every report, every server start and every test
process paid before."""

from __future__ import annotations

import functools
import os
import tempfile
from importlib.metadata import version
from pathlib import Path

import vl_convert


def cache_file() -> Path:
    """Where the bundle of this vl-convert version is kept (`$XDG_CACHE_HOME/peakend`, else `~/.cache/peakend`)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "peakend" / f"vega-bundle-{version('vl-convert-python')}.js"


@functools.cache
def vega_bundle() -> str:
    """The bundle: read from the cache, else made and kept there (a cache that cannot be written is skipped)."""
    path = cache_file()
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    made = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub calls the optional snippet required
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as f:
            f.write(made)
        os.replace(f.name, path)  # whole or not at all: two processes may make it at once
    except OSError:
        pass
    return made
