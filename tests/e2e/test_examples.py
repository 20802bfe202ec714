"""End-to-end: each shipped example config, run by the real `metadata ingest` against the directory server's
matching schema (the seed's list, Relay-paged employees, offset-paged people) and the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Sandbox, run_ingest
from tests.e2e.test_sync import EXPECTED, StartDirectory, own_domains

EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize(
    ("example", "options", "directory_requests"),
    [
        ("seed-directory.yaml", {}, 2),
        # Page size 2, so that the three demo users take two pages (the second one short, for offset paging).
        ("relay-directory.yaml", {"graphqlPageSize": "2"}, 3),
        ("offset-directory.yaml", {"graphqlPageSize": "2"}, 3),
    ],
)
def test_example_config_syncs_the_demo_users_through_its_schema(
    tmp_path: Path,
    sandbox: Sandbox,
    start_directory: StartDirectory,
    example: str,
    options: dict[str, str],
    directory_requests: int,
) -> None:
    endpoint = start_directory(None)
    run = run_ingest(tmp_path, sandbox, endpoint, sandbox.token("user-sync"), base=EXAMPLES / example, **options)
    assert run.returncode == 0, run.output
    assert "The query fits the schema of the directory at" in run.output
    assert "updated 2;" in run.summary()  # admin is protected
    # The introspection check, then the pages.
    assert f"Requests: directory {directory_requests}," in run.summary()
    for name, (display_name, domains) in EXPECTED.items():
        user = sandbox.user(name)
        assert user.get("displayName") == display_name
        assert own_domains(user) == domains
