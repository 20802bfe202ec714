"""Plan and report files: created 0600, whole, never written through a symlink (connector/private_file.py)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connector import plan_file
from connector.change_report import Action, ChangeReport, ReportRow
from connector.plan import Plan
from connector.plan_file import new_plan_file
from connector.private_file import PrivateFile
from connector.settings import UserUpdaterSettings
from tests.unit.test_plan import snapshot

ROW = ReportRow("a@x.org", "a", "displayName", "A", "B", Action.UPDATE, "")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_plan(path: Path) -> None:
    settings = UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://directory"})
    saved = new_plan_file(
        Plan(),
        snapshot().domains,
        settings,
        directory_endpoint="http://directory",
        openmetadata_host="http://om",
        created_at=datetime.now(timezone.utc),
    )
    plan_file.save(path, saved)


def write_report(path: Path) -> None:
    report = ChangeReport(path)
    report.write([ROW])
    report.close()


@pytest.mark.parametrize("write", [write_plan, write_report])
@pytest.mark.parametrize("name", ["out.json", "out.csv"])
def test_files_are_private_even_under_a_lax_umask(tmp_path: Path, write: Callable[[Path], None], name: str) -> None:
    previous = os.umask(0o022)
    try:
        write(tmp_path / name)
    finally:
        os.umask(previous)
    assert mode(tmp_path / name) == 0o600
    assert not (tmp_path / f"{name}.partial").exists()


@pytest.mark.parametrize("write", [write_plan, write_report])
def test_a_symlink_at_the_partial_or_final_path_is_never_written_through(
    tmp_path: Path, write: Callable[[Path], None]
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    victim.chmod(0o644)
    path = tmp_path / "out.json"
    (tmp_path / "out.json.partial").symlink_to(victim)
    path.symlink_to(victim)
    write(path)
    assert victim.read_text() == "keep me\n"
    assert mode(victim) == 0o644
    assert not path.is_symlink()
    assert mode(path) == 0o600


def test_a_symlink_planted_between_the_cleanup_and_the_open_makes_the_open_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    partial = tmp_path / "out.json.partial"
    real_unlink = Path.unlink

    def unlink_then_plant(self: Path, missing_ok: bool = False) -> None:
        real_unlink(self, missing_ok=missing_ok)
        if self == partial:
            partial.symlink_to(victim)

    partial.write_text("left by a crashed run")
    monkeypatch.setattr(Path, "unlink", unlink_then_plant)
    with pytest.raises(FileExistsError):
        PrivateFile(tmp_path / "out.json")
    assert victim.read_text() == "keep me\n"


def test_a_plan_that_fails_midway_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    file = PrivateFile(path)
    file.write("{")
    file.__exit__(RuntimeError, RuntimeError("disk full"), None)
    assert not path.exists()
    assert not (tmp_path / "plan.json.partial").exists()
