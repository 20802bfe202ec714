"""Automation workflows (`WorkflowResource.java`): what the SDK's test connection reads and writes back."""

from __future__ import annotations

import uuid

from tests.sandbox.conftest import PATCH_TYPE, Sandbox

SOURCE_CLASS = "connector.user_updater.UserUpdaterSource"
TEST_CONNECTION = {
    "workflowType": "TEST_CONNECTION",
    "request": {
        "connection": {
            "config": {
                "type": "CustomDatabase",
                "sourcePythonClass": SOURCE_CLASS,
                "connectionOptions": {"graphqlEndpoint": "http://directory"},
            }
        },
        "serviceType": "Database",
        "connectionType": "CustomDatabase",
    },
}


def test_test_connection_result_is_patched_onto_the_automation_workflow(sandbox: Sandbox) -> None:
    name = f"test-connection-{uuid.uuid4().hex[:8]}"
    created = sandbox.call("admin", "POST", "/v1/automations/workflows", json={"name": name, **TEST_CONNECTION})
    assert created.status_code == 201, created.text
    workflow = created.json()
    assert workflow["status"] == "Pending"
    assert workflow["request"]["connection"]["config"]["sourcePythonClass"] == SOURCE_CLASS
    assert "openMetadataServerConnection" not in workflow

    by_name = sandbox.get("ingestion-bot", f"/v1/automations/workflows/name/{name}")
    assert by_name.status_code == 200, by_name.text
    assert by_name.json()["id"] == workflow["id"]

    # The shape of OpenMetadata.patch_automation_workflow_response (ingestion/ometa/mixins/patch_mixin.py).
    result = {"status": "Failed", "steps": [{"name": "CheckAccess", "mandatory": True, "passed": False}]}
    ops = [
        {"op": "add", "path": "/response", "value": result},
        {"op": "add", "path": "/status", "value": "Successful"},
    ]
    path = f"/v1/automations/workflows/{workflow['id']}"
    patched = sandbox.call("ingestion-bot", "PATCH", path, json=ops, headers={"Content-Type": PATCH_TYPE})
    assert patched.status_code == 200, patched.text
    assert patched.json()["updatedBy"] == "ingestion-bot"
    stored = sandbox.get("admin", path).json()
    assert stored["status"] == "Successful"
    assert stored["response"] == result
    assert stored["version"] > workflow["version"]


def test_automation_workflow_patch_is_authorized_like_any_entity(sandbox: Sandbox) -> None:
    name = f"test-connection-{uuid.uuid4().hex[:8]}"
    created = sandbox.call("admin", "POST", "/v1/automations/workflows", json={"name": name, **TEST_CONNECTION})
    path = f"/v1/automations/workflows/{created.json()['id']}"
    ops = [{"op": "add", "path": "/status", "value": "Successful"}]
    # aaron_johnson0's DataSteward and Organization policies allow no EditAll on workflows.
    denied = sandbox.call("aaron_johnson0", "PATCH", path, json=ops, headers={"Content-Type": PATCH_TYPE})
    assert denied.status_code == 403, denied.text
    assert "EditAll" in denied.json()["message"]
    missing = sandbox.call(
        "admin", "PATCH", f"/v1/automations/workflows/{uuid.uuid4()}", json=ops, headers={"Content-Type": PATCH_TYPE}
    )
    assert missing.status_code == 404
