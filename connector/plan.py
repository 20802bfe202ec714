"""Plan the changes: a pure function from the directory and the catalog snapshot to the writes to make.

Rules (docs/design.md, "Rules of the plan", states them for operators):
- rows outside the operator's filters (`emailPattern`, `rowFilter`) are set aside first and change nothing;
- a directory user matches the OpenMetadata user with the same email, case-insensitively, spaces ignored;
- rows with the same email count once when they agree; when they disagree neither is applied;
- `displayName` changes when the directory has a non-empty value that differs;
- each directory domain value is translated by `domainMapping` (keys case-insensitive; unmapped values are used
  as they are) and must name a Domain entity (an FQN, or a name that is unique, case-insensitively); then in
  `replace` mode the user's own (non-inherited) domains become exactly the directory's, in `add` mode the
  directory's are added to them; an unknown or ambiguous domain leaves the user's domains alone while displayName
  may still change;
- an empty or missing directory value never erases what OpenMetadata has, unless `allowClear` is on: then it
  clears displayName, and in `replace` mode the user's own domains; a value the directory sent but that could
  not be read (a number, say) never clears;
- OpenMetadata users (non-bots, within `emailPattern`) whose email no directory row lists are `unlisted`:
  reported, never changed;
- OpenMetadata users whose emails are the same once case is ignored (`Ann@x.org` and `ann@x.org`, two accounts)
  are reported and none of them is changed: the directory cannot say which one it means.
- teams (only when `fields` names `teams`): each directory team value is translated by `teamMapping` (keys
  case-insensitive) and must name a team (an FQN, or a name that is unique, case-insensitively) of type Group, the
  only type that may hold users (docs/openmetadata-notes.md, "Teams and membership": older servers accept a
  Department and leave a stuck member, so the plan checks the type itself); in `replace` mode it must also be under
  `managedTeamsParent` (at any depth). A value that is unknown, ambiguous, not a Group or (in `replace` mode) out of
  scope leaves that user's teams alone, with a warning; with `createMissingTeams` an unknown value is planned as a
  new Group under the parent instead. Then in `add` mode the directory's teams are added to the user's; in `replace`
  mode the user's teams under the parent become exactly the directory's, and teams outside it are kept whatever the
  directory says (a team made by hand keeps its members). Organization, everyone's default team, is never written.
  With `allowClear` in `replace` mode an empty value removes the user's managed teams;
- leavers (`leavers: softDelete` only; otherwise they are just `unlisted`): the unlisted users within
  `leaversEmailPattern` too, when it is set. A row outside `rowFilter` still lists its email: the person is in the
  directory. Never a leaver, held back in `Plan.held_back` with the reason: the account the sync runs as, admins
  (even with `protectAdmins` off), the users `protectedUsers` or `leaversExcluded` name, users sharing an email
  with another user (bots are never read). When any directory row's email could not be read, every leaver is held
  back: the directory cannot show that they left. How many may leave in one run is `maxLeavers`;
- returners (with `PlanRules.restore_returners`): a directory person with no active account whose only account is
  soft-deleted gets that account restored (`Plan.returners`), then its fields are planned as anyone's; several
  soft-deleted accounts with the email, or a protected one, are held back, not restored;
- joiners (`PlanRules.create_missing_users`): a directory person with no account, active or soft-deleted, gets a new
  one (`Plan.new_users`) named as a first sign-in names them (`connector.sign_in.sign_in_name`: the email's part
  before `@`, lower-cased), with the email and the synced fields' values resolved as for anyone (an unknown domain or
  team is left out, with its warning). Not created, with the reason in `Plan.not_created`: a name another account
  holds (active, soft-deleted, or another email's), a name two directory people would share, a name OpenMetadata
  would refuse, a person `protectedUsers` names. Returners are restored, never created again;
- a protected user is never changed: the account the sync runs as, admins (`isAdmin`, unless `protectAdmins` is
  off) and the users `protectedUsers` names (by name or email, case-insensitively). The change the directory asks
  for is planned as for anyone, then held back in `Plan.protected` with the reason, for the report
  (docs/security.md, "Protected accounts").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from connector.catalog import (
    GROUP,
    ORGANIZATION,
    Ambiguous,
    CatalogSnapshot,
    CatalogUser,
    Domain,
    DomainIndex,
    Team,
    TeamIndex,
)
from connector.directory import DirectoryUser, DirectoryUsers
from connector.settings import SyncField, UserUpdaterSettings
from connector.sign_in import name_problem, sign_in_name


@dataclass(frozen=True, slots=True)
class UserChange:
    """The writes for one user: a target value per field to change, None for a field left alone.

    `clear_display_name` removes the user's displayName (only with `allowClear`). `teams` is the user's whole list
    of teams to write (Organization never in it); a team with an empty id is one the run creates first
    (`createMissingTeams`)."""

    user: CatalogUser
    display_name: str | None = None
    domains: tuple[Domain, ...] | None = None
    clear_display_name: bool = False
    teams: tuple[Team, ...] | None = None


@dataclass(frozen=True, slots=True)
class NewUser:
    """An account to create before the person's first sign-in; each field None when it is not synced (or the
    directory has no usable value). A team with an empty id is one the run creates first (`createMissingTeams`)."""

    name: str
    email: str
    display_name: str | None = None
    domains: tuple[Domain, ...] = ()
    teams: tuple[Team, ...] = ()


def _names(listed: frozenset[str], name: str, email: str) -> bool:
    """Whether an option's list (`protectedUsers`, `leaversExcluded`: lower-cased names and emails) names the user."""
    return name.lower() in listed or email in listed


