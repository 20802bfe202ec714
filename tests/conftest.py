"""A test taking a `release` argument runs once per release of tests/support/releases.py."""

from __future__ import annotations

import pytest

from tests.support import releases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "release" in metafunc.fixturenames:
        metafunc.parametrize("release", releases.under_test(), ids=lambda release: release.version)
