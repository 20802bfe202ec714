"""OpenMetadata user updater: keep users' displayName and domains in step with a GraphQL company directory.

Run it with `metadata ingest -c user_updater.yaml`, where the workflow names this class::

    source:
      type: customDatabase
      serviceName: user-updater
      serviceConnection:
        config:
          type: CustomDatabase
          sourcePythonClass: connector.user_updater.UserUpdaterSource
          connectionOptions:
            graphqlEndpoint: "http://localhost:4000"   # every value is a string
            fields: "displayName,domains"
      sourceConfig: {config: {type: DatabaseMetadata}}
    sink: {type: metadata-rest, config: {}}

A run goes one way: read the directory -> snapshot the catalog -> plan the changes -> write -> report.

1. Before anything else it checks the directory query against the directory's schema (by introspection, where
   the server allows it), asks OpenMetadata who the token belongs to and what it may do on users, and stops
   if it may not edit a field it is told to sync (bots may not edit display names).
2. It reads every user of the directory; a directory that cannot be read whole stops the run.
3. It preloads OpenMetadata's non-bot users and all domains with paged list calls, on a second thread while step 2
   reads the directory: the two reads ask different servers and neither needs the other.
4. It plans, per user matched by email, which of displayName and the user's own domains differ (see
   `connector.plan` for the rules); unknown domains are warnings, never crashes or erasures. With `planPath`
   it saves that plan; with `applyPlan` it loads a saved plan instead of steps 2 and 4 (`connector.plan_file`).
5. It writes each changed user with one JSON Patch of the changed fields only (`writeConcurrency` at a time,
   on worker threads, outcomes counted on the workflow's thread), checks that the server kept
   the new values, and reports each failed user as a failed record while the others go on; `dryRun` skips
   the writes. With `reportPath` every change and its outcome goes to the change report.

The options (`connectionOptions`, strings) are documented in `connector.settings.UserUpdaterSettings` and in
docs/configuration.md, generated from it. Successes are counted on this source's status; nothing is handed to the
sink, which would PUT any record it receives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from connector import plan_file
from connector.catalog import (
    USER_FIELDS_WITH_TEAMS,
    CatalogSnapshot,
    CatalogUser,
    DomainIndex,
    Team,
    TeamIndex,
    load_snapshot,
)
from connector.change_report import (
    Action,
    ChangeReport,
    ReportRow,
    account_row,
    change_rows,
    new_user_rows,
    plan_rows,
    protected_rows,
    stale_account_rows,
    stale_rows,
    team_rows,
)
from connector.check import ConnectionCheck, planned_changes, stops_later_steps
from connector.compat import (
    AutomationWorkflow,
    CustomDatabaseConnection,
    Either,
    InvalidSourceException,
    OpenMetadata,
    Source,
    StackTraceError,
    TestConnectionResult,
    TestConnectionStep,
    TestServiceConnectionRequest,
    WorkflowSource,
    run_connection_steps,
)
from connector.credentials import load_token
from connector.directory import DirectoryClient, DirectoryError, DirectoryRead
from connector.http import redact_url
from connector.openmetadata import OpenMetadataApi
from connector.permissions import check_permissions, operations_needed, whoami
from connector.plan import (
    NewUser,
    Plan,
    PlanRules,
    SafetyLimitError,
    SafetyLimits,
    UserChange,
    build_plan,
    check_safety_limits,
    hold_back_protected,
    teams_to_create,
)
from connector.privacy import email_shown
from connector.report import SyncReport
from connector.settings import SyncField, UserUpdaterSettings
from connector.sign_in import check_sign_in
from connector.soft_delete import ConflictError, SoftDeleteWriter
from connector.user_creator import create_user
from connector.writer import (
    UserWriter,
    WriteError,
    create_team,
    created_teams,
    describe_change,
    with_created_teams,
    write_each,
)

logger = logging.getLogger("metadata.Ingestion")

PROGRESS_EVERY_SECONDS = 10.0


class UserUpdaterSource(Source):
    """The ingestion Source that syncs users; see the module docstring for what a run does."""

    def __init__(self, settings: UserUpdaterSettings, metadata: OpenMetadata) -> None:
        super().__init__()
        self.metadata = metadata
        self.settings = settings
        self.api = OpenMetadataApi(metadata, settings, load_token(settings))
        self.directory = DirectoryClient(settings)
        self.report = SyncReport()
        self.plan: Plan | None = None
        self.stale: list[plan_file.StaleChange] = []
        self.stale_accounts: list[plan_file.StaleAccount] = []
        self.stale_new_users: list[plan_file.StaleNewUser] = []
        self._domains = DomainIndex()
        self._teams = TeamIndex()
        self._organization_ids: frozenset[str] = frozenset()
        self._created: dict[str, Team] = {}
        self._email = email_shown(settings.mask_emails)
        self._started = time.monotonic()

    @classmethod
    def create(
        cls, config_dict: dict[str, Any], metadata: OpenMetadata, pipeline_name: str | None = None
    ) -> UserUpdaterSource:
        config = WorkflowSource.model_validate(config_dict)
        connection = config.serviceConnection.root.config if config.serviceConnection else None
        options = getattr(connection, "connectionOptions", None)
        if connection is None or not hasattr(connection, "sourcePythonClass"):
            raise InvalidSourceException("the user updater needs serviceConnection.config.type: CustomDatabase")
        return cls(UserUpdaterSettings.from_connection_options(options.root if options else None), metadata)

    def prepare(self) -> None:
        """Check the query and the account, then plan from the directory or load the plan file; raise before any
        write."""
        self._started = time.monotonic()
        if self.settings.apply_plan is None:
            # A query the directory would reject is a config error: say so before anything else is asked.
            self.directory.check_query()
        principal = whoami(self.api)
        logger.info(
            "Writing to OpenMetadata at %s as %s, token from %s", self.api.base_url, principal, self.api.token_origin
        )
        check_permissions(self.api, principal, self.settings.fields, operations_needed(self.settings))
        if self.settings.create_missing_users:
            logger.info("createMissingUsers: %s", check_sign_in(self.api))
        rules = PlanRules.from_settings(self.settings, principal=principal.name)
        if self.settings.apply_plan is not None:
            self._prepare_from_plan_file(self.settings.apply_plan, rules)
        else:
            self._prepare_from_directory(rules)
        if self.settings.dry_run:
            logger.info("Dry run: nothing will be written to OpenMetadata")

    @property
    def _openmetadata_host(self) -> str:
        return redact_url(self.metadata.config.hostPort).rstrip("/")

    def _load_snapshot(
        self, cancel: threading.Event | None = None, strings: dict[str, str] | None = None, *, deleted: bool = False
    ) -> CatalogSnapshot:
        started = time.monotonic()
        snapshot = load_snapshot(
            self.api, self.settings.page_size, cancel, strings, teams=self._teams_synced, deleted=deleted
        )
        logger.info(
            "Loaded %d OpenMetadata users%s and %d domains%s in %.1fs",
            len(snapshot.users_by_email),
            f" (and {sum(map(len, snapshot.deleted_by_email.values()))} soft-deleted)" if deleted else "",
            len(snapshot.domains.by_id),
            f" and {len(snapshot.teams.by_id)} teams" if self._teams_synced else "",
            time.monotonic() - started,
        )
        self._domains = snapshot.domains
        self._teams = snapshot.teams
        self._organization_ids = frozenset(t.id for t in snapshot.teams.by_id.values() if t.team_type == "Organization")
        return snapshot

    @property
    def _teams_synced(self) -> bool:
        return SyncField.TEAMS in self.settings.fields

    def _prepare_from_directory(self, rules: PlanRules) -> None:
        # The two reads ask two different servers and neither needs the other, so the catalog is snapshotted on a
        # worker thread while the directory is read here: a sync takes about the longer of the two reads rather
        # than their sum. A directory that cannot be read cancels the snapshot at its next page. Both hold the
        # same emails and mostly the same display names: one table of texts, dropped once both are read, lets them
        # share each value (benchmarks/RESULTS-1M.md).
        cancel = threading.Event()
        strings: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-snapshot") as pool:
            snapshot_read = pool.submit(self._load_snapshot, cancel, strings, deleted=self.settings.restores_returners)
            try:
                directory = self._read_directory(strings)
            except BaseException:
                cancel.set()
                raise
            snapshot = snapshot_read.result()
        del strings
        self._plan_from(directory, snapshot, rules)

    def _read_directory(self, strings: dict[str, str]) -> DirectoryRead:
        started = time.monotonic()
        directory = self.directory.read_users(strings)
        if not directory.rows:
            # An HR feed that lost everyone is far likelier than a company without people.
            raise DirectoryError(
                f"the directory at {self.directory.endpoint} answered with no users; stopping without a write"
            )
        logger.info(
            "Read %d users from the directory at %s in %.1fs",
            directory.rows,
            self.directory.endpoint,
            time.monotonic() - started,
        )
        return directory

    def _plan_from(self, directory: DirectoryRead, snapshot: CatalogSnapshot, rules: PlanRules) -> None:
        users, problems = directory.users, directory.problems
        for problem in problems:
            logger.warning("%s", problem)
            self.status.warning(f"row {problem.row}", str(problem))
        plan = build_plan(
            users,
            snapshot,
            self.settings.fields,
            rules,
            filtered_rows=frozenset(directory.filtered),
            unreadable=frozenset((problem.row, problem.field) for problem in problems),
        )
        self._report_plan(plan)
        self._check_safety_limits(plan)
        self.plan = plan
        skipped_rows = {problem.row for problem in problems if problem.field in ("row", "email")}
        self.report = SyncReport.planned_from(
            plan,
            directory_rows=directory.rows,
            invalid_rows=len(skipped_rows),
            dry_run=self.settings.dry_run,
            teams_synced=self._teams_synced,
            accounts=self._accounts,
            creates_users=self.settings.create_missing_users,
        )
        if self.settings.plan_path is not None:
            self.report.plan_digest = self._save_plan(plan, self.settings.plan_path)

    @property
    def _accounts(self) -> bool:
        """Whether this run soft-deletes leavers or restores returners."""
        return self.settings.leavers == "softDelete" or self.settings.restores_returners

    def _save_plan(self, plan: Plan, path: Path) -> str:
        saved = plan_file.new_plan_file(
            plan,
            self._domains,
            self.settings,
            directory_endpoint=self.directory.endpoint,
            openmetadata_host=self._openmetadata_host,
            created_at=datetime.now(timezone.utc),
            teams=self._teams,
        )
        digest = plan_file.save(path, saved)
        logger.info(
            "Plan of %d user change(s) written to %s, digest %s. To apply it once reviewed, set in connectionOptions: "
            'applyPlan: "%s" and applyPlanDigest: "%s"',
            len(saved.changes),
            path,
            digest,
            path,
            digest,
        )
        return digest

    def _prepare_from_plan_file(self, path: Path, rules: PlanRules) -> None:
        # The settings require the digest with the plan.
        saved = plan_file.load(path, self.settings.apply_plan_digest or "")
        plan_file.check_applicable(
            saved,
            openmetadata_host=self._openmetadata_host,
            fields=self.settings.fields,
            soft_deletes=self.settings.leavers == "softDelete",
            restores=self.settings.restores_returners,
            creates=self.settings.create_missing_users,
        )
        logger.info(
            "Applying the plan %s (digest %s as applyPlanDigest names; made %s from the directory at %s, %d user "
            "change(s)); the directory is not read",
            path,
            self.settings.apply_plan_digest,
            saved.created_at.isoformat(timespec="seconds"),
            saved.directory_endpoint,
            len(saved.changes),
        )
        # Soft-deleted accounts are read to tell a returner, and an email taken since, from a new joiner.
        snapshot = self._load_snapshot(deleted=bool(saved.returners or saved.new_users))
        planned, self.stale = plan_file.changes_to_apply(saved, snapshot)
        accounts = plan_file.accounts_to_apply(saved, snapshot, rules)
        self.stale_accounts = accounts.stale
        new_users, self.stale_new_users = plan_file.new_users_to_apply(saved, snapshot)
        for name, reason in (
            [(s.planned.name, s.reason) for s in self.stale]
            + [(s.planned.name, s.reason) for s in accounts.stale]
            + [(s.planned.name, s.reason) for s in self.stale_new_users]
        ):
            logger.warning("user %s: %s", name, reason)
            self.status.warning(f"user {name}", reason)
        changes, protected = hold_back_protected(planned, rules)
        # The plan's matched users (stale ones count as unchanged), so that maxChangePercent means what it meant when
        # the plan was made.
        plan = Plan(
            changes=changes,
            protected=protected,
            unchanged=saved.matched - len(changes) - len(protected),
            new_teams=teams_to_create(changes, new_users),
            leavers=accounts.leavers,
            returners=accounts.returners,
            held_back=accounts.held_back,
            new_users=new_users,
        )
        self._report_protected(plan)
        self._check_safety_limits(plan)
        self.plan = plan
        self.report = SyncReport(
            planned=len(changes),
            changed_since_plan=len(self.stale) + len(accounts.stale) + len(self.stale_new_users),
            protected=len(protected),
            dry_run=self.settings.dry_run,
            from_plan_file=True,
            teams_synced=self._teams_synced,
            accounts=self._accounts,
            leavers=len(plan.leavers),
            leavers_held_back=plan.leavers_held_back,
            returners=len(plan.returners),
            creates_users=self.settings.create_missing_users,
            new_users=len(new_users),
        )

    def _report_protected(self, plan: Plan) -> None:
        for held in plan.protected:
            message = (
                f"user {held.change.user.name} is protected ({held.reason}): the directory's values are not "
                f"applied ({describe_change(held.change, self._domains, self._teams)})"
            )
            logger.warning(message)
            self.status.warning(f"user {held.change.user.name}", message)
        for account in plan.held_back:
            what = "left the directory but is not soft-deleted" if account.action == "delete" else "is not restored"
            message = f"user {account.user.name} {what}: {account.reason}"
            logger.warning(message)
            self.status.warning(f"user {account.user.name}", message)
        if self._accounts:
            verb = "would be" if self.settings.dry_run else "to be"
            logger.info(
                "Leavers: %d %s soft-deleted, %d held back; returners: %d %s restored",
                len(plan.leavers),
                verb,
                plan.leavers_held_back,
                len(plan.returners),
                verb,
            )

    def _report_plan(self, plan: Plan) -> None:
        self._report_protected(plan)
        for value, count in plan.unknown_domains.items():
            message = f"domain {value!r} has no Domain entity in OpenMetadata; {count} user(s) keep their domains"
            logger.warning(message)
            self.status.warning(f"domain {value}", message)
        for value, candidates in plan.ambiguous_domains.items():
            message = (
                f"domain {value!r} names {len(candidates)} domains ({', '.join(d.fqn for d in candidates)}); "
                f"use the fully qualified name. {plan.ambiguous_counts[value]} user(s) keep their domains"
            )
            logger.warning(message)
            self.status.warning(f"domain {value}", message)
        for value, reason in plan.team_problems.items():
            message = f"{reason}; {plan.team_problem_counts[value]} user(s) keep their teams"
            logger.warning(message)
            self.status.warning(f"team {value}", message)
        for email, rows in plan.conflicts.items():
            values = "; ".join(f"row {r.row}: {r.display_name!r}, {list(r.domains or ())!r}" for r in rows)
            message = f"{len(rows)} directory rows for {self._email(email)} disagree ({values}); none is applied"
            logger.warning(message)
            self.status.warning(self._email(email), message)
        for email, users in plan.shared_emails.items():
            names = ", ".join(user.name for user in users)
            message = (
                f"{len(users)} OpenMetadata users ({names}) share the email {self._email(email)} once case is "
                "ignored; none of them is changed until only one holds it"
            )
            logger.warning(message)
            self.status.warning(self._email(email), message)
        for person in plan.not_found:
            why_not = plan.not_created.get(person.email)
            if why_not is not None:
                logger.warning("%s gets no account: %s", self._email(person.email), why_not)
                self.status.warning(self._email(person.email), f"no account created: {why_not}")
            else:
                self.status.filter(self._email(person.email), "no OpenMetadata user has this email")
        if self.settings.create_missing_users:
            logger.info(
                "Joiners: %d new account(s) %s, %d not created",
                len(plan.new_users),
                "would be created" if self.settings.dry_run else "to create",
                len(plan.not_created),
            )
        if plan.not_found:
            logger.info("%d directory users have no OpenMetadata user", len(plan.not_found))
        for person, reason in plan.filtered:
            self.status.filter(self._email(person.email), reason)
        if plan.filtered:
            logger.info("%d directory rows are outside emailPattern/rowFilter and left alone", len(plan.filtered))
        if plan.unlisted:
            where = (
                f"listed in {self.settings.report_path}" if self.settings.report_path else "set reportPath to list them"
            )
            logger.info(
                "%d OpenMetadata users (not bots) are not listed by the directory; they are left alone (%s)",
                len(plan.unlisted),
                where,
            )
        self.status.increment_record_count(plan.unchanged)
        logger.info("Plan: %d of %d matched users to update", len(plan.changes), plan.matched)

    def _check_safety_limits(self, plan: Plan) -> None:
        try:
            check_safety_limits(plan, SafetyLimits.from_settings(self.settings))
        except SafetyLimitError as exc:
            if self.settings.dry_run:
                # A dry run is how the operator reviews such a plan: show it whole, and say a real run would stop.
                logger.warning("A real run would stop here. %s", exc)
                self.status.warning("safety limit", str(exc))
                return
            # The operator decides on the changes themselves, so show them (the first ones) before stopping.
            for line in planned_changes(plan, self._domains, self._teams):
                logger.info("Planned: %s", line)
            raise

    def _iter(self) -> Iterable[Either[Any]]:
        if self.plan is None:
            raise RuntimeError("prepare() must run before the source is iterated")
        report = ChangeReport(self.settings.report_path) if self.settings.report_path else None
        try:
            if report is not None:
                report.write(plan_rows(self.plan))
                report.write(stale_rows(self.stale))
                report.write(protected_rows(self.plan.protected, self._domains, self._teams))
                report.write(stale_account_rows(self.stale_accounts))
                for stale in self.stale_new_users:
                    report.write(new_user_rows(plan_file.new_user_from(stale.planned), Action.CONFLICT, stale.reason))
            writer = SoftDeleteWriter(self.api)
            # A returner's account comes back before its fields are written: a soft-deleted user cannot be patched.
            not_restored = yield from self._write_accounts(self.plan.returners, False, writer, report)
            changes = [change for change in self.plan.changes if change.user.id not in not_restored]
            for change in self.plan.changes:
                if change.user.id in not_restored:
                    self.report.failed += 1
                    self._record(report, change, Action.FAILED, "the soft-deleted account was not restored")
            yield from self._write_changes(self.plan, changes, report)
            yield from self._write_accounts(self.plan.leavers, True, writer, report)
            self.report.directory_requests = self.directory.requests_sent
            self.report.openmetadata_reads = self.api.reads
            self.report.openmetadata_writes = self.api.writes
            logger.info("User sync summary: %s", self.report.summary())
            # The SDK's import and the workflow's own calls come before and after; benchmarks compare this figure.
            logger.info("User sync took %.2fs (directory, catalog, plan and writes)", time.monotonic() - self._started)
        finally:
            if report is not None:
                report.close()
                logger.info("Change report: %d row(s) written to %s", report.rows, report.path)

    def _write_accounts(
        self, users: list[CatalogUser], delete: bool, writer: SoftDeleteWriter, report: ChangeReport | None
    ) -> Generator[Either[Any], None, set[str]]:
        """Soft-delete the leavers (`delete`) or restore the returners; return the ids that failed."""
        write = writer.delete if delete else writer.restore
        verb = "soft-delete" if delete else "restore"
        if self.settings.dry_run:
            for user in users:
                logger.info("Dry run, not written: %s user %s", verb, user.name)
                self._write_rows(report, [account_row(user, delete, Action.DELETE if delete else Action.RESTORE, "")])
            return set()
        failed: set[str] = set()
        for user, outcome in write_each(users, write, self.settings.write_concurrency, self.api.base_url):
            if isinstance(outcome, WriteError):
                failed.add(user.id)
                self.report.failed += 1
                action = Action.CONFLICT if isinstance(outcome, ConflictError) else Action.FAILED
                self._write_rows(report, [account_row(user, delete, action, str(outcome))])
                yield Either(
                    left=StackTraceError(name=f"user {user.name}", error=f"{verb} failed: {outcome}", stackTrace=None),
                    right=None,
                )
                continue
            if delete:
                self.report.soft_deleted += 1
            else:
                self.report.restored += 1
            self._write_rows(
                report, [account_row(user, delete, Action.DELETED if delete else Action.RESTORED, outcome.note)]
            )
            logger.info(
                "user %s: %s%s",
                user.name,
                "soft-deleted" if delete else "restored",
                f" ({outcome.note})" if outcome.note else "",
            )
            self.status.updated(f"User [{user.name}]")
        return failed

    @staticmethod
    def _write_rows(report: ChangeReport | None, rows: list[ReportRow]) -> None:
        if report is not None:
            report.write(rows)

    def _record(self, report: ChangeReport | None, change: UserChange, action: Action, reason: str) -> None:
        if report is not None:
            report.write(change_rows(plan_file.planned_user(change, self._domains, self._teams), action, reason))

    def _create_teams(self, teams: list[Team], report: ChangeReport | None) -> Iterable[Either[Any]]:
        """Create the plan's new teams (`createMissingTeams`) before any user is written; `self._created` holds
        them by lower-cased name, and a user whose team could not be created fails without a write."""
        for team, outcome in write_each(
            teams, lambda team: create_team(self.api, team), self.settings.write_concurrency, self.api.base_url
        ):
            under = self._parent_of(team)
            if isinstance(outcome, WriteError):
                if report is not None:
                    report.write(team_rows(team.name, under, Action.FAILED, str(outcome)))
                yield Either(
                    left=StackTraceError(
                        name=f"team {team.name}", error=f"creating the team failed: {outcome}", stackTrace=None
                    ),
                    right=None,
                )
            else:
                self._created[team.name.lower()] = outcome
                self.report.teams_created += 1
                if report is not None:
                    report.write(team_rows(team.name, under, Action.CREATED, ""))
                logger.info("team %s: created, of type Group, under %s", outcome.name, under)

    def _write_changes(
        self, plan: Plan, changes: list[UserChange], report: ChangeReport | None
    ) -> Iterable[Either[Any]]:
        """Create the plan's new teams, then write `changes` (the plan's, less those of returners not restored)."""
        if self.settings.dry_run:
            for team in plan.new_teams:
                logger.info("Dry run, not created: team %s, of type Group, under %s", team.name, self._parent_of(team))
                if report is not None:
                    report.write(team_rows(team.name, self._parent_of(team), Action.CREATE, "dry run; not created"))
            for change in changes:
                logger.info("Dry run, not written: %s", describe_change(change, self._domains, self._teams))
                self._record(report, change, Action.UPDATE, "dry run; not written")
            for user in plan.new_users:
                logger.info("Dry run, not created: user %s", user.name)
                self._write_rows(report, new_user_rows(user, Action.CREATE, "dry run; not created"))
            return
        yield from self._create_teams(plan.new_teams, report)
        ready: list[UserChange] = []
        for change in changes:
            resolved = with_created_teams(change, self._created)
            if isinstance(resolved, str):
                self.report.failed += 1
                self._record(report, change, Action.FAILED, resolved)
                yield Either(
                    left=StackTraceError(name=f"user {change.user.name}", error=resolved, stackTrace=None), right=None
                )
            else:
                ready.append(resolved)
        writer = UserWriter(
            self.api,
            replan_on_conflict=self.settings.apply_plan is None,
            user_fields=USER_FIELDS_WITH_TEAMS if self._teams_synced else "domains",
            organization_ids=self._organization_ids,
        )
        last_progress = time.monotonic()
        outcomes = writer.write_all(ready, self.settings.write_concurrency)
        went_away = False
        for done, (change, outcome) in enumerate(outcomes, start=1):
            description = describe_change(change, self._domains, self._teams)
            if isinstance(outcome, WriteError):
                if outcome.unreachable and not went_away:
                    went_away = True
                    logger.error(
                        "OpenMetadata at %s stopped answering (%s) after %d writes; the other users are not written. "
                        "Rerun once it is back.",
                        self.api.base_url,
                        outcome,
                        self.report.updated,
                    )
                self.report.failed += 1
                self._record(report, change, Action.FAILED, str(outcome))
                yield Either(
                    left=StackTraceError(
                        name=f"user {change.user.name}",
                        error=f"{description} failed: {outcome}",
                        stackTrace=None,
                    ),
                    right=None,
                )
            else:
                self.report.updated += 1
                self._record(report, change, Action.UPDATED, "")
                logger.info(description)
                self.status.updated(f"User [{change.user.name}]")
            if time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                last_progress = time.monotonic()
                logger.info("Progress: %d/%d users written (%d failed)", done, len(ready), self.report.failed)
        yield from self._create_users(plan.new_users, report)

    def _create_users(self, users: list[NewUser], report: ChangeReport | None) -> Iterable[Either[Any]]:
        """Create the new joiners' accounts (`createMissingUsers`), once the new teams exist."""
        ready: list[NewUser] = []
        for user in users:
            teams = created_teams(user.teams, self._created)
            if not isinstance(teams, str):
                ready.append(replace(user, teams=teams))
                continue
            reason = f"{teams}; no account created"
            self.report.failed += 1
            self._write_rows(report, new_user_rows(user, Action.FAILED, reason))
            yield Either(left=StackTraceError(name=f"user {user.name}", error=reason, stackTrace=None), right=None)
        for user, outcome in write_each(
            ready, lambda user: create_user(self.api, user), self.settings.write_concurrency, self.api.base_url
        ):
            if isinstance(outcome, WriteError):
                self.report.failed += 1
                self._write_rows(report, new_user_rows(user, Action.FAILED, str(outcome)))
                yield Either(
                    left=StackTraceError(
                        name=f"user {user.name}", error=f"creating the account failed: {outcome}", stackTrace=None
                    ),
                    right=None,
                )
                continue
            self.report.users_created += 1
            self._write_rows(report, new_user_rows(user, Action.CREATED, ""))
            logger.info("user %s: created for %s", outcome.name, self._email(outcome.email))
            self.status.updated(f"User [{outcome.name}]")

    def _parent_of(self, team: Team) -> str:
        return self._teams.label(team.parent_ids[0]) if team.parent_ids else "Organization"

    def test_connection(self) -> None:
        """Reach both servers: who the token is, what it may do on users, and whether the directory answers."""
        for step in ConnectionCheck(self.api, self.directory, self.settings).access_steps():
            step.run()

    def close(self) -> None:
        self.directory.close()
        self.api.close()


