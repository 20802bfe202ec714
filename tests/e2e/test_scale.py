"""End-to-end at (small) scale: parallel writes against a slow server."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from metadata.workflow.metadata import MetadataWorkflow

from benchmarks.generate import generate
from tests.e2e.conftest import Sandbox, workflow_config
from tests.support import releases
from tests.support.servers import start_server

BIN = Path(sys.executable).parent
LATENCY_SECONDS = 0.3


def test_parallel_writes_overlap_and_every_success_and_failure_is_counted(tmp_path: Path) -> None:
    """30 users all changed, the sandbox holding each write 300 ms; one user is deleted after the plan.

    One write at a time would need at least 29 x 0.3 s = 8.7 s of server delay alone, so finishing sooner proves that
    writes overlapped; the status must still name the one failure and count the 29 successes."""
    manifest = generate(tmp_path, 30, changed=1.0)
    assert manifest.changed == 30
    release = releases.installed()
    options = ("--write-latency-ms", str(int(LATENCY_SECONDS * 1000)), "--version", release.version)
    sandbox_server = start_server(
        [str(BIN / "openmetadata-sandbox"), "serve", "--port", "0", "--db", str(tmp_path / "sandbox.db"), *options]
    )
    directory = start_server([str(BIN / "directory-server"), "--port", "0", "--data", str(tmp_path / "directory.json")])
    try:
        sandbox = Sandbox(url=f"{sandbox_server.url}/api", db=tmp_path / "sandbox.db", release=release)
        token = sandbox.token("user-sync")
        config = workflow_config(sandbox, directory.url, token, writeConcurrency="8", maxChangePercent="100")
        workflow = MetadataWorkflow.create(config)
        victim = json.loads((tmp_path / "directory.json").read_text())[7]["email"].split("@")[0]
        victim_id = sandbox.user(victim)["id"]
        assert sandbox.request("DELETE", f"/v1/users/{victim_id}", None).status_code == 200
        started = time.monotonic()
        workflow.execute()
        elapsed = time.monotonic() - started
        status = workflow.source.status
        assert [failure.name for failure in status.failures] == [f"user {victim}"]
        assert "HTTP 404" in status.failures[0].error
        assert len(status.updated_records) == 29
        assert workflow.source.report.updated == 29
        assert workflow.source.report.failed == 1
        assert workflow.source.api.writes == 30
        assert elapsed < 29 * LATENCY_SECONDS, f"30 writes took {elapsed:.1f}s: they did not overlap"
        workflow.stop()
    finally:
        directory.stop()
        sandbox_server.stop()
