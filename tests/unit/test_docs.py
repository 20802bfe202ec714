"""The README's configuration reference lists every option the settings model accepts, with its default."""

import re
from pathlib import Path

from connector.settings import UserUpdaterSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_option_is_documented() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", README, flags=re.MULTILINE))
    options = {field.alias or name for name, field in UserUpdaterSettings.model_fields.items()}
    assert options <= documented, f"undocumented options: {sorted(options - documented)}"


def test_quickstart_is_the_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quickstart.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]
