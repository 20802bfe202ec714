"""End-to-end: faults of either server and bad directory data, through the real `metadata ingest` CLI.

Each test names the row of docs/reliability.md it proves. The servers inject faults themselves (`--fault`, see the
`faults` module), so every failure crosses a real loopback connection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from metadata.workflow.metadata import MetadataWorkflow

from tests.e2e.conftest import Sandbox, run_ingest, workflow_config
from tests.support.servers import RunningServer, fault_counts, set_faults

StartSandbox = Callable[..., tuple[Sandbox, RunningServer]]
StartDirectory = Callable[..., str]

DEMO_USERS = ("admin", "aaron_johnson0", "brian_smith7")
EXPECTED = {
    "admin": ("Admin User", ["Finance"]),
    "aaron_johnson0": ("Aaron Johnson", ["Marketing"]),
    "brian_smith7": ("Brian Smith", ["Finance"]),
}
USERS = "/api/v1/users/*"
CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "bad_directory_rows.json").read_text())["cases"]
# Quick retries, so that faults past the budget cost seconds, not minutes.
# Fault scripts are sequences ("ok, then 503 three times"): one write at a time keeps each script on the user it
# names. Overlapping writes are tested in test_scale.py.
# The fault scripts are written for three writable users, so the demo's admin is synced here (protected accounts are
# tested in test_plans_and_protected_accounts.py).
FAST = {
    "maxRetries": "2",
    "retryBackoffSeconds": "0",
    "maxRetryWaitSeconds": "1",
    "writeConcurrency": "1",
    "protectAdmins": "false",
}


def state(sandbox: Sandbox) -> dict[str, tuple[str | None, list[str]]]:
    result = {}
    for name in DEMO_USERS:
        user = sandbox.user(name)
        own = sorted(ref["name"] for ref in user.get("domains") or [] if not ref.get("inherited"))
        result[name] = (user.get("displayName"), own)
    return result


def versions(sandbox: Sandbox) -> dict[str, float]:
    return {name: sandbox.user(name)["version"] for name in DEMO_USERS}


def test_transient_faults_within_the_retry_budget_end_like_a_clean_run(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, server = start_sandbox(
        "--fault-control",
        "--fault-slow-seconds",
        "4",
        "--fault",
        f"PATCH {USERS}: 503, 429, drop, slow, 502",
        "--fault",
        "GET /api/v1/users: 503",
        "--fault",
        "GET /api/v1/domains: drop",
    )
    endpoint = start_directory(None, "--fault", "POST *: 429, drop, 500")
    options = {**FAST, "maxRetries": "5", "requestTimeoutSeconds": "2"}
    run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"), **options)
    assert run.returncode == 0, run.output
    assert "updated 3;" in run.summary()
    assert "failed 0." in run.summary()
    assert state(sandbox) == EXPECTED
    # Every fault was served: the run went through all of them, not around them.
    counts = fault_counts(server)
    assert counts[f"PATCH {USERS}: 503, 429, drop, slow, 502"] >= 5
    assert counts["GET /api/v1/users: 503"] >= 1
    assert counts["GET /api/v1/domains: drop"] >= 1


def test_faults_past_the_retry_budget_fail_those_users_only_and_leak_no_secret(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    """Also the secrets row: DEBUG level, a JWT and a directory bearer token, failures with server texts."""
    sandbox, server = start_sandbox("--fault-control", "--fault", f"PATCH {USERS}: ok, 503x3")
    endpoint = start_directory(None, "--fault", "POST *: 503")
    token = sandbox.token("user-sync")
    directory_secret = "dir-secret-5b1e77"  # noqa: S105 - a marker to look for
    options = {**FAST, "graphqlHeaders": json.dumps({"Authorization": f"Bearer {directory_secret}"})}
    run = run_ingest(tmp_path, sandbox, endpoint, token, logger_level="DEBUG", **options)
    assert run.returncode != 0
    assert "updated 2;" in run.summary()
    assert "failed 1." in run.summary()
    assert "HTTP 503: injected fault" in run.output
    assert sum(state(sandbox)[name] == EXPECTED[name] for name in DEMO_USERS) == 2
    for secret in (token, token.split(".")[2], directory_secret):
        assert secret not in run.output

    set_faults(server)
    rerun = run_ingest(tmp_path, sandbox, endpoint, token)
    assert rerun.returncode == 0, rerun.output
    assert "updated 1;" in rerun.summary()
    assert state(sandbox) == EXPECTED


def test_openmetadata_going_away_mid_run_writes_no_partial_user_and_the_rerun_converges(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    sandbox, server = start_sandbox("--fault", f"PATCH {USERS}: ok, exit")
    before = state(sandbox)
    endpoint = start_directory(None)
    token = sandbox.token("user-sync")
    run = run_ingest(tmp_path, sandbox, endpoint, token, **FAST)
    assert server.process.wait(timeout=10) == 70  # the `exit` fault ended the sandbox during the second write
    assert run.returncode != 0
    assert "stopped answering (PATCH /users/" in run.output
    assert "after 1 writes; the other users are not written. Rerun once it is back." in run.output
    assert "updated 1;" in run.summary()
    assert "failed 2." in run.summary()
    assert "failed: not attempted: OpenMetadata at" in run.output

    restarted, _ = start_sandbox()  # the same database, without faults
    after = state(restarted)
    for name in DEMO_USERS:  # each user holds either all of its changes or none
        assert after[name] in (before[name], EXPECTED[name]), name
    assert sum(after[name] == EXPECTED[name] for name in DEMO_USERS) == 1
    rerun = run_ingest(tmp_path, restarted, endpoint, token)
    assert rerun.returncode == 0, rerun.output
    assert "updated 2;" in rerun.summary()
    assert state(restarted) == EXPECTED


@pytest.mark.parametrize(
    ("fault", "options", "message"),
    [
        # `ok` first: the first POST is the check of the query against the schema (introspection).
        ("ok, partial", {}, "answered with GraphQL errors (next to partial data, which is not used): injected fault"),
        ("ok, empty", {}, "answered with no users; stopping without a write"),
        ("loop*", {"graphqlPaging": "relay", "graphqlPageSize": "1"}, "paging does not advance"),
    ],
)
def test_a_directory_that_is_partial_empty_or_loops_stops_the_run_before_any_write(
    tmp_path: Path,
    sandbox: Sandbox,
    start_directory: StartDirectory,
    fault: str,
    options: dict[str, str],
    message: str,
) -> None:
    before = versions(sandbox)
    endpoint = start_directory(None, "--fault", f"POST *: {fault}")
    run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"), **options)
    assert run.returncode != 0
    assert message in run.output
    assert "Error initializing metadata" in run.output
    assert versions(sandbox) == before


def test_safety_limit_stops_a_mass_change_before_any_write(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    before = versions(sandbox)
    run = run_ingest(
        tmp_path,
        sandbox,
        start_directory(None),
        sandbox.token("user-sync"),
        maxChangePercent="50",
        minChangesForPercentLimit="0",
        maxChangeCount="1",
    )
    assert run.returncode != 0
    assert (
        "Safety limit: the plan changes 2 of 3 matched users (67%), more than maxChangePercent 50% (checked above "
        "minChangesForPercentLimit 0) and more than maxChangeCount 1. Nothing was written."
    ) in run.output
    assert 'maxChangePercent: "100" turns the share check off' in run.output
    assert "Planned: user brian_smith7: displayName 'Brian' -> 'Brian Smith'" in run.output
    assert versions(sandbox) == before


def test_a_run_over_the_whole_bad_data_corpus_warns_per_row_and_ends_with_a_report(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory([case["row"] for case in CORPUS], "--raw")
    run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"))
    assert run.returncode == 0, run.output
    assert "Traceback" not in run.output
    for case in CORPUS:
        if case["warning"]:
            assert case["warning"] in run.output, case["case"]
    assert "2 directory rows for clash@example.com disagree" in run.output
    summary = run.summary()
    assert f"directory users read {len(CORPUS)} (invalid rows 12, duplicate rows 1, conflicting emails 1)" in summary
    assert "matched 3; unchanged 0; updated 2;" in summary
    assert "protected 1" in summary
    assert state(sandbox) == {
        "admin": (None, ["Marketing"]),  # an admin: protected
        "aaron_johnson0": (None, ["Marketing"]),  # empty displayName: nothing erased
        "brian_smith7": ("Brian Smith", ["Finance"]),
    }


def test_a_user_changed_between_read_and_write_is_read_again_not_overwritten_blindly(
    sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    """In-process workflow, so that the catalog can change between the plan (prepare) and the writes."""
    token = sandbox.token("user-sync")
    workflow = MetadataWorkflow.create(workflow_config(sandbox, start_directory(None), token, **FAST))
    brian, admin = sandbox.user("brian_smith7"), sandbox.user("admin")
    finance = sandbox.get("/v1/domains/name/Finance")
    renamed = [{"op": "add", "path": "/displayName", "value": "Brian S."}]
    assert sandbox.request("PATCH", f"/v1/users/{brian['id']}", renamed).status_code == 200
    # Someone else already gave admin the directory's domain: the connector must not write it again.
    moved = [{"op": "add", "path": "/domains", "value": [{"id": finance["id"], "type": "domain"}]}]
    assert sandbox.request("PATCH", f"/v1/users/{admin['id']}", moved).status_code == 200
    api = workflow.source.api
    workflow.execute()
    assert workflow.source.status.failures == []
    assert state(sandbox) == EXPECTED
    # brian: failed test, read again, written again; admin: failed test, read again, then displayName only.
    assert api.writes == 5
    patched_admin = sandbox.user("admin")
    assert patched_admin["changeDescription"]["fieldsAdded"][0]["name"] == "displayName"
    source = workflow.source
    for part in (source.settings, source.api, source.directory, source.report, source.plan, source.status):
        assert token not in repr(part)
        assert token not in repr(getattr(part, "__dict__", {}))
    workflow.stop()


def test_a_concurrent_edit_mid_run_costs_one_read_and_one_patch_more_and_no_user_json_is_logged(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    """The sandbox holds the connector's first PATCH of brian (`slow`) while another writer removes brian's name, so
    the patch's `test` of `/displayName` fails in Johnzon's pointer code: a 500 quoting brian's whole JSON (with a
    planted description). The connector must take it as a conflict at once (no retry of the 500), read brian again,
    write the directory's values, end with exit 0, and log no line of brian's JSON, at DEBUG level."""
    planted = "PLANTED-e2e-31f9"
    sandbox, server = start_sandbox("--fault-control", "--fault-slow-seconds", "5", "--json-patch-errors", "500")
    brian = sandbox.user("brian_smith7")
    plant = [{"op": "add", "path": "/description", "value": planted}]
    assert sandbox.request("PATCH", f"/v1/users/{brian['id']}", plant).status_code == 200
    held, reread, others = (
        f"PATCH /api/v1/users/{brian['id']}: slow, ok*",
        f"GET /api/v1/users/{brian['id']}: ok*",
        f"PATCH {USERS}: ok*",
    )
    set_faults(server, held, reread, others)
    endpoint, token = start_directory(None), sandbox.token("user-sync")
    # One retry of the refused PATCH would add at least a second; the run's conflict must not pay it.
    options = {**FAST, "maxRetries": "3", "retryBackoffSeconds": "1", "requestTimeoutSeconds": "30"}
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(run_ingest, tmp_path, sandbox, endpoint, token, "DEBUG", **options)
        deadline = time.monotonic() + 200
        while fault_counts(server)[held] == 0:
            assert not running.done(), "the run ended before it sent brian's PATCH"
            assert time.monotonic() < deadline, "the run never sent brian's PATCH"
            time.sleep(0.05)
        removed = sandbox.request("PATCH", f"/v1/users/{brian['id']}", [{"op": "remove", "path": "/displayName"}])
        assert removed.status_code == 200
        run = running.result()
    assert run.returncode == 0, run.output
    assert "updated 3;" in run.summary()
    assert state(sandbox) == EXPECTED
    assert "user brian_smith7: changed in OpenMetadata since it was read (displayName None" in run.output
    # brian: the held PATCH, the other writer's, the one after the re-read; one re-read; the two other users once.
    assert fault_counts(server) == {held: 3, reread: 1, others: 2}
    assert planted not in run.output
    assert "contains no value for name" not in run.output
