"""The install line has one source, the Dockerfile, which the docs repeat word for word; and the rule by which
`make check-install` judges what the line did to the SDK's environment (scripts/check_install.py)."""

from __future__ import annotations

import re
from importlib.metadata import requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from scripts.check_install import InstallCheckError, compare_environments, install_line

ROOT = Path(__file__).resolve().parents[2]
CONNECTOR_REQUIREMENTS = ["graphql-core>=3.2", "requests>=2.31", "openmetadata-ingestion==1.9.11.0; extra == 'om-1-9'"]
SDK_ENVIRONMENT = {"openmetadata-ingestion": "1.9.11.0", "requests": "2.32.5", "urllib3": "1.26.20", "pip": "26.3"}


def code_lines(markdown: str) -> list[str]:
    """The lines inside the fenced code blocks of a Markdown text."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines()]


@pytest.mark.parametrize("document", ["docs/install.md", "README.md"])
def test_the_docs_show_the_dockerfiles_install_line(document: str) -> None:
    if install_line() not in code_lines((ROOT / document).read_text()):
        pytest.fail(
            f"{document} must show the Dockerfile's install line, as written, in a code block: {install_line()}"
        )


def test_the_install_line_is_the_one_pip_run_of_the_dockerfile(tmp_path: Path) -> None:
    assert install_line() == "pip freeze | pip install --constraint /dev/stdin ."
    second = tmp_path / "Dockerfile"
    second.write_text((ROOT / "Dockerfile").read_text() + "RUN pip install \\\n    requests\n")
    with pytest.raises(InstallCheckError, match="2 RUN instructions running pip"):
        install_line(second)


def test_the_dockerfile_defaults_to_the_ingestion_image_of_the_newest_line() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    (default,) = re.findall(r"^ARG OM_VERSION=(\S+)$", dockerfile, flags=re.MULTILINE)
    assert re.findall(r"^FROM (\S+)$", dockerfile, flags=re.MULTILINE) == ["openmetadata/ingestion:${OM_VERSION}"]
    pins = [
        next(iter(Requirement(text).specifier)).version
        for text in requires("openmetadata-user-updater") or []
        if text.startswith("openmetadata-ingestion==")
    ]
    assert Version(default) == max(Version(".".join(pin.split(".")[:3])) for pin in pins)


def test_the_image_copies_only_what_the_wheel_is_built_from_and_dockerignore_lets_it_through() -> None:
    copied = [
        source
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
        if not source.startswith("--")
    ]
    assert sorted(copied) == ["README.md", "connector/", "pyproject.toml"]
    allowed = {line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")}
    assert set(copied) <= allowed
    assert all((ROOT / source).exists() for source in copied)


def test_an_untouched_environment_plus_the_connector_and_its_missing_requirements_passes() -> None:
    after = {**SDK_ENVIRONMENT, "graphql-core": "3.3.2", "openmetadata-user-updater": "0.1.0"}
    assert compare_environments(SDK_ENVIRONMENT, after, CONNECTOR_REQUIREMENTS) == []


def test_a_package_of_the_sdk_environment_changed_or_removed_fails() -> None:
    after = {**SDK_ENVIRONMENT, "urllib3": "2.8.0", "graphql-core": "3.3.2", "openmetadata-user-updater": "0.1.0"}
    del after["pip"]
    assert compare_environments(SDK_ENVIRONMENT, after, CONNECTOR_REQUIREMENTS) == [
        "pip 26.3 became absent",
        "urllib3 1.26.20 became 2.8.0",
    ]


def test_a_package_the_connector_does_not_require_directly_fails() -> None:
    """Neither a requirement of a requirement nor a line's extra may come in: the line adds what the connector
    itself requires and the image lacks, and the image's SDK is the only SDK."""
    after = {
        **SDK_ENVIRONMENT,
        "graphql-core": "3.3.2",
        "typing-extensions": "4.15.0",
        "openmetadata-user-updater": "0.1.0",
    }
    assert compare_environments(SDK_ENVIRONMENT, after, CONNECTOR_REQUIREMENTS) == ["typing-extensions 4.15.0 came in"]


def test_a_missing_requirement_that_did_not_come_in_fails() -> None:
    after = {**SDK_ENVIRONMENT, "openmetadata-user-updater": "0.1.0"}
    assert compare_environments(SDK_ENVIRONMENT, after, CONNECTOR_REQUIREMENTS) == ["graphql-core did not come in"]
