"""The OpenMetadata line the sandbox imitates: the version it reports and every behaviour that differs by line.

The ingestion SDK refuses a server whose major.minor differs from its own, so by default the sandbox reports the
version of the installed SDK (`openmetadata-ingestion` 2.0.7.0 -> server 2.0.7) and behaves as that line. The
wire format (request and entity models, the `MetadataOperation` enum) always comes from the installed SDK
(`om_sandbox.sdk`); only the behaviours below depend on the line. Each is a row of docs/sandbox-fidelity.md
("Differences between lines").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import version as distribution_version

SDK_DISTRIBUTION = "openmetadata-ingestion"


def installed_sdk_version() -> str:
    """The server version matching the installed SDK: its first three release numbers (SDK 1.9.11.0 -> 1.9.11)."""
    return ".".join(distribution_version(SDK_DISTRIBUTION).split(".")[:3])


@dataclass(frozen=True)
class Line:
    """A server version and the line behaviours that follow from it."""

    version: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d+\.\d+(\.\d+)*([.-].*)?", self.version):
            raise ValueError(f"not an OpenMetadata version: {self.version!r}")

    @classmethod
    def of_installed_sdk(cls) -> Line:
        return cls(installed_sdk_version())

    @property
    def major_minor(self) -> tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    @property
    def edit_domains(self) -> bool:
        """2.0 added `EditDomains` to `MetadataOperation`: a user's `domains` field is edited with it, both in
        the resource's operation list and when a PATCH path names `domains`. Before, `domains` had no mapping
        and needed `EditAll`."""
        return self.major_minor >= (2, 0)

    @property
    def bot_put_keeps_display_name(self) -> bool:
        """A bot's PUT keeps a non-empty displayName on 2.0 and, after PR #32955, on 1.13; before, it replaced it
        (a PUT is authorised as EditAll, which the DisplayName-Deny rule does not match)."""
        return self.major_minor >= (1, 13)

    def field_operations(self) -> dict[str, str]:
        """Entity fields this line edits with an operation of their own, beyond the ones every line has."""
        return {"domains": "EditDomains"} if self.edit_domains else {}
