"""Snapshot the catalog: OpenMetadata's non-bot users, its domains (and its teams when teams are synced), preloaded
with paged list calls.

Only what the plan needs is kept, compactly (`CatalogUsers`), and each page of JSON is let go once it is read: a
million-user catalog must fit in an ingestion worker beside the SDK (benchmarks/RESULTS-1M.md has the bytes per
user).
"""

from __future__ import annotations

import threading
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from connector.openmetadata import OpenMetadataApi


@dataclass(frozen=True, slots=True)
class Domain:
    id: str
    name: str
    fqn: str


@dataclass(frozen=True, slots=True)
class Team:
    """A team as the plan needs it: `team_type` decides whether it may hold users, `parent_ids` place it."""

    id: str
    name: str
    fqn: str
    team_type: str
    parent_ids: tuple[str, ...] = ()


GROUP = "Group"
ORGANIZATION = "Organization"


@dataclass(frozen=True, slots=True)
class CatalogUser:
    """A user as OpenMetadata holds it; `domain_ids` are the user's own domains, inherited ones excluded.

    `version` is the entity version as read, so that a later write can tell whether the user changed since;
    `listed_domain_ids` are the ids of all its domains, inherited ones included, in the server's order, which the
    writer's JSON Patch `test` operations check; `is_admin` is OpenMetadata's `isAdmin` (protected accounts);
    `team_ids` are the ids of its teams in the server's order (Organization when it has none), read only when teams
    are synced."""

    id: str
    name: str
    email: str
    display_name: str | None
    domain_ids: tuple[str, ...]
    version: float = 0.0
    listed_domain_ids: tuple[str, ...] = ()
    is_admin: bool = False
    team_ids: tuple[str, ...] = ()


Named = TypeVar("Named", Domain, Team)


@dataclass(frozen=True, slots=True)
class Ambiguous(Generic[Named]):
    """A directory value that names several domains (the same name under different parents), or several teams."""

    candidates: tuple[Named, ...]


