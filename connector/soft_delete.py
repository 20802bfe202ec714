"""Soft-delete leavers and restore returners, each only while the user is as the plan read it.

Neither `DELETE /v1/users/{id}` nor `PUT /v1/users/restore` takes a precondition, so each write reads the user
first (`include=all`) and writes only when it is still at the planned version: a user changed since (a new email,
restored or deleted by hand and changed again) is a conflict and is not written. A user already in the wanted state
(deleted by hand, restored meanwhile) is left as it is. The window between that read and the write is one request.

Resending: the HTTP layer does not resend a DELETE or a PUT whose answer was lost (connector/http.py retries only
GET, POST and PATCH once sent). Instead, when no answer came, or the server refuses the write, the user is read
again: found in the wanted state, the write counts as done (the lost write was applied, or someone made it between
the read and the write); otherwise the user fails, with the server's answer, and the next run plans it again.
Rereading on any refusal keeps this right whatever the release answers a write that is already done: deleting a
deleted user is 404 (`EntityRepository.delete` reads non-deleted users), restoring a user that is not deleted is 404
in the older copies and, by reading the newest `restoreEntity`, likely a 500 (docs/openmetadata-notes.md, "Soft
delete and restore"; which release changed it is not known).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector.catalog import CatalogUser, user_from_json
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.writer import WriteError


class ConflictError(WriteError):
    """The user changed in OpenMetadata since the plan read it; nothing was written."""


@dataclass(frozen=True, slots=True)
class Done:
    """The user as OpenMetadata now holds it; `note` says why nothing was sent, or what an answer left unclear."""

    user: CatalogUser
    note: str = ""


@dataclass
class SoftDeleteWriter:
    api: OpenMetadataApi

    def delete(self, planned: CatalogUser) -> Done:
        """Soft-delete a leaver (`hardDelete=false`: its relationships stay; docs/openmetadata-notes.md)."""
        return self._set_deleted(planned, True)

    def restore(self, planned: CatalogUser) -> Done:
        """Restore a returner's soft-deleted account, relationships and all."""
        return self._set_deleted(planned, False)

    def _set_deleted(self, planned: CatalogUser, deleted: bool) -> Done:
        done = "soft-deleted" if deleted else "restored"
        current, is_deleted = self._read(planned)
        if is_deleted == deleted:
            return Done(current, f"already {done} in OpenMetadata; nothing written")
        if current.version != planned.version:
            raise ConflictError(
                f"changed in OpenMetadata since it was read (version {planned.version:g} then, {current.version:g} "
                f"now); not {done}"
            )
        try:
            answer = self._send(planned, deleted)
        except OpenMetadataError as exc:
            again, now_deleted = self._read(planned)
            if now_deleted != deleted:
                raise WriteError(f"{exc}; the user reads unchanged, so nothing was written") from None
            return Done(again, f"{done} (the answer was {exc.status or 'lost'}; the user reads {done})")
        if not isinstance(answer, dict) or "id" not in answer:
            raise WriteError(f"OpenMetadata answered without the user; whether it was {done} is not known")
        if bool(answer.get("deleted")) != deleted:
            raise WriteError(f"OpenMetadata answered, but the user it sent back is not {done}")
        return Done(user_from_json(answer))

    def _send(self, planned: CatalogUser, deleted: bool) -> Any:
        if deleted:
            return self.api.delete(f"/users/{planned.id}", {"hardDelete": "false", "recursive": "false"})
        return self.api.put("/users/restore", {"id": planned.id})

    def _read(self, planned: CatalogUser) -> tuple[CatalogUser, bool]:
        try:
            answer = self.api.get(f"/users/{planned.id}", {"fields": "domains", "include": "all"})
        except OpenMetadataError as exc:
            if exc.status == 404:
                raise ConflictError("no longer in OpenMetadata (hard-deleted); nothing written") from None
            raise WriteError(f"reading the user before writing failed: {exc}", unreachable=exc.status is None) from None
        return user_from_json(answer), bool(answer.get("deleted"))