@dataclass(frozen=True, slots=True)
class PlanRules:
    """The operator's choices that shape a plan; `domain_mapping` keys are lower-cased."""

    domain_mapping: Mapping[str, str] = field(default_factory=dict)
    domain_mode: Literal["replace", "add"] = "replace"
    email_pattern: re.Pattern[str] | None = None
    allow_clear: bool = False
    protect_admins: bool = True
    protected_users: frozenset[str] = frozenset()
    principal: str | None = None
    team_mapping: Mapping[str, str] = field(default_factory=dict)
    team_mode: Literal["add", "replace"] = "add"
    managed_teams_parent: str | None = None
    create_missing_teams: bool = False
    soft_delete_leavers: bool = False
    leavers_email_pattern: re.Pattern[str] | None = None
    leavers_excluded: frozenset[str] = frozenset()
    restore_returners: bool = False
    create_missing_users: bool = False

    @classmethod
    def from_settings(cls, settings: UserUpdaterSettings, principal: str | None = None) -> PlanRules:
        """`principal` is the name of the account the sync runs as (`/users/loggedInUser`)."""
        return cls(
            domain_mapping=settings.domain_mapping,
            domain_mode=settings.domain_mode,
            email_pattern=settings.email_pattern,
            allow_clear=settings.allow_clear,
            protect_admins=settings.protect_admins,
            protected_users=settings.protected_users,
            principal=principal,
            team_mapping=settings.team_mapping,
            team_mode=settings.team_mode,
            managed_teams_parent=settings.managed_teams_parent,
            create_missing_teams=settings.create_missing_teams,
            soft_delete_leavers=settings.leavers == "softDelete",
            leavers_email_pattern=settings.leavers_email_pattern,
            leavers_excluded=settings.leavers_excluded,
            restore_returners=settings.restores_returners,
            create_missing_users=settings.create_missing_users,
        )

    def in_scope(self, email: str) -> bool:
        return self.email_pattern is None or self.email_pattern.fullmatch(email) is not None

    def protection(self, user: CatalogUser) -> str | None:
        """Why `user` may not be changed, or None."""
        if self.principal is not None and user.name.lower() == self.principal.lower():
            return "the account this sync runs as; never changed"
        if self.protect_admins and user.is_admin:
            return "an OpenMetadata admin; admins are not changed unless protectAdmins is 'false'"
        if _names(self.protected_users, user.name, user.email):
            return "listed in protectedUsers; never changed"
        return None

    def leaver_protection(self, user: CatalogUser) -> str | None:
        """Why `user` may not be soft-deleted, or None: stricter than `protection`, as admins always count."""
        if user.is_admin and not self.protect_admins:
            return "an OpenMetadata admin; admins are never soft-deleted"
        reason = self.protection(user)
        if reason is not None:
            return reason
        if _names(self.leavers_excluded, user.name, user.email):
            return "listed in leaversExcluded; never soft-deleted"
        return None

    def in_leavers_scope(self, email: str) -> bool:
        return self.in_scope(email) and (
            self.leavers_email_pattern is None or self.leavers_email_pattern.fullmatch(email) is not None
        )


