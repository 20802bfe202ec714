"""Write one planned change: a JSON Patch of exactly the changed fields, guarded by `test` operations on the values
the plan read, then a check of what the server kept.

Why PATCH and nothing else, which values the `test` operations guard (and the two gaps JSON Patch leaves), and what
happens when a test fails: docs/design.md, "The write path", says it once. How a failed test is recognised, and why
resending a patch is safe, is this module's own business:

A failed test writes nothing, and OpenMetadata says so differently by release and JSON-P library
(docs/openmetadata-notes.md, "Writing users"): HTTP 500 wrapping Apache Johnzon's `JsonPatch.Operation.TEST fails!
Values are not equal` before PR #28316, HTTP 400 (or 422) with Eclipse Parsson's `The JSON Patch operation 'test'
failed for path '/displayName' and value ...` after it; and a tested member that is gone meanwhile (a display name
removed, a domain list that shrank) fails in the JSON Pointer code instead (Johnzon: `'{<the user>}' contains no
value for name 'displayName'`, `... contains no element for index 2`; Parsson: `Non-existing name/value pair in the
object for key displayName`, `An array item index is out of range. Index: 2, Size: 1`). `failed_test` recognises
exactly these on 400, 422 or 500, and only on a member the patch tested; any other answer is an ordinary failure.
The HTTP layer never retries them (connector/http.py). The user is then read again and the change re-planned from
the directory's values: written once more if still needed (the overwritten value is logged), dropped if the user
now holds them, and failed if the user changes again in between.

Resending: a PATCH whose answer was lost (a dropped connection, a read timeout) is sent again by the HTTP layer.
That is safe because every patch is guarded: if the first one was applied, the resent one's tests no longer hold
and it fails as a conflict, after which the user is read again and found holding the directory's values; a patch
without tests (nothing was there to test) only `add`s values, which applied twice leave the same user.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, TypeVar

import jsonpatch

from connector.catalog import GROUP, CatalogUser, DomainIndex, Team, TeamIndex, team_from_json, user_from_json
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.plan import UserChange

logger = logging.getLogger("metadata.Ingestion")

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

# The statuses a failed JSON Patch `test` comes back with: 500 before PR #28316, 400 after it, 422 in the 2.0 SDK's
# own reading (metadata/sdk/entities/settings.py).
TEST_FAILED_STATUSES = frozenset({400, 422, 500})
# OpenMetadata's wrapper around an exception it did not expect (CatalogGenericExceptionMapper, a 500).
_UNHANDLED = re.compile(r"^An exception with message \[(?P<inner>.*)\] was thrown while processing request\.?$", re.S)
# Johnzon's text names no path; Parsson's (and GlassFish's before it) may.
_VALUES_DIFFER = re.compile(
    r"^JsonPatch\.?Operation\.TEST fails! Values are not equal$"
    r"|^The JSON Patch operation 'test' failed(?: for path '(?P<path>[^']*)'.*)?$",
    re.S,
)
# A member the pointer walked to is gone: Johnzon (`contains no value for name`), Parsson on the way
# (`contains no mapping for the name`) and at the end (`Non-existing name/value pair`).
_MEMBER_GONE = re.compile(
    r"contains no value for name '(?P<name>[^']*)'$"
    r"|contains no mapping for the name '(?P<mapped>[^']*)'$"
    r"|^Non-existing name/value pair in the object for key (?P<key>.*)$",
    re.S,
)
# An array index past the end: Johnzon (`contains no element for index 2 and for '2'.`), Parsson.
_INDEX_GONE = re.compile(
    r"contains no element for index (?P<index>\d+)(?: and for '[^']*'\.)?$"
    r"|^An array item index is out of range\. Index: (?P<at>\d+), Size: \d+$",
    re.S,
)


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
    (`GET /users/{id}`, the patch's own code path) would give the order to test again.

    The team tests follow the user's `teams` as read (Organization for a user without teams), in the server's order,
    which is not sorted on every release (docs/openmetadata-notes.md, "Teams and membership"): a changed order fails a
    test, and the user is re-planned from the reread. The whole list is written with `add /teams`, never `add
    /teams/-`, which the server checks against the teams the user is in and, for a team that is not joinable, allows
    only admins."""
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
    if change.teams is not None:
        if not all(team.id for team in change.teams):
            raise ValueError("a team to create has no id yet: create it first (with_created_teams)")
        operations.extend(
            {"op": "test", "path": f"/teams/{index}/id", "value": team_id}
            for index, team_id in enumerate(change.user.team_ids)
        )
        operations.append(
            {"op": "add", "path": "/teams", "value": [{"id": team.id, "type": "team"} for team in change.teams]}
        )
    return jsonpatch.JsonPatch(operations)


