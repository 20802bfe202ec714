"""Write one planned change: a JSON Patch of exactly the changed fields, guarded by `test` operations on the values
the plan read, then a check of what the server kept.

Why PATCH and nothing else: a PUT of a CreateUserRequest replaces roles and teams, and on a bot's PUT the
server keeps non-empty domains; the SDK's PatchRequest path drops `domains`, keeps a non-empty displayName
and reports HTTP failures as success. A patch names only the fields to change, so nothing else is touched.

Concurrent edits: a patch must not overwrite a value it did not read. Before each changed field the patch tests
the value as read: `/displayName` equal to the old name, `/domains/<i>/id` equal to each domain id as listed (own
and inherited, in the server's order). Tests sit on the changed fields only, so a patch needs no permission beyond
the change (a `test` on `/version` would need EditAll, and `version` does not move while one account's edits are
consolidated). JSON Patch cannot test that a member is absent, so a user read without a displayName, or a domain
appended to the list after the read, is not guarded. When a test fails (OpenMetadata answers HTTP 500 with
Johnzon's "TEST fails" message and writes nothing), the user is read again and the change re-planned from the
directory's values: written once more if still needed (the overwritten value is logged), dropped if the user now
holds them, and failed if the user changes again in between.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

import jsonpatch

from connector.catalog import CatalogUser, DomainIndex, user_from_json
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.plan import UserChange

logger = logging.getLogger("metadata.Ingestion")

# The text Apache Johnzon (OpenMetadata's JSON-P implementation) gives a failing `test`, inside a 500.
TEST_FAILED_MARKER = "TEST fails"


class WriteError(Exception):
    """A change could not be written, or the server did not keep it; `unreachable` when no answer came at all."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def build_patch(change: UserChange) -> jsonpatch.JsonPatch:
    """`test` the values read, then `add` the new ones. `add` sets a member whether or not it exists (RFC 6902
    4.1), so the patch is the same for a user with no displayName yet. Clearing (`allowClear`) tests the name read,
    then `remove`s it, which OpenMetadata turns into an absent displayName.

    The domain tests follow the user's `domains` as listed, own and inherited, in the listed order: OpenMetadata
    builds that list, on a GET and for the document a PATCH applies to alike, with `mergedInheritedEntityRefs`,
    which sorts it by id, so the indices read are the indices patched (docs/openmetadata-notes.md, "The order of a
    user's `domains`"). Were a server to list them otherwise, the tests would fail as a conflict, and the reread
    (`GET /users/{id}`, the patch's own code path) would give the order to test again."""
    operations: list[dict[str, Any]] = []
    user = change.user
    if change.display_name is not None:
        if user.display_name is not None:
            operations.append({"op": "test", "path": "/displayName", "value": user.display_name})
        operations.append({"op": "add", "path": "/displayName", "value": change.display_name})
    elif change.clear_display_name:
        operations.append({"op": "test", "path": "/displayName", "value": user.display_name})
        operations.append({"op": "remove", "path": "/displayName"})
    if change.domains is not None:
        operations.extend(
            {"op": "test", "path": f"/domains/{index}/id", "value": domain_id}
            for index, domain_id in enumerate(user.listed_domain_ids)
        )
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
    elif change.clear_display_name:
        parts.append(f"displayName {change.user.display_name!r} -> (none)")
    if change.domains is not None:
        before = ", ".join(domains.label(domain_id) for domain_id in change.user.domain_ids)
        after = ", ".join(domain.fqn for domain in change.domains)
        parts.append(f"domains [{before}] -> [{after}]")
    return f"user {change.user.name}: " + "; ".join(parts)


def replan(change: UserChange, current: CatalogUser) -> UserChange | None:
    """The same targets against the user as it is now: None when it already holds them."""
    display_name = change.display_name if change.display_name != current.display_name else None
    clear_display_name = change.clear_display_name and current.display_name is not None
    domains = change.domains
    if domains is not None and set(current.domain_ids) == {domain.id for domain in domains}:
        domains = None
    if display_name is None and domains is None and not clear_display_name:
        return None
    return replace(
        change, user=current, display_name=display_name, domains=domains, clear_display_name=clear_display_name
    )


