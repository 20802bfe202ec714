"""End-to-end: a plan file applies only under the digest the run that wrote it printed, with every value checked and
the safety limits in force; protected accounts are never written. Through the real `metadata ingest` CLI against
the sandbox, whose own count of PATCH requests (a pass-through fault rule) proves what was written."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Sandbox, run_ingest
from tests.e2e.test_operator_controls import by_user_field, csv_rows
from tests.e2e.test_sync import closed_port
from tests.support.servers import RunningServer, fault_counts

StartSandbox = Callable[..., tuple[Sandbox, RunningServer]]
StartDirectory = Callable[..., str]

# Passes every PATCH of a user and counts it: the sandbox's own count of the writes.
PATCHES = "PATCH /api/v1/users/*: ok*"
USERS = ("admin", "aaron_johnson0", "brian_smith7", "user-sync")
DIGEST_LINE = re.compile(r'applyPlan: "(?P<path>[^"]+)" and applyPlanDigest: "(?P<digest>sha256:[0-9a-f]{64})"')


def versions(sandbox: Sandbox) -> dict[str, float]:
    return {name: sandbox.user(name)["version"] for name in USERS}


def forge(plan: dict[str, Any], sandbox: Sandbox) -> dict[str, Any]:
    """The attacks of issue 19 on a plan file at rest: a hostile name, a bigger change, another user (the admin)."""
    admin = sandbox.user("admin")
    forged = json.loads(json.dumps(plan))
    brian = next(change for change in forged["changes"] if change["name"] == "brian_smith7")
    brian["displayName"]["new"] = "\a" + "\u202e" + "B" * 5000
    brian["domains"]["new"] = brian["domains"]["new"] + brian["domains"]["old"]
    forged["changes"].append(
        {
            "id": admin["id"],
            "name": "admin",
            "email": admin["email"],
            "version": admin["version"],
            "displayName": {"old": admin.get("displayName"), "new": "<script>alert(1)</script>"},
        }
    )
    forged["matched"] += 1
    return forged


@pytest.mark.timeout(900)
def test_a_forged_plan_or_one_past_the_safety_limits_is_refused_whole_and_writes_nothing(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, server = start_sandbox("--fault-control", "--fault", PATCHES)
    token = sandbox.token("user-sync")
    endpoint = start_directory(None)
    before = versions(sandbox)
    plan_path = tmp_path / "plan.json"

    dry = run_ingest(tmp_path, sandbox, endpoint, token, dryRun="true", planPath=str(plan_path))
    assert dry.returncode == 0, dry.output
    printed = DIGEST_LINE.search(dry.output)
    assert printed, dry.output
    assert printed["path"] == str(plan_path)
    digest = printed["digest"]
    assert f'Plan file written: applyPlanDigest "{digest}"' in dry.summary()
    plan = json.loads(plan_path.read_text())
    assert sorted(change["name"] for change in plan["changes"]) == ["aaron_johnson0", "brian_smith7"]

    # Someone who can write the plan file at rest rewrites it; the operator applies with the digest they reviewed.
    nowhere = f"http://127.0.0.1:{closed_port()}/graphql"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(forge(plan, sandbox), indent=2))
    refused = run_ingest(tmp_path, sandbox, nowhere, token, applyPlan=str(forged), applyPlanDigest=digest)
    assert refused.returncode != 0
    assert "is not the plan that applyPlanDigest names" in refused.output
    assert "refused whole. Nothing was written" in refused.output

    # An operator who takes the forged file's own digest instead: its values are checked as directory values are.
    own = "sha256:" + hashlib.sha256(forged.read_bytes()).hexdigest()
    checked = run_ingest(tmp_path, sandbox, nowhere, token, applyPlan=str(forged), applyPlanDigest=own)
    assert checked.returncode != 0
    assert "that no run of this connector could have planned" in checked.output
    assert "holds control characters" in checked.output
    assert "refused whole. Nothing was written" in checked.output

    # The reviewed plan itself, past this run's maxChangeCount: the safety limits apply to a plan as to a run.
    limited = run_ingest(
        tmp_path, sandbox, nowhere, token, applyPlan=str(plan_path), applyPlanDigest=digest, maxChangeCount="1"
    )
    assert limited.returncode != 0
    assert "Safety limit: the plan changes 2 of 3 matched users" in limited.output
    assert "more than maxChangeCount 1" in limited.output

    # Nothing reached the sandbox. (The reviewed plan itself applies under its digest in
    # test_dry_run_writes_nothing_then_the_reviewed_plan_is_applied_except_the_user_edited_since.)
    assert versions(sandbox) == before
    assert fault_counts(server)[PATCHES] == 0


def test_the_syncs_own_account_admins_and_listed_users_are_never_written_and_each_is_a_warning(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, server = start_sandbox("--fault-control", "--fault", PATCHES)
    endpoint = start_directory(
        [
            {"email": "admin@open-metadata.org", "displayName": "Admin User", "domain": "Finance"},
            {"email": "user-sync@open-metadata.org", "displayName": "Sync (taken over)", "domain": "Finance"},
            {"email": "brian_smith7@gmail.com", "displayName": "Brian Smith", "domain": "Finance"},
            {"email": "aaron_johnson0@gmail.com", "displayName": "Aaron Johnson", "domain": "Marketing"},
        ]
    )
    before = {name: sandbox.user(name) for name in USERS}
    report = tmp_path / "report.csv"
    run = run_ingest(
        tmp_path,
        sandbox,
        endpoint,
        sandbox.token("user-sync"),
        protectedUsers="Brian_Smith7",
        reportPath=str(report),
    )
    assert run.returncode == 0, run.output
    assert "updated 1;" in run.summary()
    assert "protected 3;" in run.summary()
    assert fault_counts(server)[PATCHES] == 1
    after = {name: sandbox.user(name) for name in USERS}
    for name in ("admin", "user-sync", "brian_smith7"):
        assert after[name]["version"] == before[name]["version"], name
    assert after["aaron_johnson0"]["displayName"] == "Aaron Johnson"

    assert "WARNING" in run.output
    assert "user admin is protected (an OpenMetadata admin; admins are not changed unless protectAdmins" in run.output
    assert "user user-sync is protected (the account this sync runs as; never changed)" in run.output
    assert "user brian_smith7 is protected (listed in protectedUsers; never changed)" in run.output
    rows = by_user_field(csv_rows(report))
    assert rows[("user-sync", "displayName")] == ("User sync service account", "Sync (taken over)", "protected")
    assert rows[("brian_smith7", "domains")] == ("Marketing", "Finance", "protected")
    assert rows[("admin", "domains")][2] == "protected"
    assert rows[("aaron_johnson0", "displayName")] == ("", "Aaron Johnson", "updated")

    # protectAdmins "false" lets the admin be synced; the sync's own account stays protected whatever the options.
    again = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"), protectAdmins="false")
    assert again.returncode == 0, again.output
    assert "updated 2;" in again.summary()  # admin and brian
    assert "protected 1;" in again.summary()
    assert sandbox.user("admin")["version"] != before["admin"]["version"]
    assert sandbox.user("user-sync")["version"] == before["user-sync"]["version"]