def describe_change(change: UserChange, domains: DomainIndex, teams: TeamIndex | None = None) -> str:
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
    if change.teams is not None:
        index = teams or TeamIndex()
        before = ", ".join(index.label(team_id) for team_id in change.user.team_ids)
        after = ", ".join(team.fqn if team.id else f"{team.name} (new)" for team in change.teams)
        parts.append(f"teams [{before}] -> [{after}]")
    return f"user {change.user.name}: " + "; ".join(parts)


def _team_ids(teams: tuple[Team, ...]) -> set[str]:
    return {team.id for team in teams}


def _teams_now(change: UserChange, current: CatalogUser, organization_ids: frozenset[str]) -> tuple[Team, ...] | None:
    """The change's teams applied to the user as it is now: the teams it adds and removes relative to the user it was
    planned from, so that a team someone else gave the user meanwhile is kept. None when nothing is left to do."""
    if change.teams is None:
        return None
    planned_from = set(change.user.team_ids)
    target = _team_ids(change.teams)
    removed = planned_from - target
    kept = [team_id for team_id in current.team_ids if team_id not in removed and team_id not in organization_ids]
    by_id = {team.id: team for team in change.teams}
    teams = tuple(by_id.get(team_id) or Team(team_id, team_id, team_id, "") for team_id in kept)
    teams += tuple(team for team in change.teams if team.id not in planned_from and team.id not in kept)
    if _team_ids(teams) == set(current.team_ids) - organization_ids:
        return None
    return teams


def replan(
    change: UserChange, current: CatalogUser, organization_ids: frozenset[str] = frozenset()
) -> UserChange | None:
    """The same targets against the user as it is now: None when it already holds them. Teams are re-planned as the
    teams the change adds and removes, so that one given meanwhile by someone else stays (`organization_ids`: the
    default team, never written)."""
    display_name = change.display_name if change.display_name != current.display_name else None
    clear_display_name = change.clear_display_name and current.display_name is not None
    domains = change.domains
    if domains is not None and set(current.domain_ids) == {domain.id for domain in domains}:
        domains = None
    teams = _teams_now(change, current, organization_ids)
    if display_name is None and domains is None and teams is None and not clear_display_name:
        return None
    return replace(
        change,
        user=current,
        display_name=display_name,
        domains=domains,
        clear_display_name=clear_display_name,
        teams=teams,
    )


def _verify(change: UserChange, written: CatalogUser, organization_ids: frozenset[str]) -> None:
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
    if change.teams is not None and set(written.team_ids) - organization_ids != _team_ids(change.teams):
        raise WriteError(
            "OpenMetadata answered the patch but the user's teams are not the ones sent "
            f"({len(written.team_ids)} team(s) kept)"
        )


def failed_test(error: OpenMetadataError, operations: list[dict[str, Any]]) -> str | None:
    """What failed, when `error` is OpenMetadata refusing the patch because a `test` of it failed (see the module
    docstring): the tested path the server names, or "a tested value" when its text names none. None for any other
    failure, a 400 about something else included."""
    if error.status not in TEST_FAILED_STATUSES:
        return None
    message = error.reason.strip()
    wrapped = _UNHANDLED.match(message)
    if wrapped:
        message = wrapped["inner"].strip()
    tested = [str(op["path"]) for op in operations if op.get("op") == "test"]
    if not tested:
        return None
    differ = _VALUES_DIFFER.match(message)
    if differ:
        if differ["path"] is None:
            return "a tested value"
        return differ["path"] if differ["path"] in tested else None
    gone = _MEMBER_GONE.search(message)
    if gone:
        name = gone["name"] or gone["mapped"] or gone["key"]
        return next((path for path in tested if name in path.split("/")[1:]), None)
    index = _INDEX_GONE.search(message)
    if index:
        position = index["index"] or index["at"]
        return next((path for path in tested if position in path.split("/")[2:-1]), None)
    return None


class _ConflictError(Exception):
    """A `test` operation failed: the user changed since it was read. The message names what failed."""


