"""Access to the SDK's generated pydantic models, which define the wire format of the installed line.

Importing `metadata` normally runs `metadata/__init__.py`, which pulls in the profiler and costs ~15 s;
the generated schema modules need none of it. The server process therefore registers a bare package
for `metadata` before importing them (`install_light_import`). Only the sandbox's own process does this:
a process that later wants the full SDK must not call it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from functools import cache
from typing import TYPE_CHECKING, Any, get_origin

from pydantic import BaseModel

if TYPE_CHECKING:
    from om_sandbox.auth import AuthConfig


def install_light_import() -> None:
    if "metadata" in sys.modules:
        return
    spec = importlib.util.find_spec("metadata")
    if spec is None or spec.submodule_search_locations is None:
        raise RuntimeError("openmetadata-ingestion is not installed")
    package = types.ModuleType("metadata")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["metadata"] = package


_REQUESTS = {
    "user": ("metadata.generated.schema.api.teams.createUser", "CreateUserRequest"),
    "domain": ("metadata.generated.schema.api.domains.createDomain", "CreateDomainRequest"),
    "team": ("metadata.generated.schema.api.teams.createTeam", "CreateTeamRequest"),
    "role": ("metadata.generated.schema.api.teams.createRole", "CreateRoleRequest"),
    "policy": ("metadata.generated.schema.api.policies.createPolicy", "CreatePolicyRequest"),
    "workflow": ("metadata.generated.schema.api.automations.createWorkflow", "CreateWorkflowRequest"),
    # Not entities: the bodies of sign-in, of a personal access token's creation and of a restore.
    "login": ("metadata.generated.schema.auth.loginRequest", "LoginRequest"),
    "personalToken": ("metadata.generated.schema.auth.createPersonalToken", "CreatePersonalToken"),
    "restore": ("metadata.generated.schema.api.data.restoreEntity", "RestoreEntity"),
}
_ENTITIES = {
    "user": ("metadata.generated.schema.entity.teams.user", "User"),
    "domain": ("metadata.generated.schema.entity.domains.domain", "Domain"),
    "team": ("metadata.generated.schema.entity.teams.team", "Team"),
    "role": ("metadata.generated.schema.entity.teams.role", "Role"),
    "policy": ("metadata.generated.schema.entity.policies.policy", "Policy"),
    "workflow": ("metadata.generated.schema.entity.automations.workflow", "Workflow"),
}

# The server's authenticationConfiguration (ConfigResource.getAuthConfig answers one).
_AUTH_CONFIGURATION = (
    "metadata.generated.schema.configuration.authenticationConfiguration",
    "AuthenticationConfiguration",
)


def _model(location: tuple[str, str]) -> type[BaseModel]:
    module, name = location
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


@cache
def request_model(entity_type: str) -> type[BaseModel]:
    return _model(_REQUESTS[entity_type])


@cache
def operations() -> tuple[str, ...]:
    """MetadataOperation values in enum order; Java sorts operation sets by this ordinal."""
    module = importlib.import_module("metadata.generated.schema.entity.policies.accessControl.resourceDescriptor")
    return tuple(op.value for op in module.Operation)


@cache
def entity_fields(entity_type: str) -> frozenset[str]:
    return frozenset(_model(_ENTITIES[entity_type]).model_fields)


def auth_configuration(config: AuthConfig) -> dict[str, Any]:
    """The body of `GET /v1/system/config/auth` (ConfigResource.getAuthConfig): a new AuthenticationConfiguration,
    with its schema defaults, given the configured provider, providerName, clientType, enableSelfSignup,
    jwtPrincipalClaims and jwtPrincipalClaimsMapping (clientId, authority and callbackUrl too, which the sandbox has
    none of). Built with the installed line's model, so its defaults and fields are that line's; Jackson leaves out
    nulls (jsonschema2pojo's NON_NULL) but writes the lists jsonschema2pojo initialises empty (`publicKeyUrls` is
    never copied from the configuration)."""
    model = _model(_AUTH_CONFIGURATION)
    values: dict[str, Any] = {
        "provider": config.provider,
        "providerName": config.provider_name,
        "clientType": "public",
        "enableSelfSignup": config.enable_self_signup,
        "jwtPrincipalClaims": list(config.principal_claims),
        "jwtPrincipalClaimsMapping": list(config.principal_claims_mapping),
    }
    # Older lines' models require publicKeyUrls, authority, clientId and callbackUrl (their servers answered the whole
    # configuration); the sandbox configures none of them, so they are empty.
    for name, info in model.model_fields.items():
        key = info.alias or name
        if info.is_required() and key not in values:
            values[key] = [] if get_origin(info.annotation) is list else ""
    answer = model.model_validate(values)
    body: dict[str, Any] = answer.model_dump(mode="json", exclude_none=True)
    for name, info in model.model_fields.items():
        annotation = info.annotation
        arms = getattr(annotation, "__args__", ()) if get_origin(annotation) is not list else (annotation,)
        if name not in body and any(get_origin(arm) is list for arm in arms):
            body[name] = []
    return body
