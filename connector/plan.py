"""Plan the changes: a pure function from the directory and the catalog snapshot to the writes to make.

Rules (the README's "How it works" states them for operators):
- a directory user matches the OpenMetadata user with the same email, case-insensitively, spaces ignored;
- rows with the same email count once when they agree; when they disagree neither is applied;
- `displayName` changes when the directory has a non-empty value that differs;
- the user's own (non-inherited) domains become exactly the directory's domain when it names a Domain entity
  (an FQN, or a name that is unique, case-insensitively) and they differ; an unknown or ambiguous domain leaves
  the user's domains alone while displayName may still change;
- an empty or missing directory value never erases what OpenMetadata has.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from connector.catalog import Ambiguous, CatalogSnapshot, CatalogUser, Domain
from connector.directory import DirectoryUser
from connector.settings import SyncField


@dataclass(frozen=True, slots=True)
class UserChange:
    """The writes for one user: a target value per field to change, None for a field left alone."""

    user: CatalogUser
    display_name: str | None = None
    domains: tuple[Domain, ...] | None = None


@dataclass
class Plan:
    changes: list[UserChange] = field(default_factory=list)
    unchanged: int = 0
    not_found: list[DirectoryUser] = field(default_factory=list)
    unknown_domains: Counter[str] = field(default_factory=Counter)
    ambiguous_domains: dict[str, tuple[Domain, ...]] = field(default_factory=dict)
    ambiguous_counts: Counter[str] = field(default_factory=Counter)
    duplicate_rows: int = 0
    conflicts: dict[str, list[DirectoryUser]] = field(default_factory=dict)

    @property
    def matched(self) -> int:
        return self.unchanged + len(self.changes)

    @property
    def skipped_for_domain(self) -> int:
        return sum(self.unknown_domains.values()) + sum(self.ambiguous_counts.values())


def _agree(first: DirectoryUser, other: DirectoryUser) -> bool:
    return first.display_name == other.display_name and (first.domain or "").lower() == (other.domain or "").lower()


def deduplicate(users: list[DirectoryUser], plan: Plan) -> list[DirectoryUser]:
    """One DirectoryUser per email; agreeing repeats are counted, disagreeing ones go to `plan.conflicts`."""
    by_email: dict[str, list[DirectoryUser]] = {}
    for user in users:
        by_email.setdefault(user.email, []).append(user)
    unique: list[DirectoryUser] = []
    for email, rows in by_email.items():
        if all(_agree(rows[0], other) for other in rows[1:]):
            unique.append(rows[0])
            plan.duplicate_rows += len(rows) - 1
        else:
            plan.conflicts[email] = rows
    return unique


def build_plan(directory: list[DirectoryUser], snapshot: CatalogSnapshot, fields: frozenset[SyncField]) -> Plan:
    plan = Plan()
    for person in deduplicate(directory, plan):
        user = snapshot.users_by_email.get(person.email)
        if user is None:
            plan.not_found.append(person)
            continue
        display_name = None
        if (
            SyncField.DISPLAY_NAME in fields
            and person.display_name is not None
            and person.display_name != user.display_name
        ):
            display_name = person.display_name
        domains = None
        if SyncField.DOMAINS in fields and person.domain is not None:
            resolved = snapshot.domains.resolve(person.domain)
            if isinstance(resolved, Domain):
                if set(user.domain_ids) != {resolved.id}:
                    domains = (resolved,)
            elif isinstance(resolved, Ambiguous):
                plan.ambiguous_domains[person.domain] = resolved.candidates
                plan.ambiguous_counts[person.domain] += 1
            else:
                plan.unknown_domains[person.domain] += 1
        if display_name is None and domains is None:
            plan.unchanged += 1
        else:
            plan.changes.append(UserChange(user=user, display_name=display_name, domains=domains))
    return plan
