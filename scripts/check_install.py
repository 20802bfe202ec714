"""`make check-install`: prove the install line of docs/install.md (the Dockerfile's `RUN pip ...`) the way an
ingestion image meets it, on the lines given (CI: the oldest and the newest, `1.9 2.0`).

Docker cannot run here, so for each line the check builds what the image holds of the SDK and runs the line in it:
1. a throwaway environment `.check-install/om-X.Y/` holding only `openmetadata-ingestion==<the line's pin>` (the
   `om-X-Y` extra), plus the two requirements a machine without general internet needs (`dbt-core<1.12`,
   `cachetools`: docs/openmetadata-notes.md, "Installing the SDK"), and pip, which the image has and the line runs;
2. the install line, read from the Dockerfile and run as written, from the checkout (the image's build context);
3. the environment before and after: every package that was there is there at the same version, and what came is
   the connector and those of its own requirements that were missing, nothing else (`compare_environments`);
4. a sync of the demo through that environment's `metadata ingest` against the sandbox (imitating the line) and
   the demo directory, both run from the dev environment, then the demo users read back through the API;
5. the Airflow example's task (`sync_users` of examples/airflow/user_updater_dag.py) in the same environment,
   without Airflow: the import path an Airflow worker takes (`make airflow-check` runs it under real Airflow); the
   directory has not changed since step 4, so this second sync must find nothing to write.
`python -m scripts.check_install install VENV` runs steps 2 and 3 alone in an existing environment (the Airflow
check uses it). The uv cache makes step 1 cheap after the first run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import requires
from pathlib import Path
from typing import Any

import requests
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.servers import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
WORK = ROOT / ".check-install"
DEV_BIN = Path(sys.executable).parent
CONNECTOR = "openmetadata-user-updater"
SDK = "openmetadata-ingestion"
# Besides the SDK, what a machine that reaches only the package registries needs to install it: see
# docs/openmetadata-notes.md ("Installing the SDK").
OFFLINE_PINS = ("dbt-core<1.12", "cachetools")
DEMO_USERS = ROOT / "directory_server" / "demo_users.json"
SYNCED_USERS = ("aaron_johnson0", "brian_smith7")  # demo users the sync changes (admin may be a protected account)


class InstallCheckError(Exception):
    """The install line or the sync did not do what docs/install.md promises."""


def install_line(dockerfile: Path = DOCKERFILE) -> str:
    """The Dockerfile's one `RUN` instruction that runs pip: the install line, as docs/install.md shows it."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    lines = [line.strip()[len("RUN ") :] for line in text.splitlines() if line.strip().startswith("RUN ")]
    pip_lines = [line for line in lines if re.search(r"\bpip\b", line)]
    if len(pip_lines) != 1:
        raise InstallCheckError(f"{dockerfile.name} has {len(pip_lines)} RUN instructions running pip, not one")
    return pip_lines[0]


def sdk_pin(line: str) -> str:
    """The SDK release the line's extra pins (`1.9` -> `1.9.11.0`), read from the installed project's metadata."""
    extra = "om-" + line.replace(".", "-")
    for text in requires(CONNECTOR) or []:
        requirement = Requirement(text)
        if requirement.name == SDK and requirement.marker and requirement.marker.evaluate({"extra": extra}):
            (specifier,) = requirement.specifier
            return specifier.version
    raise InstallCheckError(f"no extra {extra} pinning {SDK} in pyproject.toml: is {line} a supported line?")


def environment_packages(venv: Path) -> dict[str, str]:
    """Every distribution installed in `venv`, by normalised name, with its version."""
    listing = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m, json; "
            "print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions()]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {canonicalize_name(name): version for name, version in json.loads(listing.stdout)}


def compare_environments(before: Mapping[str, str], after: Mapping[str, str], requirements: list[str]) -> list[str]:
    """What is wrong with `after`, the environment after the install line, given `before` and the connector's
    requirements (its wheel's `Requires-Dist`): a package that was there changed version or went away; a package
    came that is neither the connector nor one of its own requirements that `before` lacked."""
    problems = [
        f"{name} {version} became {after.get(name, 'absent')}"
        for name, version in sorted(before.items())
        if after.get(name) != version
    ]
    runtime = {canonicalize_name(Requirement(text).name) for text in requirements if "extra ==" not in text}
    allowed = {canonicalize_name(CONNECTOR)} | (runtime - before.keys())
    problems += [f"{name} {after[name]} came in" for name in sorted(after.keys() - before.keys() - allowed)]
    problems += [f"{name} did not come in" for name in sorted(allowed - after.keys())]
    return problems


