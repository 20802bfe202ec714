"""Write one planned change: a JSON Patch of exactly the changed fields, then a check of what the server kept.

Why PATCH and nothing else: a PUT of a CreateUserRequest replaces roles and teams, and on a bot's PUT the
server keeps non-empty domains; the SDK's PatchRequest path drops `domains`, keeps a non-empty displayName
and reports HTTP failures as success. A patch names only the fields to change, so nothing else is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonpatch

from connector.catalog import CatalogUser, DomainIndex, user_from_json
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.plan import UserChange


class WriteError(Exception):
    """A change could not be written, or the server did not keep it."""


def build_patch(change: UserChange) -> jsonpatch.JsonPatch:
    """`add` sets a member whether or not it exists (RFC 6902 4.1), so the patch is the same for a user with no
    displayName yet, and replaying it is harmless."""
    operations: list[dict[str, Any]] = []
    if change.display_name is not None:
        operations.append({"op": "add", "path": "/displayName", "value": change.display_name})
    if change.domains is not None:
        operations.append(
            {
                "op": "add",
                "path": "/domains",
                "value": [{"id": domain.id, "type": "domain"} for domain in change.domains],
            }
        )
    return jsonpatch.JsonPatch(operations)


def describe_change(change: UserChange, domains: DomainIndex) -> str:
    """`user brian_smith7: displayName 'Brian' -> 'Brian Smith'; domains [Marketing] -> [Finance]`"""
    parts = []
    if change.display_name is not None:
        before = repr(change.user.display_name) if change.user.display_name else "(none)"
        parts.append(f"displayName {before} -> {change.display_name!r}")
    if change.domains is not None:
        before = ", ".join(domains.label(domain_id) for domain_id in change.user.domain_ids)
        after = ", ".join(domain.fqn for domain in change.domains)
        parts.append(f"domains [{before}] -> [{after}]")
    return f"user {change.user.name}: " + "; ".join(parts)


def _verify(change: UserChange, written: CatalogUser) -> None:
    if change.display_name is not None and written.display_name != change.display_name:
        raise WriteError(
            f"OpenMetadata answered the patch but kept displayName {written.display_name!r} "
            f"instead of {change.display_name!r}"
        )
    if change.domains is not None and set(written.domain_ids) != {domain.id for domain in change.domains}:
        raise WriteError(
            "OpenMetadata answered the patch but the user's domains are not the ones sent "
            f"({len(written.domain_ids)} own domain(s) kept)"
        )


@dataclass
class UserWriter:
    api: OpenMetadataApi

    def write(self, change: UserChange) -> CatalogUser:
        """Send the patch and return the user as the server now holds it; raise WriteError otherwise."""
        patch = build_patch(change)
        try:
            answer = self.api.patch(f"/users/{change.user.id}", list(patch))
        except OpenMetadataError as exc:
            raise WriteError(str(exc)) from None
        if not isinstance(answer, dict) or "id" not in answer:
            raise WriteError("OpenMetadata answered the patch without the updated user")
        written = user_from_json(answer)
        _verify(change, written)
        return written
