"""The OpenMetadata release the sandbox imitates: the version it reports and every behaviour that differs by release.

The ingestion SDK refuses a server whose major.minor differs from its own, so by default the sandbox reports the
release of the installed SDK (`openmetadata-ingestion` 2.0.7.0 -> server 2.0.7) and behaves as that release;
`--version` picks another one, e.g. 2.0.6 with the 2.0.7 SDK, which accepts any 2.0.x. The wire format (request
and entity models, the `MetadataOperation` enum) comes from the installed SDK (`om_sandbox.sdk`), narrowed to
what the release has (`Release.operations`); only the behaviours below depend on the release. Each is a row of
docs/sandbox-fidelity.md ("Differences between releases"), with its source and how sure its first release is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version as distribution_version

SDK_DISTRIBUTION = "openmetadata-ingestion"

# The release numbers of a version: `2.0.7`, `1.9.11`, `2.1.0-SNAPSHOT` -> (2, 1, 0); a missing patch number is 0.
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?(?:[.-].*)?")


def installed_sdk_version() -> str:
    """The server version matching the installed SDK: its first three release numbers (SDK 1.9.11.0 -> 1.9.11)."""
    return ".".join(distribution_version(SDK_DISTRIBUTION).split(".")[:3])


@dataclass(frozen=True)
class Release:
    """A server version and the behaviours that follow from it."""

    version: str

    def __post_init__(self) -> None:
        if not _VERSION.fullmatch(self.version):
            raise ValueError(f"not an OpenMetadata version: {self.version!r}")

    @classmethod
    def of_installed_sdk(cls) -> Release:
        return cls(installed_sdk_version())

    @property
    def numbers(self) -> tuple[int, int, int]:
        match = _VERSION.fullmatch(self.version)
        assert match is not None  # checked in __post_init__
        major, minor, patch = match.groups()
        return int(major), int(minor), int(patch or 0)

    @property
    def major_minor(self) -> tuple[int, int]:
        return self.numbers[:2]

    @property
    def edit_domains(self) -> bool:
        """`EditDomains` is an operation from 2.0.7: the `MetadataOperation` enum of SDK 2.0.0.0 to 2.0.6.0 lacks
        it and 2.0.7.0 has it. A user's `domains` field is then edited with it, both in the resource's operation
        list and when a PATCH path names `domains`; before, `domains` had no mapping and needed `EditAll`. That
        the PATCH mapping arrived in the same release as the enum value is assumed, not read at a tag."""
        return self.numbers >= (2, 0, 7)

    @property
    def bot_put_keeps_display_name(self) -> bool:
        """A bot's PUT keeps a non-empty displayName on 2.0 and, after PR #32955 (1.13 branch, merged
        2026-09-08), on 1.13; before, it replaced it (a PUT is authorised as EditAll, which the DisplayName-Deny
        rule does not match). Which 1.13 patch release first carries the PR is not known: the whole 1.13 line
        is treated as having it."""
        return self.major_minor >= (1, 13)

    @property
    def group_only_users(self) -> bool:
        """Users may be put directly only into teams of type Group (and stay in the default Organization) after PR
        #32208 (main) and its backports #32372 (2.0 branch) and #32373 (1.13 branch), merged in September 2026: a
        user's POST, PUT or PATCH naming a Department, Division or BusinessUnit, and a team created with users
        when it is not a Group, are answered 400. Before, only `PUT /v1/teams/{id}/users` checked the type (issue
        #31770). Which 1.13.x and 2.0.x release first carries the backports is not known: the whole 1.13 and 2.0
        lines are treated as having it, 1.9 to 1.12 as not."""
        return self.major_minor >= (1, 13)

    @property
    def json_patch_error_status(self) -> int:
        """The status answering a PATCH whose operation fails in JSON-P (a failed `test`, a missing member): 500
        with Apache Johnzon's text wrapped as an unhandled exception, or 400 with Eclipse Parsson's text after
        PR #28316 (merged to main 2026-05-21) mapped `jakarta.json.JsonException` to 400.

        Which release first carries the PR is not known: no release note lists it (1.12.9 to 1.12.13, 1.13.0,
        1.13.1 read), and the 2.0 SDK's own `metadata/sdk/entities/settings.py` expects 400/422 with Parsson's
        wording. So this is a default: 400 for 2.0, 500 before. The sandbox's `--json-patch-errors` option
        overrides it, and the tests cover every answer."""
        return 400 if self.major_minor >= (2, 0) else 500

    def field_operations(self) -> dict[str, str]:
        """Entity fields this release edits with an operation of their own, beyond the ones every release has."""
        return {"domains": "EditDomains"} if self.edit_domains else {}

    def operations(self, enum: Iterable[str]) -> tuple[str, ...]:
        """The installed SDK's `MetadataOperation` values (in enum order) that this release has: an older release
        of the same line lacks the operations its line gained later."""
        missing = set() if self.edit_domains else {"EditDomains"}
        return tuple(op for op in enum if op not in missing)
