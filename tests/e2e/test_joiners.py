"""End-to-end: accounts before first sign-in (`createMissingUsers`) through the real `metadata ingest` CLI against a
sandbox signing people in with an OIDC provider. A dry run lists exactly the accounts it would create and writes
nothing; a real run creates them, with email, displayName, domains and teams, under the name the person's first
sign-in looks for, so that the sign-in lands in that account; a rerun writes nothing; a joiner who left and comes
back is restored to the same account, never created twice; sign-in settings that could name people otherwise stop
the run before any write."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.e2e.conftest import Run, Sandbox, run_ingest, workflow_config
from tests.e2e.test_plans_and_protected_accounts import DIGEST_LINE
from tests.support import commands, wire
from tests.support.servers import RunningServer

StartSandbox = Callable[..., tuple[Sandbox, RunningServer]]
StartDirectory = Callable[..., str]

ACCOUNT = "joiner-sync"
QUERY = "{ users { email displayName domain groups { name } } }"
JOINERS = {
    "createMissingUsers": "true",
    "fields": "displayName,domains,teams",
    "graphqlQuery": QUERY,
    "teamField": "groups.name",
}
DEMO_ROWS = [
    {"email": "admin@open-metadata.org", "displayName": "Admin User", "domain": "Finance", "groups": []},
    {"email": "aaron_johnson0@gmail.com", "displayName": "Aaron Johnson", "domain": "Marketing", "groups": []},
    {"email": "brian_smith7@gmail.com", "displayName": "Brian Smith", "domain": "Finance", "groups": []},
]
JANE = {"email": "Jane.Doe@Example.com", "displayName": "Jane Doe", "domain": "Finance", "groups": ["Data Platform"]}
# Two people whose emails give one name: neither gets an account.
SAMS: list[dict[str, Any]] = [
    {"email": "sam@example.com", "displayName": "Sam A", "domain": None, "groups": []},
    {"email": "sam@partner.org", "displayName": "Sam B", "domain": None, "groups": []},
]


def prepare(sandbox: Sandbox) -> str:
    """The sync's account, whose role allows Create, EditAll and Delete on users; returns its token."""
    rules = [
        {"name": "Joiners", "resources": ["user"], "operations": ["ViewAll", "EditAll", "Create"], "effect": "allow"}
    ]
    for path, body in (
        ("/v1/policies", {"name": "JoinerSyncPolicy", "rules": rules}),
        ("/v1/roles", {"name": "JoinerSyncRole", "policies": ["JoinerSyncPolicy"]}),
    ):
        response = sandbox.request("POST", path, body)
        assert response.status_code == 201, response.text
    role = sandbox.get("/v1/roles/name/JoinerSyncRole")
    body = {"name": ACCOUNT, "email": f"{ACCOUNT}@example.com", "roles": [role["id"]]}
    assert sandbox.request("POST", "/v1/users", body).status_code == 201
    return sandbox.token(ACCOUNT)


def names(sandbox: Sandbox) -> dict[str, tuple[float, bool]]:
    users = sandbox.get("/v1/users", include="all", limit=1000)["data"]
    return {user["name"]: (user["version"], bool(user.get("deleted"))) for user in users}


