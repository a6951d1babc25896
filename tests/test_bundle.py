"""The charts' JavaScript is made once per vl-convert version and then read from the cache folder."""

from __future__ import annotations

import vl_convert

from peakend.report import bundle


def test_the_bundle_is_made_once_and_then_read_from_the_cache(tmp_path, monkeypatch):
    made = []
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda: made.append(1) or "/* vega */")
    bundle.vega_bundle.cache_clear()
    try:
        assert bundle.vega_bundle() == "/* vega */" and made == [1]
        assert bundle.cache_file().read_text("utf-8") == "/* vega */"
        assert bundle.cache_file().parent == tmp_path / "peakend"
        bundle.vega_bundle.cache_clear()  # a new process
        assert bundle.vega_bundle() == "/* vega */" and made == [1]  # read, not made again
    finally:
        bundle.vega_bundle.cache_clear()


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path, monkeypatch):
    (tmp_path / "peakend").write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda: "/* vega */")
    bundle.vega_bundle.cache_clear()
    try:
        assert bundle.vega_bundle() == "/* vega */"
    finally:
        bundle.vega_bundle.cache_clear()
