"""Everything the connector takes from the ingestion SDK, and what differs between the supported lines.

The connector supports the OpenMetadata lines 1.9 (from 1.9.11), 1.10, 1.11, 1.12, 1.13 and 2.0, each with the
SDK of its own line (the SDK refuses a server of another major.minor). Every SDK name the connector uses is
imported here and nowhere else, so one module shows the surface that must hold on every line;
`make test-lines` runs the end-to-end suite against each line's SDK.

Checked on the SDK releases in pyproject's extras (1.9.11.0 to 2.0.7.0): the names below, the signature
`Source.create(config_dict, metadata, pipeline_name=None)`, `Either`/`StackTraceError`, the workflow schema
(`OpenMetadataWorkflowConfig`), the auth provider's `get_access_token() -> (token, expiry)`, the automation and
test-connection models and the step runner `_test_connection_steps(metadata, steps, automation_workflow=None)`
(exported as `run_connection_steps`: the public `test_connection_steps` takes its steps from the server's
definition of the service type) are the same on every line. What differs is which operation authorises an edit
of users' `domains`, handled by `edit_operation` below by asking the server rather than by comparing versions;
and 2.0's automation runner calls `test_connection` only in its three-argument form (docs/openmetadata-notes.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from metadata.config.common import load_config_file
from metadata.generated.schema.entity.automations.testServiceConnection import TestServiceConnectionRequest
from metadata.generated.schema.entity.automations.workflow import Workflow as AutomationWorkflow
from metadata.generated.schema.entity.services.connections.database.customDatabaseConnection import (
    CustomDatabaseConnection,
)
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
    OpenMetadataConnection,
)
from metadata.generated.schema.entity.services.connections.testConnectionResult import TestConnectionResult
from metadata.generated.schema.metadataIngestion.workflow import OpenMetadataWorkflowConfig
from metadata.generated.schema.metadataIngestion.workflow import Source as WorkflowSource
from metadata.generated.schema.security.ssl.verifySSLConfig import VerifySSL
from metadata.ingestion.api.models import Either, StackTraceError
from metadata.ingestion.api.parser import parse_workflow_config_gracefully
from metadata.ingestion.api.steps import InvalidSourceException, Source
from metadata.ingestion.connections.test_connections import TestConnectionStep
from metadata.ingestion.connections.test_connections import _test_connection_steps as run_connection_steps
from metadata.ingestion.ometa.ometa_api import OpenMetadata
from metadata.utils.ssl_registry import get_verify_ssl_fn

__all__ = [
    "AutomationWorkflow",
    "CustomDatabaseConnection",
    "Either",
    "InvalidSourceException",
    "OpenMetadata",
    "OpenMetadataWorkflowConfig",
    "Source",
    "StackTraceError",
    "TestConnectionResult",
    "TestConnectionStep",
    "TestServiceConnectionRequest",
    "VerifySSL",
    "WorkflowSource",
    "access_token_provider",
    "edit_operation",
    "get_verify_ssl_fn",
    "load_config_file",
    "parse_workflow_config_gracefully",
    "run_connection_steps",
    "workflow_token",
]

# The operation a JSON Patch of a user field needs (server: ResourceRegistry's field map, JsonPatchUtils).
# `domains` has its own operation from 2.0 on; before, it had no mapping and an unmapped path needs EditAll.
# `teams` is EditTeams on every line (docs/openmetadata-notes.md, "Teams and membership").
_FIELD_OPERATIONS = {
    "displayName": ("EditDisplayName",),
    "domains": ("EditDomains", "EditAll"),
    "teams": ("EditTeams", "EditAll"),
}


def edit_operation(field: str, listed: Collection[str]) -> str:
    """The operation this server checks for a PATCH of `field`: the first of the candidates that the server's
    permission listing (`GET /v1/permissions/user`) knows, so the answer follows the server's line."""
    candidates = _FIELD_OPERATIONS[field]
    return next((operation for operation in candidates if operation in listed), candidates[-1])


def access_token_provider(metadata: OpenMetadata) -> Callable[[], tuple[str, int | None]]:
    """The SDK's own token source (it may refresh the token), as the `OpenMetadata` client holds it on every
    line: `_auth_provider.get_access_token()` answers `(token, expiry)`."""
    provider: Callable[[], tuple[str, int | None]] = metadata._auth_provider.get_access_token
    return provider


def workflow_token(config: OpenMetadataConnection) -> str | None:
    """The JWT the workflow's `securityConfig` holds (auth provider `openmetadata`), or None for other providers,
    whose tokens come from their identity provider. The same `securityConfig.jwtToken` on every line."""
    secret = getattr(config.securityConfig, "jwtToken", None)
    if secret is None:
        return None
    value: str = secret.get_secret_value()
    return value