@dataclass
class DomainIndex:
    """Domains by id, by lower-cased FQN and by lower-cased name."""

    by_id: dict[str, Domain] = field(default_factory=dict)
    by_fqn: dict[str, Domain] = field(default_factory=dict)
    by_name: dict[str, list[Domain]] = field(default_factory=lambda: defaultdict(list))

    def add(self, domain: Domain) -> None:
        self.by_id[domain.id] = domain
        self.by_fqn[domain.fqn.lower()] = domain
        self.by_name[domain.name.lower()].append(domain)

    def resolve(self, value: str) -> Domain | Ambiguous[Domain] | None:
        """The domain a directory value names: an FQN first, then a name that is unique, case-insensitively."""
        key = value.strip().lower()
        if key in self.by_fqn:
            return self.by_fqn[key]
        matches = self.by_name.get(key, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            return Ambiguous(tuple(sorted(matches, key=lambda d: d.fqn)))
        return None

    def label(self, domain_id: str) -> str:
        domain = self.by_id.get(domain_id)
        return domain.fqn if domain else domain_id


@dataclass
class TeamIndex:
    """Teams by id and by lower-cased name. A team's FQN is its own name (quoted when it holds a dot): team names are
    unique across the hierarchy, but case-sensitively, so two may fold together here (docs/openmetadata-notes.md,
    "Teams and membership")."""

    by_id: dict[str, Team] = field(default_factory=dict)
    by_name: dict[str, list[Team]] = field(default_factory=lambda: defaultdict(list))

    def add(self, team: Team) -> None:
        self.by_id[team.id] = team
        self.by_name[team.name.lower()].append(team)
        if team.fqn.lower() != team.name.lower():
            self.by_name[team.fqn.lower()].append(team)

    def resolve(self, value: str) -> Team | Ambiguous[Team] | None:
        """The team a directory value names by name or FQN, case-insensitively; several teams that differ only in
        case are ambiguous, unless one is spelt exactly as the value."""
        text = value.strip()
        matches = self.by_name.get(text.lower(), [])
        if len(matches) == 1:
            return matches[0]
        exact = [team for team in matches if text in (team.name, team.fqn)]
        if len(exact) == 1:
            return exact[0]
        if matches:
            return Ambiguous(tuple(sorted(matches, key=lambda t: t.fqn)))
        return None

    def below(self, parent_id: str) -> frozenset[str]:
        """The ids of the teams under `parent_id`, at any depth (the parent itself excluded)."""
        children: dict[str, list[str]] = defaultdict(list)
        for team in self.by_id.values():
            for parent in team.parent_ids:
                children[parent].append(team.id)
        found: set[str] = set()
        pending = list(children.get(parent_id, ()))
        while pending:
            team_id = pending.pop()
            if team_id not in found:
                found.add(team_id)
                pending.extend(children.get(team_id, ()))
        return frozenset(found)

    def label(self, team_id: str) -> str:
        team = self.by_id.get(team_id)
        return team.fqn if team else team_id


# CatalogUser's fields, in order.
UserFields = tuple[str, str, str, str | None, tuple[str, ...], float, tuple[str, ...], bool, tuple[str, ...]]


def email_key(email: str) -> str:
    """The form in which emails match: stripped and lower-cased, and for the rare non-ASCII one NFKC-normalised
    and case-folded, so that `Ann@x.org`, `ann@x.org` and a fullwidth `ann@x.org` are one key. (The directory's
    emails are refused when folding changes them beyond case: `connector.directory`.)"""
    email = email.strip().lower()
    return email if email.isascii() else unicodedata.normalize("NFKC", email).casefold()


def _user_fields(entity: dict[str, Any]) -> UserFields:
    """A user entity's JSON as CatalogUser's fields, in their order."""
    refs = entity.get("domains") or []
    return (
        entity["id"],
        entity["name"],
        str(entity.get("email", "")).strip().lower(),
        entity.get("displayName") or None,
        tuple(ref["id"] for ref in refs if not ref.get("inherited")),
        float(entity.get("version") or 0.0),
        tuple(ref["id"] for ref in refs),
        # A plain attribute of user.json, in every answer whatever `fields` asks for (docs/openmetadata-notes.md).
        bool(entity.get("isAdmin")),
        # In the server's order, which is not sorted on every release (docs/openmetadata-notes.md).
        tuple(ref["id"] for ref in entity.get("teams") or ()),
    )


def user_from_json(entity: dict[str, Any]) -> CatalogUser:
    return CatalogUser(*_user_fields(entity))


# The user fields read when teams are synced (the snapshot, and the writer's reread after a conflict).
USER_FIELDS_WITH_TEAMS = "domains,teams"


def team_from_json(entity: dict[str, Any]) -> Team:
    return Team(
        id=entity["id"],
        name=entity["name"],
        fqn=entity.get("fullyQualifiedName") or entity["name"],
        team_type=str(entity.get("teamType") or ""),
        parent_ids=tuple(ref["id"] for ref in entity.get("parents") or ()),
    )


def _compact_id(value: str) -> int | str:
    """An entity id as a 128-bit int when it is a UUID in OpenMetadata's spelling (48 bytes instead of 85)."""
    if len(value) == 36 and value[8] == value[13] == value[18] == value[23] == "-":
        try:
            number = int(value.replace("-", ""), 16)
        except ValueError:
            return value
        if _id_text(number) == value:
            return number
    return value


def _id_text(value: int | str) -> str:
    if isinstance(value, str):
        return value
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# A user's domains as read, its version, whether it is an admin and its teams: few distinct values among many users,
# so each is held once.
_DomainState = tuple[tuple[str, ...], tuple[str, ...], float, bool, tuple[str, ...]]


class _Row:
    """What the snapshot holds per user besides the key it is filed under; `name` is None when it is the email's
    local part (as OpenMetadata names users who sign in), and `email` None when it is the key (all but the rare
    non-ASCII email that folding changes), so that neither is held twice."""

    __slots__ = ("display_name", "email", "id", "name", "state")

    def __init__(
        self, id: int | str, name: str | None, email: str | None, display_name: str | None, state: _DomainState
    ) -> None:
        self.id = id
        self.name = name
        self.email = email
        self.display_name = display_name
        self.state = state


class CatalogUsers(Mapping[str, CatalogUser]):
    """The snapshot's users by email, held compactly (about a third of the bytes of CatalogUser records) and
    turned into a CatalogUser when looked up.

    `strings` shares equal texts (emails, display names) with whoever else fills the same table: the directory's
    rows hold the same values (benchmarks/RESULTS-1M.md)."""

    def __init__(self, strings: dict[str, str] | None = None) -> None:
        self._rows: dict[str, _Row] = {}
        self._states: dict[_DomainState, _DomainState] = {}
        self._team_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._strings = {} if strings is None else strings

    def add(self, key: str, fields: UserFields) -> None:
        """File a user (CatalogUser's fields, in order) under `key` (`email_key` of its email); a later user with
        the same key replaces it."""
        id_, name, email, display_name, domain_ids, version, listed_domain_ids, is_admin, team_ids = fields
        strings = self._strings
        key = strings.setdefault(key, key)
        if display_name is not None:
            display_name = strings.setdefault(display_name, display_name)
        if team_ids:
            # Users with the same teams but another state share the tuple of ids.
            team_ids = self._team_sets.setdefault(team_ids, team_ids)
        state = (domain_ids, listed_domain_ids, version, is_admin, team_ids)
        state = self._states.setdefault(state, state)
        local = name if name != email.partition("@")[0] else None
        self._rows[key] = _Row(_compact_id(id_), local, email if email != key else None, display_name, state)

    def _user(self, key: str, row: _Row) -> CatalogUser:
        domain_ids, listed_domain_ids, version, is_admin, team_ids = row.state
        email = key if row.email is None else row.email
        return CatalogUser(
            id=_id_text(row.id),
            name=email.partition("@")[0] if row.name is None else row.name,
            email=email,
            display_name=row.display_name,
            domain_ids=domain_ids,
            version=version,
            listed_domain_ids=listed_domain_ids,
            is_admin=is_admin,
            team_ids=team_ids,
        )

    def pop(self, key: str) -> CatalogUser:
        return self._user(key, self._rows.pop(key))

    def __getitem__(self, email: str) -> CatalogUser:
        return self._user(email, self._rows[email])

    def get(self, email: str, default: Any = None) -> Any:
        row = self._rows.get(email)
        return default if row is None else self._user(email, row)

    def __contains__(self, email: object) -> bool:
        return email in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def with_ids(self, ids: Collection[str]) -> dict[str, CatalogUser]:
        """The users with these ids, by id, found without building a record for every user."""
        wanted = {_compact_id(value) for value in ids}
        return {_id_text(row.id): self._user(email, row) for email, row in self._rows.items() if row.id in wanted}

    def release_strings(self) -> None:
        """Drop the reference to the shared table once filled, so that it is freed when the reads are done."""
        self._strings = {}


@dataclass
class CatalogSnapshot:
    """`users_by_email` by the email folded for matching (see `email_key`); `shared_emails` holds the users whose
    emails fold to the same key, kept out of `users_by_email`: the directory cannot say which of them it means."""

    users_by_email: Mapping[str, CatalogUser]
    domains: DomainIndex
    shared_emails: dict[str, list[CatalogUser]] = field(default_factory=dict)
    teams: TeamIndex = field(default_factory=TeamIndex)
    # Soft-deleted non-bot users by folded email, read only when the run may restore returners.
    deleted_by_email: dict[str, list[CatalogUser]] = field(default_factory=dict)

    def users_with_ids(self, ids: Collection[str]) -> dict[str, CatalogUser]:
        """The users with these ids, by id, soft-deleted ones included when they were read."""
        if isinstance(self.users_by_email, CatalogUsers):
            found = self.users_by_email.with_ids(ids)
        else:
            found = {user.id: user for user in self.users_by_email.values() if user.id in ids}
        for users in self.deleted_by_email.values():
            found.update((user.id, user) for user in users if user.id in ids)
        return found


class SnapshotCancelledError(Exception):
    """The snapshot was abandoned part way because the run is stopping for another reason."""


def load_snapshot(
    api: OpenMetadataApi,
    page_size: int,
    cancel: threading.Event | None = None,
    strings: dict[str, str] | None = None,
    teams: bool = False,
    *,
    deleted: bool = False,
) -> CatalogSnapshot:
    """Read every non-bot user (with domains) and every domain, one paged list call after another; with `teams`
    (teams synced) every team too, and the users' teams; with `deleted`, the soft-deleted non-bot users too
    (`include=deleted`, a list of its own, so that the default read does not grow).

    `strings` is the table of texts shared with the directory's read (see CatalogUsers). `cancel` is checked as
    each page arrives, before it is used, so that a snapshot taken alongside another read (the directory's) costs at
    most one more page once that read has failed."""

    def pages(path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        for page in api.list_pages(path, params, page_size):
            if cancel is not None and cancel.is_set():
                raise SnapshotCancelledError
            yield page

    domains = DomainIndex()
    for page in pages("/domains", {}):
        for entity in page:
            domains.add(
                Domain(id=entity["id"], name=entity["name"], fqn=entity.get("fullyQualifiedName") or entity["name"])
            )
    team_index = TeamIndex()
    if teams:
        for page in pages("/teams", {"fields": "parents"}):
            for entity in page:
                team_index.add(team_from_json(entity))
    users = CatalogUsers(strings)
    shared: dict[str, list[CatalogUser]] = {}
    for page in pages("/users", {"fields": USER_FIELDS_WITH_TEAMS if teams else "domains", "isBot": "false"}):
        for entity in page:
            fields = _user_fields(entity)
            if not fields[2]:
                continue
            key = email_key(fields[2])
            if key in shared:
                shared[key].append(CatalogUser(*fields))
            elif key in users:
                shared[key] = [users.pop(key), CatalogUser(*fields)]
            else:
                users.add(key, fields)
    users.release_strings()
    gone: dict[str, list[CatalogUser]] = {}
    if deleted:
        fields_read = USER_FIELDS_WITH_TEAMS if teams else "domains"
        for page in pages("/users", {"fields": fields_read, "isBot": "false", "include": "deleted"}):
            for entity in page:
                fields = _user_fields(entity)
                if fields[2]:
                    gone.setdefault(email_key(fields[2]), []).append(CatalogUser(*fields))
    return CatalogSnapshot(
        users_by_email=users, domains=domains, shared_emails=shared, teams=team_index, deleted_by_email=gone
    )
