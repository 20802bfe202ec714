"""JSON Patch handling after `openmetadata-spec/.../schema/utils/JsonUtils.applyPatch` and
`openmetadata-service/.../util/JsonPatchUtils.getMetadataOperations`.

A failing operation is answered as the server's JSON-P library words it, in the shape its release gives it
(`serve --json-patch-errors`, docs/sandbox-fidelity.md "JSON Patch failures"):

- 500: Apache Johnzon's text (`JsonPatchImpl`, `JsonPointerImpl`) inside the UnhandledServerException that
  CatalogGenericExceptionMapper makes of an exception it does not map, as before PR #28316;
- 400 or 422: Eclipse Parsson's text (`JsonPatchImpl`, `JsonPointerImpl`, `NodeReference`, `messages.properties`)
  as `{"code": N, "message": ...}`, as after PR #28316 (400), or as the 2.0 SDK also expects (422).

Both quote the JSON they stood on when a pointer's member is missing (Johnzon always, Parsson on the way to the
last member), which is how a user's whole record can reach a client's error message.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch
import jsonpointer

from om_sandbox.errors import ApiError, bad_request, unhandled
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

JSON_PATCH_ERROR_STATUSES = (500, 400, 422)
DEFAULT_JSON_PATCH_ERRORS = 500
# Johnzon's JsonPatchImpl for a failing `test` (the same text since 2017; older releases spelt it
# `JsonPatchOperation.TEST`).
JOHNZON_TEST_FAILED = "JsonPatch.Operation.TEST fails! Values are not equal"
# Parsson's value types as `JsonValue.ValueType` names them (pointer.reference.invalid).
_VALUE_TYPES = {str: "STRING", int: "NUMBER", float: "NUMBER", bool: "TRUE", type(None): "NULL"}


class _JsonPError(Exception):
    """A jakarta.json.JsonException with the library's own message."""


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


def _compact(value: Any) -> str:
    """A JSON value as JsonValue.toString() writes it: compact, not ASCII-escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _johnzon_value(document: Any, tokens: list[str]) -> Any:
    """JsonPointerImpl.getValue (Johnzon): every missing member quotes the JSON the pointer stood on."""
    value = document
    for position, part in enumerate(tokens, 1):
        if isinstance(value, dict):
            if part not in value:
                raise _JsonPError(f"'{_compact(value)}' contains no value for name '{part}'")
            value = value[part]
        elif isinstance(value, list):
            if part != "-" and not part.isdigit():
                raise _JsonPError(f"'{part}' is no valid array index")
            index = len(value) if part == "-" else int(part)
            if index >= len(value):
                raise _JsonPError(f"'{_compact(value)}' contains no element for index {index} and for '{part}'.")
            value = value[index]
        elif position == len(tokens):
            raise _JsonPError(f"'{_compact(value)}' contains no element for '{part}'")
    return value


def _parsson_value(document: Any, tokens: list[str]) -> Any:
    """JsonPointerImpl.getReferences, then NodeReference.get (Parsson): a member missing on the way quotes the
    object; a missing last member, or an index out of range, is named without the JSON."""
    value = document
    for position, part in enumerate(tokens, 1):
        last = position == len(tokens)
        if isinstance(value, dict):
            if part not in value:
                if last:
                    raise _JsonPError(f"Non-existing name/value pair in the object for key {part}")
                raise _JsonPError(f"The JSON Object '{_compact(value)}' contains no mapping for the name '{part}'")
            value = value[part]
        elif isinstance(value, list):
            if part != "-" and not part.isdigit():
                raise _JsonPError(f"Illegal integer format, was '{part}'")
            index = -1 if part == "-" else int(part)
            if not 0 <= index < len(value):
                raise _JsonPError(f"An array item index is out of range. Index: {index}, Size: {len(value)}")
            value = value[index]
        else:
            kind = "FALSE" if value is False else _VALUE_TYPES.get(type(value), "OBJECT")
            raise _JsonPError(
                f"The reference value in a JSON Pointer must be a JSON Object or a JSON Array, was '{kind}'"
            )
    return value


def _test(document: Any, op: dict[str, Any], johnzon: bool) -> None:
    tokens = jsonpointer.JsonPointer(op["path"]).parts
    if johnzon:
        if _johnzon_value(document, tokens) != op.get("value"):
            raise _JsonPError(JOHNZON_TEST_FAILED)
    elif _parsson_value(document, tokens) != op.get("value"):
        raise _JsonPError(
            f"The JSON Patch operation 'test' failed for path '{op['path']}' and value '{_compact(op.get('value'))}'"
        )


def json_p_error(status: int, message: str) -> ApiError:
    """A jakarta.json.JsonException as the release answers it (see the module docstring)."""
    return unhandled(message) if status == 500 else ApiError(status, message)


def apply(
    document: dict[str, Any], ops: list[dict[str, Any]], errors: int = DEFAULT_JSON_PATCH_ERRORS
) -> dict[str, Any]:
    """The patched document; a failing operation raises the JSON-P error of `errors` (500, 400 or 422). Operations
    apply one after the other, as JsonPatchImpl.apply does, so a `test` sees what the operations before it did."""
    result: Any = document
    for op in ops:
        try:
            if op["op"] == "test":
                _test(result, op, johnzon=errors == 500)
            else:
                result = jsonpatch.JsonPatch([op]).apply(result)
        except _JsonPError as exc:
            raise json_p_error(errors, str(exc)) from exc
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise json_p_error(errors, str(exc)) from exc
    if not isinstance(result, dict):
        raise unhandled("the patched document is not an object")
    return result