@dataclass(frozen=True, slots=True)
class SkippedField:
    """A field of a matched user that the directory wanted changed but the plan leaves alone, and why."""

    user: CatalogUser
    field: SyncField
    values: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class ProtectedChange:
    """A change the directory asks for on a protected user, held back, and why the user is protected."""

    change: UserChange
    reason: str


@dataclass(frozen=True, slots=True)
class HeldBack:
    """A leaver not soft-deleted, or a returner not restored (`action`), and why; `protected` when the reason is
    one of the protection rules."""

    user: CatalogUser
    action: Literal["delete", "restore"]
    reason: str
    protected: bool = False


@dataclass
class Plan:
    changes: list[UserChange] = field(default_factory=list)
    protected: list[ProtectedChange] = field(default_factory=list)
    unchanged: int = 0
    not_found: list[DirectoryUser] = field(default_factory=list)
    unknown_domains: Counter[str] = field(default_factory=Counter)
    ambiguous_domains: dict[str, tuple[Domain, ...]] = field(default_factory=dict)
    ambiguous_counts: Counter[str] = field(default_factory=Counter)
    duplicate_rows: int = 0
    conflicts: dict[str, list[DirectoryUser]] = field(default_factory=dict)
    skipped: list[SkippedField] = field(default_factory=list)
    filtered: list[tuple[DirectoryUser, str]] = field(default_factory=list)
    unlisted: list[CatalogUser] = field(default_factory=list)
    shared_emails: dict[str, list[CatalogUser]] = field(default_factory=dict)
    team_problems: dict[str, str] = field(default_factory=dict)
    team_problem_counts: Counter[str] = field(default_factory=Counter)
    new_teams: list[Team] = field(default_factory=list)
    leavers: list[CatalogUser] = field(default_factory=list)
    returners: list[CatalogUser] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)
    new_users: list[NewUser] = field(default_factory=list)
    # Directory people without an account who get none (`createMissingUsers`), by email, and why.
    not_created: dict[str, str] = field(default_factory=dict)

    @property
    def matched(self) -> int:
        return self.unchanged + len(self.changes) + len(self.protected)

    @property
    def leavers_held_back(self) -> int:
        return sum(1 for held in self.held_back if held.action == "delete")

    @property
    def skipped_for_domain(self) -> int:
        return sum(self.unknown_domains.values()) + sum(self.ambiguous_counts.values())

    @property
    def skipped_for_team(self) -> int:
        """Users whose teams are left alone because a directory value could not be used."""
        return sum(1 for skipped in self.skipped if skipped.field is SyncField.TEAMS)


class TeamScopeError(Exception):
    """`managedTeamsParent` names no team the sync may manage; nothing may be planned or written."""


@dataclass(frozen=True, slots=True)
class TeamScope:
    """What the team rules need from the catalog, computed once per plan: the managed parent and the ids under it
    (empty without a parent), and Organization's id (never written)."""

    parent: Team | None
    managed: frozenset[str]
    organization_ids: frozenset[str]

    @classmethod
    def of(cls, teams: TeamIndex, rules: PlanRules) -> TeamScope:
        organization_ids = frozenset(t.id for t in teams.by_id.values() if t.team_type == ORGANIZATION)
        if rules.managed_teams_parent is None:
            return cls(None, frozenset(), organization_ids)
        parent = teams.resolve(rules.managed_teams_parent)
        if not isinstance(parent, Team):
            what = "names several teams; use its FQN" if isinstance(parent, Ambiguous) else "names no team"
            raise TeamScopeError(f"managedTeamsParent {rules.managed_teams_parent!r} {what}. Nothing was written.")
        if parent.team_type in (GROUP, ORGANIZATION):
            raise TeamScopeError(
                f"managedTeamsParent {parent.name!r} is a team of type {parent.team_type}: a Group holds no teams, "
                "and under Organization every team would be managed; name a Department, Division or BusinessUnit. "
                "Nothing was written."
            )
        return cls(parent, teams.below(parent.id), organization_ids)


