"""Run the SDK's `metadata` command, the connector's `user-updater` command and the sandbox's
`openmetadata-sandbox token` and `sso-token`, each in a process of its own, forked from one that has already
imported them.

Importing the SDK costs about 10 s of CPU in every process (its generated models and every connector's modules);
paid by each of the end-to-end suite's runs, it was most of CI's time. multiprocessing's forkserver imports the
commands once per test worker; each run forks from it and calls the entry point the installed script calls
(`sys.exit(metadata())`, `sys.exit(main())`) with its own arguments, environment and output files, so its exit
status, its output and its HTTP traffic are the command's own. The installed scripts themselves run as they are
where the cron wrapper runs them (tests/e2e/test_scheduling.py) and in `make check-install`.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from metadata.cmd import metadata

from connector.cli import main
from om_sandbox import cli as sandbox_cli

# Each command's entry point, as its installed script calls it.
ENTRY_POINTS: dict[str, Callable[[], int | None]] = {
    "metadata": metadata,
    "user-updater": main,
    "openmetadata-sandbox": sandbox_cli.main,
}
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])


def _child(command: str, args: list[str], env: dict[str, str], stdout: str, stderr: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, stdout), (2, stderr)):
        file = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(file, fd)
        os.close(file)
    sys.argv = [command, *args]
    sys.exit(ENTRY_POINTS[command]())


def run(
    argv: list[str], env: Mapping[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(argv, capture_output=True, text=True, check=False)` for a command of ENTRY_POINTS."""
    command = argv[0]
    if command not in ENTRY_POINTS:
        raise ValueError(f"{command!r} is not one of {sorted(ENTRY_POINTS)}")
    with tempfile.TemporaryDirectory(prefix="command-") as directory:
        stdout, stderr = Path(directory, "stdout"), Path(directory, "stderr")
        stdout.touch(mode=0o600)
        stderr.touch(mode=0o600)
        environment = dict(os.environ if env is None else env)
        process = _CONTEXT.Process(
            target=_child,
            args=(command, argv[1:], environment, str(stdout), str(stderr)),
        )
        process.start()
        process.join(timeout)
        timed_out = process.exitcode is None
        if timed_out:
            process.kill()
            process.join()
        out, err = stdout.read_text(errors="replace"), stderr.read_text(errors="replace")
    if timed_out:
        raise subprocess.TimeoutExpired(argv, timeout, output=out, stderr=err)
    assert process.exitcode is not None
    return subprocess.CompletedProcess(argv, process.exitcode, out, err)


def sandbox_token(db: Path, name: str, *extra: str) -> str:
    """A token of user `name` minted by `openmetadata-sandbox token` on the database `db` (`extra`: its options,
    e.g. `--expiry-seconds -1`, `--demo`); a failure raises CalledProcessError."""
    result = run(["openmetadata-sandbox", "token", name, "--db", str(db), *extra], timeout=60)
    result.check_returncode()
    return result.stdout.strip()


def sandbox_sso_token(db: Path, *extra: str, **claims: str) -> str:
    """A token as an identity provider mints it, carrying `claims` (e.g. `email="jane@example.com"`,
    `preferred_username="jdoe"`) and no OpenMetadata `tokenType`, signed with the keys of the sandbox database `db`
    by `openmetadata-sandbox sso-token` (`extra`: its options, e.g. `--expiry-seconds -1`); a failure raises
    CalledProcessError."""
    options = [f"--claim={name}={value}" for name, value in claims.items()]
    result = run(["openmetadata-sandbox", "sso-token", "--db", str(db), *options, *extra], timeout=60)
    result.check_returncode()
    return result.stdout.strip()