def report(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def ingest(tmp_path: Path, sandbox: Sandbox, endpoint: str, token: str, **options: str) -> Run:
    return run_ingest(tmp_path, sandbox, endpoint, token, **JOINERS, **options)


def check(tmp_path: Path, sandbox: Sandbox, endpoint: str, token: str) -> subprocess.CompletedProcess[str]:
    """`user-updater check` on the joiners' configuration."""
    path = tmp_path / "check.yaml"
    path.write_text(yaml.safe_dump(workflow_config(sandbox, endpoint, **JOINERS)))
    return commands.run(["user-updater", "check", "-c", str(path)], env={**os.environ, "OPENMETADATA_JWT_TOKEN": token})


def signed_in(sandbox: Sandbox, email: str) -> requests.Response:
    """`GET /users/loggedInUser` with the token the identity provider gives the person at sign-in."""
    token = commands.sandbox_sso_token(sandbox.db, email=email, preferred_username="someone-else", sub="0042")
    response = requests.get(
        f"{sandbox.url}/v1/users/loggedInUser", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return wire.checked(response, "/api")


def test_joiners_dry_run_create_rerun_first_sign_in_and_a_return(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, _ = start_sandbox("--auth-provider", "google")
    token = prepare(sandbox)
    endpoint = start_directory([*DEMO_ROWS, JANE, *SAMS])
    before = names(sandbox)
    report_path = tmp_path / "report.jsonl"

    # Before the account exists, the person's sign-in finds no user.
    assert signed_in(sandbox, "jane.doe@example.com").status_code == 404

    checked = check(tmp_path, sandbox, endpoint, token)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "createMissingUsers creates accounts for new joiners: Create on user allowed" in checked.stdout
    assert "createMissingUsers: google sign-in takes the user name from the 'email' claim" in checked.stdout
    assert "new accounts: 1 would be created, 2 not" in checked.stdout

    dry = ingest(tmp_path, sandbox, endpoint, token, dryRun="true", reportPath=str(report_path))
    assert dry.returncode == 0, dry.output
    rows = report(report_path)
    assert [(r["user"], r["field"], r["new_value"]) for r in rows if r["action"] == "create"] == [
        ("jane.doe", "user", "jane.doe"),
        ("jane.doe", "displayName", "Jane Doe"),
        ("jane.doe", "domains", ["Finance"]),
        ("jane.doe", "teams", ["Data Platform"]),
    ]
    skipped = {r["email"]: r["reason"] for r in rows if r["action"] == "skipped"}
    assert all("2 directory people would get the name 'sam'" in skipped[s["email"]] for s in SAMS)
    assert "new accounts to create 1" in dry.summary()
    assert "writes 0" in dry.summary()
    assert names(sandbox) == before

    real = ingest(tmp_path, sandbox, endpoint, token, reportPath=str(report_path))
    assert real.returncode == 0, real.output
    assert "new accounts created 1 of 1" in real.summary()
    assert {(r["user"], r["action"]) for r in report(report_path) if r["action"] == "created"} == {
        ("jane.doe", "created")
    }
    jane = sandbox.user("jane.doe")
    assert jane["email"] == "jane.doe@example.com"
    assert jane["displayName"] == "Jane Doe"
    assert [ref["name"] for ref in jane["domains"] if not ref.get("inherited")] == ["Finance"]
    assert [ref["name"] for ref in jane["teams"]] == ["Data Platform"]
    assert set(names(sandbox)) == set(before) | {"jane.doe"}

    # Her first sign-in, with a token whose other claims say otherwise, lands in that account.
    first = signed_in(sandbox, "jane.doe@example.com")
    assert first.status_code == 200, first.text
    assert first.json()["id"] == jane["id"]

    rerun = ingest(tmp_path, sandbox, endpoint, token)
    assert rerun.returncode == 0, rerun.output
    assert "writes 0" in rerun.summary()
    assert "new accounts created 0 of 0" in rerun.summary()

    # She leaves (soft-deleted by hand here), and the directory lists her again: her account is restored.
    assert sandbox.request("DELETE", f"/v1/users/{jane['id']}", None).status_code == 200
    back = ingest(tmp_path, sandbox, endpoint, token)
    assert back.returncode == 0, back.output
    assert "returners restored 1 of 1" in back.summary()
    assert "new accounts created 0 of 0" in back.summary()
    restored = sandbox.user("jane.doe")
    assert restored["id"] == jane["id"]
    assert not restored.get("deleted")


def test_sign_in_settings_that_name_people_otherwise_stop_the_run_before_any_write(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, _ = start_sandbox(
        "--auth-provider", "okta", "--jwt-principal-claims-mapping", "username:preferred_username,email:email"
    )
    token = prepare(sandbox)
    endpoint = start_directory([*DEMO_ROWS, JANE])
    before = names(sandbox)
    run = ingest(tmp_path, sandbox, endpoint, token)
    assert run.returncode != 0
    assert "jwtPrincipalClaimsMapping takes the user name from the claim 'preferred_username'" in run.output
    assert "Nothing was written" in run.output
    assert names(sandbox) == before
    checked = check(tmp_path, sandbox, endpoint, token)
    assert checked.returncode != 0
    assert "FAIL  CheckEditPermissions: createMissingUsers: jwtPrincipalClaimsMapping takes" in checked.stdout


def test_a_reviewed_plan_creates_its_accounts_and_one_taken_since_is_a_conflict(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, _ = start_sandbox("--auth-provider", "custom-oidc")
    token = prepare(sandbox)
    raj = {"email": "raj@example.com", "displayName": "Raj", "domain": "Marketing", "groups": ["Web"]}
    endpoint = start_directory([*DEMO_ROWS, JANE, raj])
    plan_path, report_path = tmp_path / "plan.json", tmp_path / "report.jsonl"
    dry = ingest(tmp_path, sandbox, endpoint, token, dryRun="true", planPath=str(plan_path))
    assert dry.returncode == 0, dry.output
    printed = DIGEST_LINE.search(dry.output)
    assert printed, dry.output
    planned = json.loads(plan_path.read_text())
    assert planned["formatVersion"] == 4
    assert [(u["name"], u["displayName"], [t["fqn"] for t in u["teams"]]) for u in planned["newUsers"]] == [
        ("jane.doe", "Jane Doe", ["Data Platform"]),
        ("raj", "Raj", ["Web"]),
    ]

    # Between review and apply, someone signs raj up by hand.
    assert sandbox.request("POST", "/v1/users", {"name": "raj", "email": "raj@example.com"}).status_code == 201
    before = names(sandbox)

    # A run without createMissingUsers refuses the plan whole.
    plain = run_ingest(
        tmp_path,
        sandbox,
        endpoint,
        token,
        fields=JOINERS["fields"],
        graphqlQuery=QUERY,
        teamField="groups.name",
        applyPlan=str(plan_path),
        applyPlanDigest=printed["digest"],
    )
    assert plain.returncode != 0
    assert "createMissingUsers is off" in plain.output
    assert names(sandbox) == before

    applied = ingest(
        tmp_path,
        sandbox,
        endpoint,
        token,
        applyPlan=str(plan_path),
        applyPlanDigest=printed["digest"],
        reportPath=str(report_path),
    )
    assert applied.returncode == 0, applied.output
    rows = {(r["user"], r["action"]) for r in report(report_path) if r["field"] == "user"}
    assert rows == {("jane.doe", "created"), ("raj", "conflict")}
    assert [ref["name"] for ref in sandbox.user("jane.doe")["teams"]] == ["Data Platform"]
    assert set(names(sandbox)) == set(before) | {"jane.doe"}
