"""Check a configuration without writing: reach both servers, name the principal, ask what it may edit, run the query.

The same steps serve the `user-updater check` CLI and the SDK's test-connection machinery (`test_connection`
in `connector.user_updater`). Each step returns one line saying what it found, or raises with the reason; a step
is not run when a step it needs did not pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from connector.catalog import DomainIndex, TeamIndex, load_snapshot
from connector.directory import DirectoryClient, DirectoryUser
from connector.openmetadata import OpenMetadataApi
from connector.permissions import REMEDY, Principal, field_access, operation_problems, operations_needed, whoami
from connector.plan import Plan, PlanRules, SafetyLimitError, SafetyLimits, build_plan, check_safety_limits
from connector.settings import SyncField, UserUpdaterSettings
from connector.sign_in import SignInError, check_sign_in
from connector.writer import describe_change

# How many planned changes are shown when the safety limit stops a run or a check.
PLANNED_CHANGES_SHOWN = 20


class CheckFailedError(Exception):
    """A step found a problem; the message says what and, where it can, what to do."""


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], str]
    hint: str
    # The steps whose findings this one uses: when one of them failed, this one is not run.
    needs: tuple[str, ...] = ()


class Outcome(str, Enum):
    PASSED = "ok"
    FAILED = "FAIL"
    SKIPPED = "skip"


def stops_later_steps(step: Step, steps: list[Step]) -> bool:
    """The SDK's step runner knows only "stop after this step" (`short_circuit`): a step others need stops it."""
    return any(step.name in other.needs for other in steps)


def planned_changes(plan: Plan, domains: DomainIndex, teams: TeamIndex | None = None) -> list[str]:
    """The first planned changes, one line each, for an operator deciding whether a stopped plan is right."""
    lines = [describe_change(change, domains, teams) for change in plan.changes[:PLANNED_CHANGES_SHOWN]]
    if len(plan.changes) > PLANNED_CHANGES_SHOWN:
        lines.append(f"... and {len(plan.changes) - PLANNED_CHANGES_SHOWN} more")
    lines += [f"soft-delete user {user.name} (left the directory)" for user in plan.leavers[:PLANNED_CHANGES_SHOWN]]
    if len(plan.leavers) > PLANNED_CHANGES_SHOWN:
        lines.append(f"... and {len(plan.leavers) - PLANNED_CHANGES_SHOWN} more leavers")
    lines += [f"create user {user.name} (a new joiner)" for user in plan.new_users[:PLANNED_CHANGES_SHOWN]]
    if len(plan.new_users) > PLANNED_CHANGES_SHOWN:
        lines.append(f"... and {len(plan.new_users) - PLANNED_CHANGES_SHOWN} more new accounts")
    return lines


