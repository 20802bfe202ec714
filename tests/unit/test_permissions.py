"""The permission check's decision and message, from answers shaped as GET /v1/permissions/user."""

from typing import Any

import pytest

from connector.compat import edit_operation
from connector.permissions import (
    MissingPermissionError,
    OperationNeed,
    Principal,
    check_permissions,
    operations_needed,
)
from connector.settings import SyncField, UserUpdaterSettings

BOT = Principal("ingestion-bot", is_bot=True, is_admin=False)
BOTH = frozenset({SyncField.DISPLAY_NAME, SyncField.DOMAINS})


class Answers:
    def __init__(self, *permissions: dict[str, Any]) -> None:
        self.permissions = list(permissions)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        assert path == "/permissions/user"
        return {"resource": "user", "permissions": self.permissions}


def entry(operation: str, access: str, rule: str | None = None, policy: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"operation": operation, "access": access}
    if rule:
        found.update(rule={"name": rule, "effect": access, "operations": [operation]}, policy=policy, role="R")
    return found


def test_domains_need_edit_domains_where_the_server_has_it_else_edit_all() -> None:
    assert edit_operation("domains", {"EditAll", "EditDisplayName"}) == "EditAll"
    assert edit_operation("domains", {"EditAll", "EditDomains"}) == "EditDomains"
    assert edit_operation("displayName", {"EditAll"}) == "EditDisplayName"


def test_a_denied_field_names_operation_rule_policy_role_and_remedy() -> None:
    api = Answers(entry("EditDisplayName", "deny", "DisplayName-Deny", "DefaultBotPolicy"), entry("EditAll", "allow"))
    with pytest.raises(MissingPermissionError) as error:
        check_permissions(api, BOT, BOTH)  # type: ignore[arg-type]
    message = str(error.value)
    assert "needs EditDisplayName, which OpenMetadata answers 'deny' for 'ingestion-bot' (bot)" in message
    assert "(rule 'DisplayName-Deny', policy 'DefaultBotPolicy', role 'R')" in message
    assert "Nothing was written" in message
    assert "non-bot service user" in message


def test_allowed_and_conditionally_allowed_fields_pass() -> None:
    api = Answers(entry("EditDisplayName", "conditionalAllow", "Own", "P"), entry("EditAll", "allow"))
    check_permissions(api, BOT, BOTH)  # type: ignore[arg-type]
    check_permissions(Answers(entry("EditAll", "allow")), BOT, frozenset({SyncField.DOMAINS}))  # type: ignore[arg-type]


@pytest.mark.parametrize("access", ["notAllow", "conditionalDeny", "deny"])
def test_anything_but_allow_stops_the_run(access: str) -> None:
    with pytest.raises(MissingPermissionError, match=f"answers '{access}'"):
        check_permissions(Answers(entry("EditAll", access)), BOT, frozenset({SyncField.DOMAINS}))  # type: ignore[arg-type]


def test_an_operation_missing_from_the_answer_is_not_allowed() -> None:
    with pytest.raises(MissingPermissionError, match=r"'notAllow'.*no rule allows it"):
        check_permissions(Answers(), BOT, frozenset({SyncField.DOMAINS}))  # type: ignore[arg-type]


class ByResource:
    def __init__(self, **answers: list[dict[str, Any]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        resource = path.removeprefix("/permissions/")
        self.asked.append(resource)
        return {"resource": resource, "permissions": self.answers.get(resource, [])}


def test_operations_beyond_fields_need_a_plain_allow_each_named_with_its_purpose() -> None:
    api = ByResource(
        user=[entry("EditAll", "allow"), entry("Create", "allow"), entry("Delete", "conditionalAllow", "R1", "P")],
        team=[entry("Create", "deny", "NoTeams", "P2")],
    )
    needs = [
        OperationNeed("user", "Create", "creating accounts (createMissingUsers)"),
        OperationNeed("user", "Delete", "soft-deleting leavers (leavers: softDelete)"),
        OperationNeed("team", "Create", "creating teams (createMissingTeams)"),
    ]
    with pytest.raises(MissingPermissionError) as refused:
        check_permissions(api, BOT, frozenset({SyncField.DOMAINS}), needs)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "soft-deleting leavers (leavers: softDelete) needs Delete on user" in message
    assert "'conditionalAllow'" in message
    assert "rule 'R1'" in message
    assert "creating teams (createMissingTeams) needs Create on team, which OpenMetadata answers 'deny'" in message
    assert "createMissingUsers" not in message
    assert api.asked == ["user", "user", "team"]  # the fields' listing, then each resource once


def test_no_operations_needed_with_every_option_off() -> None:
    assert operations_needed(UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://d"})) == []


def test_teams_need_edit_teams() -> None:
    assert edit_operation("teams", {"EditAll", "EditTeams"}) == "EditTeams"
    api = Answers(entry("EditAll", "allow"), entry("EditTeams", "notAllow"))
    with pytest.raises(
        MissingPermissionError, match="users' teams needs EditTeams, which OpenMetadata answers 'notAllow'"
    ):
        check_permissions(api, BOT, frozenset({SyncField.TEAMS}))  # type: ignore[arg-type]


def test_a_conditional_allow_from_is_owner_alone_is_a_refusal() -> None:
    owner = entry("EditTeams", "conditionalAllow", "OrganizationPolicy-Owner-Rule", "OrganizationPolicy")
    owner["rule"]["condition"] = "isOwner()"
    with pytest.raises(MissingPermissionError) as error:
        check_permissions(Answers(owner), BOT, frozenset({SyncField.TEAMS}))  # type: ignore[arg-type]
    assert "needs EditTeams, which OpenMetadata answers 'conditionalAllow' only under isOwner()" in str(error.value)
    other = entry("EditTeams", "conditionalAllow", "Stewards", "P")
    other["rule"]["condition"] = "hasAnyRole('DataSteward')"
    check_permissions(Answers(other), BOT, frozenset({SyncField.TEAMS}))  # type: ignore[arg-type]


def test_create_missing_teams_needs_create_on_team() -> None:
    settings = UserUpdaterSettings.from_connection_options(
        {
            "graphqlEndpoint": "http://x",
            "graphqlQuery": "{ users { email displayName domain teams } }",
            "fields": "teams",
            "managedTeamsParent": "Engineering",
            "createMissingTeams": "true",
        }
    )
    assert operations_needed(settings) == [OperationNeed("team", "Create", "createMissingTeams")]