class SafetyLimitError(Exception):
    """The plan changes more users than the operator allows in one run; nothing may be written."""


@dataclass(frozen=True, slots=True)
class SafetyLimits:
    """How many users one run may change (`maxChangePercent`, `maxChangeCount`, `minChangesForPercentLimit`).

    The share limit catches a broken directory feed, which looks like a mass change; on a small directory one
    ordinary change is already a large share (1 of 3 users is 33%), so the share is checked only when the plan
    changes more than `min_changes_for_percent` users (the setting's description argues its default)."""

    max_percent: float = 100.0
    max_count: int | None = None
    min_changes_for_percent: int = 0
    max_leavers: int = 10

    @classmethod
    def from_settings(cls, settings: UserUpdaterSettings) -> SafetyLimits:
        return cls(
            max_percent=settings.max_change_percent,
            max_count=settings.max_change_count,
            min_changes_for_percent=settings.min_changes_for_percent_limit,
            max_leavers=settings.max_leavers,
        )


def check_safety_limits(plan: Plan, limits: SafetyLimits) -> None:
    """Raise SafetyLimitError when the plan changes more than `max_percent` % of the matched users (and more than
    `min_changes_for_percent` users) or more than `max_count` users, or soft-deletes more than `max_leavers`: a
    broken directory feed looks like a mass change (or a mass departure), and a real one deserves a look first."""
    problems = [problem for problem in (_change_limit(plan, limits), _leaver_limit(plan, limits)) if problem]
    if problems:
        raise SafetyLimitError(" ".join(problems))


def _leaver_limit(plan: Plan, limits: SafetyLimits) -> str | None:
    if len(plan.leavers) <= limits.max_leavers:
        return None
    return (
        f"Safety limit: the plan soft-deletes {len(plan.leavers)} users the directory no longer lists, more than "
        f"maxLeavers {limits.max_leavers}. Nothing was written. Check the directory first (a feed that lost people "
        "looks like this); if they did leave, review the list (a dry run with reportPath shows them) and run again "
        'with maxLeavers: "N".'
    )


def _change_limit(plan: Plan, limits: SafetyLimits) -> str | None:
    # A new account counts as a change: a feed whose emails all changed would otherwise create everyone anew.
    changed = len(plan.changes) + len(plan.new_users)
    share = 100.0 * changed / plan.matched if plan.matched else 0.0
    exceeded = []
    if limits.max_percent < 100 and share > limits.max_percent and changed > limits.min_changes_for_percent:
        exceeded.append(
            f"more than maxChangePercent {limits.max_percent:g}% (checked above minChangesForPercentLimit "
            f"{limits.min_changes_for_percent})"
        )
    if limits.max_count is not None and changed > limits.max_count:
        exceeded.append(f"more than maxChangeCount {limits.max_count}")
    if not exceeded:
        return None
    return (
        f"Safety limit: the plan changes {changed} of {plan.matched} matched users ({share:.0f}%)"
        f"{f', new accounts included ({len(plan.new_users)})' if plan.new_users else ''}, "
        f"{' and '.join(exceeded)}. Nothing was written. If these changes are expected (a first sync, a "
        'reorganisation), review them and run again with a higher limit: maxChangePercent: "100" turns the '
        'share check off, maxChangeCount: "N" allows N users.'
    )


def teams_to_create(changes: Sequence[UserChange], new_users: Sequence[NewUser] = ()) -> list[Team]:
    """The teams without an id that the changes (and the new accounts) put users into, each once, in order of first
    use."""
    found: dict[str, Team] = {}
    for teams in [change.teams or () for change in changes] + [user.teams for user in new_users]:
        for team in teams:
            if not team.id:
                found.setdefault(team.name.lower(), team)
    return list(found.values())


