"""Settings as data: one table, printed by `peakend settings` and by the settings page of the docs (generated from
the table; tests/test_docs.py checks the built page)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from peakend import settings
from peakend.errors import SettingError
from peakend.i18n import lang

ROOT = Path(__file__).parent.parent


def test_the_settings_pages_are_generated_and_nothing_is_read_outside_the_table():
    for code in ("en", "zh"):
        page = ROOT / "docs" / code / "operator" / "settings.md"
        assert "<!-- generated: settings -->" in page.read_text("utf-8")
    declared = {s.env for s in settings.SETTINGS}
    read_in_code = set()
    for path in (ROOT / "src" / "peakend").rglob("*.py"):
        read_in_code |= set(re.findall(r"PEAKEND_[A-Z_]+", path.read_text("utf-8")))
    assert read_in_code <= declared | {"PEAKEND_TEST_PG"}, read_in_code - declared  # nothing read outside the table


@pytest.mark.parametrize("given", ["zh", "ZH", "zh_CN", " Zh "])
def test_chinese_is_chinese_however_written(monkeypatch, given):
    monkeypatch.setenv("PEAKEND_LANG", given)
    assert lang() == "zh"


def test_a_setting_that_is_not_its_type_names_itself(monkeypatch):
    monkeypatch.setenv("PEAKEND_MAX_BATCH", "many")
    with pytest.raises(SettingError, match="PEAKEND_MAX_BATCH='many'"):
        settings.get("max_batch")
    monkeypatch.setenv("PEAKEND_MAX_BATCH", "-3")
    with pytest.raises(SettingError, match="positive"):
        settings.get("max_batch")


def test_peakend_settings_prints_what_is_in_force_and_hides_secrets():
    env = {**os.environ, "PEAKEND_MAX_BATCH": "77", "PEAKEND_SECRET": "s3cret-value", "COLUMNS": "200",
           "PEAKEND_LANG": "en"}
    out = subprocess.run([sys.executable, "-m", "peakend.cli", "settings"], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert re.search(r"PEAKEND_MAX_BATCH\s*│\s*77\s", out)
    assert "s3cret-value" not in out and re.search(r"PEAKEND_SECRET\s*│\s*\*\*\*", out)
    assert "(default)" in out
