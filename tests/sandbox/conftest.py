"""A demo sandbox shared by the sandbox tests: started once per session, always stopped."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from om_sandbox.release import Release
from tests.support import releases, wire
from tests.support.commands import sandbox_token
from tests.support.servers import RunningServer, start_server

PATCH_TYPE = "application/json-patch+json"
# The release the session's sandbox imitates (tests/support/releases.py); a test taking `release` runs on each one
# of `releases.under_test()` with `release_sandbox`.
RELEASE = releases.installed()


def sandbox_command(db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "om_sandbox.cli", "serve", "--port", "0", "--db", str(db), *extra]


@dataclass
class Sandbox:
    server: RunningServer
    db: Path
    release: Release
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def token(self, name: str) -> str:
        if name not in self.tokens:
            self.tokens[name] = sandbox_token(self.db, name)
        return self.tokens[name]

    def call(self, who: str | None, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.token(who)}"
        response = requests.request(method, f"{self.url}/api{path}", headers=headers, timeout=30, **kwargs)
        return wire.checked(response, "/api")

    def get(self, who: str | None, path: str, **kwargs: Any) -> requests.Response:
        return self.call(who, "GET", path, **kwargs)

    def patch(self, who: str, user_id: str, ops: list[dict[str, Any]]) -> requests.Response:
        return self.call(who, "PATCH", f"/v1/users/{user_id}", json=ops, headers={"Content-Type": PATCH_TYPE})

    def user(self, name: str, fields: str = "domains,teams,roles,profile") -> dict[str, Any]:
        response = self.get("admin", f"/v1/users/name/{name}", params={"fields": fields})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def entity(self, collection: str, name: str) -> dict[str, Any]:
        response = self.get("admin", f"/v1/{collection}/name/{name}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def new_user(self, **extra: Any) -> dict[str, Any]:
        """A fresh user created by admin, so a test may change it freely."""
        name = f"u{uuid.uuid4().hex[:10]}"
        response = self.call("admin", "POST", "/v1/users", json={"name": name, "email": f"{name}@example.com", **extra})
        assert response.status_code == 201, response.text
        return self.user(name)

    def new_principal(self, rules: list[dict[str, Any]]) -> str:
        """A non-bot user holding a role made of one policy with `rules`; returns its name."""
        suffix = uuid.uuid4().hex[:8]
        policy = self.call("admin", "POST", "/v1/policies", json={"name": f"P{suffix}", "rules": rules})
        assert policy.status_code == 201, policy.text
        role = self.call("admin", "POST", "/v1/roles", json={"name": f"R{suffix}", "policies": [f"P{suffix}"]})
        assert role.status_code == 201, role.text
        return str(self.new_user(roles=[role.json()["id"]])["name"])


@pytest.fixture(scope="session")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Release], Sandbox]]:
    """A demo sandbox per release, started when first asked for and shared by the session."""
    started: dict[Release, Sandbox] = {}

    def of(release: Release) -> Sandbox:
        if release not in started:
            db = tmp_path_factory.mktemp("sandbox") / "s.db"
            server = start_server(sandbox_command(db, "--demo", "--version", release.version))
            started[release] = Sandbox(server=server, db=db, release=release)
        return started[release]

    try:
        yield of
    finally:
        for running in started.values():
            running.server.stop()


@pytest.fixture(scope="session")
def sandbox(sandboxes: Callable[[Release], Sandbox]) -> Sandbox:
    return sandboxes(RELEASE)


@pytest.fixture
def release_sandbox(sandboxes: Callable[[Release], Sandbox], release: Release) -> Sandbox:
    """The demo sandbox imitating `release` (the session's own one for the installed release)."""
    return sandboxes(release)
