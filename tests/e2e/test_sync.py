"""End-to-end: the real `metadata ingest` CLI against the sandbox and the directory server, over loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from metadata.config.common import WorkflowExecutionError
from metadata.workflow.metadata import MetadataWorkflow

from tests.e2e.conftest import Sandbox, run_ingest, workflow_config

DEMO_USERS = ("admin", "aaron_johnson0", "brian_smith7")
# The demo directory names `admin`, an OpenMetadata admin: protected by default, it keeps its seeded values.
PROTECTED = ("admin",)
EXPECTED = {
    "admin": (None, ["Marketing"]),
    "aaron_johnson0": ("Aaron Johnson", ["Marketing"]),
    "brian_smith7": ("Brian Smith", ["Finance"]),
}
UNTOUCHED = ("id", "name", "email", "teams", "roles", "isAdmin", "isBot", "description", "profile", "personas")

StartDirectory = Callable[..., str]


def own_domains(user: dict[str, Any]) -> list[str]:
    return sorted(ref["name"] for ref in user.get("domains") or [] if not ref.get("inherited"))


def versions(sandbox: Sandbox) -> dict[str, float]:
    return {name: sandbox.user(name)["version"] for name in DEMO_USERS}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_first_run_syncs_the_demo_users_and_second_run_writes_nothing(
    tmp_path: Path, release_sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    """On each release under test. aaron_johnson0 holds Finance and inherits Marketing from his team: the patch tests
    both entries of his listed domains, and once he holds Marketing himself nothing is written again."""
    sandbox = release_sandbox
    before = {name: sandbox.user(name) for name in DEMO_USERS}
    aaron = [(ref["name"], bool(ref.get("inherited"))) for ref in before["aaron_johnson0"]["domains"]]
    assert sorted(aaron) == [("Finance", False), ("Marketing", True)], "the demo should give a user both kinds"
    endpoint = start_directory(None)
    token = sandbox.token("user-sync")

    first = run_ingest(tmp_path, sandbox, endpoint, token)
    assert first.returncode == 0, first.output
    assert "updated 2;" in first.summary()
    assert "protected 1;" in first.summary()
    assert "writes 2" in first.summary()
    assert "user admin is protected (an OpenMetadata admin; admins are not changed unless protectAdmins" in first.output
    assert "user brian_smith7: displayName 'Brian' -> 'Brian Smith'; domains [Marketing] -> [Finance]" in first.output
    after = {name: sandbox.user(name) for name in DEMO_USERS}
    for name, (display_name, domains) in EXPECTED.items():
        assert after[name].get("displayName") == display_name
        assert own_domains(after[name]) == domains
        for key in UNTOUCHED:
            assert after[name].get(key) == before[name].get(key), f"{name}.{key} changed"

    second = run_ingest(tmp_path, sandbox, endpoint, token)
    assert second.returncode == 0, second.output
    assert "updated 0;" in second.summary()
    assert "writes 0" in second.summary()
    assert versions(sandbox) == {name: after[name]["version"] for name in DEMO_USERS}


def test_unknown_domain_warns_once_and_the_rest_still_applies(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory(
        [
            {"email": "brian_smith7@gmail.com", "displayName": "Brian Smith", "domain": "Finanse"},
            {"email": "admin@open-metadata.org", "displayName": "Admin User", "domain": "Finanse"},
            {"email": "AARON_JOHNSON0@gmail.com ", "displayName": "Aaron Johnson", "domain": "marketing"},
            {"email": "nobody@example.com", "displayName": "No Body", "domain": "Finance"},
        ]
    )
    run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"))
    assert run.returncode == 0, run.output
    assert run.output.count("domain 'Finanse' has no Domain entity in OpenMetadata; 2 user(s) keep their domains") == 1
    assert "skipped for unknown domain 2" in run.summary()
    assert "not found in OpenMetadata 1" in run.summary()
    brian, aaron = sandbox.user("brian_smith7"), sandbox.user("aaron_johnson0")
    assert brian["displayName"] == "Brian Smith"
    assert own_domains(brian) == ["Marketing"]
    assert aaron["displayName"] == "Aaron Johnson"
    assert own_domains(aaron) == ["Marketing"]


def test_relay_paging_at_debug_level_reads_every_page_and_leaks_no_secret(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory(None)
    token = sandbox.token("user-sync")
    directory_secret = "dir-secret-7f3a9c"  # noqa: S105 - a marker to look for in the output
    run = run_ingest(
        tmp_path,
        sandbox,
        endpoint,
        token,
        logger_level="DEBUG",
        graphqlPaging="relay",
        graphqlPageSize="2",
        graphqlHeaders=f'{{"Authorization": "Bearer {directory_secret}"}}',
    )
    assert run.returncode == 0, run.output
    assert "updated 2;" in run.summary()
    assert "Requests: directory 3," in run.summary()  # the introspection check, then two pages
    assert "DEBUG" in run.output
    assert token not in run.output
    assert token.split(".")[2] not in run.output  # not even the signature alone
    assert directory_secret not in run.output


def test_a_user_deleted_between_read_and_write_fails_alone_as_a_failed_record(
    sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    """In-process workflow, so the catalog can change between the plan (prepare) and the writes."""
    token = sandbox.token("user-sync")
    workflow = MetadataWorkflow.create(workflow_config(sandbox, start_directory(None), token))
    brian = sandbox.user("brian_smith7")
    assert sandbox.request("DELETE", f"/v1/users/{brian['id']}", None).status_code == 200
    workflow.execute()
    status = workflow.source.status
    assert [failure.name for failure in status.failures] == ["user brian_smith7"]
    assert "HTTP 404" in status.failures[0].error
    assert token not in status.failures[0].error
    assert sorted(status.updated_records) == ["User [aaron_johnson0]"]
    assert sandbox.user("admin").get("displayName") is None  # protected
    assert sandbox.user("aaron_johnson0")["displayName"] == "Aaron Johnson"
    with pytest.raises(WorkflowExecutionError):
        workflow.raise_from_status()  # successThreshold 100: `metadata ingest` would exit non-zero
    workflow.stop()


def test_ingestion_bot_stops_before_any_write_naming_the_deny_rule(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    before = versions(sandbox)
    run = run_ingest(tmp_path, sandbox, start_directory(None), sandbox.token("ingestion-bot"))
    assert run.returncode != 0
    assert (
        "editing users' displayName needs EditDisplayName, which OpenMetadata answers 'deny' for "
        "'ingestion-bot' (bot) (rule 'DisplayName-Deny', policy 'DefaultBotPolicy', role 'IngestionBotRole')"
    ) in run.output
    assert "Nothing was written" in run.output
    assert "fields to 'domains'" in run.output
    assert versions(sandbox) == before


def test_ingestion_bot_syncs_domains_only(
    tmp_path: Path, release_sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    """On each release under test: the bot's `domains` patches need EditDomains from 2.0.7 and EditAll before, both
    of which IngestionBotPolicy allows."""
    sandbox = release_sandbox
    before = {name: sandbox.user(name) for name in DEMO_USERS}
    run = run_ingest(tmp_path, sandbox, start_directory(None), sandbox.token("ingestion-bot"), fields="domains")
    assert run.returncode == 0, run.output
    for name, (_, domains) in EXPECTED.items():
        user = sandbox.user(name)
        assert own_domains(user) == domains
        assert user.get("displayName") == before[name].get("displayName")


@pytest.fixture
def html_server() -> Iterator[str]:
    """A plain HTTP server that answers POST with an HTML error page, as proxies do."""
    port = closed_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("down", "cannot read the directory"),
        ("unknown-field", "'graphqlQuery' does not fit the schema of the directory at"),
        ("graphql-errors", "answered with GraphQL errors"),
        ("not-json", "not JSON"),
    ],
)
def test_unreadable_directory_fails_the_run_before_any_write(
    tmp_path: Path,
    sandbox: Sandbox,
    start_directory: StartDirectory,
    html_server: str,
    case: str,
    message: str,
) -> None:
    options = {"maxRetries": "1", "retryBackoffSeconds": "0"}
    if case == "down":
        endpoint = f"http://127.0.0.1:{closed_port()}/graphql"
    elif case == "unknown-field":
        # Introspection shows the field does not exist: stopped before the account check and any read.
        endpoint = start_directory(None)
        options["graphqlQuery"] = "{ users { email displayName domain nickname } }"
    elif case == "graphql-errors":
        # Without introspection the same query is first refused by the read, which stops the run as well.
        endpoint = start_directory(None, "--no-introspection")
        options["graphqlQuery"] = "{ users { email displayName domain nickname } }"
    else:
        endpoint = html_server
    before = versions(sandbox)
    run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"), **options)
    assert run.returncode != 0
    assert message in run.output
    assert versions(sandbox) == before
    if case == "unknown-field":
        assert "Cannot query field 'nickname' on type 'User'. (line 1, column 36)" in run.output
        assert "Writing to OpenMetadata" not in run.output
    if case == "graphql-errors":
        assert "introspection disabled; the query is not checked before the run" in run.output


def test_malformed_option_is_named_before_any_request(tmp_path: Path, sandbox: Sandbox) -> None:
    run = run_ingest(
        tmp_path, sandbox, f"http://127.0.0.1:{closed_port()}", sandbox.token("user-sync"), pageSize="many"
    )
    assert run.returncode != 0
    assert "'pageSize'" in run.output
    assert "cannot read the directory" not in run.output