def hold_back_protected(changes: list[UserChange], rules: PlanRules) -> tuple[list[UserChange], list[ProtectedChange]]:
    """The changes that may be written, and those of protected users, held back with the reason."""
    allowed: list[UserChange] = []
    protected: list[ProtectedChange] = []
    for change in changes:
        reason = rules.protection(change.user)
        if reason is None:
            allowed.append(change)
        else:
            protected.append(ProtectedChange(change, reason))
    return allowed, protected


def _domain_key(domains: tuple[str, ...] | None) -> frozenset[str]:
    return frozenset(value.lower() for value in domains or ())


def _agree(first: DirectoryUser, other: DirectoryUser) -> bool:
    return (
        first.display_name == other.display_name
        and _domain_key(first.domains) == _domain_key(other.domains)
        and _domain_key(first.teams) == _domain_key(other.teams)
    )


def _resolve_domains(
    values: tuple[str, ...], mapping: Mapping[str, str], snapshot: CatalogSnapshot, plan: Plan
) -> tuple[Domain, ...] | str:
    """The Domain entities the (mapped) directory values name, or why not (also counted on the plan)."""
    resolved: dict[str, Domain] = {}
    reasons: list[str] = []
    for raw in values:
        value = mapping.get(raw.strip().lower(), raw)
        match = snapshot.domains.resolve(value)
        if isinstance(match, Domain):
            resolved.setdefault(match.id, match)
        elif isinstance(match, Ambiguous):
            plan.ambiguous_domains[value] = match.candidates
            plan.ambiguous_counts[value] += 1
            reasons.append(f"domain {value!r} names {len(match.candidates)} domains; use the fully qualified name")
        else:
            plan.unknown_domains[value] += 1
            reasons.append(f"domain {value!r} has no Domain entity in OpenMetadata")
    return "; ".join(reasons) if reasons else tuple(resolved.values())


def _team_problem(team: Team | Ambiguous[Team] | None, value: str, rules: PlanRules, scope: TeamScope) -> str | None:
    """Why a (mapped) directory team value cannot be used, or None."""
    if team is None:
        return f"team {value!r} has no team in OpenMetadata"
    if isinstance(team, Ambiguous):
        return f"team {value!r} names {len(team.candidates)} teams; use the fully qualified name"
    if team.team_type != GROUP:
        return f"team {value!r} is of type {team.team_type}; only teams of type Group hold users"
    # A team to create (no id yet) goes under the parent.
    if rules.team_mode == "replace" and scope.parent is not None and team.id and team.id not in scope.managed:
        return f"team {value!r} is not under managedTeamsParent {scope.parent.name!r}"
    return None


def _resolve_teams(
    values: tuple[str, ...], rules: PlanRules, snapshot: CatalogSnapshot, scope: TeamScope, plan: Plan
) -> tuple[Team, ...] | str:
    """The teams the (mapped) directory values name, new ones planned when `createMissingTeams` allows, or why not
    (also counted on the plan)."""
    resolved: dict[str, Team] = {}
    reasons: list[str] = []
    for raw in values:
        value = rules.team_mapping.get(raw.strip().lower(), raw)
        team = snapshot.teams.resolve(value)
        if team is None and rules.create_missing_teams and scope.parent is not None:
            team = next((t for t in plan.new_teams if t.name.lower() == value.strip().lower()), None)
            if team is None:
                team = Team(
                    id="", name=value.strip(), fqn=value.strip(), team_type=GROUP, parent_ids=(scope.parent.id,)
                )
                plan.new_teams.append(team)
        problem = _team_problem(team, value, rules, scope)
        if problem is not None:
            plan.team_problems[value] = problem
            plan.team_problem_counts[value] += 1
            reasons.append(problem)
        elif isinstance(team, Team):
            resolved.setdefault(team.id or team.name.lower(), team)
    return "; ".join(reasons) if reasons else tuple(resolved.values())