def _verify(change: UserChange, written: CatalogUser) -> None:
    if (change.display_name is not None or change.clear_display_name) and written.display_name != change.display_name:
        raise WriteError(
            f"OpenMetadata answered the patch but kept displayName {written.display_name!r} "
            f"instead of {change.display_name!r}"
        )
    if change.domains is not None and set(written.domain_ids) != {domain.id for domain in change.domains}:
        raise WriteError(
            "OpenMetadata answered the patch but the user's domains are not the ones sent "
            f"({len(written.domain_ids)} own domain(s) kept)"
        )


class _ConflictError(Exception):
    """A `test` operation failed: the user changed since it was read."""


@dataclass
class UserWriter:
    """`replan_on_conflict` off (`applyPlan`): a user changed since it was read is not re-planned, since a reviewed
    plan must be applied exactly or not at all; the change fails instead."""

    api: OpenMetadataApi
    replan_on_conflict: bool = True

    def write(self, change: UserChange) -> CatalogUser:
        """Send the patch and return the user as the server now holds it; raise WriteError otherwise."""
        try:
            return self._send(change)
        except _ConflictError:
            if not self.replan_on_conflict:
                raise WriteError(
                    "the user changed in OpenMetadata after the plan was checked; nothing written"
                ) from None
        current = self._read(change.user)
        again = replan(change, current)
        if again is None:
            logger.info(
                "user %s: changed in OpenMetadata during the run and now holds the directory's values", current.name
            )
            return current
        logger.warning(
            "user %s: changed in OpenMetadata since it was read (displayName %r, %d own domain(s) now); "
            "re-planned from the directory and written again",
            current.name,
            current.display_name,
            len(current.domain_ids),
        )
        try:
            return self._send(again)
        except _ConflictError:
            raise WriteError(
                "the user changed again while being written; nothing written, the next run retries"
            ) from None

    def _send(self, change: UserChange) -> CatalogUser:
        try:
            answer = self.api.patch(f"/users/{change.user.id}", list(build_patch(change)))
        except OpenMetadataError as exc:
            if exc.status == 500 and TEST_FAILED_MARKER in str(exc):
                raise _ConflictError from None
            raise WriteError(str(exc), unreachable=exc.status is None) from None
        if not isinstance(answer, dict) or "id" not in answer:
            raise WriteError("OpenMetadata answered the patch without the updated user")
        written = user_from_json(answer)
        _verify(change, written)
        return written

    def _read(self, user: CatalogUser) -> CatalogUser:
        try:
            return user_from_json(self.api.get(f"/users/{user.id}", {"fields": "domains"}))
        except OpenMetadataError as exc:
            raise WriteError(
                f"the user changed since it was read, and reading it again failed: {exc}",
                unreachable=exc.status is None,
            ) from None

    def write_all(
        self, changes: Iterable[UserChange], concurrency: int
    ) -> Generator[tuple[UserChange, CatalogUser | WriteError], None, None]:
        """Write every change with up to `concurrency` patches in flight; yield each outcome as it completes.

        Outcomes come back on the caller's thread, so whoever counts them (the workflow's status) needs no lock.
        At most twice `concurrency` writes are queued at any time, so a 100k-user backfill does not build 100k
        futures up front, and an iteration stopped early leaves only those few to finish. Exceptions other than
        WriteError (bugs) propagate from here, as they would from a plain loop.

        Once OpenMetadata stops answering (retries included), the changes not yet started fail at once as "not
        attempted": a server that went away would otherwise cost every user the whole retry budget.
        """
        gone: list[str] = []

        def attempt(change: UserChange) -> CatalogUser:
            if gone:
                raise WriteError(f"not attempted: {gone[0]}")
            try:
                return self.write(change)
            except WriteError as exc:
                if exc.unreachable and not gone:
                    gone.append(f"OpenMetadata at {self.api.base_url} stopped answering ({exc})")
                raise

        pending: dict[Future[CatalogUser], UserChange] = {}
        queue = iter(changes)
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="user-write") as pool:

            def submit(count: int) -> None:
                for change in islice(queue, count):
                    pending[pool.submit(attempt, change)] = change

            submit(2 * concurrency)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    change = pending.pop(future)
                    outcome: CatalogUser | WriteError
                    try:
                        outcome = future.result()
                    except WriteError as exc:
                        outcome = exc
                    yield change, outcome
                submit(2 * concurrency - len(pending))
