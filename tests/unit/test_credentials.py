"""The token named in connectionOptions: read from the runner's environment or a file, never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.credentials import check_workflow_token, load_token
from connector.settings import SettingsError, UserUpdaterSettings

TOKEN = "eyJhbGciOiJSUzI1NiJ9.secret-payload.signature"  # noqa: S105 - a made-up token


def settings(**options: str) -> UserUpdaterSettings:
    return UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://directory", **options})


def test_without_an_option_the_workflow_token_is_used() -> None:
    assert load_token(settings(), {"USER_SYNC_TOKEN": TOKEN}) is None


def test_token_from_an_environment_variable_says_where_it_came_from() -> None:
    token = load_token(settings(openMetadataTokenEnv="USER_SYNC_TOKEN"), {"USER_SYNC_TOKEN": f" {TOKEN}\n"})
    assert token is not None
    assert token.value.get_secret_value() == TOKEN
    assert token.origin == "environment variable USER_SYNC_TOKEN (connectionOptions.openMetadataTokenEnv)"
    assert TOKEN not in repr(token)


def test_token_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    token = load_token(settings(openMetadataTokenFile=str(path)), {})
    assert token is not None
    assert token.value.get_secret_value() == TOKEN
    assert token.origin == f"file {path} (connectionOptions.openMetadataTokenFile)"


@pytest.mark.parametrize("environ", [{}, {"USER_SYNC_TOKEN": "  "}])
def test_an_unset_or_empty_variable_is_a_clear_error(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="openMetadataTokenEnv: the environment variable USER_SYNC_TOKEN is not"):
        load_token(settings(openMetadataTokenEnv="USER_SYNC_TOKEN"), environ)


def test_a_missing_or_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(SettingsError, match=f"openMetadataTokenFile: cannot read {missing}: No such file"):
        load_token(settings(openMetadataTokenFile=str(missing)), {})
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(SettingsError, match=f"openMetadataTokenFile: {empty} is empty"):
        load_token(settings(openMetadataTokenFile=str(empty)), {})


def test_a_token_given_where_a_variable_name_belongs_is_refused_without_echoing_it() -> None:
    # `metadata ingest` expands "${TOKEN}" in the file, so the option can arrive holding the token itself.
    with pytest.raises(SettingsError) as error:
        settings(openMetadataTokenEnv=TOKEN)
    assert "'openMetadataTokenEnv': Value error, must be the name of an environment variable" in str(error.value)
    assert TOKEN not in str(error.value)


def test_the_two_token_options_exclude_each_other() -> None:
    with pytest.raises(SettingsError, match="set openMetadataTokenEnv or openMetadataTokenFile, not both"):
        settings(openMetadataTokenEnv="A", openMetadataTokenFile="/run/secrets/token")


@pytest.mark.parametrize("value", [TOKEN, "relative/token"])
def test_a_token_given_where_a_file_path_belongs_is_refused_without_echoing_it(value: str) -> None:
    # As for openMetadataTokenEnv: "${TOKEN}" arrives as the token, which must not reach the log or check's output.
    with pytest.raises(SettingsError) as error:
        settings(openMetadataTokenFile=value)
    assert "'openMetadataTokenFile': Value error, must be the absolute path of a file" in str(error.value)
    assert value not in str(error.value)


def test_a_workflow_token_left_as_an_unset_variable_names_the_variable() -> None:
    with pytest.raises(SettingsError) as error:
        check_workflow_token("${OPENMETADATA_JWT_TOKEN}")
    message = str(error.value)
    assert message.startswith(
        "workflowConfig.openMetadataServerConfig.securityConfig.jwtToken is '${OPENMETADATA_JWT_TOKEN}': the "
        "environment variable OPENMETADATA_JWT_TOKEN is not set for the process that runs the workflow"
    )
    assert "Set OPENMETADATA_JWT_TOKEN to the service user's personal access token (docs/account.md)" in message
    with pytest.raises(SettingsError, match="the environment variable SYNC_TOKEN is not set"):
        check_workflow_token("$SYNC_TOKEN")
    with pytest.raises(SettingsError, match="jwtToken is empty"):
        check_workflow_token("  ")
    check_workflow_token("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
    check_workflow_token(None)  # another auth provider: its token comes from the identity provider
