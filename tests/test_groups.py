"""Tests that share an expensive fixture run on one worker (`--dist loadgroup`, tests/conftest.py): pytest 9.2 made
pytest-xdist 3.8 ignore the groups, which built the demo and the browser server on every worker and let two workers
change the same OpenID provider user at once."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.xdist_group("groups-check")


def test_a_grouped_test_carries_its_group_in_a_grouped_run(request):
    grouped = bool(os.environ.get("PYTEST_XDIST_WORKER")) and request.config.getvalue("loadgroup")
    assert request.node.nodeid.endswith("@groups-check") == bool(grouped)
