"""Accounts made before a first sign-in, and leavers: user creation by a non-admin account, soft delete and
restore, and how soft-deleted users are read (docs/openmetadata-notes.md, "Accounts before first sign-in, and
leavers")."""

from __future__ import annotations

import uuid
from typing import Any

from tests.sandbox.conftest import Sandbox

CREATE_USERS = [{"name": "CreateUsers", "resources": ["user"], "operations": ["Create"], "effect": "allow"}]
LEAVERS = [{"name": "Leavers", "resources": ["user"], "operations": ["ViewAll", "Delete"], "effect": "allow"}]
RESTORE = [{"name": "Restore", "resources": ["user"], "operations": ["ViewAll", "EditAll"], "effect": "allow"}]


def person(**extra: Any) -> dict[str, Any]:
    name = f"p{uuid.uuid4().hex[:10]}"
    return {"name": name, "email": f"{name}@example.com", **extra}


def names(refs: list[dict[str, Any]]) -> list[str]:
    return sorted(ref["name"] for ref in refs)


def test_a_non_admin_with_create_on_user_creates_accounts(sandbox: Sandbox) -> None:
    creator = sandbox.new_principal(CREATE_USERS)
    request = person(
        displayName="Jane Doe", domains=["Finance"], teams=[sandbox.entity("teams", "Marketing Team")["id"]]
    )
    response = sandbox.call(creator, "POST", "/v1/users", json=request)
    assert response.status_code == 201, response.text
    created = sandbox.user(request["name"])
    assert created["displayName"] == "Jane Doe"
    assert created["email"] == request["email"]
    assert created["updatedBy"] == creator
    assert names(created["teams"]) == ["Marketing Team"]
    assert {ref["name"] for ref in created["domains"] if not ref.get("inherited")} == {"Finance"}


def test_creating_a_user_without_create_is_refused_with_the_missing_operation(sandbox: Sandbox) -> None:
    # user-sync may view and edit users (ViewAll + EditAll), not create them.
    response = sandbox.call("user-sync", "POST", "/v1/users", json=person())
    assert response.status_code == 403
    assert response.json()["message"] == "Principal: CatalogPrincipal{name='user-sync'} operations [Create] not allowed"


def test_only_an_admin_creates_an_admin(sandbox: Sandbox) -> None:
    creator = sandbox.new_principal(CREATE_USERS)
    response = sandbox.call(creator, "POST", "/v1/users", json=person(isAdmin=True))
    assert response.status_code == 403
    assert response.json()["message"] == f"Principal: CatalogPrincipal{{name='{creator}'}} is not admin"


