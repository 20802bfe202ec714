"""Plan files: the changes a run would write, saved for review (`planPath`) and applied later unchanged (`applyPlan`).

A plan file is JSON and describes itself: format and version, when it was made, the directory it was read from
(without credentials), the OpenMetadata server it was planned against, the fields and the options that shaped
it, how many users it matched, and per user the id, name, email, the entity version as read, and each field's old
and new value (domains and teams by id and FQN; a team the run creates has no id). Applying a plan reads no directory.

A plan is applied only when its bytes have the SHA-256 digest the operator names in `applyPlanDigest`, which the
run that wrote it printed: the binding to what was reviewed comes from the operator's config, never from the file
(docs/security.md, "Plan files"). Then, before any write, the whole plan is refused when it was made for another
server or other fields, or holds a value that a directory row could not carry (`directory.parse_rows` checks
both); per user, a change whose user changed in OpenMetadata since the plan was made is held back. A plan's
leavers (soft deletes) and returners (restores) are applied only by a run with `leavers: softDelete`, each at the
version planned; a leaver that a protection rule now covers is held back as at planning. A plan's new accounts
(`createMissingUsers`) are created only by a run with that option, and only while no account holds the email.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from connector.catalog import GROUP, CatalogSnapshot, CatalogUser, Domain, DomainIndex, Team, TeamIndex
from connector.directory import parse_rows
from connector.plan import HeldBack, NewUser, Plan, PlanRules, UserChange
from connector.private_file import PrivateFile
from connector.settings import SyncField, UserUpdaterSettings
from connector.sign_in import sign_in_name

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


class TeamRef(_Model):
    """`id` None: a team the run creates (`createMissingTeams`), under the plan's `managedTeamsParent`."""

    id: str | None
    fqn: str


class TeamsChange(_Model):
    old: list[TeamRef]
    new: list[TeamRef]


class PlannedUser(_Model):
    id: str
    name: str
    email: str
    version: float
    display_name: DisplayNameChange | None = None
    domains: DomainsChange | None = None
    teams: TeamsChange | None = None


class PlannedAccount(_Model):
    """A leaver to soft-delete or a returner to restore, at the version read."""

    id: str
    name: str
    email: str
    version: float


class PlannedNewUser(_Model):
    """An account to create (`createMissingUsers`) and the values it is created with."""

    name: str
    email: str
    display_name: str | None = None
    domains: list[DomainRef] = []
    teams: list[TeamRef] = []


class PlanOptions(_Model):
    domain_mode: Literal["replace", "add"]
    domain_mapping: dict[str, str]
    email_pattern: str | None
    row_filter: dict[str, list[str]]
    allow_clear: bool
    team_mode: Literal["add", "replace"] = "add"
    team_mapping: dict[str, str] = {}
    managed_teams_parent: str | None = None
    create_missing_teams: bool = False
    create_missing_users: bool = False


class PlanFile(_Model):
    """Version 4 adds `newUsers`; version 3 adds `leavers` and `returners`; version 2 added `matched` (for
    `maxChangePercent`); version 1 plans were applied without a digest."""

    format: Literal["openmetadata-user-updater/plan"] = FORMAT
    format_version: Literal[2, 3, 4] = 4
    created_at: datetime
    directory_endpoint: str
    openmetadata_host: str
    fields: list[SyncField]
    options: PlanOptions
    matched: int
    changes: list[PlannedUser]
    leavers: list[PlannedAccount] = []
    returners: list[PlannedAccount] = []
    new_users: list[PlannedNewUser] = []


def planned_new_user(user: NewUser) -> PlannedNewUser:
    return PlannedNewUser(
        name=user.name,
        email=user.email,
        display_name=user.display_name,
        domains=[DomainRef(id=domain.id, fqn=domain.fqn) for domain in user.domains],
        teams=[TeamRef(id=team.id or None, fqn=team.fqn) for team in user.teams],
    )


