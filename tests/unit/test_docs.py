"""The docs stay true to the code and to each other: the configuration reference is generated from the settings
model and current, the lines tables name the SDK pins of pyproject.toml, the README's quickstart is the two commands,
and every relative link resolves."""

import re
from pathlib import Path

import pytest

from connector.settings import UserUpdaterSettings
from scripts import configuration_reference

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# [text](target) and ![alt](target); fenced code blocks and inline code are removed before matching.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def test_every_option_has_a_description_and_a_default() -> None:
    fields = UserUpdaterSettings.model_fields
    undescribed = [field.alias or name for name, field in fields.items() if not (field.description or "").strip()]
    assert not undescribed, f"options without a description: {undescribed}"
    required = [field.alias or name for name, field in fields.items() if field.is_required()]
    assert required == ["graphqlEndpoint"], f"only graphqlEndpoint may go without a default: {required}"


def test_the_configuration_reference_is_generated_from_the_settings_model() -> None:
    document = configuration_reference.REFERENCE.read_text()
    assert document == configuration_reference.rendered(document), (
        f"docs/configuration.md is stale: regenerate it with `{configuration_reference.COMMAND}`"
    )


def test_the_reference_lists_every_option_with_its_default() -> None:
    table = configuration_reference.options_table()
    for name, field in UserUpdaterSettings.model_fields.items():
        assert f"| `{field.alias or name}` | {configuration_reference.default_text(field)} |" in table
    assert "| `fields` | `displayName,domains` |" in table
    assert "| `maxChangePercent` | `20` |" in table
    assert "| `graphqlEndpoint` | (required) |" in table


def sdk_pins() -> dict[str, str]:
    """OpenMetadata line -> the SDK release its extra pins in pyproject.toml."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    extras = re.findall(r'^om-(\d+)-(\d+) = \["openmetadata-ingestion==([\d.]+)"[\],]', pyproject, flags=re.MULTILINE)
    return {f"{major}.{minor}": release for major, minor, release in extras}


def tabled_releases(document: Path) -> dict[str, str]:
    """Line -> SDK release, from the table rows of `document` whose first cell is a line and second a release."""
    rows = re.findall(r"^\| (\d+\.\d+)\b[^|]*\| (\d+(?:\.\d+){3})\b", document.read_text(), flags=re.MULTILINE)
    return dict(rows)


@pytest.mark.parametrize("document", ["README.md", "docs/compatibility.md"])
def test_the_lines_tables_name_the_pinned_sdk_releases(document: str) -> None:
    pins = sdk_pins()
    assert len(pins) >= 2, "no om-X-Y extras pinning openmetadata-ingestion found in pyproject.toml"
    assert tabled_releases(ROOT / document) == pins


def test_quickstart_is_the_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quickstart.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]


def test_the_readme_stays_short() -> None:
    assert len(README.splitlines()) <= 260, "the README leads; reference material belongs under docs/"


def test_the_readme_leads_to_every_document_under_docs() -> None:
    unlinked = [path.name for path in DOCUMENTS[1:] if f"](docs/{path.name})" not in README]
    assert not unlinked, f"README.md's 'Where to read more' does not list: {unlinked}"


def anchors(document: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} +(.+?) *$", FENCE.sub("", document.read_text()), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def relative_links(document: Path) -> list[str]:
    text = INLINE_CODE.sub("", FENCE.sub("", document.read_text()))
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    broken = []
    for target in relative_links(document):
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target} (no heading with that anchor)")
    assert not broken, f"{document.relative_to(ROOT)}: broken links: {broken}"


def test_the_link_check_sees_links_and_anchors(tmp_path: Path) -> None:
    document = tmp_path / "a.md"
    document.write_text("# The `check` step\n\n[ok](#the-check-step) [file](a.md) `[code](nowhere.md)`\n")
    assert relative_links(document) == ["#the-check-step", "a.md"]
    assert anchors(document) == {"the-check-step"}
