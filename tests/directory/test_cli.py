"""Start-up failures: bad data must stop the CLI with exit code 2 and one clear line, before binding."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.directory.conftest import directory_command


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # Should bad data ever get past loading, the server would start and the timeout fail the test.
    return subprocess.run(
        directory_command("--port", "0", *args), capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read data file"),
        ("[{", "invalid JSON"),
        ('{"users": []}', "expected a JSON list of user objects, got an object"),
        ('[{"email": "a@b.c"}, "bob"]', "row 1 is a string, expected an object"),
        ('[{"email": 12}]', "row 0 key 'email' is a number, expected a string or null"),
    ],
)
def test_bad_data_exits_2_with_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "users.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli("--data", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("directory-server: error: ")
    assert message in lines[0]
    assert str(path) in lines[0]


def test_help_lists_the_options() -> None:
    result = subprocess.run(directory_command("--help"), capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0
    for option in ("--host", "--port", "--data", "--no-introspection"):
        assert option in result.stdout
