"""The benchmark command itself (benchmarks/run.py), at N=20, so that it cannot rot: its counts, not its times.

Not in tests/e2e, whose every test `make test-lines` repeats on each line: the harness measures, it shows no line's
behaviour."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_harness_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
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
