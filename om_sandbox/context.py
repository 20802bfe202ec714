"""Per-server state shared by the route modules, and the small helpers every route uses."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from om_sandbox import auth, policies, sdk
from om_sandbox.entities import Entities, quote_name
from om_sandbox.errors import ApiError, bad_request, not_found
from om_sandbox.release import Release
from om_sandbox.store import Doc, Store

_base_url: contextvars.ContextVar[str] = contextvars.ContextVar("base_url", default="http://localhost:8585")


def current_base_url() -> str:
    return _base_url.get()


def set_base_url(url: str) -> None:
    _base_url.set(url.rstrip("/"))


@dataclass
class Context:
    store: Store
    entities: Entities
    keys: auth.Keys
    release: Release
    # The status a failing JSON Patch operation is answered with, and so its wording (om_sandbox.patching).
    json_patch_errors: int = 500
    # authenticationConfiguration: the provider and the claims that name an SSO token's principal.
    auth_config: auth.AuthConfig = field(default_factory=auth.AuthConfig)

    def principal(self, request: Request) -> auth.Principal:
        """Authenticate (JwtFilter): the name and email the token gives."""
        return auth.principal(self.keys, self.auth_config, request.headers.get("authorization"))

    def subject(self, request: Request) -> policies.Subject:
        """Authenticate (JwtFilter) and load the principal's policies (SubjectCache): the user is read by name
        only, never by email, and a soft-deleted one is not found."""
        name = self.principal(request).name
        user = self.store.get_by_fqn("user", quote_name(name.lower()))
        if user is None or user.get("deleted"):
            raise not_found("user", name)
        return policies.subject_for(self.store, user)


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


async def read_json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"Unable to process JSON: {exc}") from exc


async def read_request(
    request: Request, entity_type: str, check: Callable[[Doc], None] | None = None
) -> tuple[BaseModel, Doc]:
    """Validate a create request with the SDK's generated model, answering 400 like Jersey's
    bean validation (ConstraintViolationExceptionMapper) or Jackson (JsonMappingExceptionMapper). `check` sees the
    body as sent, before the model: the SDK's Create models rewrite names (`::` -> `__reserved__colon__`, see
    `metadata/ingestion/models/custom_basemodel_validation.py`), which the server never does."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("Unable to process JSON: the request body must be an object")
    if check is not None:
        check(body)
    try:
        model = sdk.request_model(entity_type).model_validate(body)
    except ValidationError as exc:
        problems = ", ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'body'} {error['msg'].lower()}" for error in exc.errors()
        )
        raise ApiError(400, f"[{problems}]") from exc
    return model, model.model_dump(mode="json", exclude_none=True)


def query_flag(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise bad_request(f"query param {name} must be a boolean, got {value}")
    return value.lower() == "true"


def check_cursors(before: str | None, after: str | None) -> None:
    if before is not None and after is not None:
        raise bad_request("Only one of before or after query parameter allowed")
