"""End-to-end: `leavers: softDelete` through the real `metadata ingest` CLI against the sandbox. A dry run lists
exactly who would be deactivated and writes nothing; maxLeavers stops a run before any write; a real run
soft-deletes exactly the leavers, never admins, the sync's own account or the excluded; a rerun writes nothing;
a person the directory lists again gets their own account back, restored with its teams and domains."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Run, Sandbox, run_ingest
from tests.e2e.test_plans_and_protected_accounts import DIGEST_LINE
from tests.support.servers import RunningServer

StartSandbox = Callable[..., tuple[Sandbox, RunningServer]]
StartDirectory = Callable[..., str]

ACCOUNT = "leaver-sync"
# Inside the company scope below: leavers (dave, frank), the excluded one (erin), an admin (boss), the sync's own
# account; and one outside it (a partner's guest). The demo users (gmail.com) are listed by the directory.
COMPANY = {"leaversEmailPattern": r".*@example\.com", "leaversExcluded": "Erin@Example.com"}
PEOPLE = ("carol", "dave", "erin", "frank", "boss", "guest", ACCOUNT)
DEMO_ROWS = [
    {"email": "admin@open-metadata.org", "displayName": "Admin User", "domain": "Finance"},
    {"email": "aaron_johnson0@gmail.com", "displayName": "Aaron Johnson", "domain": "Marketing"},
    {"email": "brian_smith7@gmail.com", "displayName": "Brian Smith", "domain": "Finance"},
]
CAROL_ROW = {"email": "carol@example.com", "displayName": "Carol", "domain": "Finance"}


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def prepare(sandbox: Sandbox) -> str:
    """The people above, and the sync's account with Delete and EditAll on users; returns its token."""
    rules = [
        {"name": "Leavers", "resources": ["user"], "operations": ["ViewAll", "EditAll", "Delete"], "effect": "allow"}
    ]
    _created(sandbox.request("POST", "/v1/policies", {"name": "LeaverSyncPolicy", "rules": rules}))
    role = _created(sandbox.request("POST", "/v1/roles", {"name": "LeaverSyncRole", "policies": ["LeaverSyncPolicy"]}))
    team = sandbox.get("/v1/teams/name/Marketing Team")
    for name in PEOPLE:
        email = f"{name}@{'partner.org' if name == 'guest' else 'example.com'}"
        body: dict[str, Any] = {"name": name, "email": email, "displayName": name.title()}
        if name == "dave":
            body.update(teams=[team["id"]], domains=["Finance"])
        if name == "boss":
            body["isAdmin"] = True
        if name == ACCOUNT:
            body["roles"] = [role["id"]]
        _created(sandbox.request("POST", "/v1/users", body))
    return sandbox.token(ACCOUNT)


def state(sandbox: Sandbox) -> dict[str, tuple[float, bool]]:
    """Every user's version and whether it is soft-deleted."""
    users = sandbox.get("/v1/users", include="all", limit=1000)["data"]
    return {user["name"]: (user["version"], bool(user.get("deleted"))) for user in users}