def new_user_from(planned: PlannedNewUser) -> NewUser:
    """The plan's new account as planned (for its report rows); `new_users_to_apply` gives it as the catalog is."""
    return NewUser(
        name=planned.name,
        email=planned.email,
        display_name=planned.display_name,
        domains=tuple(Domain(ref.id, ref.fqn, ref.fqn) for ref in planned.domains),
        teams=tuple(Team(ref.id or "", ref.fqn, ref.fqn, GROUP) for ref in planned.teams),
    )


def planned_user(change: UserChange, domains: DomainIndex, teams: TeamIndex | None = None) -> PlannedUser:
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
    team_change = None
    if change.teams is not None:
        index = teams or TeamIndex()
        team_change = TeamsChange(
            old=[TeamRef(id=team_id, fqn=index.label(team_id)) for team_id in user.team_ids],
            new=[TeamRef(id=team.id or None, fqn=team.fqn) for team in change.teams],
        )
    return PlannedUser(
        id=user.id,
        name=user.name,
        email=user.email,
        version=user.version,
        display_name=display_name,
        domains=domain_change,
        teams=team_change,
    )


def new_plan_file(
    plan: Plan,
    domains: DomainIndex,
    settings: UserUpdaterSettings,
    *,
    directory_endpoint: str,
    openmetadata_host: str,
    created_at: datetime,
    teams: TeamIndex | None = None,
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
            team_mode=settings.team_mode,
            team_mapping=dict(settings.team_mapping),
            managed_teams_parent=settings.managed_teams_parent,
            create_missing_teams=settings.create_missing_teams,
            create_missing_users=settings.create_missing_users,
        ),
        matched=plan.matched,
        changes=[planned_user(change, domains, teams) for change in plan.changes],
        leavers=[planned_account(user) for user in plan.leavers],
        returners=[planned_account(user) for user in plan.returners],
        new_users=[planned_new_user(user) for user in plan.new_users],
    )


def planned_account(user: CatalogUser) -> PlannedAccount:
    return PlannedAccount(id=user.id, name=user.name, email=user.email, version=user.version)


def digest(content: bytes) -> str:
    """The digest `applyPlanDigest` names: SHA-256 of the file's exact bytes, as `sha256sum` prints it."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def save(path: Path, plan_file: PlanFile) -> str:
    """Write the file whole or not at all, so that a reviewer never signs off half a plan; return its digest."""
    text = plan_file.model_dump_json(by_alias=True, indent=2) + "\n"
    with PrivateFile(path) as file:
        file.write(text)
    return digest(text.encode("utf-8"))


def load(path: Path, expected_digest: str) -> PlanFile:
    """The plan in `path`, if its bytes have `expected_digest`; they are read once, so the bytes checked are the
    bytes parsed."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise PlanFileError(f"cannot read the plan file {path}: {exc.strerror}") from None
    # The file's own digest is not shown: an operator must take the digest from the run that wrote the plan.
    if not hmac.compare_digest(digest(content), expected_digest):
        raise PlanFileError(
            f"the plan file {path} is not the plan that applyPlanDigest names (its content changed since the run "
            "that wrote it printed that digest, or the digest is another plan's); it is refused whole. Nothing "
            "was written. Apply only a plan whose digest you took from the run that wrote it."
        )
    try:
        return PlanFile.model_validate_json(content)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise PlanFileError(
            f"{path} is not a plan file of this connector ({exc.error_count()} problem(s); {where}: {first['msg']})"
        ) from None


