"""Fixtures shared by the Python tests."""

import os

import pytest


@pytest.fixture
def athlos_bin():
    """Path of the `athlos` binary for cross-checks (set by ./scripts/test as ATHLOS_BIN):
    a failure under CI=true when missing, a skip elsewhere."""
    path = os.environ.get("ATHLOS_BIN")
    if not path:
        if os.environ.get("CI") == "true":
            pytest.fail("ATHLOS_BIN is not set under CI=true")
        pytest.skip("ATHLOS_BIN not set: cross-check with the command line skipped")
    return path
