"""Authorization: PolicyEvaluator/CompiledRule semantics, per-field PATCH operations, the permission listing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import Sandbox

BOT_DENIAL = (
    "Principal: CatalogPrincipal{name='ingestion-bot'} operation EditDisplayName denied by role "
    "IngestionBotRole, policy DefaultBotPolicy, rule DisplayName-Deny"
)


def domain_ref(sandbox: Sandbox, name: str) -> dict[str, Any]:
    domain = sandbox.entity("domains", name)
    return {"id": domain["id"], "type": "domain"}


def test_bot_patch_of_display_name_is_denied_by_display_name_deny(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    response = sandbox.patch("ingestion-bot", user["id"], [{"op": "add", "path": "/displayName", "value": "X"}])
    assert response.status_code == 403
    assert response.json() == {"code": 403, "message": BOT_DENIAL}
    assert "displayName" not in sandbox.user(user["name"])


def test_bot_patch_of_domains_is_allowed(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    response = sandbox.patch(
        "ingestion-bot", user["id"], [{"op": "add", "path": "/domains", "value": [domain_ref(sandbox, "Finance")]}]
    )
    assert response.status_code == 200, response.text
    assert [d["name"] for d in response.json()["domains"]] == ["Finance"]


def test_bot_patch_of_display_name_together_with_an_unmapped_path_needs_only_edit_all(sandbox: Sandbox) -> None:
    # JsonPatchUtils.getMetadataOperations returns {EditAll} as soon as one path is unmapped, and the
    # DisplayName-Deny rule (EditDisplayName only) does not match EditAll: the server lets it through.
    user = sandbox.new_user()
    response = sandbox.patch(
        "ingestion-bot",
        user["id"],
        [
            {"op": "add", "path": "/displayName", "value": "Via EditAll"},
            {"op": "add", "path": "/profile", "value": {}},
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Via EditAll"


@pytest.mark.lines
def test_domains_need_edit_domains_from_2_0_7_and_edit_all_before(release_sandbox: Sandbox) -> None:
    sandbox = release_sandbox
    user = sandbox.new_user()
    finance = domain_ref(sandbox, "Finance")
    both: list[dict[str, Any]] = [
        {"op": "add", "path": "/displayName", "value": "X"},
        {"op": "add", "path": "/domains", "value": [finance]},
    ]
    bot = sandbox.patch("ingestion-bot", user["id"], both)
    # Before 2.0.7 `/domains` is unmapped, so the pair needs only EditAll and the bot's deny rule never matches;
    # from 2.0.7 it needs EditDomains and EditDisplayName, and DisplayName-Deny refuses the whole patch.
    assert bot.status_code == (403 if sandbox.release.edit_domains else 200), bot.text
    domains_only = sandbox.new_principal(
        [{"name": "d", "resources": ["user"], "operations": ["ViewAll", "EditDomains"], "effect": "allow"}]
        if sandbox.release.edit_domains
        else [{"name": "d", "resources": ["user"], "operations": ["ViewAll", "EditDescription"], "effect": "allow"}]
    )
    answer = sandbox.patch(domains_only, user["id"], [{"op": "add", "path": "/domains", "value": [finance]}])
    if sandbox.release.edit_domains:
        assert answer.status_code == 200, answer.text
    else:
        assert answer.status_code == 403
        assert answer.json()["message"].endswith("operations [EditAll] not allowed")
    listed = {p["operation"] for p in sandbox.get("admin", "/v1/permissions/user").json()["permissions"]}
    assert ("EditDomains" in listed) == sandbox.release.edit_domains


def test_user_sync_may_patch_display_name_and_domains(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    name_only = sandbox.patch("user-sync", user["id"], [{"op": "add", "path": "/displayName", "value": "A B"}])
    assert name_only.status_code == 200, name_only.text
    domains_only = sandbox.patch(
        "user-sync", user["id"], [{"op": "add", "path": "/domains", "value": [domain_ref(sandbox, "Marketing")]}]
    )
    assert domains_only.status_code == 200, domains_only.text
    body = domains_only.json()
    assert body["displayName"] == "A B"
    assert [d["name"] for d in body["domains"]] == ["Marketing"]
    assert body["updatedBy"] == "user-sync"


def test_admin_skips_policy_evaluation(sandbox: Sandbox) -> None:
    admin = sandbox.user("admin")
    assert admin["roles"] == []
    user = sandbox.new_user()
    response = sandbox.patch("admin", user["id"], [{"op": "add", "path": "/displayName", "value": "By admin"}])
    assert response.status_code == 200
    assert response.json()["displayName"] == "By admin"


def test_deny_rules_win_over_allow_rules_of_earlier_policies(sandbox: Sandbox) -> None:
    principal = sandbox.new_principal(
        [
            {"name": "AllowEverything", "resources": ["user"], "operations": ["EditAll", "ViewAll"], "effect": "allow"},
            {"name": "NoDescriptions", "resources": ["All"], "operations": ["EditDescription"], "effect": "deny"},
        ]
    )
    user = sandbox.new_user()
    response = sandbox.patch(principal, user["id"], [{"op": "add", "path": "/description", "value": "x"}])
    assert response.status_code == 403
    message = response.json()["message"]
    assert message.startswith(f"Principal: CatalogPrincipal{{name='{principal}'}} operation EditDescription denied")
    assert message.endswith("rule NoDescriptions")
    allowed = sandbox.patch(principal, user["id"], [{"op": "add", "path": "/displayName", "value": "ok"}])
    assert allowed.status_code == 200


def test_edit_all_covers_every_edit_operation(sandbox: Sandbox) -> None:
    principal = sandbox.new_principal(
        [{"name": "EditUsers", "resources": ["user"], "operations": ["EditAll"], "effect": "allow"}]
    )
    user = sandbox.new_user()
    for path, value in (("/description", "d"), ("/displayName", "n"), ("/profile", {"images": {}})):
        response = sandbox.patch(principal, user["id"], [{"op": "add", "path": path, "value": value}])
        assert response.status_code == 200, (path, response.text)


def test_a_rule_with_only_edit_display_name_does_not_allow_edit_all(sandbox: Sandbox) -> None:
    principal = sandbox.new_principal(
        [{"name": "NamesOnly", "resources": ["user"], "operations": ["EditDisplayName"], "effect": "allow"}]
    )
    user = sandbox.new_user()
    ok = sandbox.patch(principal, user["id"], [{"op": "add", "path": "/displayName", "value": "n"}])
    assert ok.status_code == 200, ok.text
    refused = sandbox.patch(principal, user["id"], [{"op": "add", "path": "/profile", "value": {}}])
    assert refused.status_code == 403
    expected = f"Principal: CatalogPrincipal{{name='{principal}'}} operations [EditAll] not allowed"
    assert refused.json()["message"] == expected


def test_a_test_op_on_an_unmapped_path_makes_the_patch_need_edit_all(sandbox: Sandbox) -> None:
    principal = sandbox.new_principal(
        [{"name": "NamesOnly", "resources": ["user"], "operations": ["EditDisplayName"], "effect": "allow"}]
    )
    user = sandbox.new_user()
    response = sandbox.patch(
        principal,
        user["id"],
        [
            {"op": "test", "path": "/version", "value": user["version"]},
            {"op": "add", "path": "/displayName", "value": "n"},
        ],
    )
    assert response.status_code == 403
    assert response.json()["message"].endswith("operations [EditAll] not allowed")


def test_a_test_op_on_display_name_needs_only_edit_display_name(sandbox: Sandbox) -> None:
    principal = sandbox.new_principal(
        [{"name": "NamesOnly", "resources": ["user"], "operations": ["EditDisplayName"], "effect": "allow"}]
    )
    user = sandbox.new_user(displayName="Old")
    response = sandbox.patch(
        principal,
        user["id"],
        [
            {"op": "test", "path": "/displayName", "value": "Old"},
            {"op": "add", "path": "/displayName", "value": "New"},
        ],
    )
    assert response.status_code == 200, response.text
    guarded = [
        {"op": "test", "path": "/displayName", "value": "New"},
        {"op": "add", "path": "/displayName", "value": "X"},
    ]
    assert sandbox.patch("ingestion-bot", user["id"], guarded).status_code == 403


def permissions(sandbox: Sandbox, who: str, resource: str = "user", **params: str) -> dict[str, dict[str, Any]]:
    response = sandbox.get(who, f"/v1/permissions/{resource}", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resource"] == resource
    return {p["operation"]: p for p in body["permissions"]}


@pytest.mark.lines
def test_permissions_of_the_ingestion_bot(release_sandbox: Sandbox) -> None:
    listing = permissions(release_sandbox, "ingestion-bot")
    assert listing["EditDisplayName"]["access"] == "deny"
    assert listing["EditDisplayName"]["rule"]["name"] == "DisplayName-Deny"
    assert listing["EditDisplayName"]["policy"] == "DefaultBotPolicy"
    assert listing["EditDisplayName"]["role"] == "IngestionBotRole"
    assert listing["EditAll"]["access"] == "allow"
    assert listing["EditAll"]["rule"]["name"] == "IngestionBotRule-Allow"
    assert list(listing) == [
        "Create",
        "Delete",
        "ViewAll",
        "ViewBasic",
        "EditAll",
        "EditDescription",
        "EditDisplayName",
        *(["EditDomains"] if release_sandbox.release.edit_domains else []),
        "EditRole",
        "EditGlossaryTerms",
        "EditTeams",
        "EditTier",
    ]


def test_permissions_of_user_sync_and_admin(sandbox: Sandbox) -> None:
    sync = permissions(sandbox, "user-sync")
    for operation in ("EditAll", "EditDisplayName", "ViewAll"):
        assert sync[operation]["access"] == "allow"
        assert sync[operation]["policy"] == "UserSyncPolicy"
    admin = permissions(sandbox, "admin")
    assert {p["access"] for p in admin.values()} == {"allow"}
    assert all("rule" not in p for p in admin.values())


def test_permissions_show_conditional_rules_as_conditional(sandbox: Sandbox) -> None:
    # aaron inherits OrganizationPolicy (isOwner()) through Organization; DataSteward allows EditDisplayName.
    aaron = permissions(sandbox, "admin", user="aaron_johnson0")
    assert aaron["EditAll"]["access"] == "conditionalAllow"
    assert aaron["EditAll"]["rule"]["condition"] == "isOwner()"
    assert "role" not in aaron["EditAll"]
    assert aaron["EditDisplayName"]["access"] == "allow"
    assert aaron["EditDisplayName"]["role"] == "DataSteward"


def test_asking_for_another_users_permissions_is_admin_only(sandbox: Sandbox) -> None:
    response = sandbox.get("user-sync", "/v1/permissions/user", params={"user": "ingestion-bot"})
    assert response.status_code == 403
    assert response.json()["message"] == "Principal: CatalogPrincipal{name='user-sync'} is not admin"
    as_admin = permissions(sandbox, "admin", user="ingestion-bot")
    assert as_admin["EditDisplayName"]["access"] == "deny"


def test_unknown_permission_resource_is_400(sandbox: Sandbox) -> None:
    response = sandbox.get("admin", "/v1/permissions/nothing")
    assert response.status_code == 400


def test_only_admins_may_patch_is_admin(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    response = sandbox.patch("user-sync", user["id"], [{"op": "replace", "path": "/isAdmin", "value": True}])
    assert response.status_code == 403
    assert response.json()["message"] == "Principal: CatalogPrincipal{name='user-sync'} is not admin"
