"""End-to-end at (small) scale: parallel writes against a slow server, and the benchmark harness itself."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from metadata.workflow.metadata import MetadataWorkflow

from benchmarks.generate import generate
from tests.e2e.conftest import ROOT, Sandbox, workflow_config
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


def test_benchmark_harness_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    """The benchmark command itself, at N=20, so that it cannot rot; its counts, not its times, are checked."""
    json_out = ("--json", str(tmp_path / "results.json"))
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--people", "20", "--changed", "0.25", "--backfill", "0", *json_out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    size = json.loads((tmp_path / "results.json").read_text())["sizes"][0]
    assert size["changed"] == 5
    assert size["first"]["openmetadata_writes"] == size["floor_first"]["writes"] == 5
    assert size["second"]["openmetadata_writes"] == size["floor_second"]["writes"] == 0
    # One page, and the introspection query that checks the configured query first.
    assert size["expected_directory_pages"] == 1
    assert size["first"]["directory_requests"] == size["expected_directory_pages"] + 1
    assert size["first"]["openmetadata_reads"] == size["floor_first"]["openmetadata_reads"]
    assert "| 20 | no change |" in result.stdout