def run_install_line(venv: Path) -> None:
    """Steps 2 and 3: the install line, run as written from the checkout with `venv` first on PATH (as the
    image's pip is), and the environment compared before and after."""
    line = install_line()
    before = environment_packages(venv)
    if canonicalize_name(CONNECTOR) in before:
        # A reused environment (the Airflow check's): take the connector out so that the line installs this
        # checkout and the comparison sees what a first install does.
        run([str(venv / "bin" / "python"), "-m", "pip", "uninstall", "--yes", "--quiet", CONNECTOR])
        before = environment_packages(venv)
    # PIP_QUIET as the ingestion image sets it (errors still show).
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "PIP_QUIET": "1",
    }
    # The line's guarantee rests on `pip freeze` listing the environment under the image's settings (PIP_QUIET
    # empties `pip list`, for one): an empty constraint list would let pip change anything, unseen below.
    frozen = run(["sh", "-c", "pip freeze"], env=env, capture_output=True).stdout
    if not re.search(rf"^{SDK}==", frozen, flags=re.MULTILINE):
        raise InstallCheckError(f"`pip freeze` does not list {SDK}: the install line would constrain nothing")
    print(f"== {line}", flush=True)
    run(["sh", "-c", line], cwd=ROOT, env=env)
    after = environment_packages(venv)
    problems = compare_environments(before, after, requires_in(venv))
    if problems:
        raise InstallCheckError("the install line changed the SDK's environment: " + "; ".join(problems))
    added = sorted(after.keys() - before.keys())
    print(f"   the environment is as it was, plus: {', '.join(f'{name} {after[name]}' for name in added)}")


def requires_in(venv: Path) -> list[str]:
    """The connector's requirements as installed in `venv` (its wheel's metadata)."""
    result = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            f"import importlib.metadata as m, json; print(json.dumps(m.requires({CONNECTOR!r})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found: list[str] = json.loads(result.stdout) or []
    return found


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a step; its output goes to this process's output, and a failure stops the check."""
    result = subprocess.run(args, text=True, check=False, **kwargs)
    if result.returncode != 0:
        output = (result.stdout or "") + (result.stderr or "")
        raise InstallCheckError(
            f"{shlex.join(args)} exited with {result.returncode}" + (f":\n{output}" if output else "")
        )
    return result


def uv() -> str:
    """The uv that make uses (`UV`: a command, or a path relative to the checkout such as `.tools/bin/uv`), else
    the one on PATH, else the checkout's."""
    found = os.environ.get("UV") or shutil.which("uv") or ".tools/bin/uv"
    if "/" in found and not Path(found).is_absolute():
        found = str(ROOT / found)
    if not shutil.which(found):
        raise InstallCheckError("uv not found: set UV, or run through make (which installs it into .tools/)")
    return found


def sdk_environment(line: str, venv: Path) -> str:
    """Step 1: a fresh environment holding only the line's SDK (and pip); returns the SDK release."""
    pin = sdk_pin(line)
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    run([uv(), "venv", "--quiet", "--seed", "--python", sys.executable, str(venv)], env=env)
    install = [
        uv(),
        "pip",
        "install",
        "--quiet",
        "--python",
        str(venv / "bin" / "python"),
        f"{SDK}=={pin}",
        *OFFLINE_PINS,
    ]
    # From the uv cache alone when it holds a resolution (every run after the first): revalidating ~140 index pages
    # costs more than the rest of the step. The first run, or a cache that lacks a package, goes online.
    if subprocess.run([*install, "--offline"], env=env, check=False, capture_output=True).returncode != 0:
        run(install, env=env)
    return pin


@contextmanager
def demo_servers(work: Path, version: str) -> Iterator[tuple[str, str]]:
    """The sandbox, imitating OpenMetadata `version`, and the demo directory, from the dev environment; yields
    their base URLs."""
    servers: list[RunningServer] = []
    try:
        servers.append(
            start_server(
                [
                    str(DEV_BIN / "openmetadata-sandbox"),
                    "serve",
                    "--port",
                    "0",
                    "--db",
                    str(work / "sandbox.db"),
                    "--demo",
                    "--version",
                    version,
                ]
            )
        )
        servers.append(start_server([str(DEV_BIN / "directory-server"), "--port", "0"]))
        yield servers[0].url, servers[1].url
    finally:
        for server in servers:
            server.stop()


