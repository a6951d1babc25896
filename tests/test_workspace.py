"""The application layer: one blueprint rule for every adapter, and the adapters calling it."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml
from typer.testing import CliRunner

from peakend.blueprint.load import default_text
from peakend.cli import app as cli
from peakend.service import Workspace
from peakend.store.db import connect
from peakend.web.app import create_app

ROOT = Path(__file__).parent.parent


def _renamed(name: str) -> str:
    data = yaml.safe_load(default_text())
    data["name"] = {"zh": name, "en": name}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_store_whose_latest_version_fails_its_check_runs_the_same_blueprint_everywhere(tmp_path):
    db = str(tmp_path / "s.duckdb")
    with connect(db) as store:
        number, _ = Workspace(store).blueprints.save(_renamed("第一版 first"), "test")
        store.execute("INSERT INTO blueprint_versions (number, blueprint_id, version, yaml, saved_by) "
                      "VALUES (?, 'broken', '9', 'moments: [', 'test')", [number + 1])  # no longer checks
        ws = Workspace(store)
        assert ws.blueprint.name.en == "第一版 first"  # the latest version that checks
        assert ws.in_force.number == number and ws.in_force.skipped == (number + 1,)
        assert "no longer pass the check" in ws.blueprint_notes("en")[0]
    web = create_app(db, secret="s")
    assert web.state.peakend.blueprint.name.en == "第一版 first"  # the web app (and its background worker)
    web.state.peakend.store.close()
    shown = CliRunner().invoke(cli, ["blueprint", "show", "--db", db])
    assert shown.exit_code == 0 and "第一版 first" in shown.output  # the command line
    assert "no longer pass the check" in shown.output  # and it says which version it skipped


def test_a_store_without_a_saved_version_runs_the_built_in_blueprint(tmp_path):
    with connect(str(tmp_path / "s.duckdb")) as store:
        ws = Workspace(store)
        assert ws.in_force.number == 0 and ws.blueprint.id == "telecom_hall" and not ws.blueprint_notes()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


DOMAIN = ("blueprint", "ingest", "store", "scoring", "live", "simulate", "loyalty", "text", "demo", "report")


def test_no_command_module_imports_the_domain():
    """Every command calls the application layer; none reaches into a domain package (also the import contract,
    which this checks without import-linter, imports inside functions included)."""
    for path in (ROOT / "src" / "peakend" / "cli").glob("*.py"):
        bad = {m for m in _imports(path) if m.split(".")[:2] in [["peakend", d] for d in DOMAIN]}
        assert not bad, f"{path.name} imports {bad}"


def test_the_command_line_is_thin():
    """The CLI parses, calls and prints: no SQL."""
    for path in (ROOT / "src" / "peakend" / "cli").glob("*.py"):
        text = path.read_text("utf-8").upper()
        assert not any(word in text for word in ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM")), path.name
