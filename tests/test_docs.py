"""The documentation cannot rot: the MkDocs site builds strictly (a broken link, a missing page or a page left out
of the nav fails), every command is in the command reference (generated from the commands, in zh and en), every
setting in the settings page, and every page of the web app is explained in the user guide of both languages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "hooks"))
import reference  # noqa: E402  (docs/hooks/reference.py: the generator the site's hook runs)

UNPAGED = ("/api/", "/static/", "/openapi", "/docs", "/redoc")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(out)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    return out


def text_of(html: Path) -> str:
    return re.sub(r"<[^>]+>", " ", html.read_text("utf-8"))


@pytest.mark.parametrize("lang,folder", [("en", "en/"), ("zh", "")])
def test_every_command_is_in_the_command_reference(site, lang, folder):
    page = (site / folder / "reference" / "cli" / "index.html").read_text("utf-8")
    names = reference.command_names()
    assert len(names) > 30 and "peakend blueprint show" in names
    for name in names:
        assert f"<code>{name}</code>" in page, f"{name} is not in the {lang} command reference"
    assert ("存储：DuckDB 文件" in page) == (lang == "zh")  # the options' help in the page's language


@pytest.mark.parametrize("lang,folder", [("en", "en/"), ("zh", "")])
def test_every_setting_is_on_the_settings_page(site, lang, folder):
    from peakend.settings import SETTINGS

    page = text_of(site / folder / "operator" / "settings" / "index.html")
    for s in SETTINGS:
        assert s.env in page, s.env
        help_text = (s.zh if lang == "zh" else s.en).replace("`", "")
        assert help_text[:12] in page, (s.env, help_text)


@pytest.mark.parametrize("folder", ["en/", ""])
def test_every_field_of_the_event_contract_is_on_its_page(site, folder):
    from peakend import contract

    page = (site / folder / "reference" / "contract" / "index.html").read_text("utf-8")
    for kind, fields in contract.FIELDS.items():
        assert f"<code>{kind}</code>" in page
        assert all(f"<code>{f.name}</code>" in page for f in fields), kind
    assert "2,147,483,647" in page and all(f"<code>{scale}</code>" in page for scale in contract.SCALES)


@pytest.mark.parametrize("folder", ["en/", ""])
def test_every_field_of_the_blueprint_and_mapping_yaml_is_on_its_page(site, folder):
    from peakend.blueprint.model import Blueprint
    from peakend.ingest.mapping import Mapping

    page = (site / folder / "reference" / "schemas" / "index.html").read_text("utf-8")
    for model in (Blueprint, Mapping):
        schema = model.model_json_schema()
        for sub in [schema, *schema.get("$defs", {}).values()]:
            assert all(f"<code>{field}</code>" in page for field in sub.get("properties", {})), sub.get("title")
    assert "<code>min_visits_for_grade</code>" in page and "<code>rating_scale</code>" in page


@pytest.mark.parametrize("folder", ["en/", ""])
def test_every_endpoint_is_on_the_api_page(site, folder):
    from peakend.web.app import create_app

    page = (site / folder / "reference" / "api" / "index.html").read_text("utf-8")
    paths = create_app(":memory:", secret="docs").openapi()["paths"]
    assert len(paths) > 30 and all(f"<code>{path}</code>" in page for path in paths)


def page_routes() -> list[str]:
    """The web app's pages: its GET routes that answer HTML, with parameters written `{}`."""
    from peakend.web.app import create_app

    def flat(routes) -> list:
        """Routes, those of included routers among them (FastAPI keeps an included router whole)."""
        return [leaf for r in routes
                for leaf in (flat(r.original_router.routes) if hasattr(r, "original_router") else [r])]

    app = create_app(":memory:", secret="docs")
    paths = {r.path for r in flat(app.routes)
             if "GET" in (getattr(r, "methods", None) or ()) and not r.path.startswith(UNPAGED)}
    return sorted(re.sub(r"\{[^}]+\}", "{}", p) for p in paths)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_is_explained_in_the_user_guide(lang):
    guide = "\n".join(p.read_text("utf-8") for p in sorted((DOCS / lang).rglob("*.md"))
                      if p.parent.name == "guide" or p.parent == DOCS / lang)
    guide = re.sub(r"\{[^}`]+\}", "{}", guide)
    routes = page_routes()
    assert "/" in routes and "/halls/{}/moments/{}" in routes and "/audit" in routes
    missing = [r for r in routes if not re.search("`" + re.escape(r) + r"[`?# ]", guide)]
    assert missing == [], f"pages the {lang} user guide does not explain: {missing}"


def test_the_readme_is_a_quickstart():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme.count("\n") <= 240  # ~200, and room for the features' short sections until they move to docs/
    for line in ("make demo", "make test", "make docs"):
        assert line in readme
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).exists(), link


def test_every_command_and_option_has_chinese_help():
    """The command reference in Chinese (generated in a process whose PEAKEND_LANG is zh): every command's and every
    option's help is Chinese — none left English, none missing."""
    env = {**os.environ, "PEAKEND_LANG": "zh"}
    zh = subprocess.run([sys.executable, str(DOCS / "hooks" / "reference.py"), "cli", "zh"], env=env,
                        capture_output=True, text=True, check=True).stdout
    han = re.compile(r"[\u4e00-\u9fff]")
    rows = [line for line in zh.splitlines() if line.startswith("| `")]
    assert len(rows) > 100
    assert [row for row in rows if not han.search(row.rsplit("|", 2)[1])] == []
    helps = [line for line in zh.splitlines() if line and not line.startswith(("#", "|", "用法"))]
    assert [line for line in helps if not han.search(line)] == []


def test_peakend_lang_zh_help_is_chinese():
    run = subprocess.run([sys.executable, "-m", "peakend.cli", "--lang", "zh", "score", "--help"], capture_output=True,
                         text=True, check=True, env={**os.environ, "COLUMNS": "200"})
    assert "选项" in run.stdout and "重新为所有来访评分" in run.stdout and "[默认：peakend.duckdb]" in run.stdout


def test_every_picture_of_the_guides_is_taken_by_the_browser_tests():
    """The guides show only pictures tests/test_browser.py takes (so they are retaken with the code), in both
    languages, and every picture it takes is shown somewhere."""
    from tests import test_browser

    taken = {name for _, _, name, _ in test_browser.GUIDE_SHOTS} | {"import-mapping", "setup-account",
                                                                   "setup-blueprint", "setup-data",
                                                                   "alert-inbox"}
    source = Path(test_browser.__file__).read_text("utf-8")
    assert all(f'"{name}"' in source for name in taken)
    for lang in ("en", "zh"):
        shown = {m for p in (DOCS / lang).rglob("*.md") for m in re.findall(r"img/([\w-]+)\.png", p.read_text("utf-8"))}
        assert shown == taken, (lang, shown ^ taken)
        assert {p.stem for p in (DOCS / lang / "img").glob("*.png")} == taken
