"""Users: UserRepository/EntityRepository semantics for PUT, PATCH, listing and reading."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from connector.openmetadata import OpenMetadataError, server_reason
from connector.writer import failed_test
from tests.sandbox.conftest import PATCH_TYPE, RELEASE, Sandbox


def names(refs: list[dict[str, Any]]) -> list[str]:
    return [ref["name"] for ref in refs]


@pytest.mark.lines
def test_put_by_a_bot_keeps_domains_and_description(sandbox: Sandbox) -> None:
    user = sandbox.new_user(displayName="Short", description="Kept by bots", domains=["Marketing"])
    response = sandbox.call(
        "ingestion-bot",
        "PUT",
        "/v1/users",
        json={
            "name": user["name"],
            "email": user["email"],
            "displayName": "Full Name",
            "description": "Overwritten?",
            "domains": ["Finance"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert names(body["domains"]) == ["Marketing"]
    assert body["description"] == "Kept by bots"
    # A bot PUT is authorised as EditAll only; lines from 1.13 on keep a non-empty displayName like a description.
    assert body["displayName"] == ("Short" if RELEASE.bot_put_keeps_display_name else "Full Name")
    expected_change = "entityNoChange" if RELEASE.bot_put_keeps_display_name else "entityUpdated"
    assert response.headers["X-OpenMetadata-Change"] == expected_change
    by_user = sandbox.call(
        "user-sync",
        "PUT",
        "/v1/users",
        json={
            "name": user["name"],
            "email": user["email"],
            "domains": ["Finance"],
            "description": "Replaced",
        },
    )
    assert names(by_user.json()["domains"]) == ["Finance"]
    assert by_user.json()["description"] == "Replaced"


def test_put_replaces_roles_and_puts_a_teamless_user_into_organization(sandbox: Sandbox) -> None:
    team = sandbox.entity("teams", "Marketing Team")
    steward = sandbox.entity("roles", "DataSteward")
    user = sandbox.new_user(teams=[team["id"]], roles=[steward["id"]], displayName="Before")
    assert names(user["teams"]) == ["Marketing Team"]
    assert names(user["roles"]) == ["DataSteward"]
    response = sandbox.call(
        "user-sync",
        "PUT",
        "/v1/users",
        json={
            "name": user["name"],
            "email": user["email"],
            "displayName": "After",
        },
    )
    assert response.status_code == 200, response.text
    after = sandbox.user(user["name"])
    assert after["displayName"] == "After"
    assert after["roles"] == []
    assert names(after["teams"]) == ["Organization"]
    deleted = {change["name"] for change in response.json()["changeDescription"]["fieldsDeleted"]}
    assert {"roles", "teams"} <= deleted


def test_put_creates_a_missing_user(sandbox: Sandbox) -> None:
    name = f"new{uuid.uuid4().hex[:8]}"
    response = sandbox.call("admin", "PUT", "/v1/users", json={"name": name, "email": f"{name}@example.com"})
    assert response.status_code == 201
    assert response.headers["X-OpenMetadata-Change"] == "entityCreated"
    assert response.json()["version"] == 0.1


def test_patch_bumps_the_version_and_describes_the_change(sandbox: Sandbox) -> None:
    user = sandbox.new_user(displayName="Old")
    assert user["version"] == 0.1
    response = sandbox.patch("user-sync", user["id"], [{"op": "replace", "path": "/displayName", "value": "New"}])
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 0.2
    assert body["updatedBy"] == "user-sync"
    assert body["updatedAt"] > user["updatedAt"]
    assert body["changeDescription"] == {
        "fieldsAdded": [],
        "fieldsDeleted": [],
        "previousVersion": 0.1,
        "fieldsUpdated": [{"name": "displayName", "oldValue": "Old", "newValue": "New"}],
    }


def test_removing_the_display_name_clears_it(sandbox: Sandbox) -> None:
    user = sandbox.new_user(displayName="Old")
    response = sandbox.patch("user-sync", user["id"], [{"op": "remove", "path": "/displayName"}])
    assert response.status_code == 200, response.text
    body = response.json()
    assert "displayName" not in body
    assert body["version"] == 0.2
    assert body["changeDescription"]["fieldsDeleted"] == [{"name": "displayName", "oldValue": "Old"}]
    assert "displayName" not in sandbox.call("admin", "GET", f"/v1/users/{user['id']}").json()


def test_patches_by_the_same_user_within_a_session_are_consolidated(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    first = sandbox.patch("user-sync", user["id"], [{"op": "add", "path": "/displayName", "value": "One"}])
    assert first.json()["version"] == 0.2
    second = sandbox.patch("user-sync", user["id"], [{"op": "replace", "path": "/displayName", "value": "Two"}])
    assert second.json()["version"] == 0.2
    stored = sandbox.user(user["name"])
    assert stored["changeDescription"]["previousVersion"] == 0.1
    assert stored["changeDescription"]["fieldsAdded"] == [{"name": "displayName", "newValue": "Two"}]
    assert stored["incrementalChangeDescription"]["previousVersion"] == 0.2
    third = sandbox.patch("admin", user["id"], [{"op": "replace", "path": "/displayName", "value": "Three"}])
    assert third.json()["version"] == 0.3


def test_a_patch_that_changes_nothing_keeps_version_and_update_stamp(sandbox: Sandbox) -> None:
    user = sandbox.new_user(displayName="Same")
    response = sandbox.patch("user-sync", user["id"], [{"op": "replace", "path": "/displayName", "value": "Same"}])
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["updatedAt"], body["updatedBy"]) == (0.1, user["updatedAt"], "admin")


def test_patch_ops_on_href_paths_are_dropped(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    response = sandbox.patch(
        "user-sync",
        user["id"],
        [
            {"op": "replace", "path": "/href", "value": "http://elsewhere"},
            {"op": "remove", "path": "/teams/0/href"},
            {"op": "add", "path": "/displayName", "value": "Kept"},
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Kept"
    assert response.json()["href"].endswith(user["id"])


def test_a_failed_test_op_fails_the_whole_patch(sandbox: Sandbox) -> None:
    user = sandbox.new_user(displayName="Current")
    response = sandbox.patch(
        "user-sync",
        user["id"],
        [
            {"op": "test", "path": "/displayName", "value": "Stale"},
            {"op": "replace", "path": "/displayName", "value": "Lost"},
        ],
    )
    # The release decides the answer (Release.json_patch_error_status); test_json_patch_errors.py covers each mode.
    status = sandbox.release.json_patch_error_status
    assert response.status_code == status
    if status == 500:
        assert response.json() == {
            "code": 500,
            "message": "An exception with message [JsonPatch.Operation.TEST fails! Values are not equal] "
            "was thrown while processing request.",
        }
    else:
        assert response.json()["message"].startswith("The JSON Patch operation 'test' failed for path '/displayName'")
    assert sandbox.user(user["name"])["displayName"] == "Current"
    passing = sandbox.patch(
        "user-sync",
        user["id"],
        [
            {"op": "test", "path": "/displayName", "value": "Current"},
            {"op": "test", "path": "/version", "value": 0.1},
            {"op": "replace", "path": "/displayName", "value": "Won"},
        ],
    )
    assert passing.status_code == 200
    assert passing.json()["displayName"] == "Won"


def test_patch_needs_the_json_patch_media_type_and_an_array(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    wrong_type = sandbox.call("admin", "PATCH", f"/v1/users/{user['id']}", json=[])
    assert wrong_type.status_code == 415
    not_array = sandbox.call(
        "admin",
        "PATCH",
        f"/v1/users/{user['id']}",
        data=json.dumps({"op": "add"}),
        headers={"Content-Type": PATCH_TYPE},
    )
    assert not_array.status_code == 400
    assert not_array.json()["code"] == 400


def test_domains_inherited_from_teams_are_merged_and_marked(sandbox: Sandbox) -> None:
    aaron = sandbox.user("aaron_johnson0")
    # His own Finance and the Marketing of his team, in the order of their ids (tests/sandbox/test_domain_order.py).
    assert sorted((d["name"], d.get("inherited")) for d in aaron["domains"]) == [("Finance", None), ("Marketing", True)]
    no_fields = sandbox.get("admin", "/v1/users/name/aaron_johnson0").json()
    assert "domains" not in no_fields


def test_patching_domains_keeps_inherited_ones_out_of_the_users_own(sandbox: Sandbox) -> None:
    team = sandbox.entity("teams", "Marketing Team")
    user = sandbox.new_user(teams=[team["id"]])
    finance = sandbox.entity("domains", "Finance")
    # The client patches the document it read, inherited entry included, adding Finance.
    response = sandbox.patch(
        "user-sync",
        user["id"],
        [
            {"op": "add", "path": "/domains/-", "value": {"id": finance["id"], "type": "domain"}},
        ],
    )
    assert response.status_code == 200, response.text
    domains = {d["name"]: d.get("inherited", False) for d in response.json()["domains"]}
    assert domains == {"Finance": False, "Marketing": True}
    added = response.json()["changeDescription"]["fieldsAdded"]
    assert [(c["name"], [d["name"] for d in json.loads(c["newValue"])]) for c in added] == [("domains", ["Finance"])]
    # Removing every domain cannot remove the inherited one: it comes back from the team.
    cleared = sandbox.patch("user-sync", user["id"], [{"op": "replace", "path": "/domains", "value": []}])
    assert [(d["name"], d.get("inherited")) for d in cleared.json()["domains"]] == [("Marketing", True)]


def test_patch_response_holds_display_name_and_domains(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    finance = sandbox.entity("domains", "Finance")
    response = sandbox.patch(
        "user-sync",
        user["id"],
        [
            {"op": "add", "path": "/displayName", "value": "Full Name"},
            {"op": "add", "path": "/domains", "value": [{"id": finance["id"], "type": "domain"}]},
        ],
    )
    body = response.json()
    assert body["displayName"] == "Full Name"
    assert [(d["fullyQualifiedName"], d["type"]) for d in body["domains"]] == [("Finance", "domain")]
    assert {"teams", "roles", "version", "changeDescription"} <= set(body)


def test_names_and_emails_are_stored_lower_case(sandbox: Sandbox) -> None:
    suffix = uuid.uuid4().hex[:6]
    response = sandbox.call(
        "admin", "POST", "/v1/users", json={"name": f"Mixed.Case{suffix}", "email": f"Mixed.Case{suffix}@Example.COM"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == f"mixed.case{suffix}"
    assert body["fullyQualifiedName"] == f'"mixed.case{suffix}"'
    assert body["email"] == f"mixed.case{suffix}@example.com"
    again = sandbox.get("admin", f"/v1/users/name/MIXED.CASE{suffix}")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    duplicate = sandbox.call(
        "admin", "POST", "/v1/users", json={"name": f"MIXED.case{suffix}", "email": f"other{suffix}@example.com"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json() == {"code": 409, "message": "Entity already exists"}


def test_missing_users_are_404_with_openmetadatas_message(sandbox: Sandbox) -> None:
    missing = str(uuid.uuid4())
    by_id = sandbox.get("admin", f"/v1/users/{missing}")
    assert by_id.status_code == 404
    assert by_id.json() == {"code": 404, "message": f"user instance for {missing} not found"}
    by_name = sandbox.get("admin", "/v1/users/name/nobody")
    assert by_name.json() == {"code": 404, "message": "user instance for nobody not found"}
    patch = sandbox.patch("admin", missing, [{"op": "add", "path": "/displayName", "value": "x"}])
    assert patch.status_code == 404


def test_invalid_request_bodies_are_400(sandbox: Sandbox) -> None:
    bad_email = sandbox.call("admin", "POST", "/v1/users", json={"name": "x1", "email": "not-an-email"})
    assert bad_email.status_code == 400
    assert bad_email.json()["code"] == 400
    assert "email" in bad_email.json()["message"]
    unknown = sandbox.call("admin", "POST", "/v1/users", json={"name": "x2", "email": "x2@e.com", "nope": 1})
    assert unknown.status_code == 400
    missing = sandbox.call("admin", "POST", "/v1/domains", json={"name": "NoType"})
    assert missing.status_code == 400
    bad_fields = sandbox.get("admin", "/v1/users", params={"fields": "bogus"})
    assert bad_fields.status_code == 400
    assert bad_fields.json()["message"] == "Invalid field name bogus"


def collect(sandbox: Sandbox, params: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    response = sandbox.get("user-sync", "/v1/users", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [u["name"] for u in body["data"]], body["paging"]


def test_paging_with_cursors_both_ways(sandbox: Sandbox) -> None:
    everything = sandbox.get("user-sync", "/v1/users", params={"limit": 1000}).json()
    all_names = [u["name"] for u in everything["data"]]
    assert all_names == sorted(all_names)
    assert everything["paging"] == {"total": len(all_names)}
    assert len(all_names) > 4
    forward: list[str] = []
    pages: list[tuple[list[str], dict[str, Any]]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = collect(sandbox, params)
        pages.append(page)
        forward.extend(page[0])
        assert page[1]["total"] == len(all_names)
        if "after" not in page[1]:
            break
        params = {"limit": 2, "after": page[1]["after"]}
    assert forward == all_names
    assert "before" not in pages[0][1]
    assert all("before" in paging for _, paging in pages[1:])
    # Walk back from the last page to the first.
    backward = list(pages[-1][0])
    params = {"limit": 2, "before": pages[-1][1]["before"]}
    while True:
        page_names, paging = collect(sandbox, params)
        backward = page_names + backward
        assert "after" in paging
        if "before" not in paging:
            break
        params = {"limit": 2, "before": paging["before"]}
    assert backward == all_names
    count_only = sandbox.get("user-sync", "/v1/users", params={"limit": 0}).json()
    assert count_only == {"data": [], "paging": {"total": len(all_names)}}


def test_list_filters(sandbox: Sandbox) -> None:
    bots = sandbox.get("admin", "/v1/users", params={"isBot": "true", "limit": 100}).json()["data"]
    assert "ingestion-bot" in names(bots)
    assert all(u["isBot"] for u in bots)
    admins = sandbox.get("admin", "/v1/users", params={"isAdmin": "true"}).json()["data"]
    assert "admin" in names(admins)
    team = sandbox.get("admin", "/v1/users", params={"team": "Marketing Team", "limit": 100}).json()["data"]
    assert "aaron_johnson0" in names(team)
    assert "brian_smith7" not in names(team)
    both = sandbox.get("admin", "/v1/users", params={"before": "a", "after": "b"})
    assert both.status_code == 400


def test_demo_users_differ_from_the_directory(sandbox: Sandbox) -> None:
    admin = sandbox.user("admin")
    assert "displayName" not in admin
    assert names(admin["domains"]) == ["Marketing"]
    aaron = sandbox.user("aaron_johnson0")
    assert "displayName" not in aaron
    assert names(aaron["teams"]) == ["Marketing Team"]
    engineering = sandbox.get("admin", "/v1/teams/name/Engineering", params={"fields": "children"}).json()
    assert engineering["teamType"] == "Department"
    assert sorted(names(engineering["children"])) == ["Data Platform", "Web"]
    sync = sandbox.user("user-sync")
    assert sync["isBot"] is False
    assert names(sync["roles"]) == ["UserSyncRole"]


def test_soft_delete_needs_delete_and_hides_the_user_from_patches_and_lists(sandbox: Sandbox) -> None:
    user = sandbox.new_user(displayName="Leaving")
    refused = sandbox.call("user-sync", "DELETE", f"/v1/users/{user['id']}")
    assert refused.status_code == 403
    assert "operations [Delete] not allowed" in refused.json()["message"]
    deleted = sandbox.call("admin", "DELETE", f"/v1/users/{user['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True
    assert deleted.json()["version"] == 0.2
    assert sandbox.get("admin", f"/v1/users/{user['id']}").status_code == 404
    assert sandbox.get("admin", f"/v1/users/{user['id']}", params={"include": "deleted"}).status_code == 200
    patch = sandbox.patch("user-sync", user["id"], [{"op": "add", "path": "/displayName", "value": "x"}])
    assert patch.status_code == 404
    assert patch.json()["message"] == f"user instance for {user['id']} not found"
    listed = sandbox.get("admin", "/v1/users", params={"limit": 1000}).json()["data"]
    assert user["id"] not in {entry["id"] for entry in listed}


def test_test_ops_on_listed_domain_ids_pass_until_the_list_changes(sandbox: Sandbox) -> None:
    """The connector tests `/domains/<i>/id` with the ids a GET listed (own and inherited, in the server's order);
    the patch applies to the same merged list, so those tests pass, and fail once the user's domains change."""
    team = sandbox.entity("teams", "Marketing Team")
    finance = sandbox.entity("domains", "Finance")
    user = sandbox.new_user(teams=[team["id"]], domains=["Finance"])
    listed = [ref["id"] for ref in sandbox.user(user["name"])["domains"]]
    assert len(listed) == 2
    tests = [{"op": "test", "path": f"/domains/{i}/id", "value": domain_id} for i, domain_id in enumerate(listed)]
    finance_only = [{"op": "add", "path": "/domains", "value": [{"id": finance["id"], "type": "domain"}]}]
    assert sandbox.patch("user-sync", user["id"], [*tests, *finance_only]).status_code == 200
    cleared = sandbox.patch("user-sync", user["id"], [{"op": "add", "path": "/domains", "value": []}])
    assert cleared.status_code == 200
    stale = sandbox.patch("user-sync", user["id"], [*tests, *finance_only])
    assert stale.status_code == sandbox.release.json_patch_error_status
    # Which test fails first depends on the ids' order: a value that differs, or an index past the shorter list.
    refused = OpenMetadataError("", stale.status_code, server_reason(stale.json()["message"]))
    assert failed_test(refused, [*tests, *finance_only]) is not None
