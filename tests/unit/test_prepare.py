"""The run's guards in `UserUpdaterSource.prepare()`: each stops the run before any write. The OpenMetadata API and
the directory client are fakes (no process boundary is crossed here; the end-to-end suite runs the same guards
through `metadata ingest`), so each test counts the writes, not only the messages."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
    OpenMetadataConnection,
)

from connector.directory import DirectoryError, DirectoryRead, DirectoryUser, DirectoryUsers, RowProblem
from connector.permissions import MissingPermissionError
from connector.plan import SafetyLimitError
from connector.settings import UserUpdaterSettings
from connector.user_updater import UserUpdaterSource

USERS = 10
DOMAINS = [{"id": "d-fin", "name": "Finance", "fullyQualifiedName": "Finance"}]
ALLOW = [{"operation": op, "access": "allow"} for op in ("EditDisplayName", "EditDomains", "EditAll", "ViewAll")]


def catalog_user(i: int) -> dict[str, Any]:
    return {"id": f"u{i}", "name": f"user{i}", "email": f"user{i}@x.org", "displayName": f"Old {i}", "domains": []}


class FakeApi:
    """OpenMetadataApi's surface as prepare() and the writer use it; counts reads, pages served and writes."""

    base_url = "http://om.test/api/v1"
    token_origin = "the workflow's securityConfig"  # noqa: S105 - where the token came from, not a token

    def __init__(self, permissions: list[dict[str, Any]] = ALLOW, user_pages: int = 1, page_delay: float = 0) -> None:
        self.permissions = permissions
        self.user_pages, self.page_delay = user_pages, page_delay
        self.reads = self.writes = self.pages_served = 0
        self.first_user_page = threading.Event()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        self.reads += 1
        if path == "/users/loggedInUser":
            return {"name": "user-sync", "isBot": False, "isAdmin": False}
        if path == "/permissions/user":
            return {"resource": "user", "permissions": self.permissions}
        raise AssertionError(f"unexpected GET {path}")

    def list_pages(self, path: str, params: dict[str, Any], page_size: int) -> Iterator[list[dict[str, Any]]]:
        if path == "/domains":
            yield DOMAINS
            return
        for page in range(self.user_pages):
            time.sleep(self.page_delay)
            self.pages_served += 1
            self.first_user_page.set()
            yield [catalog_user(i) for i in range(USERS)] if page == 0 else []

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        self.writes += 1
        user = catalog_user(int(path.rsplit("/u", 1)[1]))
        for op in operations:
            if op["op"] == "add":
                user[op["path"].lstrip("/")] = op["value"]
        return user

    def close(self) -> None:
        pass


class FakeDirectory:
    """DirectoryClient's surface: `read` is what read_users() answers (a DirectoryRead, or an error to raise)."""

    endpoint = "http://directory.test/graphql"

    def __init__(self, read: DirectoryRead | Exception, wait_for: threading.Event | None = None) -> None:
        self.read, self.wait_for = read, wait_for
        self.requests_sent = 0

    def check_query(self) -> bool:
        self.requests_sent += 1
        return True

    def read_users(self, strings: dict[str, str] | None = None) -> DirectoryRead:
        self.requests_sent += 1
        if self.wait_for is not None:
            assert self.wait_for.wait(10)
        if isinstance(self.read, Exception):
            raise self.read
        return self.read

    def close(self) -> None:
        pass


def directory(changed: int, problems: tuple[RowProblem, ...] = ()) -> DirectoryRead:
    """The catalog's users, the first `changed` of them with a new display name."""
    users = [
        DirectoryUser(i + 1, f"user{i}@x.org", f"New {i}" if i < changed else f"Old {i}", None) for i in range(USERS)
    ]
    return DirectoryRead(
        users=DirectoryUsers.of(users), problems=list(problems), rows=USERS + len(problems), filtered=set()
    )


def source(api: FakeApi, directory_client: FakeDirectory, **options: str) -> UserUpdaterSource:
    settings = UserUpdaterSettings.from_connection_options({"graphqlEndpoint": FakeDirectory.endpoint, **options})
    metadata = SimpleNamespace(
        config=OpenMetadataConnection.model_validate({"hostPort": "http://om.test/api"}),
        _auth_provider=SimpleNamespace(get_access_token=lambda: ("jwt", 0)),
    )
    built = UserUpdaterSource(settings, metadata)  # type: ignore[arg-type]
    built.api.close()
    built.api, built.directory = api, directory_client  # type: ignore[assignment]
    return built


def run(built: UserUpdaterSource) -> list[Any]:
    """What the workflow does after prepare(): iterate the source (which writes)."""
    return list(built._iter())


