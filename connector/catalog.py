"""Snapshot the catalog: OpenMetadata's non-bot users and its domains, preloaded with paged list calls.

Only what the plan needs is kept, in small frozen records, so that a 100k-user catalog fits in a few tens of
megabytes instead of holding full SDK models.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from connector.openmetadata import OpenMetadataApi


@dataclass(frozen=True, slots=True)
class Domain:
    id: str
    name: str
    fqn: str


@dataclass(frozen=True, slots=True)
class CatalogUser:
    """A user as OpenMetadata holds it; `domain_ids` are the user's own domains, inherited ones excluded.

    `version` is the entity version as read, so that a later write can tell whether the user changed since;
    `listed_domain_ids` are the ids of all its domains, inherited ones included, in the server's order, which the
    writer's JSON Patch `test` operations check; `is_admin` is OpenMetadata's `isAdmin` (protected accounts)."""

    id: str
    name: str
    email: str
    display_name: str | None
    domain_ids: tuple[str, ...]
    version: float = 0.0
    listed_domain_ids: tuple[str, ...] = ()
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A directory value that names several domains (the same name under different parents)."""

    candidates: tuple[Domain, ...]


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

    def resolve(self, value: str) -> Domain | Ambiguous | None:
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
class CatalogSnapshot:
    """`users_by_email` by the email folded for matching (see `email_key`); `shared_emails` holds the users whose
    emails fold to the same key, kept out of `users_by_email`: the directory cannot say which of them it means."""

    users_by_email: dict[str, CatalogUser]
    domains: DomainIndex
    shared_emails: dict[str, list[CatalogUser]] = field(default_factory=dict)


def email_key(email: str) -> str:
    """The form in which emails match: stripped and lower-cased, and for the rare non-ASCII one NFKC-normalised
    and case-folded, so that `Ann@x.org`, `ann@x.org` and a fullwidth `ann@x.org` are one key. (The directory's
    emails are refused when folding changes them beyond case: `connector.directory`.)"""
    email = email.strip().lower()
    return email if email.isascii() else unicodedata.normalize("NFKC", email).casefold()


def user_from_json(entity: dict[str, Any]) -> CatalogUser:
    refs = entity.get("domains") or []
    own = [ref["id"] for ref in refs if not ref.get("inherited")]
    return CatalogUser(
        id=entity["id"],
        name=entity["name"],
        email=str(entity.get("email", "")).strip().lower(),
        display_name=entity.get("displayName") or None,
        domain_ids=tuple(own),
        version=float(entity.get("version") or 0.0),
        listed_domain_ids=tuple(ref["id"] for ref in refs),
        # A plain attribute of user.json, in every answer whatever `fields` asks for (docs/openmetadata-notes.md).
        is_admin=bool(entity.get("isAdmin")),
    )


class SnapshotCancelledError(Exception):
    """The snapshot was abandoned part way because the run is stopping for another reason."""


def load_snapshot(api: OpenMetadataApi, page_size: int, cancel: threading.Event | None = None) -> CatalogSnapshot:
    """Read every non-bot user (with domains) and every domain, one paged list call after another.

    `cancel` is checked as each page arrives, before it is used, so that a snapshot taken alongside another read
    (the directory's) costs at most one more page once that read has failed."""

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
    users: dict[str, CatalogUser] = {}
    shared: dict[str, list[CatalogUser]] = {}
    for page in pages("/users", {"fields": "domains", "isBot": "false"}):
        for entity in page:
            user = user_from_json(entity)
            if not user.email:
                continue
            key = email_key(user.email)
            if key in shared:
                shared[key].append(user)
            elif key in users:
                shared[key] = [users.pop(key), user]
            else:
                users[key] = user
    return CatalogSnapshot(users_by_email=users, domains=domains, shared_emails=shared)
