"""Domains (FQN rules, parents, paging), teams and roles/policies as far as the sync touches them."""

from __future__ import annotations

import uuid

import pytest

from tests.sandbox.conftest import RELEASE, Sandbox


def test_domain_fqn_follows_the_parent_and_quotes_dotted_names(sandbox: Sandbox) -> None:
    suffix = uuid.uuid4().hex[:6]
    child = sandbox.call(
        "admin",
        "POST",
        "/v1/domains",
        json={
            "name": f"Payroll{suffix}",
            "domainType": "Aggregate",
            "description": "d",
            "parent": "Finance",
        },
    )
    assert child.status_code == 201, child.text
    assert child.json()["fullyQualifiedName"] == f"Finance.Payroll{suffix}"
    assert child.json()["parent"]["name"] == "Finance"
    dotted = sandbox.call(
        "admin",
        "POST",
        "/v1/domains",
        json={
            "name": f"a.b{suffix}",
            "domainType": "Aggregate",
            "description": "d",
            "parent": f"Finance.Payroll{suffix}",
        },
    )
    assert dotted.status_code == 201, dotted.text
    fqn = f'Finance.Payroll{suffix}."a.b{suffix}"'
    assert dotted.json()["fullyQualifiedName"] == fqn
    assert sandbox.get("user-sync", f"/v1/domains/name/{fqn}").json()["id"] == dotted.json()["id"]
    children = sandbox.get("admin", "/v1/domains/name/Finance", params={"fields": "children"}).json()["children"]
    assert f"Payroll{suffix}" in [c["name"] for c in children]
    listed = sandbox.get("user-sync", "/v1/domains", params={"limit": 1000}).json()
    assert {f"Payroll{suffix}", f"a.b{suffix}", "Finance", "Marketing"} <= {d["name"] for d in listed["data"]}


def test_a_user_may_hold_a_nested_domain(sandbox: Sandbox) -> None:
    suffix = uuid.uuid4().hex[:6]
    sandbox.call(
        "admin",
        "POST",
        "/v1/domains",
        json={"name": f"Ads{suffix}", "domainType": "Aggregate", "description": "d", "parent": "Marketing"},
    )
    user = sandbox.new_user(domains=[f"Marketing.Ads{suffix}"])
    assert [d["fullyQualifiedName"] for d in user["domains"]] == [f"Marketing.Ads{suffix}"]


def test_unknown_domain_in_a_create_request_is_404(sandbox: Sandbox) -> None:
    response = sandbox.call(
        "admin", "POST", "/v1/users", json={"name": "nodomain", "email": "nd@example.com", "domains": ["Atlantis"]}
    )
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "domain instance for Atlantis not found"}


def test_domains_page_like_users(sandbox: Sandbox) -> None:
    first = sandbox.get("user-sync", "/v1/domains", params={"limit": 1}).json()
    assert len(first["data"]) == 1
    second = sandbox.get("user-sync", "/v1/domains", params={"limit": 1, "after": first["paging"]["after"]}).json()
    assert second["data"][0]["name"] > first["data"][0]["name"]
    assert second["paging"]["before"]


def test_team_carries_domains_and_members(sandbox: Sandbox) -> None:
    team = sandbox.get("admin", "/v1/teams/name/Marketing Team", params={"fields": "domains,users,parents"}).json()
    assert [d["name"] for d in team["domains"]] == ["Marketing"]
    assert "aaron_johnson0" in [u["name"] for u in team["users"]]
    assert [p["name"] for p in team["parents"]] == ["Organization"]
    org = sandbox.get("admin", "/v1/teams/name/Organization", params={"fields": "defaultRoles,policies"}).json()
    assert [r["name"] for r in org["defaultRoles"]] == ["DataConsumer"]
    assert [p["name"] for p in org["policies"]] == ["OrganizationPolicy"]


@pytest.mark.lines
def test_system_roles_and_policies_exist(sandbox: Sandbox) -> None:
    bot_role = sandbox.get("admin", "/v1/roles/name/IngestionBotRole", params={"fields": "policies"}).json()
    assert [p["name"] for p in bot_role["policies"]] == ["DefaultBotPolicy", "IngestionBotPolicy"]
    policy = sandbox.entity("policies", "IngestionBotPolicy")
    rules = {r["name"]: r for r in policy["rules"]}
    assert rules["DisplayName-Deny"]["effect"] == "deny"
    assert rules["DisplayName-Deny"]["operations"] == ["EditDisplayName"]
    assert rules["DisplayName-Deny"]["fullyQualifiedName"] == "IngestionBotPolicy.DisplayName-Deny"
    # The policy file's operations that the line's enum has: the bulk ones from 1.11 on (docs/openmetadata-notes.md).
    bulk = ["BulkCreate", "BulkUpdate"] if RELEASE.major_minor >= (1, 11) else []
    assert rules["IngestionBotRule-Allow"]["operations"] == ["Create", *bulk, "EditAll", "ViewAll", "Delete"]
    listed = sandbox.get("admin", "/v1/roles", params={"limit": 100}).json()["data"]
    assert {"DefaultBotRole", "IngestionBotRole", "DataConsumer", "UserSyncRole"} <= {r["name"] for r in listed}


@pytest.mark.lines
def test_policy_rules_are_validated_against_the_releases_operations(release_sandbox: Sandbox) -> None:
    def create(operation: str) -> int:
        rule = {"name": "r", "resources": ["user"], "operations": [operation], "effect": "allow"}
        body = {"name": f"P{uuid.uuid4().hex[:6]}", "rules": [rule]}
        return release_sandbox.call("admin", "POST", "/v1/policies", json=body).status_code

    assert create("EditNothing") == 400
    # EditDomains joined the MetadataOperation enum in 2.0.7.
    assert create("EditDomains") == (201 if release_sandbox.release.edit_domains else 400)


def test_data_consumer_cannot_create_domains(sandbox: Sandbox) -> None:
    response = sandbox.call(
        "aaron_johnson0", "POST", "/v1/domains", json={"name": "Nope", "domainType": "Aggregate", "description": "d"}
    )
    assert response.status_code == 403
    expected = "Principal: CatalogPrincipal{name='aaron_johnson0'} operations [Create] not allowed"
    assert response.json()["message"] == expected