def _user_problems(planned: PlannedUser, plan_file: PlanFile) -> list[str]:
    """Why a planned user's change is not one a run of this connector could have planned, or nothing."""
    problems = []
    display_name, domains, teams = planned.display_name, planned.domains, planned.teams
    if display_name is None and domains is None and teams is None:
        problems.append("changes no field")
    if teams is not None and SyncField.TEAMS not in plan_file.fields:
        problems.append("changes teams, which the plan's fields leave out")
    if teams is not None and any(ref.id is None for ref in teams.new) and not plan_file.options.create_missing_teams:
        problems.append("creates a team, and the plan was made without createMissingTeams")
    if display_name is not None and SyncField.DISPLAY_NAME not in plan_file.fields:
        problems.append("changes displayName, which the plan's fields leave out")
    if domains is not None and SyncField.DOMAINS not in plan_file.fields:
        problems.append("changes domains, which the plan's fields leave out")
    clears = (display_name is not None and display_name.new is None) or (domains is not None and not domains.new)
    if clears and not plan_file.options.allow_clear:
        problems.append("clears a value, and the plan was made without allowClear")
    new_fqns = [ref.fqn for ref in domains.new] if domains is not None else []
    new_teams = [ref.fqn for ref in teams.new] if teams is not None else []
    row = {
        "email": planned.email,
        "displayName": display_name.new if display_name else None,
        "domain": new_fqns,
        "teams": new_teams,
    }
    # The directory's own row checks, so that a plan carries nothing a directory row could not.
    users, row_problems = parse_rows([row])
    # A row problem's reason ends in what the directory read does with the row ("; ignored"): not shown here.
    problems += [f"{problem.field} {problem.reason.partition(';')[0]}" for problem in row_problems]
    if users and not row_problems:
        parsed = users[0]
        if parsed.email != planned.email:
            problems.append("email is not in the form a directory row is read into")
        if display_name is not None and parsed.display_name != display_name.new:
            problems.append("displayName is not in the form a directory value is read into")
        if tuple(new_fqns) != (parsed.domains or ()):
            problems.append("domains are not in the form directory values are read into")
        if tuple(new_teams) != (parsed.teams or ()):
            problems.append("teams are not in the form directory values are read into")
    return problems


def _plan_problems(plan_file: PlanFile) -> list[str]:
    problems = []
    repeated = [user_id for user_id, count in Counter(p.id for p in plan_file.changes).items() if count > 1]
    if repeated:
        problems.append(f"{len(repeated)} user id(s) appear more than once")
    if not len(plan_file.changes) <= plan_file.matched:
        problems.append(f"{len(plan_file.changes)} changes for {plan_file.matched} matched users")
    for planned in plan_file.changes:
        problems += [f"user {planned.name!r}: {problem}" for problem in _user_problems(planned, plan_file)]
    for new in plan_file.new_users:
        problems += [f"new user {new.name!r}: {problem}" for problem in _new_user_problems(new, plan_file)]
    repeated = [name for name, count in Counter(new.name for new in plan_file.new_users).items() if count > 1]
    if repeated:
        problems.append(f"{len(repeated)} new user name(s) appear more than once")
    return problems


def _new_user_problems(planned: PlannedNewUser, plan_file: PlanFile) -> list[str]:
    """Why a planned account is not one a run of this connector could have planned, or nothing."""
    problems = []
    if not plan_file.options.create_missing_users:
        problems.append("is created, and the plan was made without createMissingUsers")
    if planned.name != sign_in_name(planned.email):
        problems.append("is not named as a first sign-in with its email names it")
    as_change = PlannedUser(
        id="",
        name=planned.name,
        email=planned.email,
        version=0,
        display_name=DisplayNameChange(old=None, new=planned.display_name) if planned.display_name else None,
        domains=DomainsChange(old=[], new=planned.domains) if planned.domains else None,
        teams=TeamsChange(old=[], new=planned.teams) if planned.teams else None,
    )
    # The same checks as a change's, less "changes no field": an account may be created with its email alone.
    return problems + [p for p in _user_problems(as_change, plan_file) if p != "changes no field"]


def check_applicable(
    plan_file: PlanFile,
    *,
    openmetadata_host: str,
    fields: frozenset[SyncField],
    soft_deletes: bool = False,
    restores: bool = False,
    creates: bool = False,
) -> None:
    """Refuse the whole plan when it was made for another server or for other fields, when it soft-deletes or
    restores users and this run's settings do not, or when a value in it is not one the planner could have made
    from a directory row."""
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
    if plan_file.new_users and not creates:
        raise PlanFileError(
            f"the plan creates {len(plan_file.new_users)} account(s), and this run's createMissingUsers is off; set "
            'createMissingUsers: "true" to apply it. Nothing was written.'
        )
    if (plan_file.leavers and not soft_deletes) or (plan_file.returners and not restores):
        raise PlanFileError(
            f"the plan soft-deletes {len(plan_file.leavers)} leaver(s) and restores {len(plan_file.returners)} "
            "returner(s), and this run's leavers option is 'report'; set leavers: softDelete (with the same scope) "
            "to apply it. Nothing was written."
        )
    problems = _plan_problems(plan_file)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise PlanFileError(
            f"the plan holds {len(problems)} change(s) that no run of this connector could have planned ({shown}); "
            "it is refused whole. Nothing was written."
        )