def report(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def with_action(rows: list[dict[str, Any]], *actions: str) -> dict[str, str]:
    return {row["user"]: row["action"] for row in rows if row["action"] in actions}


def ingest(tmp_path: Path, sandbox: Sandbox, endpoint: str, token: str, **options: str) -> Run:
    return run_ingest(tmp_path, sandbox, endpoint, token, leavers="softDelete", **COMPANY, **options)


def test_leavers_dry_run_limit_soft_delete_rerun_and_a_returner(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, _ = start_sandbox()
    token = prepare(sandbox)
    endpoint = start_directory([*DEMO_ROWS, CAROL_ROW])
    before = state(sandbox)
    report_path = tmp_path / "report.jsonl"

    # The dry run lists exactly who would be deactivated, and writes nothing.
    dry = ingest(tmp_path, sandbox, endpoint, token, dryRun="true", reportPath=str(report_path))
    assert dry.returncode == 0, dry.output
    rows = report(report_path)
    assert with_action(rows, "delete") == {"dave": "delete", "frank": "delete"}
    assert all(row["field"] == "deleted" and row["new_value"] == "true" for row in rows if row["action"] == "delete")
    held = [row for row in rows if row["field"] == "deleted"]  # admin's field changes are protected as well
    assert with_action(held, "protected") == {"erin": "protected", "boss": "protected", ACCOUNT: "protected"}
    assert with_action(rows, "unlisted") == {"guest": "unlisted", "user-sync": "unlisted"}  # outside the scope
    assert "leavers who would be soft-deleted 2" in dry.summary()
    assert "leavers held back 3" in dry.summary()
    assert "writes 0" in dry.summary()
    assert state(sandbox) == before

    # maxLeavers is its own limit: past it, the run stops before any write.
    limited = ingest(tmp_path, sandbox, endpoint, token, maxLeavers="1")
    assert limited.returncode != 0
    assert "soft-deletes 2 users the directory no longer lists, more than maxLeavers 1" in limited.output
    assert state(sandbox) == before

    # The real run soft-deletes exactly the leavers.
    real = ingest(tmp_path, sandbox, endpoint, token, reportPath=str(report_path))
    assert real.returncode == 0, real.output
    assert with_action(report(report_path), "deleted") == {"dave": "deleted", "frank": "deleted"}
    assert "leavers soft-deleted 2 of 2" in real.summary()
    after = state(sandbox)
    assert {name for name, (_, deleted) in after.items() if deleted} == {"dave", "frank"}
    assert after["dave"][0] == before["dave"][0] + 0.1

    # A rerun writes nothing.
    rerun = ingest(tmp_path, sandbox, endpoint, token)
    assert rerun.returncode == 0, rerun.output
    assert "writes 0" in rerun.summary()
    assert "leavers soft-deleted 0 of 0" in rerun.summary()
    assert state(sandbox) == after

    # Dave comes back: his own account is restored, with its teams and domains, and his fields synced.
    dave_id = sandbox.get("/v1/users/name/dave", include="deleted")["id"]
    back = start_directory(
        [*DEMO_ROWS, CAROL_ROW, {"email": "Dave@example.com", "displayName": "Dave Back", "domain": "Finance"}]
    )
    returned = ingest(tmp_path, sandbox, back, token, reportPath=str(report_path))
    assert returned.returncode == 0, returned.output
    assert "returners restored 1 of 1" in returned.summary()
    assert [(row["field"], row["action"]) for row in report(report_path) if row["user"] == "dave"] == [
        ("deleted", "restored"),
        ("displayName", "updated"),
    ]
    dave = sandbox.user("dave")
    assert dave["id"] == dave_id
    assert not dave.get("deleted")
    assert dave["displayName"] == "Dave Back"
    assert [team["name"] for team in dave["teams"]] == ["Marketing Team"]
    assert {ref["name"] for ref in dave["domains"] if not ref.get("inherited")} == {"Finance"}
    assert state(sandbox)["frank"][1]  # still soft-deleted
    again = ingest(tmp_path, sandbox, back, token)
    assert again.returncode == 0, again.output
    assert "writes 0" in again.summary()


def test_a_reviewed_plan_soft_deletes_its_leavers_and_a_leaver_changed_since_is_a_conflict(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, _ = start_sandbox()
    token = prepare(sandbox)
    endpoint = start_directory([*DEMO_ROWS, CAROL_ROW])
    plan_path, report_path = tmp_path / "plan.json", tmp_path / "report.jsonl"
    dry = ingest(tmp_path, sandbox, endpoint, token, dryRun="true", planPath=str(plan_path))
    assert dry.returncode == 0, dry.output
    printed = DIGEST_LINE.search(dry.output)
    assert printed, dry.output
    assert sorted(leaver["name"] for leaver in json.loads(plan_path.read_text())["leavers"]) == ["dave", "frank"]

    # Between review and apply, dave is edited by hand: the plan's soft delete of him no longer applies.
    dave = sandbox.user("dave")
    patched = sandbox.request("PATCH", f"/v1/users/{dave['id']}", [{"op": "add", "path": "/displayName", "value": "D"}])
    assert patched.status_code == 200, patched.text
    before = state(sandbox)

    # A run without leavers: softDelete refuses the plan whole.
    plain = run_ingest(tmp_path, sandbox, endpoint, token, applyPlan=str(plan_path), applyPlanDigest=printed["digest"])
    assert plain.returncode != 0
    assert "set leavers: softDelete" in plain.output
    assert state(sandbox) == before

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
    rows = [row for row in report(report_path) if row["field"] == "deleted"]
    assert with_action(rows, "deleted", "conflict") == {"frank": "deleted", "dave": "conflict"}
    after = state(sandbox)
    assert {name for name, (_, deleted) in after.items() if deleted} == {"frank"}
    assert after["dave"] == before["dave"]
