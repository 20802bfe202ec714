"""The sandbox's release table: each behaviour that differs by release follows the version it reports
(om_sandbox/release.py, docs/sandbox-fidelity.md "Differences between releases")."""

from importlib.metadata import version

import pytest

from om_sandbox.release import Release, installed_sdk_version


def test_the_default_release_is_the_installed_sdks_as_a_server_version() -> None:
    sdk = version("openmetadata-ingestion")  # e.g. 2.0.7.0
    assert installed_sdk_version() == ".".join(sdk.split(".")[:3])
    assert Release.of_installed_sdk().major_minor == tuple(int(part) for part in sdk.split(".")[:2])


@pytest.mark.parametrize(
    ("version", "edit_domains", "bot_put_keeps_display_name", "json_patch_error_status"),
    [
        ("1.9.11", False, False, 500),
        ("1.10.14", False, False, 500),
        ("1.12.14", False, False, 500),
        ("1.13.6", False, True, 500),
        ("2.0.0", False, True, 400),
        ("2.0.6", False, True, 400),
        ("2.0.7", True, True, 400),
        ("2.0.10", True, True, 400),
        ("2.1", True, True, 400),
        ("2.1.0-SNAPSHOT", True, True, 400),
    ],
)
def test_behaviours_by_release(
    version: str, edit_domains: bool, bot_put_keeps_display_name: bool, json_patch_error_status: int
) -> None:
    release = Release(version)
    assert release.edit_domains is edit_domains
    assert release.bot_put_keeps_display_name is bot_put_keeps_display_name
    assert release.json_patch_error_status == json_patch_error_status
    assert ("domains" in release.field_operations()) is edit_domains


def test_release_numbers_compare_numerically_not_as_text() -> None:
    assert Release("2.0.10").numbers == (2, 0, 10)
    assert Release("1.9").numbers == (1, 9, 0)
    assert Release("2.1.0-SNAPSHOT").numbers == (2, 1, 0)


def test_an_older_release_of_the_line_lacks_the_operations_the_line_gained_later() -> None:
    enum = ("ViewAll", "EditAll", "EditDisplayName", "EditDomains", "EditRole")
    assert Release("2.0.7").operations(enum) == enum
    assert Release("2.0.6").operations(enum) == ("ViewAll", "EditAll", "EditDisplayName", "EditRole")


@pytest.mark.parametrize("version", ["latest", "2", "v2.0.7", "2.x"])
def test_a_version_that_is_not_one_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match="not an OpenMetadata version"):
        Release(version)


@pytest.mark.parametrize(
    ("version", "group_only_users"), [("1.9.11", False), ("1.12.14", False), ("1.13.0", True), ("2.0.6", True)]
)
def test_users_only_in_groups_from_the_backports_of_pr_32208(version: str, group_only_users: bool) -> None:
    assert Release(version).group_only_users is group_only_users
