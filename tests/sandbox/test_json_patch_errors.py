"""How a failing JSON Patch operation is answered, per `serve --json-patch-errors` (om_sandbox.patching): Johnzon's
text inside a 500, or Parsson's as 400 (or 422); pointer failures quote the JSON as the libraries do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.conftest import Sandbox, sandbox_command
from tests.support.servers import start_server

UNHANDLED = "An exception with message [{}] was thrown while processing request."


# 422 answers exactly as 400 but for the status; tests/integration/test_write_conflicts.py runs a sandbox in each of
# the three modes, so this file saves itself a third server.
@pytest.fixture(scope="module", params=[500, 400])
def mode(
    request: pytest.FixtureRequest, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, Sandbox]]:
    status: int = request.param
    if status == sandbox.release.json_patch_error_status:  # the release's default: the session's sandbox
        yield status, sandbox
        return
    db: Path = tmp_path_factory.mktemp(f"json-patch-{status}") / "s.db"
    server = start_server(sandbox_command(db, "--demo", "--json-patch-errors", str(status)))
    try:
        yield status, Sandbox(server=server, db=db, release=sandbox.release)
    finally:
        server.stop()


def expected(status: int, johnzon: str, parsson: str) -> dict[str, object]:
    if status == 500:
        return {"code": 500, "message": UNHANDLED.format(johnzon)}
    return {"code": status, "message": parsson}


def test_a_test_of_a_changed_value_fails_in_the_modes_wording(mode: tuple[int, Sandbox]) -> None:
    status, sandbox = mode
    user = sandbox.new_user(displayName="Current")
    ops = [
        {"op": "test", "path": "/displayName", "value": "Stale"},
        {"op": "add", "path": "/displayName", "value": "Lost"},
    ]
    response = sandbox.patch("user-sync", user["id"], ops)
    assert response.status_code == status
    assert response.json() == expected(
        status,
        "JsonPatch.Operation.TEST fails! Values are not equal",
        "The JSON Patch operation 'test' failed for path '/displayName' and value '\"Stale\"'",
    )
    assert sandbox.user(user["name"])["displayName"] == "Current"


def test_a_test_of_a_removed_member_fails_in_the_pointer_code(mode: tuple[int, Sandbox]) -> None:
    """Johnzon quotes the whole entity it walked; Parsson names the last member only."""
    status, sandbox = mode
    user = sandbox.new_user(description="PLANTED-4d1e")
    ops = [{"op": "test", "path": "/displayName", "value": "Read"}, {"op": "add", "path": "/displayName", "value": "X"}]
    response = sandbox.patch("user-sync", user["id"], ops)
    assert response.status_code == status
    message = response.json()["message"]
    if status == 500:
        quoted = message.removeprefix("An exception with message ['").removesuffix(
            "' contains no value for name 'displayName'] was thrown while processing request."
        )
        entity = json.loads(quoted)
        assert (entity["id"], entity["description"]) == (user["id"], "PLANTED-4d1e")
    else:
        assert message == "Non-existing name/value pair in the object for key displayName"
    assert "displayName" not in sandbox.user(user["name"])


def test_a_test_past_the_end_of_a_shrunk_list_fails_in_the_pointer_code(mode: tuple[int, Sandbox]) -> None:
    status, sandbox = mode
    user = sandbox.new_user()
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": "/domains/0/id", "value": "d"},
        {"op": "add", "path": "/domains", "value": []},
    ]
    response = sandbox.patch("user-sync", user["id"], ops)
    assert response.status_code == status
    assert response.json() == expected(
        status,
        "'[]' contains no element for index 0 and for '0'.",
        "An array item index is out of range. Index: 0, Size: 0",
    )


def test_a_missing_member_on_the_way_is_quoted_by_parsson_too(mode: tuple[int, Sandbox]) -> None:
    status, sandbox = mode
    user = sandbox.new_user(description="PLANTED-77aa")
    response = sandbox.patch("user-sync", user["id"], [{"op": "test", "path": "/profile/subscription", "value": 1}])
    assert response.status_code == status
    message = response.json()["message"]
    if status == 500:
        assert message.endswith("' contains no value for name 'profile'] was thrown while processing request.")
    else:
        assert message.startswith("The JSON Object '{")
        assert message.endswith("}' contains no mapping for the name 'profile'")
    assert "PLANTED-77aa" in message
