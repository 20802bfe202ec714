"""The connector's distribution, as `uv build` makes it: the connector alone, requiring exactly what it imports.

An ingestion image gets this wheel (docs/install.md); the sandbox, the directory server and the fault injector are
development parts (devtools/pyproject.toml) whose code and libraries must never come with it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from email.parser import Parser
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.check_install import uv

ROOT = Path(__file__).resolve().parents[2]
DIST_INFO = "openmetadata_user_updater-0.1.0.dist-info"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    # `uv build` builds the sdist, then the wheel from it: both must hold what the connector needs.
    subprocess.run([uv(), "build", "--quiet", "--out-dir", str(out)], cwd=ROOT, check=True, timeout=300)
    (path,) = out.glob("*.whl")
    return zipfile.ZipFile(path)


def metadata(wheel: zipfile.ZipFile) -> list[tuple[str, str]]:
    return list(Parser().parsestr(wheel.read(f"{DIST_INFO}/METADATA").decode()).items())


def runtime_requirements(wheel: zipfile.ZipFile) -> dict[str, Requirement]:
    found = [Requirement(value) for key, value in metadata(wheel) if key == "Requires-Dist"]
    return {canonicalize_name(req.name): req for req in found if not req.marker}


def imported_distributions() -> set[str]:
    """The distributions providing the modules that connector/ imports (stdlib and the connector left out)."""
    modules = set()
    for path in (ROOT / "connector").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    modules -= {"connector", "__future__", *sys.stdlib_module_names}
    providers = packages_distributions()
    unknown = sorted(module for module in modules if module not in providers)
    assert not unknown, f"connector/ imports modules no installed distribution provides: {unknown}"
    return {canonicalize_name(dist) for module in modules for dist in providers[module]}


def test_the_wheel_holds_the_connector_and_nothing_else(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    stray = [name for name in names if not name.startswith(("connector/", f"{DIST_INFO}/"))]
    assert not stray, f"the wheel ships more than the connector: {stray}"
    sources = {f"connector/{path.name}" for path in (ROOT / "connector").glob("*.py")}
    assert sources <= set(names), f"the wheel lacks {sorted(sources - set(names))}"


def test_the_wheel_requires_what_the_connector_imports(wheel: zipfile.ZipFile) -> None:
    assert set(runtime_requirements(wheel)) == imported_distributions()


def test_the_wheel_requires_none_of_the_development_servers_libraries(wheel: zipfile.ZipFile) -> None:
    """What only the sandbox, the directory server and the fault injector use (starlette, uvicorn, strawberry,
    PyJWT, ...) stays out of the connector's requirements, extras included."""
    devtools: set[str] = {
        canonicalize_name(Requirement(text).name) for text in requires("openmetadata-user-updater-devtools") or []
    }
    servers_only = devtools - set(runtime_requirements(wheel)) - {"openmetadata-user-updater"}
    assert {"starlette", "uvicorn", "strawberry-graphql", "pyjwt"} <= servers_only
    every = {canonicalize_name(Requirement(value).name) for key, value in metadata(wheel) if key == "Requires-Dist"}
    assert not every & servers_only


def test_each_extra_is_one_line_of_the_sdk(wheel: zipfile.ZipFile) -> None:
    """`om-X-Y` pins that line's SDK (and cachetools, which the SDK imports without declaring before 1.13)."""
    extras = [value for key, value in metadata(wheel) if key == "Provides-Extra"]
    assert extras
    for extra in extras:
        pinned = [
            Requirement(value)
            for key, value in metadata(wheel)
            if key == "Requires-Dist" and Requirement(value).marker is not None
            if Requirement(value).marker.evaluate({"extra": extra})  # type: ignore[union-attr]
        ]
        (sdk,) = [req for req in pinned if req.name == "openmetadata-ingestion"]
        (specifier,) = sdk.specifier
        assert specifier.operator == "=="
        assert extra == "om-" + "-".join(specifier.version.split(".")[:2])
        assert {req.name for req in pinned} <= {"openmetadata-ingestion", "cachetools"}


def test_the_wheel_installs_one_command(wheel: zipfile.ZipFile) -> None:
    entry_points = wheel.read(f"{DIST_INFO}/entry_points.txt").decode()
    assert entry_points.split() == ["[console_scripts]", "user-updater", "=", "connector.cli:main"]
