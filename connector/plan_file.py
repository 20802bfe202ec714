"""Plan files: the changes a run would write, saved for review (`planPath`) and applied later unchanged (`applyPlan`).

A plan file is JSON and describes itself: format and version, when it was made, the directory it was read from
(without credentials), the OpenMetadata server it was planned against, the fields and the options that shaped
it, and per user the id, name, email, the entity version as read, and each field's old and new value (domains by
id and FQN). Applying a plan reads no directory: it refuses a plan made for another server or other fields, and
per user refuses a change whose user changed in OpenMetadata since the plan was made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from connector.catalog import CatalogSnapshot, CatalogUser, Domain, DomainIndex
from connector.plan import Plan, UserChange
from connector.settings import SyncField, UserUpdaterSettings

FORMAT: Literal["openmetadata-user-updater/plan"] = "openmetadata-user-updater/plan"


class PlanFileError(Exception):
    """A plan file cannot be read, or does not fit the server or the fields of this run; nothing is written."""


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class DomainRef(_Model):
    id: str
    fqn: str


class DisplayNameChange(_Model):
    """`new` None clears the displayName (`allowClear`)."""

    old: str | None
    new: str | None


class DomainsChange(_Model):
    old: list[DomainRef]
    new: list[DomainRef]


class PlannedUser(_Model):
    id: str
    name: str
    email: str
    version: float
    display_name: DisplayNameChange | None = None
    domains: DomainsChange | None = None


class PlanOptions(_Model):
    domain_mode: Literal["replace", "add"]
    domain_mapping: dict[str, str]
    email_pattern: str | None
    row_filter: dict[str, list[str]]
    allow_clear: bool


class PlanFile(_Model):
    format: Literal["openmetadata-user-updater/plan"] = FORMAT
    format_version: Literal[1] = 1
    created_at: datetime
    directory_endpoint: str
    openmetadata_host: str
    fields: list[SyncField]
    options: PlanOptions
    changes: list[PlannedUser]


def planned_user(change: UserChange, domains: DomainIndex) -> PlannedUser:
    user = change.user
    display_name = None
    if change.display_name is not None or change.clear_display_name:
        display_name = DisplayNameChange(old=user.display_name, new=change.display_name)
    domain_change = None
    if change.domains is not None:
        domain_change = DomainsChange(
            old=[DomainRef(id=domain_id, fqn=domains.label(domain_id)) for domain_id in user.domain_ids],
            new=[DomainRef(id=domain.id, fqn=domain.fqn) for domain in change.domains],
        )
    return PlannedUser(
        id=user.id,
        name=user.name,
        email=user.email,
        version=user.version,
        display_name=display_name,
        domains=domain_change,
    )


def new_plan_file(
    plan: Plan,
    domains: DomainIndex,
    settings: UserUpdaterSettings,
    *,
    directory_endpoint: str,
    openmetadata_host: str,
    created_at: datetime,
) -> PlanFile:
    return PlanFile(
        created_at=created_at,
        directory_endpoint=directory_endpoint,
        openmetadata_host=openmetadata_host,
        fields=sorted(settings.fields, key=lambda field: field.value),
        options=PlanOptions(
            domain_mode=settings.domain_mode,
            domain_mapping=dict(settings.domain_mapping),
            email_pattern=settings.email_pattern.pattern if settings.email_pattern else None,
            row_filter={path: list(values) for path, values in settings.row_filter.items()},
            allow_clear=settings.allow_clear,
        ),
        changes=[planned_user(change, domains) for change in plan.changes],
    )


def save(path: Path, plan_file: PlanFile) -> None:
    """Write the file whole or not at all, so that a reviewer never signs off half a plan."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(plan_file.model_dump_json(by_alias=True, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def load(path: Path) -> PlanFile:
    try:
        return PlanFile.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise PlanFileError(f"cannot read the plan file {path}: {exc.strerror}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise PlanFileError(
            f"{path} is not a plan file of this connector ({exc.error_count()} problem(s); {where}: {first['msg']})"
        ) from None


def check_applicable(plan_file: PlanFile, *, openmetadata_host: str, fields: frozenset[SyncField]) -> None:
    """Refuse the whole plan when it was made for another server or for other fields."""
    if plan_file.openmetadata_host.rstrip("/").lower() != openmetadata_host.rstrip("/").lower():
        raise PlanFileError(
            f"the plan was made for OpenMetadata at {plan_file.openmetadata_host}, and this run talks to "
            f"{openmetadata_host}; it is refused whole. Nothing was written."
        )
    if set(plan_file.fields) != set(fields):
        planned = ",".join(sorted(field.value for field in plan_file.fields))
        configured = ",".join(sorted(field.value for field in fields))
        raise PlanFileError(
            f"the plan syncs the fields {planned}, and this run's `fields` are {configured}; set `fields` to "
            f"{planned!r} to apply it. Nothing was written."
        )


@dataclass(frozen=True, slots=True)
class StaleChange:
    """A planned change that is not written, because OpenMetadata no longer holds what the plan was made from."""

    planned: PlannedUser
    reason: str


def _change_from(planned: PlannedUser, user: CatalogUser | None, domains: DomainIndex) -> UserChange | str:
    """The change to write now, or why the plan's change no longer applies."""
    if user is None:
        return "the user is no longer in OpenMetadata (deleted, or now a bot); not written"
    if user.version != planned.version:
        return (
            f"changed in OpenMetadata since the plan was made (version {planned.version:g} in the plan, "
            f"{user.version:g} now); not written"
        )
    targets: tuple[Domain, ...] | None = None
    if planned.domains is not None:
        missing = [ref.fqn for ref in planned.domains.new if ref.id not in domains.by_id]
        if missing:
            return f"domain(s) {', '.join(missing)} no longer in OpenMetadata; not written"
        targets = tuple(domains.by_id[ref.id] for ref in planned.domains.new)
    display_name = planned.display_name
    return UserChange(
        user=user,
        display_name=display_name.new if display_name else None,
        domains=targets,
        clear_display_name=display_name is not None and display_name.new is None,
    )


def changes_to_apply(plan_file: PlanFile, snapshot: CatalogSnapshot) -> tuple[list[UserChange], list[StaleChange]]:
    """The plan's changes for users whose version is still the one planned from; the others as StaleChanges."""
    users = snapshot.users_with_ids({planned.id for planned in plan_file.changes})
    changes: list[UserChange] = []
    stale: list[StaleChange] = []
    for planned in plan_file.changes:
        outcome = _change_from(planned, users.get(planned.id), snapshot.domains)
        if isinstance(outcome, str):
            stale.append(StaleChange(planned, outcome))
        else:
            changes.append(outcome)
    return changes, stale
