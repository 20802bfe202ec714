"""Plan the changes: a pure function from the directory and the catalog snapshot to the writes to make.

Rules (the README's "How it works" states them for operators):
- a directory user matches the OpenMetadata user with the same email, case-insensitively, spaces ignored;
- rows with the same email count once when they agree; when they disagree neither is applied;
- `displayName` changes when the directory has a non-empty value that differs;
- the user's own (non-inherited) domains become exactly the directory's domains when each names a Domain entity
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


class SafetyLimitError(Exception):
    """The plan changes more users than the operator allows in one run; nothing may be written."""


def check_safety_limits(plan: Plan, max_percent: float, max_count: int | None) -> None:
    """Raise SafetyLimitError when the plan changes more than `max_percent` % of the matched users or more than
    `max_count` users: a broken directory feed looks like a mass change, and a real one deserves a look first."""
    changed = len(plan.changes)
    share = 100.0 * changed / plan.matched if plan.matched else 0.0
    exceeded = []
    if max_percent < 100 and share > max_percent:
        exceeded.append(f"more than maxChangePercent {max_percent:g}%")
    if max_count is not None and changed > max_count:
        exceeded.append(f"more than maxChangeCount {max_count}")
    if exceeded:
        raise SafetyLimitError(
            f"Safety limit: the plan changes {changed} of {plan.matched} matched users ({share:.0f}%), "
            f"{' and '.join(exceeded)}. Nothing was written. If these changes are expected (a first sync, a "
            'reorganisation), review them and run again with a higher limit: maxChangePercent: "100" turns the '
            'share check off, maxChangeCount: "N" allows N users.'
        )


def _domain_key(user: DirectoryUser) -> frozenset[str]:
    return frozenset(value.lower() for value in user.domains or ())


def _agree(first: DirectoryUser, other: DirectoryUser) -> bool:
    return first.display_name == other.display_name and _domain_key(first) == _domain_key(other)


def _resolve_domains(values: tuple[str, ...], snapshot: CatalogSnapshot, plan: Plan) -> tuple[Domain, ...] | None:
    """The Domain entities the directory values name, or None (recorded on the plan) if any value names none."""
    resolved: dict[str, Domain] = {}
    complete = True
    for value in values:
        match = snapshot.domains.resolve(value)
        if isinstance(match, Domain):
            resolved.setdefault(match.id, match)
            continue
        complete = False
        if isinstance(match, Ambiguous):
            plan.ambiguous_domains[value] = match.candidates
            plan.ambiguous_counts[value] += 1
        else:
            plan.unknown_domains[value] += 1
    return tuple(resolved.values()) if complete else None


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
        if SyncField.DOMAINS in fields and person.domains is not None:
            resolved = _resolve_domains(person.domains, snapshot, plan)
            if resolved is not None and set(user.domain_ids) != {domain.id for domain in resolved}:
                domains = resolved
        if display_name is None and domains is None:
            plan.unchanged += 1
        else:
            plan.changes.append(UserChange(user=user, display_name=display_name, domains=domains))
    return plan
