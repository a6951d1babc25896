"""MkDocs hook: the reference pages' generated parts, in the page's language (see `reference.py`)."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
MARKER = re.compile(r"<!-- generated: (cli|settings|contract|api|schemas) -->")


@functools.cache
def generated_parts(lang: str) -> dict[str, str]:
    """Every generated part in `lang`, made by `reference.py` in a process of its own (the CLI's help language is
    fixed when it is imported)."""
    env = {**os.environ, "PEAKEND_LANG": lang, "COLUMNS": "200"}
    run = subprocess.run([sys.executable, str(HERE / "reference.py"), "all", lang], env=env, capture_output=True,
                         text=True, check=True)
    parts: dict[str, str] = json.loads(run.stdout)
    return parts


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    lang = "zh" if page.file.src_uri.startswith("zh/") else "en"
    return MARKER.sub(lambda m: generated_parts(lang)[m.group(1)], markdown)
