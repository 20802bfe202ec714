"""Write the options table of docs/configuration.md from the settings model's field descriptions and defaults.

`connector.settings.UserUpdaterSettings` is the one source of truth for the connector's options; the table between
the two markers of docs/configuration.md is generated from it, and `tests/unit/test_docs.py` fails while the file
is stale. Regenerate it with:

    .venv/bin/python -m scripts.configuration_reference
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

from pydantic.fields import FieldInfo

from connector.settings import UserUpdaterSettings

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
COMMAND = ".venv/bin/python -m scripts.configuration_reference"
BEGIN = "<!-- BEGIN options: generated from connector/settings.py by `python -m scripts.configuration_reference` -->"
END = "<!-- END options -->"

# A mention of another doc in a description ("docs/scale.md") becomes a link relative to docs/configuration.md.
DOC_MENTION = re.compile(r"\bdocs/([\w-]+\.md)\b")


def default_text(field: FieldInfo) -> str:
    """A field's default as it is written in `connectionOptions`."""
    if field.is_required():
        return "(required)"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, frozenset):
        # A set has no order of its own: sort, so that the file does not change from one run to the next.
        text = ",".join(sorted(str(member.value) if isinstance(member, Enum) else str(member) for member in value))
    elif isinstance(value, dict):
        text = "{}" if not value else str(value)
    else:
        text = str(value)
    return f"`{text}`"


def cell(text: str) -> str:
    return DOC_MENTION.sub(r"[\1](\1)", text).replace("|", "\\|")


def options_table() -> str:
    """The Markdown table of every option: name, default, description, in the model's order."""
    lines = ["| option | default | meaning |", "| --- | --- | --- |"]
    for name, field in UserUpdaterSettings.model_fields.items():
        lines.append(f"| `{field.alias or name}` | {default_text(field)} | {cell(field.description or '')} |")
    return "\n".join(lines)


def rendered(document: str) -> str:
    """`document` with the text between the markers replaced by the current table."""
    head, found, rest = document.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise ValueError(f"{REFERENCE} lacks the markers {BEGIN!r} and {END!r}")
    return f"{head}{BEGIN}\n{options_table()}\n{END}{tail}"


def main() -> None:
    REFERENCE.write_text(rendered(REFERENCE.read_text()))
    print(f"wrote {REFERENCE}")


if __name__ == "__main__":
    main()
