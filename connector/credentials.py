"""The token the connector writes with: the workflow's own, or one the operator keeps on the ingestion runner.

A run deployed from the OpenMetadata UI carries the ingestion-bot's token in `openMetadataServerConfig`
(the server fills it in), and bots may not edit display names. `connectionOptions` is shown in the UI in clear,
so it names where the token lives (an environment variable or a file on the runner), never the token itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from connector.settings import SettingsError, UserUpdaterSettings

WORKFLOW_TOKEN = "the workflow's openMetadataServerConfig"  # noqa: S105 - where a token comes from, not one
WORKFLOW_TOKEN_KEY = "workflowConfig.openMetadataServerConfig.securityConfig.jwtToken"  # noqa: S105 - a key
# What `metadata ingest` leaves of "${NAME}" when NAME is not set: it expands variables with os.path.expandvars,
# which keeps unknown ones as they are.
UNEXPANDED_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
ACCOUNT_DOC = "docs/account.md"


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


def check_workflow_token(token: str | None) -> None:
    """Raise SettingsError when the workflow's own token is missing: empty, or a `${NAME}` left unexpanded because
    NAME is not set. Both would reach the server and come back as a 401 that names neither the key nor the variable.
    """
    if token is None:
        return
    unexpanded = UNEXPANDED_VARIABLE.fullmatch(token.strip())
    if unexpanded:
        name = unexpanded.group(1)
        raise SettingsError(
            f"{WORKFLOW_TOKEN_KEY} is {token.strip()!r}: the environment variable {name} is not set for the process "
            f"that runs the workflow (${{...}} is filled from its environment). Set {name} to the service user's "
            f"personal access token ({ACCOUNT_DOC}). Nothing was sent."
        )
    if not token.strip():
        raise SettingsError(
            f"{WORKFLOW_TOKEN_KEY} is empty: the environment variable that fills it is set to nothing, or the key "
            f"holds no token. Set it to the service user's personal access token ({ACCOUNT_DOC}). Nothing was sent."
        )
