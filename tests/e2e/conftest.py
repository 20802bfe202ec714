"""Fixtures for end-to-end runs: the sandbox and the directory server as processes, `metadata ingest` as a CLI."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from om_sandbox.release import Release
from tests.support import commands, releases, wire
from tests.support.servers import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SHIPPED_YAML = ROOT / "user_updater.yaml"
# Every demo user differs from the directory, so each test's first sync changes most matched users: a backfill,
# which the default safety limit (20%) would stop. Tests of the limit pass their own value.
BACKFILL = {"maxChangePercent": "100"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The whole end-to-end suite runs against every supported OpenMetadata line (`make test-lines`)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.lines)


@dataclass
class Sandbox:
    url: str  # the API root, http://127.0.0.1:PORT/api
    db: Path
    release: Release  # the OpenMetadata release it imitates
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)

    def token(self, name: str) -> str:
        """A never-expiring token of `name`, minted by the sandbox's CLI once per user: the signing keys live in the
        database, so a token stays valid across restarts."""
        if name not in self._tokens:
            self._tokens[name] = commands.sandbox_token(self.db, name)
        return self._tokens[name]

    def get(self, path: str, **params: Any) -> Any:
        response = requests.get(
            f"{self.url}{path}", params=params, headers={"Authorization": f"Bearer {self.token('admin')}"}, timeout=10
        )
        wire.checked(response, "/api").raise_for_status()
        return response.json()

    def user(self, name: str) -> dict[str, Any]:
        user: dict[str, Any] = self.get(f"/v1/users/name/{name}", fields="domains,teams,roles,profile,personas")
        return user

    def request(self, method: str, path: str, body: Any, token: str | None = None) -> requests.Response:
        content_type = "application/json-patch+json" if method == "PATCH" else "application/json"
        response = requests.request(
            method,
            f"{self.url}{path}",
            data=json.dumps(body),
            headers={"Authorization": f"Bearer {token or self.token('admin')}", "Content-Type": content_type},
            timeout=10,
        )
        return wire.checked(response, "/api")


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., tuple[Sandbox, RunningServer]]]:
    """Start a demo sandbox on `tmp_path/sandbox.db` (kept across restarts) with extra `serve` options, imitating
    `release` (default: tests/support/releases.py's installed one)."""
    servers: list[RunningServer] = []

    def start(*extra: str, release: Release | None = None) -> tuple[Sandbox, RunningServer]:
        db = tmp_path / "sandbox.db"
        release = release or releases.installed()
        command = [str(BIN / "openmetadata-sandbox"), "serve", "--port", "0", "--db", str(db), "--demo"]
        servers.append(start_server([*command, "--version", release.version, *extra]))
        return Sandbox(url=f"{servers[-1].url}/api", db=db, release=release), servers[-1]

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def sandbox(start_sandbox: Callable[..., tuple[Sandbox, RunningServer]]) -> Sandbox:
    return start_sandbox()[0]


@pytest.fixture
def release_sandbox(start_sandbox: Callable[..., tuple[Sandbox, RunningServer]], release: Release) -> Sandbox:
    """The demo sandbox imitating `release`: a test taking it runs once per release of `releases.under_test()`."""
    return start_sandbox(release=release)[0]


@pytest.fixture
def start_directory(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start a directory server with the given users (None: the bundled demo data) and extra options (`--raw`,
    `--fault ...`, `--no-introspection`); returns its URL."""
    servers: list[RunningServer] = []

    def start(users: list[Any] | None = None, *extra: str) -> str:
        args = [str(BIN / "directory-server"), "--port", "0", *extra]
        if users is not None:
            data = tmp_path / f"directory-{len(servers)}.json"
            data.write_text(json.dumps(users))
            args += ["--data", str(data)]
        servers.append(start_server(args))
        return servers[-1].url

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@dataclass
class Run:
    returncode: int
    output: str

    def summary(self) -> str:
        lines = [line for line in self.output.splitlines() if "User sync summary" in line]
        assert lines, f"no summary in the run's output:\n{self.output}"
        return lines[-1]


def workflow_config(
    sandbox: Sandbox,
    endpoint: str,
    token: str = "${OPENMETADATA_JWT_TOKEN}",  # noqa: S107 - the placeholder the shipped YAML uses
    logger_level: str = "INFO",
    base: Path | str = SHIPPED_YAML,
    **options: str,
) -> dict[str, Any]:
    """The shipped YAML (or another workflow file) as a dict, pointed at the test's servers, with extra
    connectionOptions."""
    config: dict[str, Any] = yaml.safe_load(Path(base).read_text())
    connection = config["source"]["serviceConnection"]["config"]
    connection["connectionOptions"].update({"graphqlEndpoint": endpoint, **BACKFILL, **options})
    server = config["workflowConfig"]["openMetadataServerConfig"]
    server["hostPort"] = sandbox.url
    server["securityConfig"]["jwtToken"] = token
    config["workflowConfig"]["loggerLevel"] = logger_level
    return config


def run_ingest(
    tmp_path: Path,
    sandbox: Sandbox,
    endpoint: str,
    token: str,
    logger_level: str = "INFO",
    base: Path | str = SHIPPED_YAML,  # `str` too, so that callers may pass **options of strings
    **options: str,
) -> Run:
    """Run the real `metadata ingest` CLI on the shipped YAML (or `base`), the token passed in the environment as
    documented."""
    path = tmp_path / "user_updater.yaml"
    config = workflow_config(sandbox, endpoint, logger_level=logger_level, base=base, **options)
    path.write_text(yaml.safe_dump(config))
    result = commands.run(["metadata", "ingest", "-c", str(path)], env={**os.environ, "OPENMETADATA_JWT_TOKEN": token})
    return Run(returncode=result.returncode, output=result.stdout + result.stderr)
