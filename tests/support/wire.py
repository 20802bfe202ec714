"""Every sandbox answer a test reads is checked against the installed SDK's generated models (which forbid unknown
keys), so the sandbox cannot drift from OpenMetadata's wire format unnoticed: an entity against its entity model,
a list against `{data: [entity], paging: Paging}`, a permission listing against `ResourcePermission`, an error
against OpenMetadata's `{code, message}`."""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel

_SCHEMA = "metadata.generated.schema"
# Route (under /api) -> (module, model) of the entity it answers; lists of the same route answer {data, paging}.
_ROUTES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), module, name)
    for pattern, module, name in (
        (r"/v1/system/version", "api.openMetadataServerVersion", "OpenMetadataServerVersion"),
        (r"/v1/users/security/token", "auth.personalAccessToken", "PersonalAccessToken"),
        # The sign-in answer (`JwtResponse`) has no model in the SDK's generated schema: not checked.
        (r"/v1/users/login", "", ""),
        (r"/v1/users(/.*)?", "entity.teams.user", "User"),
        (r"/v1/domains(/.*)?", "entity.domains.domain", "Domain"),
        (r"/v1/teams(/.*)?", "entity.teams.team", "Team"),
        (r"/v1/roles(/.*)?", "entity.teams.role", "Role"),
        (r"/v1/policies(/.*)?", "entity.policies.policy", "Policy"),
        (r"/v1/permissions(/.*)?", "entity.policies.accessControl.resourcePermission", "ResourcePermission"),
        (r"/v1/automations/workflows(/.*)?", "entity.automations.workflow", "Workflow"),
    )
)
_LISTS = re.compile(r"/v1/(users|domains|teams|roles|policies|permissions)")


@cache
def _model(module: str, name: str) -> type[BaseModel]:
    model: type[BaseModel] = getattr(importlib.import_module(f"{_SCHEMA}.{module}"), name)
    return model


def check(method: str, path: str, body: Any, status: int) -> None:
    """Raise AssertionError unless `body`, answered with `status` to `method` on `path` (under /api, no query), is
    what the SDK's models accept."""
    if status >= 400:
        assert isinstance(body, dict), body
        assert set(body) == {"code", "message"}, body
        assert body["code"] == status, body
        assert isinstance(body["message"], str), body
        return
    for pattern, module, name in _ROUTES:
        if pattern.fullmatch(path):
            if not module:
                return
            model = _model(module, name)
            if method == "GET" and _LISTS.fullmatch(path):
                assert set(body) == {"data", "paging"}, sorted(body)
                _model("type.paging", "Paging").model_validate(body["paging"])
                for entry in body["data"]:
                    model.model_validate(entry)
            elif name == "PersonalAccessToken" and body.get("expiryDate") is None:
                # An `Unlimited` token has no expiry date, which the SDK's model requires: check the rest.
                model.model_validate({**body, "expiryDate": 0})
            else:
                model.model_validate(body)
            return


def checked(response: requests.Response, api_root: str) -> requests.Response:
    """`response` after checking its JSON body (when it has one) against the route's model."""
    path = urlsplit(response.url).path
    if path.startswith(api_root) and response.headers.get("content-type", "").startswith("application/json"):
        check(str(response.request.method), path[len(api_root) :], response.json(), response.status_code)
    return response
