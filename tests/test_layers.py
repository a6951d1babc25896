"""The layer picture of the README holds: no module imports from a layer above its own (import-linter
contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_layers_only_point_down():
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 kept, 0 broken" in run.stdout


def test_the_readme_layout_names_every_module():
    readme = (ROOT / "README.md").read_text("utf-8")
    layout = readme.split("## Layout: the data flows one way")[1]
    src = ROOT / "src" / "peakend"
    for path in src.rglob("*.py"):
        if path.name != "__init__.py":
            assert path.name in layout, f"README layout does not name {path.relative_to(src)}"
