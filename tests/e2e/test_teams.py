"""End-to-end: team membership from the directory (`fields: teams`) through `metadata ingest` against the sandbox.

The demo sandbox has the Department Engineering with the Groups Data Platform and Web, and Marketing Team, a Group
made by hand outside it, whose member is aaron_johnson0 (om_sandbox/seed.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Sandbox, run_ingest
from tests.e2e.test_plans_and_protected_accounts import DIGEST_LINE

StartDirectory = Callable[..., str]

QUERY = "{ users { email displayName domain groups { name } } }"
TEAMS = {"fields": "teams", "graphqlQuery": QUERY, "teamField": "groups.name"}
REPLACE = {**TEAMS, "teamMode": "replace", "managedTeamsParent": "Engineering"}
AARON = "aaron_johnson0@gmail.com"
BRIAN = "brian_smith7@gmail.com"


def row(email: str, *groups: str) -> dict[str, Any]:
    return {"email": email, "displayName": None, "domain": None, "groups": list(groups)}


def teams(sandbox: Sandbox, name: str) -> list[str]:
    return sorted(ref["name"] for ref in sandbox.user(name)["teams"])


def versions(sandbox: Sandbox) -> dict[str, float]:
    return {name: sandbox.user(name)["version"] for name in ("aaron_johnson0", "brian_smith7")}


def test_add_mode_adds_the_directorys_groups_after_a_dry_run_and_a_rerun_writes_nothing(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory([row(AARON, "data platform"), row(BRIAN, "Web")])
    token = sandbox.token("user-sync")
    before = versions(sandbox)
    report = tmp_path / "report.jsonl"

    dry = run_ingest(tmp_path, sandbox, endpoint, token, dryRun="true", reportPath=str(report), **TEAMS)
    assert dry.returncode == 0, dry.output
    assert "writes 0" in dry.summary()
    assert "skipped for unknown team 0; teams created 0" in dry.summary()
    assert "user aaron_johnson0: teams [Marketing Team] -> [Marketing Team, Data Platform]" in dry.output
    assert "user brian_smith7: teams [Organization] -> [Web]" in dry.output
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert {(r["user"], r["field"], r["action"]) for r in rows} >= {
        ("aaron_johnson0", "teams", "update"),
        ("brian_smith7", "teams", "update"),
    }
    assert versions(sandbox) == before

    first = run_ingest(tmp_path, sandbox, endpoint, token, **TEAMS)
    assert first.returncode == 0, first.output
    assert "updated 2;" in first.summary()
    assert teams(sandbox, "aaron_johnson0") == ["Data Platform", "Marketing Team"]
    assert teams(sandbox, "brian_smith7") == ["Web"]

    after = versions(sandbox)
    second = run_ingest(tmp_path, sandbox, endpoint, token, **TEAMS)
    assert second.returncode == 0, second.output
    assert "updated 0;" in second.summary()
    assert "writes 0" in second.summary()
    assert versions(sandbox) == after


def test_replace_mode_changes_only_the_managed_teams_and_the_team_made_by_hand_keeps_its_members(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    aaron = sandbox.user("aaron_johnson0")
    marketing = sandbox.get("/v1/teams/name/Marketing Team")
    web = sandbox.get("/v1/teams/name/Web")
    refs = [{"id": marketing["id"], "type": "team"}, {"id": web["id"], "type": "team"}]
    given = sandbox.request("PATCH", f"/v1/users/{aaron['id']}", [{"op": "add", "path": "/teams", "value": refs}])
    assert given.status_code == 200, given.text
    # The directory also names Marketing Team, outside the scope: refused in replace mode, so aaron would be left
    # alone; the directory here names only the department's groups.
    endpoint = start_directory([row(AARON, "Data Platform"), row(BRIAN, "Web", "Data Platform")])
    token = sandbox.token("user-sync")

    first = run_ingest(tmp_path, sandbox, endpoint, token, **REPLACE)
    assert first.returncode == 0, first.output
    assert "user aaron_johnson0: teams [Marketing Team, Web] -> [Marketing Team, Data Platform]" in first.output
    assert teams(sandbox, "aaron_johnson0") == ["Data Platform", "Marketing Team"]
    assert teams(sandbox, "brian_smith7") == ["Data Platform", "Web"]
    members = sandbox.get("/v1/users", team="Marketing Team", limit=100)["data"]
    assert [user["name"] for user in members] == ["aaron_johnson0"]

    after = versions(sandbox)
    dry = run_ingest(tmp_path, sandbox, endpoint, token, dryRun="true", **REPLACE)
    assert "planned 0;" in dry.summary()
    second = run_ingest(tmp_path, sandbox, endpoint, token, **REPLACE)
    assert "updated 0;" in second.summary()
    assert "writes 0" in second.summary()
    assert versions(sandbox) == after


def test_unknown_non_group_and_out_of_scope_teams_are_warnings_and_leave_the_users_teams_alone(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory(
        [row(AARON, "Web", "Marketing Team"), row(BRIAN, "Nowhere"), row("admin@open-metadata.org", "Engineering")]
    )
    before = {name: teams(sandbox, name) for name in ("aaron_johnson0", "brian_smith7", "admin")}
    run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"), protectAdmins="false", **REPLACE)
    assert run.returncode == 0, run.output
    assert "team 'Nowhere' has no team in OpenMetadata; 1 user(s) keep their teams" in run.output
    assert (
        "team 'Engineering' is of type Department; only teams of type Group hold users; 1 user(s) keep their teams"
        in run.output
    )
    assert "team 'Marketing Team' is not under managedTeamsParent 'Engineering'; 1 user(s) keep their" in run.output
    assert "skipped for unknown team 3;" in run.summary()
    assert "writes 0" in run.summary()
    assert {name: teams(sandbox, name) for name in before} == before


def test_create_missing_teams_creates_a_group_under_the_parent_with_create_on_team(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory([row(BRIAN, "Mobile")])
    options = {**REPLACE, "createMissingTeams": "true"}

    refused = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"), **options)
    assert refused.returncode != 0
    assert "createMissingTeams needs Create on team, which OpenMetadata answers 'notAllow'" in refused.output

    # An account allowed to create teams: admin (the directory does not name it).
    token = sandbox.token("admin")
    dry = run_ingest(tmp_path, sandbox, endpoint, token, dryRun="true", **options)
    assert "Dry run, not created: team Mobile, of type Group, under Engineering" in dry.output
    assert "writes 0" in dry.summary()
    created = run_ingest(tmp_path, sandbox, endpoint, token, **options)
    assert created.returncode == 0, created.output
    assert "teams created 1" in created.summary()
    assert "writes 2" in created.summary()
    mobile = sandbox.get("/v1/teams/name/Mobile", fields="parents")
    assert (mobile["teamType"], [p["name"] for p in mobile["parents"]]) == ("Group", ["Engineering"])
    assert teams(sandbox, "brian_smith7") == ["Mobile"]

    again = run_ingest(tmp_path, sandbox, endpoint, token, **options)
    assert "teams created 0" in again.summary()
    assert "writes 0" in again.summary()


def test_the_permission_check_names_edit_teams_when_only_is_owner_allows_it(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    """The account may edit display names but not teams: OrganizationPolicy's isOwner() rule answers EditTeams
    `conditionalAllow`, which on a user allows only the account itself."""
    rules = [{"name": "names", "resources": ["user"], "effect": "allow", "operations": ["ViewAll", "EditDisplayName"]}]
    assert sandbox.request("POST", "/v1/policies", {"name": "NamesOnly", "rules": rules}).status_code == 201
    role = sandbox.request("POST", "/v1/roles", {"name": "NamesOnlyRole", "policies": ["NamesOnly"]})
    assert role.status_code == 201, role.text
    body = {"name": "names-sync", "email": "names-sync@example.com", "roles": [role.json()["id"]]}
    assert sandbox.request("POST", "/v1/users", body).status_code == 201
    endpoint = start_directory([row(BRIAN, "Web")])
    before = versions(sandbox)

    run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("names-sync"), **TEAMS)
    assert run.returncode != 0
    assert (
        "editing users' teams needs EditTeams, which OpenMetadata answers 'conditionalAllow' only under isOwner()"
        in run.output
    )
    assert "OrganizationPolicy" in run.output
    assert versions(sandbox) == before


def test_a_reviewed_plan_creates_its_team_and_writes_the_memberships_it_planned(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory([row(BRIAN, "Mobile"), row(AARON, "Web")])
    options = {**REPLACE, "createMissingTeams": "true"}
    token = sandbox.token("admin")
    plan_path = tmp_path / "plan.json"
    dry = run_ingest(tmp_path, sandbox, endpoint, token, dryRun="true", planPath=str(plan_path), **options)
    assert dry.returncode == 0, dry.output
    printed = DIGEST_LINE.search(dry.output)
    assert printed, dry.output
    planned = {user["name"]: user["teams"]["new"] for user in json.loads(plan_path.read_text())["changes"]}
    assert planned["brian_smith7"] == [{"id": None, "fqn": "Mobile"}]
    before = versions(sandbox)

    applied = run_ingest(
        tmp_path, sandbox, endpoint, token, applyPlan=str(plan_path), applyPlanDigest=printed["digest"], **options
    )
    assert applied.returncode == 0, applied.output
    assert "teams created 1" in applied.summary()
    assert teams(sandbox, "brian_smith7") == ["Mobile"]
    assert teams(sandbox, "aaron_johnson0") == ["Marketing Team", "Web"]
    assert all(sandbox.user(name)["version"] > version for name, version in before.items())

    # The same plan applied again: its team exists now and its users changed since, so nothing is written.
    again = run_ingest(
        tmp_path, sandbox, endpoint, token, applyPlan=str(plan_path), applyPlanDigest=printed["digest"], **options
    )
    assert again.returncode == 0, again.output
    assert "writes 0" in again.summary()