def get_connection(connection: CustomDatabaseConnection) -> UserUpdaterSettings:
    """The SDK's `get_connection(config)` for this connector (`ingestion/source/connections.py`): its settings.

    The connector keeps no client between calls: both clients need the OpenMetadata object that only
    `test_connection` and `create` receive.
    """
    options = connection.connectionOptions
    return UserUpdaterSettings.from_connection_options(options.root if options else None)


def test_connection(
    metadata: OpenMetadata,
    connection: UserUpdaterSettings | None = None,
    service_connection: CustomDatabaseConnection | None = None,
    automation_workflow: AutomationWorkflow | None = None,
) -> TestConnectionResult:
    """The SDK's test connection for this connector, as `automations/runner.py` imports and calls it.

    The runner of lines 1.9-1.13 first calls `test_connection(metadata, automation_workflow=...)`, and on
    TypeError `test_connection(metadata, get_connection(config), config, automation_workflow=...)`; the 2.0
    runner, finding no ServiceSpec connection class for a custom connector, makes only the second call;
    `test_connection_common` calls `test_connection(metadata)` and then the three-argument form. So a call
    that names no configuration raises TypeError, which is the SDK's signal to pass it.
    Each step's result is written back to the automation workflow when there is one (the SDK's step runner).
    """
    if connection is None:
        if service_connection is None and automation_workflow is not None:
            request = automation_workflow.request
            wrapper = request.connection if isinstance(request, TestServiceConnectionRequest) else None
            config = wrapper.config if wrapper is not None else None
            service_connection = config if isinstance(config, CustomDatabaseConnection) else None
        if service_connection is None:
            raise TypeError("test_connection needs the CustomDatabase connection, or an automation workflow with it")
        connection = get_connection(service_connection)
    api = OpenMetadataApi(metadata, connection, load_token(connection))
    directory = DirectoryClient(connection)
    try:
        checks = ConnectionCheck(api, directory, connection).access_steps()
        steps = [
            TestConnectionStep(
                name=step.name,
                function=step.run,
                description=step.hint,
                error_message=step.hint,
                mandatory=True,
                short_circuit=stops_later_steps(step, checks),
            )
            for step in checks
        ]
        return run_connection_steps(metadata, steps, automation_workflow)
    finally:
        directory.close()
        api.close()
