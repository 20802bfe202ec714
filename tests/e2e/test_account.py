"""End-to-end: the production path of a new admin (docs/account.md) on the sandbox, through real HTTP and real
processes, and the messages `user-updater check` gives when the account, its token or a URL is wrong."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path
from typing import Any

import jwt
import requests
import yaml

from tests.e2e.conftest import Sandbox, run_ingest, workflow_config
from tests.e2e.test_sync import EXPECTED, StartDirectory, own_domains, versions
from tests.support import commands

SERVICE_PASSWORD = "Directory-sync-1"  # noqa: S105 - the sandbox account's password, set by the test's admin
# The users the sync may change in any configuration (the admin may be a protected account).
PEOPLE = ("aaron_johnson0", "brian_smith7")


def api(sandbox: Sandbox, method: str, path: str, bearer: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    response = requests.request(method, f"{sandbox.url}{path}", json=body, headers=headers, timeout=30)
    assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def check(config: dict[str, Any], path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path.write_text(yaml.safe_dump(config))
    environment = {key: value for key, value in os.environ.items() if key != "OPENMETADATA_JWT_TOKEN"}
    return commands.run(["user-updater", "check", "-c", str(path)], env={**environment, **env})


def test_a_new_admin_sets_up_the_account_and_its_token_then_checks_dry_runs_and_runs(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    admin = sandbox.token("admin")
    # The admin: a policy allowing ViewAll and EditAll on users, a role holding it, the user with a password.
    api(
        sandbox,
        "POST",
        "/v1/policies",
        admin,
        {
            "name": "DirectorySyncPolicy",
            "rules": [
                {"name": "EditUsers", "resources": ["user"], "operations": ["ViewAll", "EditAll"], "effect": "allow"}
            ],
        },
    )
    role = api(sandbox, "POST", "/v1/roles", admin, {"name": "DirectorySyncRole", "policies": ["DirectorySyncPolicy"]})
    api(
        sandbox,
        "POST",
        "/v1/users",
        admin,
        {
            "name": "directory-sync",
            "email": "directory-sync@example.com",
            "roles": [role["id"]],
            "createPasswordType": "ADMIN_CREATE",
            "password": SERVICE_PASSWORD,
            "confirmPassword": SERVICE_PASSWORD,
        },
    )
    # The service user: signs in once, and with that session creates its own personal access token.
    password = base64.b64encode(SERVICE_PASSWORD.encode()).decode()
    session = api(
        sandbox, "POST", "/v1/users/login", None, {"email": "directory-sync@example.com", "password": password}
    )
    personal = api(
        sandbox,
        "PUT",
        "/v1/users/security/token",
        session["accessToken"],
        {"tokenName": "directory-sync", "JWTTokenExpiry": "90"},
    )
    token = personal["jwtToken"]
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "directory-sync"

    endpoint = start_directory(None)
    before = versions(sandbox)
    checked = check(workflow_config(sandbox, endpoint), tmp_path / "wf.yaml", OPENMETADATA_JWT_TOKEN=token)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "'directory-sync' (user), token from the workflow's openMetadataServerConfig" in checked.stdout
    assert "ok    CheckEditPermissions: 'directory-sync' (user) may edit users' displayName: yes" in checked.stdout

    dry = run_ingest(tmp_path, sandbox, endpoint, token, dryRun="true")
    assert dry.returncode == 0, dry.output
    assert "as 'directory-sync' (user)" in dry.output
    assert versions(sandbox) == before

    run = run_ingest(tmp_path, sandbox, endpoint, token)
    assert run.returncode == 0, run.output
    for name in PEOPLE:
        user = sandbox.user(name)
        assert (user["displayName"], own_domains(user)) == EXPECTED[name]
        assert user["updatedBy"] == "directory-sync"


def test_check_says_what_is_wrong_and_what_to_do(
    tmp_path: Path, sandbox: Sandbox, start_directory: StartDirectory
) -> None:
    endpoint = start_directory(None)
    before = versions(sandbox)

    # The token variable the shipped file names is not set.
    unset = check(workflow_config(sandbox, endpoint), tmp_path / "unset.yaml")
    assert unset.returncode == 1
    assert (
        "securityConfig.jwtToken is '${OPENMETADATA_JWT_TOKEN}': the environment variable OPENMETADATA_JWT_TOKEN is "
        "not set for the process that runs the workflow"
    ) in unset.stderr

    # An expired token and a directory URL with a wrong path: each step says why; the steps needing them skip.
    expired = commands.sandbox_token(sandbox.db, "user-sync", "--expiry-seconds", "-1")
    wrong = check(
        workflow_config(sandbox, f"{endpoint}/wrong"), tmp_path / "wrong.yaml", OPENMETADATA_JWT_TOKEN=expired
    )
    lines = wrong.stdout.splitlines()
    assert wrong.returncode == 1
    assert lines[0].startswith("FAIL  GetPrincipal: OpenMetadata at ")
    assert (
        "refused the token from the workflow's openMetadataServerConfig (GET /users/loggedInUser: HTTP 401: "
        in lines[0]
    )
    assert "Expired token!). The token has expired: sign in as the service user, create a new personal" in lines[0]
    assert lines[1] == "skip  CheckEditPermissions: not run: it needs GetPrincipal, which did not pass"
    assert lines[2].startswith(f"FAIL  RunDirectoryQuery: the directory at {endpoint}/wrong is not a GraphQL endpoint")
    assert "Check connectionOptions.graphqlEndpoint" in lines[2]
    assert lines[3] == "skip  PlanSync: not run: it needs GetPrincipal and RunDirectoryQuery, which did not pass"
    assert "introspection" not in wrong.stdout + wrong.stderr
    assert expired not in wrong.stdout + wrong.stderr

    # One unquoted number in connectionOptions: the key in one line, no value from the file (a header's secret).
    invalid = workflow_config(sandbox, endpoint)
    options = invalid["source"]["serviceConnection"]["config"]["connectionOptions"]
    options.update(pageSize=500, graphqlHeaders={"Authorization": "Bearer planted-header-secret"})
    token = sandbox.token("user-sync")
    refused = check(invalid, tmp_path / "invalid.yaml", OPENMETADATA_JWT_TOKEN=token)
    assert refused.returncode == 1
    assert "Invalid parameter value for ('connectionOptions', 'pageSize')" in refused.stderr
    assert 'Every value under connectionOptions must be a quoted string, e.g. pageSize: "500".' in refused.stderr
    assert len(refused.stderr.splitlines()) < 15
    for secret in ("planted-header-secret", token, "500"):
        assert secret not in refused.stdout + refused.stderr.replace('pageSize: "500"', "")
    assert versions(sandbox) == before
