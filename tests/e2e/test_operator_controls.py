"""End-to-end: the operator controls (dry run, change report, plan files, mapping, filters, allowClear, masking)
through the real `metadata ingest` CLI against the sandbox and the directory server."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connector import plan_file
from tests.e2e.conftest import Run, Sandbox, run_ingest
from tests.e2e.test_sync import closed_port, own_domains, versions

StartDirectory = Callable[[list[dict[str, Any]] | None], str]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def jsonl_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def by_user_field(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[Any, Any, str]]:
    return {(row["user"], row["field"]): (row["old_value"], row["new_value"], row["action"]) for row in rows}


# Four `metadata ingest` runs in one story; each costs 15 s on an idle machine and over a minute on a busy one.
@pytest.mark.timeout(900)
def test_dry_run_writes_nothing_then_the_reviewed_plan_is_applied_except_the_user_edited_since(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    token = sandbox.token("user-sync")
    endpoint = start_directory(None)
    before = versions(sandbox)
    plan_path, dry_report = tmp_path / "plan.json", tmp_path / "dry-run.csv"

    dry = run_ingest(
        tmp_path,
        sandbox,
        endpoint,
        token,
        dryRun="true",
        planPath=str(plan_path),
        reportPath=str(dry_report),
        maxChangePercent="20",
        minChangesForPercentLimit="0",
    )
    assert dry.returncode == 0, dry.output
    assert "A real run would stop here. Safety limit: the plan changes 2 of 3 matched users" in dry.output
    assert versions(sandbox) == before
    assert "DRY RUN, nothing written:" in dry.summary()
    assert "updated 0; planned 2;" in dry.summary()
    assert "protected 1" in dry.summary()
    assert "unlisted by the directory 1;" in dry.summary()
    assert "writes 0" in dry.summary()
    assert "Dry run, not written: user brian_smith7: displayName 'Brian' -> 'Brian Smith'" in dry.output
    rows = csv_rows(dry_report)
    assert by_user_field(rows)[("brian_smith7", "displayName")] == ("Brian", "Brian Smith", "update")
    assert by_user_field(rows)[("brian_smith7", "domains")] == ("Marketing", "Finance", "update")
    # aaron holds Finance and inherits Marketing: only his own domains are shown and replaced.
    assert by_user_field(rows)[("aaron_johnson0", "domains")] == ("Finance", "Marketing", "update")
    assert by_user_field(rows)[("user-sync", "")] == ("", "", "unlisted")
    assert by_user_field(rows)[("admin", "domains")] == ("Marketing", "Finance", "protected")
    assert {row["email"] for row in rows if row["user"] == "brian_smith7"} == {"brian_smith7@gmail.com"}

    plan = json.loads(plan_path.read_text())
    assert plan["format"] == "openmetadata-user-updater/plan"
    assert plan["openmetadataHost"] == sandbox.url
    assert plan["directoryEndpoint"].rstrip("/") == endpoint.rstrip("/")
    assert plan["fields"] == ["displayName", "domains"]
    assert plan["options"]["domainMode"] == "replace"
    planned = {change["name"]: change for change in plan["changes"]}
    assert sorted(planned) == ["aaron_johnson0", "brian_smith7"]  # admin is protected
    digest = plan_file.digest(plan_path.read_bytes())
    assert f'applyPlanDigest: "{digest}"' in dry.output
    assert planned["brian_smith7"]["version"] == before["brian_smith7"]
    assert [ref["fqn"] for ref in planned["brian_smith7"]["domains"]["new"]] == ["Finance"]

    # A plan made against another server is refused whole.
    foreign = tmp_path / "foreign-plan.json"
    foreign.write_text(json.dumps({**plan, "openmetadataHost": "https://openmetadata.example.com/api"}))
    foreign_digest = plan_file.digest(foreign.read_bytes())
    refused = run_ingest(tmp_path, sandbox, endpoint, token, applyPlan=str(foreign), applyPlanDigest=foreign_digest)
    assert refused.returncode != 0
    assert "the plan was made for OpenMetadata at https://openmetadata.example.com/api" in refused.output
    assert versions(sandbox) == before

    # Someone edits aaron in OpenMetadata after the review.
    aaron = sandbox.user("aaron_johnson0")
    edit = [{"op": "add", "path": "/displayName", "value": "Aaron J."}]
    assert sandbox.request("PATCH", f"/v1/users/{aaron['id']}", edit).status_code == 200
    edited = versions(sandbox)

    # Applying reads no directory at all: its endpoint here is a closed port.
    nowhere = f"http://127.0.0.1:{closed_port()}/graphql"

    def apply(report: Path, **options: str) -> Run:
        plan_options = {"applyPlan": str(plan_path), "applyPlanDigest": digest, "reportPath": str(report)}
        return run_ingest(tmp_path, sandbox, nowhere, token, **plan_options, **options)

    preview_report = tmp_path / "preview.jsonl"
    preview = apply(preview_report, dryRun="true")
    assert preview.returncode == 0, preview.output
    assert versions(sandbox) == edited
    assert {row["user"]: row["action"] for row in jsonl_rows(preview_report)} == {
        "brian_smith7": "update",
        "aaron_johnson0": "conflict",
    }

    applied_report = tmp_path / "applied.jsonl"
    applied = apply(applied_report)
    assert applied.returncode == 0, applied.output
    assert "1 changed in OpenMetadata since the plan (not written); updated 1; planned 1; protected 0; failed 0" in (
        applied.summary()
    )
    assert "Requests: directory 0," in applied.summary()
    brian, admin, aaron = (sandbox.user(name) for name in ("brian_smith7", "admin", "aaron_johnson0"))
    assert (brian["displayName"], own_domains(brian)) == ("Brian Smith", ["Finance"])
    assert (admin.get("displayName"), own_domains(admin)) == (None, ["Marketing"])  # protected, never planned
    assert (aaron["displayName"], own_domains(aaron), aaron["version"]) == (
        "Aaron J.",
        ["Finance"],
        edited["aaron_johnson0"],
    )
    rows_applied = jsonl_rows(applied_report)
    assert by_user_field(rows_applied)[("brian_smith7", "domains")] == (["Marketing"], ["Finance"], "updated")
    conflicts = [row for row in rows_applied if row["action"] == "conflict"]
    assert {(row["user"], row["field"]) for row in conflicts} == {
        ("aaron_johnson0", "displayName"),
        ("aaron_johnson0", "domains"),
    }
    assert all("changed in OpenMetadata since the plan was made" in row["reason"] for row in conflicts)


def test_mapped_codes_are_added_to_the_users_domains_within_the_row_filter_with_emails_masked(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory(
        [
            {"email": "brian_smith7@gmail.com", "displayName": "Brian Smith", "domain": "FIN"},
            {"email": "aaron_johnson0@gmail.com", "displayName": "Aaron Johnson", "domain": "mkt"},
            {"email": "admin@open-metadata.org", "displayName": "Admin User", "domain": "HR"},
            {"email": "nobody@example.com", "displayName": "No Body", "domain": "FIN"},
            {"email": "nobody@example.com", "displayName": "Nobody Else", "domain": "FIN"},
        ]
    )
    admin_before = sandbox.user("admin")
    report = tmp_path / "report.jsonl"
    run = run_ingest(
        tmp_path,
        sandbox,
        endpoint,
        sandbox.token("user-sync"),
        domainMapping='{"FIN": "Finance", "MKT": "Marketing"}',
        domainMode="add",
        rowFilter='{"domain": ["FIN", "MKT"]}',
        maskEmails="true",
        reportPath=str(report),
    )
    assert run.returncode == 0, run.output
    assert "filtered out 1;" in run.summary()
    assert "updated 2;" in run.summary()
    brian, aaron = sandbox.user("brian_smith7"), sandbox.user("aaron_johnson0")
    assert own_domains(brian) == ["Finance", "Marketing"]  # Marketing kept, Finance added
    assert own_domains(aaron) == ["Finance", "Marketing"]  # his own Finance kept, Marketing (inherited) added as own
    assert sandbox.user("admin")["version"] == admin_before["version"]  # outside the row filter

    assert "2 directory rows for n***@example.com disagree" in run.output
    for email in ("nobody@example.com", "brian_smith7@gmail.com", "admin@open-metadata.org"):
        assert email not in run.output
    rows = jsonl_rows(report)
    assert {"nobody@example.com", "brian_smith7@gmail.com"} <= {row["email"] for row in rows}
    assert by_user_field(rows)[("brian_smith7", "domains")] == (["Marketing"], ["Marketing", "Finance"], "updated")


def test_allow_clear_and_email_pattern_with_unlisted_users_reported(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory(
        [
            {"email": "brian_smith7@gmail.com", "displayName": None, "domain": None},
            {"email": "admin@open-metadata.org", "displayName": None, "domain": None},
        ]
    )
    admin_before = sandbox.user("admin")
    report = tmp_path / "report.csv"
    run = run_ingest(
        tmp_path,
        sandbox,
        endpoint,
        sandbox.token("user-sync"),
        allowClear="true",
        emailPattern=r".*@gmail\.com",
        reportPath=str(report),
    )
    assert run.returncode == 0, run.output
    assert "filtered out 1;" in run.summary()
    assert "updated 1;" in run.summary()
    assert "unlisted by the directory 1;" in run.summary()  # aaron; user-sync is outside the pattern
    brian = sandbox.user("brian_smith7")
    assert brian.get("displayName") is None
    assert own_domains(brian) == []
    assert sandbox.user("admin")["version"] == admin_before["version"]
    rows = by_user_field(csv_rows(report))
    assert rows[("brian_smith7", "displayName")] == ("Brian", "", "updated")
    assert rows[("brian_smith7", "domains")] == ("Marketing", "", "updated")
    assert rows[("aaron_johnson0", "")] == ("", "", "unlisted")
