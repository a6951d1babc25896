"""MkDocs hook: the reference pages' generated parts, in the page's language (see `reference.py`)."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
MARKER = re.compile(r"<!-- generated: (cli|settings|contract) -->")


@functools.cache
def generated(what: str, lang: str) -> str:
    """The Markdown `reference.py` prints for `what` in `lang` (its own process: the CLI's help language is fixed
    when it is imported)."""
    env = {**os.environ, "PEAKEND_LANG": lang, "COLUMNS": "200"}
    run = subprocess.run([sys.executable, str(HERE / "reference.py"), what, lang], env=env, capture_output=True,
                         text=True, check=True)
    return run.stdout


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    lang = "zh" if page.file.src_uri.startswith("zh/") else "en"
    return MARKER.sub(lambda m: generated(m.group(1), lang), markdown)