def workflow_file(work: Path, om: str, directory: str) -> Path:
    """The shipped user_updater.yaml pointed at the servers; every demo user differs from the directory, so the
    first sync is a backfill, which the default safety limit would stop (as `make demo` does)."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "user_updater.yaml").read_text())
    options = config["source"]["serviceConnection"]["config"]["connectionOptions"]
    options.update({"graphqlEndpoint": directory, "maxChangePercent": "100"})
    config["workflowConfig"]["openMetadataServerConfig"]["hostPort"] = f"{om}/api"
    path = work / "user_updater.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def synced_users(om: str, token: str) -> dict[str, dict[str, Any]]:
    """The demo users the sync changes, read back through the API; fails unless each carries the directory's
    displayName and domain."""
    directory = {row["email"]: row for row in json.loads(DEMO_USERS.read_text())}
    users = {}
    for name in SYNCED_USERS:
        response = requests.get(
            f"{om}/api/v1/users/name/{name}",
            params={"fields": "domains"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        response.raise_for_status()
        user: dict[str, Any] = response.json()
        wanted = directory[user["email"]]
        domains = {ref["name"] for ref in user.get("domains") or [] if not ref.get("inherited")}
        if user.get("displayName") != wanted["displayName"] or wanted["domain"] not in domains:
            raise InstallCheckError(
                f"{name} was not synced: displayName {user.get('displayName')!r}, domains {domains}"
            )
        users[name] = user
    return users


def sync_summary(result: subprocess.CompletedProcess[str]) -> str:
    """The run's summary line, for the log."""
    lines = [line for line in (result.stdout + result.stderr).splitlines() if "User sync summary" in line]
    return lines[-1].split("User sync summary", 1)[1].lstrip(": ") if lines else "(no summary line)"


def check_line(line: str) -> None:
    """Steps 1 to 5 for one line."""
    started = time.monotonic()
    work = WORK / f"om-{line}"
    shutil.rmtree(work, ignore_errors=True)  # a fresh environment and a fresh sandbox catalog
    venv = work / "venv"
    pin = sdk_environment(line, venv)
    print(
        f"== OpenMetadata {line}: {SDK}=={pin} and {' '.join(OFFLINE_PINS)} in {venv.relative_to(ROOT)} "
        f"({time.monotonic() - started:.0f} s)",
        flush=True,
    )
    mark = time.monotonic()
    run_install_line(venv)
    print(f"   ({time.monotonic() - mark:.0f} s)")
    version = ".".join(pin.split(".")[:3])
    with demo_servers(work, version) as (om, directory):
        token = run(
            [str(DEV_BIN / "openmetadata-sandbox"), "token", "user-sync", "--db", str(work / "sandbox.db")],
            capture_output=True,
        ).stdout.strip()
        config = workflow_file(work, om, directory)
        env = {**os.environ, "OPENMETADATA_JWT_TOKEN": token, "USER_UPDATER_CONFIG": str(config)}
        # Both runs start in the work directory: from the checkout, `python -c` would import connector/ from the
        # working directory instead of the installed copy, and hide a broken install.
        mark = time.monotonic()
        first = run(
            [str(venv / "bin" / "metadata"), "ingest", "-c", str(config)], cwd=work, env=env, capture_output=True
        )
        print(f"   metadata ingest ({time.monotonic() - mark:.0f} s): {sync_summary(first)}")
        synced = synced_users(om, token)
        mark = time.monotonic()
        task = run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import runpy, sys; runpy.run_path(sys.argv[1])['sync_users']()",
                str(ROOT / "examples" / "airflow" / "user_updater_dag.py"),
            ],
            cwd=work,
            env=env,
            capture_output=True,
        )
        print(f"   the Airflow example's task ({time.monotonic() - mark:.0f} s): {sync_summary(task)}")
        again = synced_users(om, token)
        rewritten = [name for name in SYNCED_USERS if again[name]["version"] != synced[name]["version"]]
        if rewritten:
            raise InstallCheckError(f"the second sync wrote again to {', '.join(rewritten)}")
    print(f"== OpenMetadata {line}: passed in {time.monotonic() - started:.0f} s", flush=True)


def check_lines(lines: list[str]) -> int:
    """Each line in a process of its own, side by side: most of a line's time is waiting (the package index,
    process start-up), so two lines on two cores take little longer than one. Each line's output goes to
    `.check-install/om-X.Y.log` and is printed when all are done, in order."""
    WORK.mkdir(exist_ok=True)
    logs = {line: WORK / f"om-{line}.log" for line in lines}
    children = {}
    for line in lines:
        with logs[line].open("w") as log:
            children[line] = subprocess.Popen(
                [sys.executable, "-m", "scripts.check_install", "line", line],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    failed = [line for line, child in children.items() if child.wait() != 0]
    for line in lines:
        print(logs[line].read_text(), end="", flush=True)
    print(f"check-install: {'FAILED on ' + ' '.join(failed) if failed else 'passed on ' + ' '.join(lines)}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.check_install", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    lines = commands.add_parser("lines", help="steps 1 to 5 on each line given, the lines side by side")
    lines.add_argument("lines", nargs="+", metavar="LINE", help="e.g. 1.9 2.0")
    line = commands.add_parser("line", help="steps 1 to 5 on one line")
    line.add_argument("line", metavar="LINE")
    install = commands.add_parser("install", help="steps 2 and 3 in an existing environment")
    install.add_argument("venv", type=Path)
    args = parser.parse_args(argv)
    if args.command == "lines":
        return check_lines(args.lines)
    try:
        if args.command == "install":
            run_install_line(args.venv.resolve())
        else:
            check_line(args.line)
    except InstallCheckError as failure:
        print(f"check-install: FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
