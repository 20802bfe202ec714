"""The sandbox's per-line behaviours follow the version it reports (om_sandbox/line.py)."""

from importlib.metadata import version

import pytest

from om_sandbox.line import Line, installed_sdk_version


def test_the_default_line_is_the_installed_sdks_release_as_a_server_version() -> None:
    sdk = version("openmetadata-ingestion")  # e.g. 2.0.7.0
    assert installed_sdk_version() == ".".join(sdk.split(".")[:3])
    assert Line.of_installed_sdk().major_minor == tuple(int(part) for part in sdk.split(".")[:2])


@pytest.mark.parametrize(
    ("version", "edit_domains", "bot_put_keeps_display_name"),
    [
        ("1.9.11", False, False),
        ("1.12.14", False, False),
        ("1.13.6", False, True),
        ("2.0.7", True, True),
        ("2.1.0-SNAPSHOT", True, True),
    ],
)
def test_line_behaviours_by_version(version: str, edit_domains: bool, bot_put_keeps_display_name: bool) -> None:
    line = Line(version)
    assert line.edit_domains is edit_domains
    assert line.bot_put_keeps_display_name is bot_put_keeps_display_name
    assert ("domains" in line.field_operations()) is edit_domains


def test_a_version_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not an OpenMetadata version"):
        Line("latest")