def _plan_teams(
    row: int,
    teams: tuple[str, ...] | None,
    user: CatalogUser,
    *,
    snapshot: CatalogSnapshot,
    scope: TeamScope,
    rules: PlanRules,
    unreadable: frozenset[tuple[int, str]],
    plan: Plan,
) -> tuple[Team, ...] | None:
    """The user's whole new list of teams, or None when it stays as it is."""
    current = tuple(
        snapshot.teams.by_id.get(team_id) or Team(team_id, team_id, team_id, "")
        for team_id in user.team_ids
        if team_id not in scope.organization_ids
    )
    current_ids = {team.id for team in current}
    replace_mode = rules.team_mode == "replace"
    if teams is None:
        if not (rules.allow_clear and replace_mode and (row, "teams") not in unreadable):
            return None
        wanted: tuple[Team, ...] = ()
    else:
        resolved = _resolve_teams(teams, rules, snapshot, scope, plan)
        if isinstance(resolved, str):
            plan.skipped.append(SkippedField(user, SyncField.TEAMS, teams, resolved))
            return None
        wanted = resolved
    wanted_ids = {team.id for team in wanted}
    if replace_mode:
        # Teams outside the managed scope are kept whatever the directory says.
        kept = tuple(team for team in current if team.id not in scope.managed or team.id in wanted_ids)
    else:
        kept = current
    target = kept + tuple(team for team in wanted if not team.id or team.id not in current_ids)
    if {team.id for team in target} == current_ids and all(team.id for team in target):
        return None
    return target


def _own_domains(user: CatalogUser, index: DomainIndex) -> tuple[Domain, ...]:
    return tuple(index.by_id.get(domain_id) or Domain(domain_id, domain_id, domain_id) for domain_id in user.domain_ids)


def _outside(email: str, row: int, rules: PlanRules, filtered_rows: frozenset[int]) -> str | None:
    """Why a directory row is set aside by the operator's filters, or None."""
    if not rules.in_scope(email):
        return "email does not match emailPattern"
    if row in filtered_rows:
        return "row does not match rowFilter"
    return None


def _deduplicate(
    users: DirectoryUsers, repeated: set[str], rules: PlanRules, filtered_rows: frozenset[int], plan: Plan
) -> dict[str, int]:
    """The row kept for each email that more than one selected row lists (0 for none); agreeing repeats are
    counted, disagreeing ones go to `plan.conflicts` and keep no row. `repeated` are the emails that more than one
    row lists, selected or not: a directory lists nearly everyone once, so only these rows are looked at twice."""
    rows: dict[str, list[DirectoryUser]] = {}
    if repeated:
        for row, email, display_name, domains, teams in users.columns():
            if email in repeated and _outside(email, row, rules, filtered_rows) is None:
                rows.setdefault(email, []).append(DirectoryUser(row, email, display_name, domains, teams))
    kept: dict[str, int] = {}
    for email, same in rows.items():
        if len(same) == 1:
            continue
        if all(_agree(same[0], other) for other in same[1:]):
            plan.duplicate_rows += len(same) - 1
            kept[email] = same[0].row
        else:
            plan.conflicts[email] = same
            kept[email] = 0  # no row number is 0: every row of the email is left out
    return kept


