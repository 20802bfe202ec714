"""Teams: types and hierarchy, who may hold users, membership through the user's PATCH, creation and look-up
(om_sandbox/teams.py; docs/sandbox-fidelity.md, "Teams and membership")."""

from __future__ import annotations

import uuid
from typing import Any

from tests.sandbox.conftest import Sandbox


def _team(sandbox: Sandbox, team_type: str, who: str = "admin", **extra: Any) -> dict[str, Any]:
    name = f"T{uuid.uuid4().hex[:8]}"
    response = sandbox.call(who, "POST", "/v1/teams", json={"name": name, "teamType": team_type, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _refused(sandbox: Sandbox, body: dict[str, Any]) -> str:
    response = sandbox.call("admin", "POST", "/v1/teams", json=body)
    assert response.status_code == 400, response.text
    return str(response.json()["message"])


def test_the_hierarchy_follows_the_team_types(sandbox: Sandbox) -> None:
    department = _team(sandbox, "Department")
    group = _team(sandbox, "Group", parents=[department["id"]])
    parents = sandbox.get("admin", f"/v1/teams/{group['id']}", params={"fields": "parents"}).json()["parents"]
    assert [p["name"] for p in parents] == [department["name"]]
    # No parents: Organization is the parent.
    assert (
        sandbox.get("admin", f"/v1/teams/{department['id']}", params={"fields": "parents"}).json()["parents"][0]["name"]
        == "Organization"
    )
    message = _refused(sandbox, {"name": "under-a-group", "teamType": "Department", "parents": [group["id"]]})
    assert message == (
        f"Team {group['name']} of type Group can't be of parent of team under-a-group of type Department"
    )
    business_unit = _team(sandbox, "BusinessUnit")
    assert _refused(sandbox, {"name": "bu", "teamType": "BusinessUnit", "parents": [department["id"]]}).startswith(
        f"Team {department['name']} of type Department can't be of parent"
    )
    two = [business_unit["id"], _team(sandbox, "BusinessUnit")["id"]]
    assert _refused(sandbox, {"name": "div", "teamType": "Division", "parents": two}) == (
        "Team of type Division can have only 1 parents"
    )
    assert _refused(sandbox, {"name": "org2", "teamType": "Organization"}) == (
        "Only one Organization is allowed. New Organization type can't be created"
    )
    assert _refused(sandbox, {"name": "g", "teamType": "Group", "children": [group["id"]]}).startswith(
        "Team of type Group can't have children of type team."
    )
    assert _refused(sandbox, {"name": "d", "teamType": "Department", "children": [business_unit["id"]]}) == (
        f"Team d of type Department can't have child team {business_unit['name']} of type BusinessUnit"
    )


def test_a_group_keeps_its_type_and_a_parent_never_becomes_a_group(sandbox: Sandbox) -> None:
    group = _team(sandbox, "Group")
    retyped = sandbox.call("admin", "PUT", "/v1/teams", json={"name": group["name"], "teamType": "Department"})
    assert (retyped.status_code, retyped.json()["message"]) == (400, "Team of type Group cannot be updated")
    department = _team(sandbox, "Department")
    _team(sandbox, "Group", parents=[department["id"]])
    to_group = sandbox.call("admin", "PUT", "/v1/teams", json={"name": department["name"], "teamType": "Group"})
    assert (to_group.status_code, to_group.json()["message"]) == (
        400,
        "A team with children cannot be updated to type Group",
    )


def test_users_go_only_into_groups_on_releases_with_the_check(sandbox: Sandbox) -> None:
    department = _team(sandbox, "Department")
    user = sandbox.new_user()
    ref = {"id": department["id"], "type": "team"}
    response = sandbox.patch("admin", user["id"], [{"op": "replace", "path": "/teams", "value": [ref]}])
    created = sandbox.call(
        "admin",
        "POST",
        "/v1/teams",
        json={"name": f"D{uuid.uuid4().hex[:6]}", "teamType": "Department", "users": [user["id"]]},
    )
    if sandbox.release.group_only_users:
        expected = "Team is of type Department. Users can be updated only in team of type Group."
        assert (response.status_code, response.json()["message"]) == (400, expected)
        assert (created.status_code, created.json()["message"]) == (400, expected)
        assert [t["name"] for t in sandbox.user(user["name"])["teams"]] == ["Organization"]
    else:
        assert response.status_code == 200, response.text
        assert created.status_code == 201, created.text


def test_membership_is_the_users_teams_and_none_means_organization(sandbox: Sandbox) -> None:
    first, second = _team(sandbox, "Group"), _team(sandbox, "Group")
    user = sandbox.new_user()
    refs = [{"id": t["id"], "type": "team"} for t in (first, second)]
    added = sandbox.patch("admin", user["id"], [{"op": "replace", "path": "/teams", "value": refs}])
    assert added.status_code == 200, added.text
    assert sorted(t["name"] for t in added.json()["teams"]) == sorted([first["name"], second["name"]])
    listed = sandbox.get("admin", "/v1/users", params={"team": first["name"], "limit": 100}).json()["data"]
    assert user["name"] in [u["name"] for u in listed]
    cleared = sandbox.patch("admin", user["id"], [{"op": "replace", "path": "/teams", "value": []}])
    assert [t["name"] for t in cleared.json()["teams"]] == ["Organization"]


def test_editing_a_users_teams_needs_edit_teams(sandbox: Sandbox) -> None:
    group = _team(sandbox, "Group")
    user = sandbox.new_user()
    ops = [{"op": "add", "path": "/teams/0", "value": {"id": group["id"], "type": "team"}}]
    names_only = sandbox.new_principal(
        [{"name": "dn", "resources": ["user"], "operations": ["ViewAll", "EditDisplayName"], "effect": "allow"}]
    )
    refused = sandbox.patch(names_only, user["id"], ops)
    assert refused.status_code == 403
    assert refused.json()["message"].endswith("operations [EditTeams] not allowed")
    teams_editor = sandbox.new_principal(
        [{"name": "t", "resources": ["user"], "operations": ["ViewAll", "EditTeams"], "effect": "allow"}]
    )
    assert sandbox.patch(teams_editor, user["id"], ops).status_code == 200


def test_adding_a_team_checks_membership_and_joinability_first(sandbox: Sandbox) -> None:
    open_team = _team(sandbox, "Group", displayName="Open")
    closed = _team(sandbox, "Group", isJoinable=False)
    user = sandbox.new_user()
    editor = sandbox.new_principal(
        [{"name": "t", "resources": ["user"], "operations": ["ViewAll", "EditTeams"], "effect": "allow"}]
    )

    def add(who: str, team: dict[str, Any]) -> Any:
        return sandbox.patch(who, user["id"], [{"op": "add", "path": "/teams/-", "value": {"id": team["id"]}}])

    assert add(editor, open_team).status_code == 200
    again = add(editor, open_team)
    assert (again.status_code, again.json()["message"]) == (
        400,
        f"User '{user['name']}' is already part of the team 'Open'",
    )
    not_admin = add(editor, closed)
    assert (not_admin.status_code, not_admin.json()["message"]) == (
        403,
        f"Principal: CatalogPrincipal{{name='{editor}'}} is not admin",
    )
    assert add("admin", closed).status_code == 200
    # A whole-list replace is no `add` under /teams/: EditTeams alone decides it.
    keep_closed = [{"op": "replace", "path": "/teams", "value": [{"id": closed["id"], "type": "team"}]}]
    assert sandbox.patch(editor, user["id"], keep_closed).status_code == 200


def test_creating_a_team_needs_create_on_team(sandbox: Sandbox) -> None:
    viewer = sandbox.new_principal([{"name": "v", "resources": ["team"], "operations": ["ViewAll"], "effect": "allow"}])
    refused = sandbox.call(viewer, "POST", "/v1/teams", json={"name": "nope", "teamType": "Group"})
    assert refused.status_code == 403
    assert refused.json()["message"].endswith("operations [Create] not allowed")
    creator = sandbox.new_principal(
        [{"name": "c", "resources": ["team"], "operations": ["Create", "ViewAll"], "effect": "allow"}]
    )
    assert _team(sandbox, "Group", who=creator)["teamType"] == "Group"


def test_teams_are_found_by_their_exact_name_and_listed_with_fields(sandbox: Sandbox) -> None:
    group = _team(sandbox, "Group", displayName="Payments")
    assert sandbox.get("admin", f"/v1/teams/name/{group['name']}").json()["id"] == group["id"]
    missing = sandbox.get("admin", f"/v1/teams/name/{group['name'].lower()}")
    assert (missing.status_code, missing.json()["message"]) == (
        404,
        f"team instance for {group['name'].lower()} not found",
    )
    page = sandbox.get("admin", "/v1/teams", params={"fields": "parents,userCount", "limit": 1000}).json()["data"]
    listed = {team["name"]: team for team in page}
    assert listed[group["name"]]["teamType"] == "Group"
    assert listed[group["name"]]["parents"][0]["name"] == "Organization"
    assert listed["Marketing Team"]["teamType"] == "Group"


def test_a_users_teams_are_listed_in_the_order_written_not_sorted(sandbox: Sandbox) -> None:
    teams = sorted((_team(sandbox, "Group") for _ in range(3)), key=lambda team: team["id"], reverse=True)
    user = sandbox.new_user()
    refs = [{"id": team["id"], "type": "team"} for team in teams]
    assert sandbox.patch("admin", user["id"], [{"op": "add", "path": "/teams", "value": refs}]).status_code == 200
    listed = [t["id"] for t in sandbox.user(user["name"])["teams"]]
    assert listed == [team["id"] for team in teams]
    assert listed != sorted(listed)
