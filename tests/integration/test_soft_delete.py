"""The soft-delete writer against a sandbox process: it writes only at the planned version, sends nothing for a user
already in the wanted state, and never resends a DELETE or a restore whose answer was lost or refused; it reads the
user again instead. The sandbox's fault layer counts the requests, so each test proves what was sent."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
    OpenMetadataConnection,
)

from connector.catalog import CatalogUser, user_from_json
from connector.openmetadata import OpenMetadataApi
from connector.settings import UserUpdaterSettings
from connector.soft_delete import ConflictError, SoftDeleteWriter
from connector.writer import WriteError
from tests.support.commands import sandbox_token
from tests.support.servers import RunningServer, fault_counts, set_faults, start_server

BIN = Path(sys.executable).parent
ACCOUNT = "leaver-writer"
DELETES = "DELETE /api/v1/users/*: ok*"
RESTORES = "PUT /api/v1/users/restore: ok*"
RULES = [{"name": "Leavers", "resources": ["user"], "operations": ["ViewAll", "EditAll", "Delete"], "effect": "allow"}]


class Catalog:
    def __init__(self, server: RunningServer, db: Path) -> None:
        self.server = server
        self.admin_token = sandbox_token(db, "admin")
        policy = self.admin("POST", "/policies", {"name": "LeaverWriterPolicy", "rules": RULES}).json()
        role = self.admin("POST", "/roles", {"name": "LeaverWriterRole", "policies": [policy["name"]]}).json()
        self.admin("POST", "/users", {"name": ACCOUNT, "email": f"{ACCOUNT}@example.com", "roles": [role["id"]]})
        self.token = sandbox_token(db, ACCOUNT)

    def admin(self, method: str, path: str, body: Any = None) -> requests.Response:
        content_type = "application/json-patch+json" if method == "PATCH" else "application/json"
        response = requests.request(
            method,
            f"{self.server.url}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.admin_token}", "Content-Type": content_type},
            timeout=120,  # the first request that validates with the SDK's models imports them
        )
        assert response.status_code < 300, response.text
        return response

    def writer(self) -> SoftDeleteWriter:
        token = self.token
        metadata = SimpleNamespace(
            config=OpenMetadataConnection.model_validate({"hostPort": f"{self.server.url}/api"}),
            _auth_provider=SimpleNamespace(get_access_token=lambda: (token, 0)),
        )
        settings = UserUpdaterSettings.from_connection_options(
            {"graphqlEndpoint": "http://unused", "maxRetries": "3", "retryBackoffSeconds": "0.1"}
        )
        return SoftDeleteWriter(OpenMetadataApi(metadata, settings))  # type: ignore[arg-type]

    def new_user(self) -> CatalogUser:
        name = f"p{uuid.uuid4().hex[:10]}"
        created = self.admin("POST", "/users", {"name": name, "email": f"{name}@example.com"}).json()
        return user_from_json(created)

    def deleted(self, user: CatalogUser) -> bool:
        return bool(self.admin("GET", f"/users/{user.id}?include=all").json().get("deleted"))


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    db = tmp_path_factory.mktemp("soft-delete") / "sandbox.db"
    sandbox_token(db, "admin", "--demo")  # seeds the demo data
    server = start_server(
        [str(BIN / "openmetadata-sandbox"), "serve", "--port", "0", "--db", str(db), "--fault-control"]
    )
    try:
        yield Catalog(server, db)
    finally:
        server.stop()


def test_a_soft_delete_and_a_restore_write_once_at_the_planned_version(catalog: Catalog) -> None:
    user = catalog.new_user()
    set_faults(catalog.server, DELETES, RESTORES)
    deleted = catalog.writer().delete(user)
    assert (deleted.user.id, deleted.note) == (user.id, "")
    assert catalog.deleted(user)
    restored = catalog.writer().restore(deleted.user)
    assert (restored.user.id, restored.note) == (user.id, "")
    assert not catalog.deleted(user)
    assert fault_counts(catalog.server) == {DELETES: 1, RESTORES: 1}


def test_a_user_changed_since_it_was_read_is_a_conflict_and_not_deleted(catalog: Catalog) -> None:
    user = catalog.new_user()
    catalog.admin("PATCH", f"/users/{user.id}", [{"op": "add", "path": "/displayName", "value": "Renamed"}])
    set_faults(catalog.server, DELETES)
    with pytest.raises(ConflictError, match=r"changed in OpenMetadata since it was read \(version 0.1 then, 0.2 now"):
        catalog.writer().delete(user)
    assert not catalog.deleted(user)
    assert fault_counts(catalog.server) == {DELETES: 0}


def test_a_user_already_in_the_wanted_state_is_left_alone(catalog: Catalog) -> None:
    gone, back = catalog.new_user(), catalog.new_user()
    catalog.admin("DELETE", f"/users/{gone.id}")
    set_faults(catalog.server, DELETES, RESTORES)
    assert catalog.writer().delete(gone).note == "already soft-deleted in OpenMetadata; nothing written"
    assert catalog.writer().restore(back).note == "already restored in OpenMetadata; nothing written"
    assert fault_counts(catalog.server) == {DELETES: 0, RESTORES: 0}


def test_a_delete_whose_answer_is_lost_is_not_resent_and_the_reread_shows_it_done(catalog: Catalog) -> None:
    user = catalog.new_user()
    set_faults(catalog.server, "DELETE /api/v1/users/*: lost")
    done = catalog.writer().delete(user)
    assert done.note == "soft-deleted (the answer was lost; the user reads soft-deleted)"
    assert catalog.deleted(user)
    assert fault_counts(catalog.server) == {"DELETE /api/v1/users/*: lost": 1}


def test_a_restore_refused_by_a_gateway_is_not_resent_and_fails(catalog: Catalog) -> None:
    user = catalog.new_user()
    catalog.admin("DELETE", f"/users/{user.id}")
    deleted = user_from_json(catalog.admin("GET", f"/users/{user.id}?include=all").json())
    rule = "PUT /api/v1/users/restore: 503"
    set_faults(catalog.server, rule)
    with pytest.raises(WriteError, match=r"HTTP 503"):
        catalog.writer().restore(deleted)
    assert catalog.deleted(user)
    assert fault_counts(catalog.server) == {rule: 1}