class ConnectionCheck:
    """The checks of one configuration, in order; later steps use what earlier ones found."""

    def __init__(self, api: OpenMetadataApi, directory: DirectoryClient, settings: UserUpdaterSettings) -> None:
        self.api = api
        self.directory = directory
        self.settings = settings
        self._principal: Principal | None = None
        self._users: Sequence[DirectoryUser] | None = None
        self._unreadable: frozenset[tuple[int, str]] = frozenset()

    def access_steps(self) -> list[Step]:
        """What the SDK's test connection runs: both servers reachable, and the account allowed to write."""
        return [
            Step(
                "GetPrincipal",
                self.principal,
                "Cannot reach OpenMetadata with this token: check hostPort and the token "
                "(openMetadataTokenEnv / openMetadataTokenFile, else the workflow's)",
            ),
            Step(
                "CheckEditPermissions",
                self.permissions,
                "The account may not edit the user fields that connectionOptions.fields syncs",
                needs=("GetPrincipal",),
            ),
            Step(
                "RunDirectoryQuery",
                self.directory_query,
                "The directory's query failed: check graphqlEndpoint, graphqlQuery, graphqlUsersPath, graphqlHeaders",
            ),
        ]

    def all_steps(self) -> list[Step]:
        """The CLI's check: the access steps, then what a sync would find in the catalog."""
        return [
            *self.access_steps(),
            Step(
                "PlanSync",
                self.plan,
                "A sync would not run: see the reason (OpenMetadata unreadable, safety limit)",
                needs=("GetPrincipal", "RunDirectoryQuery"),
            ),
        ]

    def principal(self) -> str:
        self._principal = whoami(self.api)
        return f"OpenMetadata at {self.api.base_url}: {self._principal}, token from {self.api.token_origin}"

    def permissions(self) -> str:
        principal = self._principal or whoami(self.api)
        # Report displayName and domains whatever `fields` says (teams when synced); only the fields to sync decide
        # the outcome.
        reported = frozenset({SyncField.DISPLAY_NAME, SyncField.DOMAINS}) | self.settings.fields
        accesses = field_access(self.api, principal, reported)
        lines = "; ".join(f"{a.field.value}: {'yes' if a.allowed else 'no'}, {a}" for a in accesses)
        denied = [a.field.value for a in accesses if a.field in self.settings.fields and not a.allowed]
        needs = operations_needed(self.settings)
        refused = operation_problems(self.api, principal, needs)
        if denied or refused:
            problems = [f"{principal} may not edit users' {' and '.join(denied)}, which connectionOptions.fields syncs"]
            raise CheckFailedError("; ".join((problems if denied else []) + refused) + f" ({lines}). {REMEDY}.")
        granted = "".join(f"; {need.purpose}: {need.operation} on {need.resource} allowed" for need in needs)
        if self.settings.create_missing_users:
            try:
                granted += f"; createMissingUsers: {check_sign_in(self.api)}"
            except SignInError as exc:
                raise CheckFailedError(str(exc)) from None
        return f"{principal} may edit users' {lines}{granted}"

    def directory_query(self) -> str:
        checked = self.directory.check_query()
        read = self.directory.read_users()
        self._users = read.users
        self._unreadable = frozenset((problem.row, problem.field) for problem in read.problems)
        domains = {value.lower() for user in read.users for value in user.domains or ()}
        path = ".".join(self.settings.query_plan.users_path)
        schema = "the query fits the server's schema" if checked else "the server refuses introspection"
        return (
            f"directory at {self.directory.endpoint}: {schema}; the query returned {read.rows} users at data.{path} "
            f"({len(read.problems)} row problems), {len(domains)} distinct domain values"
        )

    def plan(self) -> str:
        snapshot = load_snapshot(
            self.api,
            self.settings.page_size,
            teams=SyncField.TEAMS in self.settings.fields,
            deleted=self.settings.restores_returners,
        )
        found = f"{len(snapshot.users_by_email)} users and {len(snapshot.domains.by_id)} domains in OpenMetadata"
        if self._users is None:
            raise RuntimeError("PlanSync runs after RunDirectoryQuery, whose users it plans from")
        principal = self._principal.name if self._principal else None
        plan = build_plan(
            self._users,
            snapshot,
            self.settings.fields,
            PlanRules.from_settings(self.settings, principal),
            unreadable=self._unreadable,
        )
        try:
            # The run's own check, so that a file that passes here is not stopped by the limit at run time.
            check_safety_limits(plan, SafetyLimits.from_settings(self.settings))
        except SafetyLimitError as exc:
            lines = planned_changes(plan, snapshot.domains, snapshot.teams)
            shown = "".join(f"\n      planned: {line}" for line in lines)
            raise CheckFailedError(f"{exc}{shown}") from None
        unknown = sorted(plan.unknown_domains)
        protected = sorted(held.change.user.name for held in plan.protected)
        return (
            f"{found}; {plan.matched} directory users match by email, {len(plan.changes)} would change"
            + (f", {len(protected)} protected ({', '.join(protected)}) would not" if protected else "")
            + (f"; unknown domains: {', '.join(unknown)}" if unknown else "")
            + (f"; teams left alone: {'; '.join(sorted(plan.team_problems.values()))}" if plan.team_problems else "")
            + (f"; teams to create: {', '.join(t.name for t in plan.new_teams)}" if plan.new_teams else "")
            + (
                f"; leavers: {len(plan.leavers)} would be soft-deleted, "
                f"{plan.leavers_held_back} held back; returners: "
                f"{len(plan.returners)} would be restored"
                if self.settings.leavers == "softDelete" or self.settings.restores_returners
                else ""
            )
            + (
                f"; new accounts: {len(plan.new_users)} would be created, {len(plan.not_created)} not"
                if self.settings.create_missing_users
                else ""
            )
        )


def run_steps(steps: list[Step], report: Callable[[Step, str, Outcome], None]) -> bool:
    """Run the steps, handing each outcome to `report`; a step whose `needs` did not all pass is skipped. True
    when every step passed."""
    passed: set[str] = set()
    for step in steps:
        missing = [name for name in step.needs if name not in passed]
        if missing:
            report(step, f"not run: it needs {' and '.join(missing)}, which did not pass", Outcome.SKIPPED)
            continue
        try:
            line = step.run()
        except Exception as exc:  # every failure is the step's outcome
            report(step, str(exc), Outcome.FAILED)
        else:
            passed.add(step.name)
            report(step, line, Outcome.PASSED)
    return len(passed) == len(steps)