def test_a_prepared_run_writes_the_planned_changes() -> None:
    """The control for every guard below: the same fakes, nothing stopping the run, and the writes are counted."""
    api = FakeApi()
    built = source(api, FakeDirectory(directory(changed=2)))
    built.prepare()
    assert run(built) == []  # failures come back as Either(left=...); none here
    assert api.writes == 2
    assert built.report.updated == 2


def test_a_missing_permission_stops_before_the_directory_is_read_and_writes_nothing() -> None:
    deny = {"operation": "EditDisplayName", "access": "deny", "rule": {"name": "DisplayName-Deny"}}
    denied: list[dict[str, Any]] = [*ALLOW[1:], deny]
    api, reader = FakeApi(permissions=denied), FakeDirectory(directory(changed=2))
    built = source(api, reader)
    with pytest.raises(MissingPermissionError, match=r"needs EditDisplayName, which OpenMetadata answers 'deny'"):
        built.prepare()
    assert (api.writes, api.pages_served, reader.requests_sent) == (0, 0, 1)  # only the query's check
    with pytest.raises(RuntimeError, match="prepare"):
        run(built)
    assert api.writes == 0


def test_a_conditional_permission_is_a_warning_and_the_run_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    condition = {"operation": "EditDisplayName", "access": "conditionalAllow", "policy": "Owners"}
    conditional: list[dict[str, Any]] = [condition, *ALLOW[1:]]
    api = FakeApi(permissions=conditional)
    built = source(api, FakeDirectory(directory(changed=1)))
    built.prepare()
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warnings == [
        "'user-sync' (user) may edit users' displayName only under a condition (policy 'Owners'); "
        "OpenMetadata decides per user"
    ]
    run(built)
    assert api.writes == 1


def test_the_safety_limit_stops_a_mass_change_before_any_write(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="metadata.Ingestion")
    api = FakeApi()
    built = source(api, FakeDirectory(directory(changed=5)), maxChangePercent="20", minChangesForPercentLimit="0")
    with pytest.raises(SafetyLimitError, match=r"the plan changes 5 of 10 matched users \(50%\)"):
        built.prepare()
    assert built.plan is None
    assert api.writes == 0
    assert "Planned: user user0: displayName 'Old 0' -> 'New 0'" in caplog.text


def test_a_dry_run_over_the_safety_limit_warns_shows_the_plan_and_writes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="metadata.Ingestion")
    api = FakeApi()
    built = source(
        api, FakeDirectory(directory(changed=5)), maxChangePercent="20", minChangesForPercentLimit="0", dryRun="true"
    )
    built.prepare()
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 1
    assert warnings[0].startswith("A real run would stop here. Safety limit: the plan changes 5 of 10 matched users")
    run(built)
    assert api.writes == 0
    assert caplog.text.count("Dry run, not written: user user") == 5


def test_row_problems_are_warnings_and_the_other_rows_still_apply(caplog: pytest.LogCaptureFixture) -> None:
    problem = RowProblem(11, "email", "'no-at-sign' is not an email address; row skipped")
    api = FakeApi()
    built = source(api, FakeDirectory(directory(changed=1, problems=(problem,))))
    built.prepare()
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [str(problem)]
    run(built)
    assert api.writes == 1


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (
            DirectoryError(
                "the directory at http://directory.test/graphql answered with GraphQL errors (next to partial data, "
                "which is not used): resolver failed"
            ),
            "next to partial data",
        ),
        (
            DirectoryRead(users=DirectoryUsers(), problems=[], rows=0, filtered=set()),
            "answered with no users; stopping without",
        ),
    ],
    ids=["partial GraphQL data", "empty directory"],
)
def test_a_directory_that_is_partial_or_empty_stops_the_run_before_any_write(
    read: DirectoryRead | Exception, message: str
) -> None:
    api = FakeApi()
    built = source(api, FakeDirectory(read))
    with pytest.raises(DirectoryError, match=message):
        built.prepare()
    assert built.plan is None
    assert api.writes == 0


def test_a_failed_directory_read_cancels_the_snapshot_at_its_next_page() -> None:
    """The catalog is read alongside the directory; once the directory fails, the snapshot stops instead of reading
    its remaining pages (here 10,000 of them, 5 ms each: 50 s if it did not)."""
    api = FakeApi(user_pages=10_000, page_delay=0.005)
    failing = FakeDirectory(DirectoryError("cannot read the directory: timed out"), wait_for=api.first_user_page)
    built = source(api, failing)
    started = time.monotonic()
    with pytest.raises(DirectoryError, match="timed out"):
        built.prepare()
    assert time.monotonic() - started < 10
    assert 1 <= api.pages_served < 100
    assert api.writes == 0
