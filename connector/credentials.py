"""The token the connector writes with: the workflow's own, or one the operator keeps on the ingestion runner.

A run deployed from the OpenMetadata UI carries the ingestion-bot's token in `openMetadataServerConfig`
(the server fills it in), and bots may not edit display names. `connectionOptions` is shown in the UI in clear,
so it names where the token lives (an environment variable or a file on the runner), never the token itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from connector.settings import SettingsError, UserUpdaterSettings

WORKFLOW_TOKEN = "the workflow's openMetadataServerConfig"  # noqa: S105 - where a token comes from, not one


@dataclass(frozen=True)
class AccountToken:
    """A token read from the runner, and where it came from (for the log; the value never is)."""

    value: SecretStr
    origin: str


def load_token(settings: UserUpdaterSettings, environ: Mapping[str, str] = os.environ) -> AccountToken | None:
    """The token named by openMetadataTokenEnv / openMetadataTokenFile, or None to use the workflow's.

    Raises SettingsError naming the option when the variable is unset or the file unreadable or empty.
    """
    if settings.open_metadata_token_env:
        name = settings.open_metadata_token_env
        value = environ.get(name, "").strip()
        if not value:
            raise SettingsError(
                f"connectionOptions.openMetadataTokenEnv: the environment variable {name} is not set or empty "
                "on the machine running the workflow"
            )
        return AccountToken(SecretStr(value), f"environment variable {name} (connectionOptions.openMetadataTokenEnv)")
    if settings.open_metadata_token_file:
        path = settings.open_metadata_token_file
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise SettingsError(f"connectionOptions.openMetadataTokenFile: cannot read {path}: {reason}") from None
        if not value:
            raise SettingsError(f"connectionOptions.openMetadataTokenFile: {path} is empty")
        return AccountToken(SecretStr(value), f"file {path} (connectionOptions.openMetadataTokenFile)")
    return None