def _plan_user(
    row: int,
    display_name: str | None,
    domains: tuple[str, ...] | None,
    teams: tuple[str, ...] | None,
    user: CatalogUser,
    *,
    snapshot: CatalogSnapshot,
    fields: frozenset[SyncField],
    rules: PlanRules,
    scope: TeamScope,
    unreadable: frozenset[tuple[int, str]],
    plan: Plan,
) -> UserChange | None:
    """The change for one directory row (its values) matched to `user`, or None when nothing differs."""
    new_display_name, clear_display_name, new_domains = None, False, None
    if SyncField.DISPLAY_NAME in fields:
        if display_name is not None:
            new_display_name = display_name if display_name != user.display_name else None
        else:
            clear_display_name = (
                rules.allow_clear and user.display_name is not None and (row, "displayName") not in unreadable
            )
    if SyncField.DOMAINS in fields:
        own_ids = set(user.domain_ids)
        if domains is not None:
            resolved = _resolve_domains(domains, rules.domain_mapping, snapshot, plan)
            if isinstance(resolved, str):
                plan.skipped.append(SkippedField(user, SyncField.DOMAINS, domains, resolved))
            else:
                if rules.domain_mode == "add":
                    resolved = _own_domains(user, snapshot.domains) + tuple(d for d in resolved if d.id not in own_ids)
                if own_ids != {domain.id for domain in resolved}:
                    new_domains = resolved
        elif rules.allow_clear and rules.domain_mode == "replace" and own_ids and (row, "domain") not in unreadable:
            new_domains = ()
    new_teams = None
    if SyncField.TEAMS in fields:
        new_teams = _plan_teams(
            row, teams, user, snapshot=snapshot, scope=scope, rules=rules, unreadable=unreadable, plan=plan
        )
    if new_display_name is None and new_domains is None and new_teams is None and not clear_display_name:
        return None
    return UserChange(
        user=user,
        display_name=new_display_name,
        domains=new_domains,
        clear_display_name=clear_display_name,
        teams=new_teams,
    )


def build_plan(
    directory: Sequence[DirectoryUser],
    snapshot: CatalogSnapshot,
    fields: frozenset[SyncField],
    rules: PlanRules = PlanRules(),
    *,
    filtered_rows: frozenset[int] = frozenset(),
    unreadable: frozenset[tuple[int, str]] = frozenset(),
) -> Plan:
    """The plan for `directory` against `snapshot`.

    `filtered_rows` are the directory rows (1-based) outside `rowFilter`; `unreadable` names (row, field) pairs
    whose value the directory sent but that could not be read, so that `allowClear` never clears from them.
    TeamScopeError when teams are synced and `managedTeamsParent` names no team that may be a parent.
    """
    users = directory if isinstance(directory, DirectoryUsers) else DirectoryUsers.of(directory)
    plan = Plan()
    scope = (
        TeamScope.of(snapshot.teams, rules) if SyncField.TEAMS in fields else TeamScope(None, frozenset(), frozenset())
    )
    listed: set[str] = set()
    repeated: set[str] = set()
    for email in users.emails:
        if email in listed:
            repeated.add(email)
        else:
            listed.add(email)
    kept = _deduplicate(users, repeated, rules, filtered_rows, plan)
    # One pass over the directory's columns; a DirectoryUser is built only for a row the plan keeps.
    for row, email, display_name, domains, teams in users.columns():
        reason = _outside(email, row, rules, filtered_rows)
        if reason is not None:
            plan.filtered.append((DirectoryUser(row, email, display_name, domains, teams), reason))
            continue
        if kept and kept.get(email, row) != row:
            continue
        user = snapshot.users_by_email.get(email)
        if user is None and email not in snapshot.shared_emails and rules.restore_returners:
            user = _returner(snapshot.deleted_by_email.get(email, ()), rules, plan)
        if user is None:
            if email not in snapshot.shared_emails and email not in snapshot.deleted_by_email:
                plan.not_found.append(DirectoryUser(row, email, display_name, domains, teams))
            continue
        change = _plan_user(
            row,
            display_name,
            domains,
            teams,
            user,
            snapshot=snapshot,
            fields=fields,
            rules=rules,
            scope=scope,
            unreadable=unreadable,
            plan=plan,
        )
        if change is None:
            plan.unchanged += 1
        else:
            plan.changes.append(change)
    plan.shared_emails = {email: users for email, users in snapshot.shared_emails.items() if rules.in_scope(email)}
    plan.changes, plan.protected = hold_back_protected(plan.changes, rules)
    if rules.create_missing_users and plan.not_found:
        _plan_joiners(snapshot, fields, rules, scope, plan)
    # Only the new teams that a change to write or a new account puts someone into are created.
    plan.new_teams = teams_to_create(plan.changes, plan.new_users)
    plan.unlisted = sorted(
        (
            snapshot.users_by_email[email]
            for email in snapshot.users_by_email
            if email not in listed and rules.in_scope(email)
        ),
        key=lambda user: user.name,
    )
    if rules.soft_delete_leavers:
        _plan_leavers(plan, listed, rules, unreadable)
    return plan


