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

from pydantic import BaseModel


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