def test_names_are_lower_cased_and_a_dotted_name_is_quoted_in_the_fqn(sandbox: Sandbox) -> None:
    suffix = uuid.uuid4().hex[:6]
    response = sandbox.call(
        "admin", "POST", "/v1/users", json={"name": f"Jane.Doe{suffix}", "email": f"J{suffix}@X.org"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == f"jane.doe{suffix}"
    assert body["fullyQualifiedName"] == f'"jane.doe{suffix}"'
    assert body["email"] == f"j{suffix}@x.org"


def test_a_taken_name_or_email_is_409_even_when_its_user_is_soft_deleted(sandbox: Sandbox) -> None:
    creator = sandbox.new_principal(CREATE_USERS)
    first = person()
    assert sandbox.call(creator, "POST", "/v1/users", json=first).status_code == 201
    same_name = {**first, "email": f"other{uuid.uuid4().hex[:6]}@example.com"}
    same_email = {**person(), "email": first["email"].upper()}
    for request in (same_name, same_email):
        response = sandbox.call(creator, "POST", "/v1/users", json=request)
        assert response.status_code == 409
        assert response.json() == {"code": 409, "message": "Entity already exists"}
    user_id = sandbox.user(first["name"])["id"]
    assert sandbox.call("admin", "DELETE", f"/v1/users/{user_id}").status_code == 200
    # A person who comes back cannot be created again: they must be restored.
    again = sandbox.call(creator, "POST", "/v1/users", json={**person(), "email": first["email"]})
    assert again.status_code == 409


def test_a_duplicate_email_is_refused_before_the_create_check(sandbox: Sandbox) -> None:
    taken = sandbox.new_user()
    response = sandbox.call("user-sync", "POST", "/v1/users", json={**person(), "email": taken["email"]})
    assert response.status_code == 409


def test_soft_delete_keeps_teams_roles_and_domains_and_restore_brings_the_same_account_back(sandbox: Sandbox) -> None:
    team = sandbox.entity("teams", "Marketing Team")
    role = sandbox.entity("roles", "DataSteward")
    user = sandbox.new_user(teams=[team["id"]], roles=[role["id"]], domains=["Finance"], displayName="Back Again")
    leaver = sandbox.new_principal(LEAVERS)
    deleted = sandbox.call(
        leaver, "DELETE", f"/v1/users/{user['id']}", params={"hardDelete": "false", "recursive": "false"}
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted"] is True
    kept = sandbox.get(
        "admin", f"/v1/users/{user['id']}", params={"include": "deleted", "fields": "teams,roles,domains"}
    )
    assert kept.status_code == 200
    assert names(kept.json()["teams"]) == ["Marketing Team"]
    assert names(kept.json()["roles"]) == ["DataSteward"]
    assert "Finance" in names(kept.json()["domains"])

    restorer = sandbox.new_principal(RESTORE)
    restored = sandbox.call(restorer, "PUT", "/v1/users/restore", json={"id": user["id"]})
    assert restored.status_code == 200, restored.text
    assert restored.headers["X-OpenMetadata-Change"] == "entityRestored"
    body = restored.json()
    assert (body["id"], body["deleted"], body["version"]) == (
        user["id"],
        False,
        round(float(deleted.json()["version"]) + 0.1, 1),
    )
    assert body["changeDescription"]["fieldsUpdated"] == [{"name": "deleted", "oldValue": True, "newValue": False}]
    back = sandbox.user(user["name"])
    assert back["displayName"] == "Back Again"
    assert names(back["teams"]) == ["Marketing Team"]
    assert names(back["roles"]) == ["DataSteward"]


def test_restore_needs_edit_all_and_a_soft_deleted_user(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    leaver = sandbox.new_principal(LEAVERS)
    not_deleted = sandbox.call("admin", "PUT", "/v1/users/restore", json={"id": user["id"]})
    assert not_deleted.status_code == 404
    assert sandbox.call(leaver, "DELETE", f"/v1/users/{user['id']}").status_code == 200
    refused = sandbox.call(leaver, "PUT", "/v1/users/restore", json={"id": user["id"]})
    assert refused.status_code == 403
    assert (
        refused.json()["message"] == f"Principal: CatalogPrincipal{{name='{leaver}'}} operations [EditAll] not allowed"
    )
    assert sandbox.call("admin", "PUT", "/v1/users/restore", json={"id": "not-a-uuid"}).status_code == 400
    assert sandbox.call("admin", "PUT", "/v1/users/restore", json={"id": str(uuid.uuid4())}).status_code == 404


def test_include_decides_whether_lists_and_reads_by_name_show_soft_deleted_users(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    assert sandbox.call("admin", "DELETE", f"/v1/users/{user['id']}").status_code == 200
    by_name = f"/v1/users/name/{user['name']}"
    assert sandbox.get("admin", by_name).status_code == 404
    assert sandbox.get("admin", by_name, params={"include": "non-deleted"}).status_code == 404
    assert sandbox.get("admin", by_name, params={"include": "deleted"}).json()["deleted"] is True
    assert sandbox.get("admin", by_name, params={"include": "all"}).status_code == 200

    def listed(include: str | None) -> set[str]:
        params = {"limit": "1000000", **({"include": include} if include else {})}
        return {entry["name"] for entry in sandbox.get("admin", "/v1/users", params=params).json()["data"]}

    assert user["name"] not in listed(None)
    assert user["name"] not in listed("non-deleted")
    deleted = listed("deleted")
    assert user["name"] in deleted
    assert "admin" not in deleted
    assert {user["name"], "admin"} <= listed("all")


def test_a_soft_deleted_users_token_no_longer_finds_its_user(sandbox: Sandbox) -> None:
    user = sandbox.new_user()
    sandbox.token(user["name"])  # minted while the account is active
    assert sandbox.get(user["name"], "/v1/users/loggedInUser").status_code == 200
    assert sandbox.call("admin", "DELETE", f"/v1/users/{user['id']}").status_code == 200
    refused = sandbox.get(user["name"], "/v1/users/loggedInUser")
    assert refused.status_code == 404
    assert refused.json()["message"] == f"user instance for {user['name']} not found"
    assert sandbox.call("admin", "PUT", "/v1/users/restore", json={"id": user["id"]}).status_code == 200
    assert sandbox.get(user["name"], "/v1/users/loggedInUser").status_code == 200


def test_a_put_of_a_soft_deleted_users_name_restores_that_account(sandbox: Sandbox) -> None:
    user = sandbox.new_user(displayName="Before")
    assert sandbox.call("admin", "DELETE", f"/v1/users/{user['id']}").status_code == 200
    response = sandbox.call(
        "user-sync", "PUT", "/v1/users", json={"name": user["name"], "email": user["email"], "displayName": "After"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["id"], response.json()["deleted"]) == (user["id"], False)
    assert sandbox.user(user["name"])["displayName"] == "After"