def _returner(deleted: Sequence[CatalogUser], rules: PlanRules, plan: Plan) -> CatalogUser | None:
    """The soft-deleted account to restore for a directory person with no active one, or None (held back when
    there is a reason to tell)."""
    if not deleted:
        return None
    if len(deleted) > 1:
        several = f"{len(deleted)} soft-deleted accounts hold this email; none is restored"
        plan.held_back.extend(HeldBack(user, "restore", several) for user in deleted)
        return None
    user = deleted[0]
    protection = rules.protection(user)
    if protection is not None:
        plan.held_back.append(HeldBack(user, "restore", protection, protected=True))
        return None
    plan.returners.append(user)
    return user


def _plan_leavers(plan: Plan, listed: set[str], rules: PlanRules, unreadable: frozenset[tuple[int, str]]) -> None:
    candidates = [user for user in plan.unlisted if rules.in_leavers_scope(user.email)]
    for email, users in plan.shared_emails.items():
        if email not in listed and rules.in_leavers_scope(email):
            shared = f"{len(users)} OpenMetadata users share this email once case is ignored; none is soft-deleted"
            plan.held_back.extend(HeldBack(user, "delete", shared) for user in users)
    unread = sum(1 for _, problem_field in unreadable if problem_field in ("row", "email"))
    for user in candidates:
        reason = rules.leaver_protection(user)
        if reason is not None:
            plan.held_back.append(HeldBack(user, "delete", reason, protected=True))
        elif unread:
            unproven = (
                f"{unread} directory row(s) have an email that could not be read, so the directory cannot show "
                "that this person left; no leaver is soft-deleted until every row reads"
            )
            plan.held_back.append(HeldBack(user, "delete", unproven))
        else:
            plan.leavers.append(user)


def _taken_names(snapshot: CatalogSnapshot) -> set[str]:
    """The lower-cased names of every account read: active, sharing an email, soft-deleted."""
    taken = {user.name.lower() for user in snapshot.users_by_email.values()}
    for groups in (snapshot.shared_emails.values(), snapshot.deleted_by_email.values()):
        for users in groups:
            taken.update(user.name.lower() for user in users)
    return taken


def _plan_joiners(
    snapshot: CatalogSnapshot, fields: frozenset[SyncField], rules: PlanRules, scope: TeamScope, plan: Plan
) -> None:
    """Plan an account for each person in `plan.not_found` that may get one; the others stay there, with the reason
    in `plan.not_created`."""
    taken = _taken_names(snapshot)
    names = Counter(sign_in_name(person.email) for person in plan.not_found)
    not_found = []
    for person in plan.not_found:
        name = sign_in_name(person.email)
        reason = name_problem(name)
        if reason is None and names[name] > 1:
            reason = f"{names[name]} directory people would get the name {name!r} (the email's part before '@')"
        elif reason is None and name in taken:
            reason = f"another OpenMetadata account holds the name {name!r} that a first sign-in with this email gives"
        elif reason is None and _names(rules.protected_users, name, person.email):
            reason = "listed in protectedUsers; never changed"
        if reason is not None:
            plan.not_created[person.email] = f"{reason}; no account is created"
            not_found.append(person)
            continue
        display_name = person.display_name if SyncField.DISPLAY_NAME in fields else None
        domains: tuple[Domain, ...] | str = ()
        if SyncField.DOMAINS in fields and person.domains:
            domains = _resolve_domains(person.domains, rules.domain_mapping, snapshot, plan)
        teams: tuple[Team, ...] | str = ()
        if SyncField.TEAMS in fields and person.teams:
            teams = _resolve_teams(person.teams, rules, snapshot, scope, plan)
        # A value that cannot be used is left out, with the warning the plan already counted.
        plan.new_users.append(
            NewUser(
                name=name,
                email=person.email,
                display_name=display_name,
                domains=domains if isinstance(domains, tuple) else (),
                teams=teams if isinstance(teams, tuple) else (),
            )
        )
    plan.not_found = not_found
