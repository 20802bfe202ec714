"""JSON Patch handling after `openmetadata-spec/.../schema/utils/JsonUtils.applyPatch` and
`openmetadata-service/.../util/JsonPatchUtils.getMetadataOperations`."""

from __future__ import annotations

import json
from typing import Any

import jsonpatch
import jsonpointer

from om_sandbox.errors import bad_request, unhandled
from om_sandbox.release import Release

# ResourceRegistry.FIELD_TO_EDIT_OPERATION_MAP (1.9; a release adds its own, `Release.field_operations`): a path
# segment naming one of these fields is authorised as that operation; any other path needs EditAll.
FIELD_TO_EDIT_OPERATION = {
    "tags": "EditTags",
    "owners": "EditOwners",
    "reviewers": "EditReviewers",
    "extension": "EditCustomFields",
    "users": "EditUsers",
    "defaultRoles": "EditRole",
    "roles": "EditRole",
    "policies": "EditPolicy",
    "teams": "EditTeams",
    "description": "EditDescription",
    "displayName": "EditDisplayName",
    "certification": "EditCertification",
}

_OPS = {"add", "remove", "replace", "move", "copy", "test"}

# The message Apache Johnzon's JsonPatchImpl (OpenMetadata's JSON-P implementation) raises for a
# failing `test`; it reaches the client wrapped by UnhandledServerException.
TEST_FAILED = "JsonPatchOperation.TEST fails! Values are not equal"


def parse(body: bytes) -> list[dict[str, Any]]:
    try:
        ops = json.loads(body)
    except ValueError as exc:
        raise bad_request(f"Unable to process JSON: {exc}") from exc
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise bad_request("Unable to process JSON: a JSON Patch must be an array of operation objects")
    for op in ops:
        if op.get("op") not in _OPS or not isinstance(op.get("path"), str):
            raise bad_request(f"Unable to process JSON: invalid JSON Patch operation {json.dumps(op)}")
    return ops


def drop_href_ops(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """href is read-only and generated, so JsonUtils.applyPatch ignores operations on it."""
    return [op for op in ops if not str(op["path"]).endswith("href")]


def operation_for_path(path: str, release: Release) -> str:
    mapping = {**FIELD_TO_EDIT_OPERATION, **release.field_operations()}
    for segment in path.split("/"):
        if segment in mapping:
            return mapping[segment]
    return "EditAll"


def metadata_operations(ops: list[dict[str, Any]], release: Release) -> list[str]:
    """Operations a patch needs. Every op counts, `test` included; one path needing EditAll makes the
    whole request need only EditAll (the early return in getMetadataOperations)."""
    needed: list[str] = []
    for op in ops:
        operation = operation_for_path(op["path"], release)
        if operation == "EditAll":
            return ["EditAll"]
        if operation not in needed:
            needed.append(operation)
    return needed


def apply(document: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        result = jsonpatch.JsonPatch(ops).apply(document)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise unhandled(TEST_FAILED) from exc
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise unhandled(str(exc)) from exc
    if not isinstance(result, dict):
        raise unhandled("the patched document is not an object")
    return result
