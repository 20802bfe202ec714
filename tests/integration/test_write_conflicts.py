"""A real concurrent edit between the connector's read and its write, through the connector's own HTTP session,
against a sandbox process answering failed JSON Patch tests as each release does (`--json-patch-errors`).

The sandbox's fault layer counts the requests (`ok*` rules decide nothing but are counted), so each test proves
what the conflict cost: one more read and one more PATCH, no retry of the refused one, well under a second. The
retry budget is set so that one retry of the refused PATCH alone would take longer than the test allows.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
    OpenMetadataConnection,
)

from connector.catalog import CatalogUser, Domain, user_from_json
from connector.openmetadata import OpenMetadataApi
from connector.plan import UserChange
from connector.settings import UserUpdaterSettings
from connector.writer import UserWriter, WriteError
from tests.support.commands import sandbox_token
from tests.support.servers import RunningServer, fault_counts, set_faults, start_server

BIN = Path(sys.executable).parent
PATCHES = "PATCH /api/v1/users/*: ok*"
READS = "GET /api/v1/users/*: ok*"
# One retry of the refused PATCH would wait 0.6 s before anything else happens.
RETRIES = {"maxRetries": "3", "retryBackoffSeconds": "0.6"}
CONFLICT_SECONDS = 1.0
PLANTED = "PLANTED-5e7c"


@dataclass
class Catalog:
    """A demo sandbox started with `--json-patch-errors status`, and the connector's API to it."""

    status: int
    server: RunningServer
    tokens: dict[str, str]
    domains: dict[str, Domain] = field(default_factory=dict)

    def api(self) -> OpenMetadataApi:
        token = self.tokens["user-sync"]
        metadata = SimpleNamespace(
            config=OpenMetadataConnection.model_validate({"hostPort": f"{self.server.url}/api"}),
            _auth_provider=SimpleNamespace(get_access_token=lambda: (token, 0)),
        )
        settings = UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://unused", **RETRIES})
        return OpenMetadataApi(metadata, settings)  # type: ignore[arg-type]

    def admin(self, method: str, path: str, body: Any = None) -> requests.Response:
        content_type = "application/json-patch+json" if method == "PATCH" else "application/json"
        return requests.request(
            method,
            f"{self.server.url}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens['admin']}", "Content-Type": content_type},
            timeout=120,  # the first request that validates with the SDK's models imports them (seconds of CPU)
        )

    def new_user(self, name: str, **fields: Any) -> dict[str, Any]:
        created = self.admin("POST", "/users", {"name": name, "email": f"{name}@example.com", **fields})
        assert created.status_code == 201, created.text
        body: dict[str, Any] = created.json()
        return body


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One database for the three modes (one server at a time), so its tokens are minted once."""
    db = tmp_path_factory.mktemp("conflicts") / "sandbox.db"
    sandbox_token(db, "admin", "--demo")  # seeds the demo data
    return db, {name: sandbox_token(db, name) for name in ("admin", "user-sync")}


@pytest.fixture(scope="module", params=[500, 400, 422], ids=lambda status: f"json-patch-errors-{status}")
def catalog(request: pytest.FixtureRequest, tokens: tuple[Path, dict[str, str]]) -> Iterator[Catalog]:
    db, minted = tokens
    args = [str(BIN / "openmetadata-sandbox"), "serve", "--port", "0", "--db", str(db), "--fault-control"]
    server = start_server([*args, "--json-patch-errors", str(request.param)])
    try:
        catalog = Catalog(request.param, server, minted)
        for name in ("Finance", "Marketing"):
            domain = catalog.admin("GET", f"/domains/name/{name}").json()
            catalog.domains[name] = Domain(domain["id"], name, name)
        # Warm up every route a test times (the sandbox imports the SDK's models on first use).
        warm = catalog.new_user(f"warm_up_{request.param}", displayName="Warm")
        catalog.admin("PATCH", f"/users/{warm['id']}", [{"op": "test", "path": "/displayName", "value": "Cold"}])
        catalog.admin("PATCH", f"/users/{warm['id']}", EDITS["renamed"])
        yield catalog
    finally:
        server.stop()


def read(api: OpenMetadataApi, user_id: str) -> CatalogUser:
    return user_from_json(api.get(f"/users/{user_id}", {"fields": "domains"}))


EDITS = {
    # another writer renamed the user: the test of the value fails
    "renamed": [{"op": "add", "path": "/displayName", "value": "Someone Else"}],
    # another writer removed the name: the test fails in the pointer code (Johnzon quotes the whole user)
    "name removed": [{"op": "remove", "path": "/displayName"}],
    # another writer emptied the domains: the test of /domains/0/id points past the end
    "domains emptied": [{"op": "add", "path": "/domains", "value": []}],
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_concurrent_edit_costs_one_read_and_one_patch_more(catalog: Catalog, edit: str) -> None:
    user = catalog.new_user(
        f"conflict_{catalog.status}_{edit.replace(' ', '_')}",
        displayName="Old Name",
        domains=["Marketing"],
        description=PLANTED,
    )
    api = catalog.api()
    change = UserChange(read(api, user["id"]), "Directory Name", (catalog.domains["Finance"],))
    assert catalog.admin("PATCH", f"/users/{user['id']}", EDITS[edit]).status_code == 200
    set_faults(catalog.server, PATCHES, READS)

    started = time.monotonic()
    written = UserWriter(api).write(change)
    elapsed = time.monotonic() - started

    assert (written.display_name, written.domain_ids) == ("Directory Name", (catalog.domains["Finance"].id,))
    assert fault_counts(catalog.server) == {PATCHES: 2, READS: 1}
    assert elapsed < CONFLICT_SECONDS
    api.close()


def test_a_plan_being_applied_fails_the_user_in_one_line_without_its_json(
    catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    """applyPlan does not re-plan, so the refusal reaches the error text: the server's message quotes the user
    (on Johnzon's 500), the connector's error does not."""
    user = catalog.new_user(f"applied_{catalog.status}", displayName="Old Name", description=PLANTED)
    api = catalog.api()
    change = UserChange(read(api, user["id"]), "Directory Name")
    assert catalog.admin("PATCH", f"/users/{user['id']}", EDITS["name removed"]).status_code == 200
    set_faults(catalog.server, PATCHES, READS)

    with pytest.raises(WriteError) as error:
        UserWriter(api, replan_on_conflict=False).write(change)

    assert str(error.value) == (
        "the user changed in OpenMetadata after the plan was checked (OpenMetadata: the test of /displayName "
        f"failed, HTTP {catalog.status}); nothing written"
    )
    assert fault_counts(catalog.server) == {PATCHES: 1, READS: 0}
    raw = catalog.admin("PATCH", f"/users/{user['id']}", [{"op": "test", "path": "/displayName", "value": "x"}])
    assert (PLANTED in raw.text) == (catalog.status == 500)
    assert PLANTED not in caplog.text
    api.close()
