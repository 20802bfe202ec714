"""End-to-end: planted secrets appear in no output of any error path, at DEBUG level (docs/security.md).

Each run is the real `metadata ingest` (and `user-updater check`) in a subprocess against the sandbox and the
directory server, faults injected by the servers; every output is searched: stdout and stderr (the logs), the
change report and the plan file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.e2e.conftest import Run, Sandbox, run_ingest, workflow_config
from tests.support import commands
from tests.support.servers import RunningServer

StartSandbox = Callable[..., tuple[Sandbox, RunningServer]]
StartDirectory = Callable[..., str]

HEADER_SECRET = "hdr-secret-4c1d9e"  # noqa: S105 - markers to look for
QUERY_SECRET = "query-secret-77ab20"  # noqa: S105
FAST = {"maxRetries": "2", "retryBackoffSeconds": "0", "maxRetryWaitSeconds": "1", "writeConcurrency": "1"}


def secrets_of(token: str) -> list[str]:
    """The token, its signature alone, and the planted markers."""
    return [token, token.split(".")[2], HEADER_SECRET, QUERY_SECRET]


def assert_no_secret(outputs: dict[str, str], secrets: list[str]) -> None:
    for name, text in outputs.items():
        for secret in secrets:
            assert secret not in text, f"a secret in {name}"


def test_a_token_or_key_where_an_option_expects_a_path_or_a_url_is_refused_without_echoing_it(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """`openMetadataTokenFile: "${TOKEN}"` arrives as the token; a key in graphqlEndpoint's query string."""
    token = sandbox.token("user-sync")
    options = {"openMetadataTokenFile": token, "graphqlEndpoint": f"http://127.0.0.1:9/graphql?apiKey={QUERY_SECRET}"}
    run = run_ingest(tmp_path, sandbox, "unused", token, logger_level="DEBUG", **options)
    assert run.returncode != 0
    assert "'openMetadataTokenFile': Value error, must be the absolute path of a file" in run.output
    assert "'graphqlEndpoint': Value error, must not carry a query string" in run.output
    config = tmp_path / "check.yaml"
    config.write_text(yaml.safe_dump(workflow_config(sandbox, "unused", token, **options)))
    check = commands.run(["user-updater", "check", "-c", str(config)])
    assert check.returncode == 1
    assert "must be the absolute path of a file" in check.stderr
    assert_no_secret({"ingest output": run.output, "check output": check.stdout + check.stderr}, secrets_of(token))


def test_a_directory_redirect_to_another_origin_stops_the_run_and_leaks_nothing(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    token = sandbox.token("user-sync")
    endpoint = start_directory(None, "--fault", "POST *: redirect*")
    token_file = tmp_path / "token"
    token_file.write_text(token)
    options = {
        **FAST,
        "openMetadataTokenFile": str(token_file),
        "graphqlHeaders": json.dumps({"Authorization": f"Bearer {HEADER_SECRET}", "X-Api-Key": HEADER_SECRET}),
    }
    run = run_ingest(tmp_path, sandbox, endpoint, token, logger_level="DEBUG", **options)
    assert run.returncode != 0
    assert "answered HTTP 307, redirecting to http://localhost:" in run.output
    assert "redirects are not followed" in run.output
    assert_no_secret({"output": run.output}, secrets_of(token))


def test_retries_failures_report_and_plan_at_debug_leak_no_secret(
    tmp_path: Path, start_sandbox: StartSandbox, start_directory: StartDirectory
) -> None:
    """urllib3's own retry warnings and DEBUG lines, a user that fails past its retries, and the files written."""
    sandbox, _ = start_sandbox("--fault", "PATCH /api/v1/users/*: drop, ok, 503x3")
    token = sandbox.token("user-sync")
    endpoint = start_directory(None, "--fault", "POST *: drop, 503")
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    report, plan = tmp_path / "report.csv", tmp_path / "plan.json"
    options = {
        **FAST,
        "openMetadataTokenFile": str(token_file),
        "graphqlHeaders": json.dumps({"Authorization": f"Bearer {HEADER_SECRET}"}),
        "reportPath": str(report),
        "planPath": str(plan),
    }
    # The workflow's own token is another one, so that the connector's (from the file) is the one at stake.
    run: Run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("admin"), logger_level="DEBUG", **options)
    assert run.returncode != 0  # one user failed past its retries
    assert "Retrying (" in run.output  # urllib3's warnings were there to be searched
    assert "HTTP 503: injected fault" in run.output
    assert f"token from file {token_file}" in run.output
    outputs = {"output": run.output, "report": report.read_text(), "plan": plan.read_text()}
    assert_no_secret(outputs, secrets_of(token))
    assert oct(report.stat().st_mode & 0o777) == oct(0o600)
    assert oct(plan.stat().st_mode & 0o777) == oct(0o600)