@dataclass(frozen=True, slots=True)
class StaleChange:
    """A planned change that is not written, because OpenMetadata no longer holds what the plan was made from."""

    planned: PlannedUser
    reason: str


def _teams_from(planned: TeamsChange, teams: TeamIndex, parent: str | None) -> tuple[Team, ...] | str:
    """The plan's teams as the catalog holds them now (a team to create stays one, unless it exists by now), or why
    the change no longer applies."""
    found: list[Team] = []
    for ref in planned.new:
        if ref.id is None:
            existing = teams.resolve(ref.fqn)
            if isinstance(existing, Team):
                return f"team {ref.fqn} was to be created, and exists in OpenMetadata now; not written"
            parent_team = teams.resolve(parent or "")
            if not isinstance(parent_team, Team):
                return f"managedTeamsParent {parent!r}, the parent of the new team {ref.fqn}, is gone; not written"
            found.append(Team("", ref.fqn, ref.fqn, GROUP, (parent_team.id,)))
        elif ref.id not in teams.by_id:
            return f"team {ref.fqn} no longer in OpenMetadata; not written"
        elif teams.by_id[ref.id].fqn.lower() != ref.fqn.lower():
            return f"team {ref.fqn} renamed in OpenMetadata (now {teams.by_id[ref.id].fqn}) since the plan was made"
        else:
            found.append(teams.by_id[ref.id])
    return tuple(found)


def _change_from(
    planned: PlannedUser, user: CatalogUser | None, snapshot: CatalogSnapshot, parent: str | None
) -> UserChange | str:
    """The change to write now, or why the plan's change no longer applies."""
    if user is None:
        return "the user is no longer in OpenMetadata (deleted, or now a bot); not written"
    if user.version == planned.version and (user.name, user.email) != (planned.name, planned.email):
        raise PlanFileError(
            f"the plan's user {planned.name!r} is not the OpenMetadata user with id {planned.id} at version "
            f"{planned.version:g}; the plan is refused whole. Nothing was written."
        )
    if user.version != planned.version:
        return (
            f"changed in OpenMetadata since the plan was made (version {planned.version:g} in the plan, "
            f"{user.version:g} now); not written"
        )
    domains = snapshot.domains
    targets: tuple[Domain, ...] | None = None
    if planned.domains is not None:
        missing = [ref.fqn for ref in planned.domains.new if ref.id not in domains.by_id]
        if missing:
            return f"domain(s) {', '.join(missing)} no longer in OpenMetadata; not written"
        renamed = [
            f"{ref.fqn} (now {domains.by_id[ref.id].fqn})"
            for ref in planned.domains.new
            if domains.by_id[ref.id].fqn.lower() != ref.fqn.lower()
        ]
        if renamed:
            return f"domain(s) {', '.join(renamed)} renamed in OpenMetadata since the plan was made; not written"
        targets = tuple(domains.by_id[ref.id] for ref in planned.domains.new)
    teams: tuple[Team, ...] | None = None
    if planned.teams is not None:
        resolved = _teams_from(planned.teams, snapshot.teams, parent)
        if isinstance(resolved, str):
            return resolved
        teams = resolved
    display_name = planned.display_name
    return UserChange(
        user=user,
        display_name=display_name.new if display_name else None,
        domains=targets,
        clear_display_name=display_name is not None and display_name.new is None,
        teams=teams,
    )


def changes_to_apply(plan_file: PlanFile, snapshot: CatalogSnapshot) -> tuple[list[UserChange], list[StaleChange]]:
    """The plan's changes for users whose version is still the one planned from; the others as StaleChanges."""
    users = snapshot.users_with_ids({planned.id for planned in plan_file.changes})
    changes: list[UserChange] = []
    stale: list[StaleChange] = []
    for planned in plan_file.changes:
        outcome = _change_from(planned, users.get(planned.id), snapshot, plan_file.options.managed_teams_parent)
        if isinstance(outcome, str):
            stale.append(StaleChange(planned, outcome))
        else:
            changes.append(outcome)
    return changes, stale


