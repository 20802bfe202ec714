"""End-to-end: the ways a sync is scheduled (cron wrapper, Airflow DAG, a UI-deployed workflow), the SDK's test
connection as its runner calls it, and the `user-updater check` CLI, against the sandbox and the directory server."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest
import requests
import yaml
from metadata.automations.execute_runner import execute
from metadata.automations.runner import _test_connection
from metadata.generated.schema.entity.automations import testServiceConnection
from metadata.generated.schema.entity.automations.workflow import Workflow as AutomationWorkflow
from metadata.generated.schema.entity.automations.workflow import WorkflowType
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
    OpenMetadataConnection,
)
from metadata.ingestion.ometa.ometa_api import OpenMetadata

from tests.e2e.conftest import BIN, ROOT, Sandbox, workflow_config
from tests.e2e.test_sync import EXPECTED, PROTECTED, closed_port, versions
from tests.support import commands

StartDirectory = Callable[[list[dict[str, Any]] | None], str]
CRON = ROOT / "scripts" / "cron" / "user-updater-cron.sh"
DAG_FILE = ROOT / "examples" / "airflow" / "user_updater_dag.py"


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def cron_command(tmp_path: Path, config: Path, token: str, **env: str) -> dict[str, Any]:
    """Arguments of subprocess.run/Popen for the wrapper, its settings pointing into `tmp_path`."""
    env_file = tmp_path / "env"
    if not env_file.exists():
        env_file.write_text(f"OPENMETADATA_JWT_TOKEN={token}\n")
        env_file.chmod(0o600)
    settings = {
        "USER_UPDATER_HOME": str(ROOT),
        # The environment running the tests: under `make test-lines` the line's own, not the checkout's .venv.
        "USER_UPDATER_VENV": str(BIN.parent),
        "USER_UPDATER_CONFIG": str(config),
        "USER_UPDATER_ENV_FILE": str(env_file),
        "USER_UPDATER_LOG_DIR": str(tmp_path / "logs"),
        **env,
    }
    environment = {key: value for key, value in os.environ.items() if key != "OPENMETADATA_JWT_TOKEN"}
    return {"args": [str(CRON)], "stdout": PIPE, "stderr": PIPE, "text": True, "env": {**environment, **settings}}


def run_cron(tmp_path: Path, config: Path, token: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(**cron_command(tmp_path, config, token, **env), timeout=240, check=False)


def run_logs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "logs").glob("user-updater-*.log"))


def test_cron_wrapper_syncs_one_run_at_a_time_and_keeps_the_newest_logs(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    config = write_config(tmp_path / "wf.yaml", workflow_config(sandbox, start_directory(None)))
    (tmp_path / "logs").mkdir()
    for day in range(1, 6):
        (tmp_path / "logs" / f"user-updater-2020010{day}T000000Z-1.log").write_text("old run\n")

    first = subprocess.Popen(**cron_command(tmp_path, config, sandbox.token("user-sync"), USER_UPDATER_KEEP_LOGS="3"))
    try:
        # The first run has the lock once its log exists; the SDK's import keeps it running for seconds after.
        deadline = time.monotonic() + 60
        while len(run_logs(tmp_path)) == 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        second = run_cron(tmp_path, config, sandbox.token("user-sync"))
        assert second.returncode == 75, second.stderr
        assert "another run holds" in second.stderr
        assert "not starting a second one" in second.stderr
        stdout, stderr = first.communicate(timeout=240)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert stdout == ""
    assert stderr == ""
    for name, (display_name, _) in EXPECTED.items():
        assert sandbox.user(name).get("displayName") == display_name
    logs = run_logs(tmp_path)
    assert [log.name[:22] for log in logs] == ["user-updater-20200104T", "user-updater-20200105T", logs[-1].name[:22]]
    newest = logs[-1].read_text()
    assert "User sync summary" in newest
    assert "exit status 0" in newest
    assert sandbox.token("user-sync") not in newest


def test_cron_wrapper_passes_a_failed_run_s_exit_status_through(tmp_path: Path, sandbox: Sandbox) -> None:
    before = versions(sandbox)
    directory = f"http://127.0.0.1:{closed_port()}"
    config = write_config(tmp_path / "wf.yaml", workflow_config(sandbox, directory, maxRetries="0"))
    result = run_cron(tmp_path, config, sandbox.token("user-sync"), USER_UPDATER_KEEP_LOGS="3")
    assert result.returncode == 1
    (log,) = run_logs(tmp_path)
    assert f"the sync failed with exit status 1; log: {log}" in result.stderr
    assert "cannot read the directory" in log.read_text()
    assert versions(sandbox) == before


def test_cron_wrapper_refuses_an_env_file_others_may_read(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("OPENMETADATA_JWT_TOKEN=secret\n")
    env_file.chmod(0o644)
    result = run_cron(tmp_path, write_config(tmp_path / "wf.yaml", {}), "token")
    assert result.returncode == 78
    assert f"{env_file} has mode 644; make it private: chmod 600 {env_file}" in result.stderr
    assert "secret" not in result.stderr


def fake_venv(tmp_path: Path) -> Path:
    """A venv whose `metadata` only records the environment it got (no SDK import: these tests are about the
    wrapper)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    metadata = venv / "bin" / "metadata"
    metadata.write_text(f"#!/bin/sh\nenv > {tmp_path / 'seen-env'}\necho 'run output'\n")
    metadata.chmod(0o755)
    return venv