@dataclass
class UserWriter:
    """`replan_on_conflict` off (`applyPlan`): a user changed since it was read is not re-planned, since a reviewed
    plan must be applied exactly or not at all; the change fails instead. `user_fields` are the fields a reread
    asks for (teams too when synced); `organization_ids` name the default team, never written."""

    api: OpenMetadataApi
    replan_on_conflict: bool = True
    user_fields: str = "domains"
    organization_ids: frozenset[str] = frozenset()

    def write(self, change: UserChange) -> CatalogUser:
        """Send the patch and return the user as the server now holds it; raise WriteError otherwise."""
        try:
            return self._send(change)
        except _ConflictError as conflict:
            if not self.replan_on_conflict:
                raise WriteError(
                    f"the user changed in OpenMetadata after the plan was checked ({conflict}); nothing written"
                ) from None
        current = self._read(change.user)
        again = replan(change, current, self.organization_ids)
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
        except _ConflictError as conflict:
            raise WriteError(
                f"the user changed again while being written ({conflict}); nothing written, the next run retries"
            ) from None

    def _send(self, change: UserChange) -> CatalogUser:
        operations = list(build_patch(change))
        try:
            answer = self.api.patch(f"/users/{change.user.id}", operations)
        except OpenMetadataError as exc:
            failed = failed_test(exc, operations)
            if failed is not None:
                raise _ConflictError(f"OpenMetadata: the test of {failed} failed, HTTP {exc.status}") from None
            raise WriteError(str(exc), unreachable=exc.status is None) from None
        if not isinstance(answer, dict) or "id" not in answer:
            raise WriteError("OpenMetadata answered the patch without the updated user")
        written = user_from_json(answer)
        _verify(change, written, self.organization_ids)
        return written

    def _read(self, user: CatalogUser) -> CatalogUser:
        try:
            return user_from_json(self.api.get(f"/users/{user.id}", {"fields": self.user_fields}))
        except OpenMetadataError as exc:
            raise WriteError(
                f"the user changed since it was read, and reading it again failed: {exc}",
                unreachable=exc.status is None,
            ) from None

    def write_all(
        self, changes: Iterable[UserChange], concurrency: int
    ) -> Generator[tuple[UserChange, CatalogUser | WriteError], None, None]:
        """Write every change with up to `concurrency` patches in flight (`write_each`)."""
        return write_each(changes, self.write, concurrency, self.api.base_url)


def create_team(api: OpenMetadataApi, team: Team) -> Team:
    """Create `team` as a Group under its parent (`POST /v1/teams`, needs Create on team); the team as created."""
    body = {"name": team.name, "teamType": GROUP, "parents": list(team.parent_ids)}
    try:
        answer = api.post("/teams", body)
    except OpenMetadataError as exc:
        raise WriteError(str(exc), unreachable=exc.status is None) from None
    if not isinstance(answer, dict) or "id" not in answer:
        raise WriteError("OpenMetadata answered the team's creation without the team")
    return team_from_json(answer)


def created_teams(teams: tuple[Team, ...], created: dict[str, Team]) -> tuple[Team, ...] | str:
    """`teams` with each team to create replaced by the team created (`created` by lower-cased name), or why they
    cannot be written."""
    found = []
    for team in teams:
        if team.id:
            found.append(team)
        elif team.name.lower() in created:
            found.append(created[team.name.lower()])
        else:
            return f"the team {team.name!r} could not be created"
    return tuple(found)


def with_created_teams(change: UserChange, created: dict[str, Team]) -> UserChange | str:
    """The change with its teams to create replaced by the teams created (`created_teams`), or why it cannot be
    written."""
    if change.teams is None or all(team.id for team in change.teams):
        return change
    teams = created_teams(change.teams, created)
    if isinstance(teams, str):
        return f"{teams}; nothing written"
    return replace(change, teams=teams)


def write_each(
    items: Iterable[Item], write: Callable[[Item], Outcome], concurrency: int, server: str
) -> Generator[tuple[Item, Outcome | WriteError], None, None]:
    """`write` every item with up to `concurrency` in flight; yield each outcome as it completes. Every kind of
    write (a user's patch, a creation, a soft delete) goes through here.

    Outcomes come back on the caller's thread, so whoever counts them (the workflow's status) needs no lock.
    At most twice `concurrency` writes are queued at any time, so a 100k-user backfill does not build 100k
    futures up front, and an iteration stopped early leaves only those few to finish. Exceptions other than
    WriteError (bugs) propagate from here, as they would from a plain loop.

    Once OpenMetadata at `server` stops answering (retries included), the items not yet started fail at once as
    "not attempted": a server that went away would otherwise cost every item the whole retry budget.
    """
    gone: list[str] = []

    def attempt(item: Item) -> Outcome:
        if gone:
            raise WriteError(f"not attempted: {gone[0]}")
        try:
            return write(item)
        except WriteError as exc:
            if exc.unreachable and not gone:
                gone.append(f"OpenMetadata at {server} stopped answering ({exc})")
            raise

    pending: dict[Future[Outcome], Item] = {}
    queue = iter(items)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="user-write") as pool:

        def submit(count: int) -> None:
            for item in islice(queue, count):
                pending[pool.submit(attempt, item)] = item

        submit(2 * concurrency)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                item = pending.pop(future)
                outcome: Outcome | WriteError
                try:
                    outcome = future.result()
                except WriteError as exc:
                    outcome = exc
                yield item, outcome
            submit(2 * concurrency - len(pending))