@dataclass(frozen=True, slots=True)
class StaleAccount:
    """A planned soft delete or restore that is not written: the user is no longer as the plan read it."""

    planned: PlannedAccount
    delete: bool
    reason: str


@dataclass
class AccountsToApply:
    leavers: list[CatalogUser]
    returners: list[CatalogUser]
    held_back: list[HeldBack]
    stale: list[StaleAccount]


def accounts_to_apply(plan_file: PlanFile, snapshot: CatalogSnapshot, rules: PlanRules) -> AccountsToApply:
    """The plan's leavers still active and its returners still soft-deleted, each at the version planned (the
    snapshot holds soft-deleted users when the plan has returners); the others as StaleAccounts. A leaver a
    protection rule covers now (made admin since, say) is held back."""
    users = snapshot.users_with_ids({p.id for p in plan_file.leavers} | {p.id for p in plan_file.returners})
    deleted_ids = {user.id for same in snapshot.deleted_by_email.values() for user in same}
    result = AccountsToApply([], [], [], [])
    for delete, planned_accounts in ((True, plan_file.leavers), (False, plan_file.returners)):
        for planned in planned_accounts:
            user = users.get(planned.id)
            reason = None
            if user is None or (user.id in deleted_ids) == delete:
                state = "gone or already soft-deleted" if delete else "no longer soft-deleted (restored, or gone)"
                reason = f"{state} since the plan was made; not written"
            elif user.version != planned.version:
                reason = (
                    f"changed in OpenMetadata since the plan was made (version {planned.version:g} in the plan, "
                    f"{user.version:g} now); not written"
                )
            if reason is not None or user is None:
                result.stale.append(StaleAccount(planned, delete, reason or ""))
                continue
            protection = rules.leaver_protection(user) if delete else rules.protection(user)
            if protection is not None:
                result.held_back.append(HeldBack(user, "delete" if delete else "restore", protection, protected=True))
            else:
                (result.leavers if delete else result.returners).append(user)
    return result


@dataclass(frozen=True, slots=True)
class StaleNewUser:
    """A planned account that is not created: someone has it, or what it was to carry is gone."""

    planned: PlannedNewUser
    reason: str


def _taken_or_gone(planned: PlannedNewUser, snapshot: CatalogSnapshot) -> str | None:
    """Why a planned account is not created now that the catalog holds its email or lost one of its domains."""
    if planned.email in snapshot.users_by_email or planned.email in snapshot.shared_emails:
        return "an OpenMetadata account holds this email since the plan was made; not created"
    if planned.email in snapshot.deleted_by_email:
        return "a soft-deleted account holds this email since the plan was made; not created"
    if any(ref.id not in snapshot.domains.by_id for ref in planned.domains):
        return "a domain of the account is no longer in OpenMetadata; not created"
    return None


def new_users_to_apply(plan_file: PlanFile, snapshot: CatalogSnapshot) -> tuple[list[NewUser], list[StaleNewUser]]:
    """The plan's new accounts whose email no account holds yet, with their domains and teams as the catalog holds
    them now; the others as StaleNewUsers. (A name taken since is refused by OpenMetadata at the write.)"""
    new_users: list[NewUser] = []
    stale: list[StaleNewUser] = []
    domains = snapshot.domains
    parent = plan_file.options.managed_teams_parent
    for planned in plan_file.new_users:
        reason = _taken_or_gone(planned, snapshot)
        teams = (
            reason
            if reason is not None
            else _teams_from(TeamsChange(old=[], new=planned.teams), snapshot.teams, parent)
        )
        if isinstance(teams, str):
            stale.append(StaleNewUser(planned, teams.replace("not written", "not created")))
            continue
        new_users.append(
            NewUser(
                name=planned.name,
                email=planned.email,
                display_name=planned.display_name,
                domains=tuple(domains.by_id[ref.id] for ref in planned.domains),
                teams=teams,
            )
        )
    return new_users, stale