def seen_env(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "seen-env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_cron_wrapper_reads_the_env_file_as_data_and_never_runs_it(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text(
        "# the service account's token\n"
        "OPENMETADATA_JWT_TOKEN=tok$(touch PWNED)en`touch PWNED`\n"
        "\n"
        'QUOTED="two words"\n'
        "export SINGLE='$HOME'\n"
        "TRAILING=a; touch PWNED\r\n"
    )
    env_file.chmod(0o600)
    result = run_cron(
        tmp_path, write_config(tmp_path / "wf.yaml", {}), "unused", USER_UPDATER_VENV=str(fake_venv(tmp_path))
    )
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob("**/PWNED"))
    assert not (Path.cwd() / "PWNED").exists()
    env = seen_env(tmp_path)
    assert env["OPENMETADATA_JWT_TOKEN"] == "tok$(touch PWNED)en`touch PWNED`"  # noqa: S105
    assert env["QUOTED"] == "two words"
    assert env["SINGLE"] == "$HOME"
    assert env["TRAILING"] == "a; touch PWNED"


def test_cron_wrapper_names_a_malformed_env_line_without_echoing_it(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("A=1\nsecret-token-without-a-key\n")
    env_file.chmod(0o600)
    result = run_cron(
        tmp_path, write_config(tmp_path / "wf.yaml", {}), "unused", USER_UPDATER_VENV=str(fake_venv(tmp_path))
    )
    assert result.returncode == 78
    assert f"{env_file} line 2 is not KEY=value" in result.stderr
    assert "secret-token" not in result.stderr


def test_cron_wrapper_judges_a_symlinked_env_file_by_its_target_and_its_owner(tmp_path: Path) -> None:
    venv = str(fake_venv(tmp_path))
    config = write_config(tmp_path / "wf.yaml", {})
    secret = tmp_path / "mounted-secret"
    secret.write_text("OPENMETADATA_JWT_TOKEN=from-a-mounted-secret\n")
    secret.chmod(0o600)
    link = tmp_path / "env-link"
    link.symlink_to(secret)  # as Kubernetes and Docker mount secrets
    accepted = run_cron(tmp_path, config, "unused", USER_UPDATER_VENV=venv, USER_UPDATER_ENV_FILE=str(link))
    assert accepted.returncode == 0, accepted.stderr
    assert seen_env(tmp_path)["OPENMETADATA_JWT_TOKEN"] == "from-a-mounted-secret"  # noqa: S105

    secret.chmod(0o644)
    refused = run_cron(tmp_path, config, "unused", USER_UPDATER_VENV=venv, USER_UPDATER_ENV_FILE=str(link))
    assert refused.returncode == 78
    assert f"{link} has mode 644" in refused.stderr

    if os.geteuid() == 0:  # only root can give a file away
        secret.chmod(0o600)
        os.chown(secret, 65534, 65534)
        foreign = run_cron(tmp_path, config, "unused", USER_UPDATER_VENV=venv, USER_UPDATER_ENV_FILE=str(link))
        assert foreign.returncode == 78
        assert f"{link} belongs to user 65534; it must be yours or root's" in foreign.stderr
    assert "from-a-mounted-secret" not in refused.stderr


def test_cron_wrapper_keeps_its_logs_private_whatever_the_umask(tmp_path: Path) -> None:
    command = cron_command(
        tmp_path, write_config(tmp_path / "wf.yaml", {}), "unused", USER_UPDATER_VENV=str(fake_venv(tmp_path))
    )
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o755)  # left by an earlier version
    command["args"] = ["sh", "-c", f"umask 022 && exec {CRON}"]
    result = subprocess.run(**command, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    (log,) = run_logs(tmp_path)
    assert "run output" in log.read_text()
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE((logs / "user-updater.lock").stat().st_mode) == 0o600


def ui_deployed_config(sandbox: Sandbox, endpoint: str, **options: str) -> dict[str, Any]:
    """A workflow as the server deploys it from the UI: the ingestion-bot's JWT itself in openMetadataServerConfig."""
    return workflow_config(sandbox, endpoint, token=sandbox.token("ingestion-bot"), **options)


def test_ui_deployed_run_writes_with_the_service_account_token_named_in_connection_options(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    service_token = sandbox.token("user-sync")
    config = ui_deployed_config(sandbox, start_directory(None), openMetadataTokenEnv="USER_SYNC_TOKEN")
    result = commands.run(
        ["metadata", "ingest", "-c", str(write_config(tmp_path / "wf.yaml", config))],
        env={**os.environ, "USER_SYNC_TOKEN": service_token},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert (
        "as 'user-sync' (user), token from environment variable USER_SYNC_TOKEN "
        "(connectionOptions.openMetadataTokenEnv)"
    ) in output
    assert service_token not in output
    for name, (display_name, _) in EXPECTED.items():
        user = sandbox.user(name)
        assert user.get("displayName") == display_name
        if name not in PROTECTED:
            assert user["updatedBy"] == "user-sync"


def test_airflow_dag_task_syncs_the_sandbox(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("user_updater_dag", DAG_FILE)
    assert spec is not None
    assert spec.loader is not None
    dag_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dag_module)
    config = write_config(tmp_path / "user_updater.yaml", workflow_config(sandbox, start_directory(None)))
    monkeypatch.setenv("OPENMETADATA_JWT_TOKEN", sandbox.token("user-sync"))
    monkeypatch.setenv("USER_UPDATER_CONFIG", str(config))

    dag_module.sync_users()

    for name, (display_name, _) in EXPECTED.items():
        assert sandbox.user(name).get("displayName") == display_name


def create_test_connection_workflow(sandbox: Sandbox, config: dict[str, Any], bot_token: str) -> AutomationWorkflow:
    """What the UI does (`POST /v1/automations/workflows`), then what the server's trigger hands its runner: the
    workflow with the ingestion-bot's connection (`WorkflowResource.runAutomationsWorkflow`)."""
    # The sandbox validates the request with the SDK's CreateWorkflowRequest, whose first import (every
    # connection schema) takes seconds of CPU: more than Sandbox.request's 10 s timeout on a loaded machine.
    created = requests.post(
        f"{sandbox.url}/v1/automations/workflows",
        headers={"Authorization": f"Bearer {sandbox.token('admin')}"},
        timeout=120,
        json={
            "name": f"test-connection-CustomDatabase-{uuid.uuid4().hex[:8]}",
            "workflowType": WorkflowType.TEST_CONNECTION.value,
            "request": {
                "connection": {"config": config["source"]["serviceConnection"]["config"]},
                "serviceType": "Database",
                "connectionType": "CustomDatabase",
            },
        },
    )
    assert created.status_code == 201, created.text
    server = {**config["workflowConfig"]["openMetadataServerConfig"], "securityConfig": {"jwtToken": bot_token}}
    return AutomationWorkflow.model_validate({**created.json(), "openMetadataServerConnection": server})


def test_test_connection_as_the_sdk_runner_calls_it(sandbox: Sandbox, start_directory: StartDirectory) -> None:
    """The SDK's automation runner, with the server's bot token: the test passes when the token named in
    connectionOptions may edit users, and fails at CheckEditPermissions, naming the deny rule, when it is the bot's
    own; each time the steps are written back on the automation workflow."""
    before = versions(sandbox)
    bot_token = sandbox.token("ingestion-bot")
    endpoint = start_directory(None)
    os.environ["USER_SYNC_TOKEN"] = sandbox.token("user-sync")
    try:
        for options, expected in (({"openMetadataTokenEnv": "USER_SYNC_TOKEN"}, "Successful"), ({}, "Failed")):
            workflow = create_test_connection_workflow(
                sandbox, ui_deployed_config(sandbox, endpoint, **options), bot_token
            )
            execute(workflow)
            stored = sandbox.get(f"/v1/automations/workflows/{workflow.id.root}")
            assert stored["status"] == "Successful"  # the workflow ran; its response says how the test went
            assert stored["response"]["status"] == expected
            steps = {step["name"]: step for step in stored["response"]["steps"]}
            assert list(steps) == ["GetPrincipal", "CheckEditPermissions", "RunDirectoryQuery"]
            assert steps["GetPrincipal"]["passed"]
            assert steps["RunDirectoryQuery"]["passed"]
            assert steps["CheckEditPermissions"]["passed"] == (expected == "Successful")
        error = steps["CheckEditPermissions"]["errorLog"]
        assert "'ingestion-bot' (bot) may not edit users' displayName" in error
        assert "rule 'DisplayName-Deny'" in error
        assert steps["CheckEditPermissions"]["message"] == (
            "The account may not edit the user fields that connectionOptions.fields syncs"
        )
        # Called without an automation workflow, the runner's first form names no configuration: the SDK falls
        # back to test_connection(metadata, get_connection(config), config).
        request = workflow.request
        assert isinstance(request, testServiceConnection.TestServiceConnectionRequest)
        assert request.connection is not None
        metadata: OpenMetadata = OpenMetadata(
            OpenMetadataConnection.model_validate(workflow.openMetadataServerConnection)
        )
        result = _test_connection(metadata, request.connection.config)
        assert [step.passed for step in result.steps] == [True, False, True]
    finally:
        del os.environ["USER_SYNC_TOKEN"]
    assert versions(sandbox) == before


def test_check_cli_reports_principal_permissions_and_findings(
    tmp_path: Path, release_sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    sandbox = release_sandbox
    before = versions(sandbox)
    config = write_config(tmp_path / "wf.yaml", workflow_config(sandbox, start_directory(None)))

    def check(token: str, config: Path = config) -> subprocess.CompletedProcess[str]:
        return commands.run(
            ["user-updater", "check", "-c", str(config)], env={**os.environ, "OPENMETADATA_JWT_TOKEN": token}
        )

    passed = check(sandbox.token("user-sync"))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    lines = passed.stdout.splitlines()
    assert lines[0].startswith("ok    GetPrincipal: OpenMetadata at ")
    assert "'user-sync' (user), token from the workflow's openMetadataServerConfig" in lines[0]
    assert lines[1].startswith("ok    CheckEditPermissions: 'user-sync' (user) may edit users' displayName: yes")
    # The operation the server names for a domains edit: EditDomains from 2.0.7 on, EditAll before.
    domains_operation = "EditDomains" if sandbox.release.edit_domains else "EditAll"
    assert f"domains: yes, {domains_operation} 'allow'" in lines[1]
    assert "the query returned 3 users at data.users" in lines[2]
    assert lines[3] == (
        "ok    PlanSync: 4 users and 2 domains in OpenMetadata; 3 directory users match by email, 2 would change, "
        "1 protected (admin) would not"
    )
    assert lines[4] == "Check passed: a sync can run with this file."

    # The bot's token, and the default share limit (20%) checked from the first change on, every demo user to change.
    strict = workflow_config(sandbox, start_directory(None), maxChangePercent="20", minChangesForPercentLimit="0")
    failed = check(sandbox.token("ingestion-bot"), write_config(tmp_path / "strict.yaml", strict))
    assert failed.returncode == 1
    assert "FAIL  CheckEditPermissions: 'ingestion-bot' (bot) may not edit users' displayName" in failed.stdout
    assert "displayName: no, EditDisplayName 'deny' (rule 'DisplayName-Deny'" in failed.stdout
    assert "FAIL  PlanSync: Safety limit: the plan changes 2 of 3 matched users (67%)" in failed.stdout
    # What the limit stopped, for the operator to judge.
    assert "      planned: user brian_smith7: displayName 'Brian' -> 'Brian Smith'" in failed.stdout
    assert failed.stdout.splitlines()[-1] == "Check failed: see FAIL above."
    assert versions(sandbox) == before
