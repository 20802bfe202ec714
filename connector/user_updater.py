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

1. Before anything else it asks OpenMetadata who the token belongs to and what it may do on users, and stops
   if it may not edit a field it is told to sync (bots may not edit display names).
2. It reads every user of the directory; a directory that cannot be read whole stops the run.
3. It preloads OpenMetadata's non-bot users and all domains with paged list calls.
4. It plans, per user matched by email, which of displayName and the user's own domains differ (see
   `connector.plan` for the rules); unknown domains are warnings, never crashes or erasures.
5. It writes each changed user with one JSON Patch of the changed fields only (`writeConcurrency` at a time,
   on worker threads), checks that the server kept the new values, and reports each failed user as a failed
   record while the others go on; outcomes are counted on the workflow's thread as the writes complete.

The options (`connectionOptions`, strings) are documented in `connector.settings.UserUpdaterSettings` and
the README. Successes are counted on this source's status; nothing is handed to the sink, which would PUT
any record it receives.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from metadata.generated.schema.metadataIngestion.workflow import Source as WorkflowSource
from metadata.ingestion.api.models import Either, StackTraceError
from metadata.ingestion.api.steps import InvalidSourceException, Source
from metadata.ingestion.ometa.ometa_api import OpenMetadata

from connector.catalog import DomainIndex, load_snapshot
from connector.directory import DirectoryClient, DirectoryError
from connector.openmetadata import OpenMetadataApi
from connector.permissions import check_permissions, whoami
from connector.plan import Plan, SafetyLimitError, build_plan, check_safety_limits
from connector.report import SyncReport
from connector.settings import UserUpdaterSettings
from connector.writer import UserWriter, WriteError, describe_change

logger = logging.getLogger("metadata.Ingestion")

PROGRESS_EVERY_SECONDS = 10.0
PLANNED_CHANGES_SHOWN = 20


class UserUpdaterSource(Source):
    """The ingestion Source that syncs users; see the module docstring for what a run does."""

    def __init__(self, settings: UserUpdaterSettings, metadata: OpenMetadata) -> None:
        super().__init__()
        self.metadata = metadata
        self.settings = settings
        self.api = OpenMetadataApi(metadata, settings)
        self.directory = DirectoryClient(settings)
        self.report = SyncReport()
        self.plan: Plan | None = None
        self._domains = DomainIndex()
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
        """Check the account, read the directory, snapshot the catalog and plan; raise before any write."""
        self._started = time.monotonic()
        principal = whoami(self.api)
        logger.info("Writing to OpenMetadata at %s as %s", self.api.base_url, principal)
        check_permissions(self.api, principal, self.settings.fields)

        started = time.monotonic()
        users, problems, rows = self.directory.read_users()
        if not rows:
            # An HR feed that lost everyone is far likelier than a company without people.
            raise DirectoryError(
                f"the directory at {self.directory.endpoint} answered with no users; stopping without a write"
            )
        logger.info(
            "Read %d users from the directory at %s in %.1fs",
            rows,
            self.directory.endpoint,
            time.monotonic() - started,
        )
        for problem in problems:
            logger.warning("%s", problem)
            self.status.warning(f"row {problem.row}", str(problem))

        started = time.monotonic()
        snapshot = load_snapshot(self.api, self.settings.page_size)
        logger.info(
            "Loaded %d OpenMetadata users and %d domains in %.1fs",
            len(snapshot.users_by_email),
            len(snapshot.domains.by_id),
            time.monotonic() - started,
        )
        plan = build_plan(users, snapshot, self.settings.fields)
        self._domains = snapshot.domains
        self._report_plan(plan)
        self._check_safety_limits(plan)
        self.plan = plan
        skipped_rows = {problem.row for problem in problems if problem.field in ("row", "email")}
        self.report = SyncReport.planned(plan, directory_rows=rows, invalid_rows=len(skipped_rows))

    def _report_plan(self, plan: Plan) -> None:
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
        for email, rows in plan.conflicts.items():
            values = "; ".join(f"row {r.row}: {r.display_name!r}, {list(r.domains or ())!r}" for r in rows)
            message = f"{len(rows)} directory rows for {email} disagree ({values}); none is applied"
            logger.warning(message)
            self.status.warning(email, message)
        for person in plan.not_found:
            self.status.filter(person.email, "no OpenMetadata user has this email")
        if plan.not_found:
            logger.info("%d directory users have no OpenMetadata user", len(plan.not_found))
        self.status.increment_record_count(plan.unchanged)
        logger.info("Plan: %d of %d matched users to update", len(plan.changes), plan.matched)

    def _check_safety_limits(self, plan: Plan) -> None:
        try:
            check_safety_limits(plan, self.settings.max_change_percent, self.settings.max_change_count)
        except SafetyLimitError:
            # The operator decides on the changes themselves, so show them (the first ones) before stopping.
            for change in plan.changes[:PLANNED_CHANGES_SHOWN]:
                logger.info("Planned: %s", describe_change(change, self._domains))
            if len(plan.changes) > PLANNED_CHANGES_SHOWN:
                logger.info("Planned: ... and %d more", len(plan.changes) - PLANNED_CHANGES_SHOWN)
            raise

    def _iter(self) -> Iterable[Either[Any]]:
        if self.plan is None:
            raise RuntimeError("prepare() must run before the source is iterated")
        writer = UserWriter(self.api)
        last_progress = time.monotonic()
        outcomes = writer.write_all(self.plan.changes, self.settings.write_concurrency)
        went_away = False
        for done, (change, outcome) in enumerate(outcomes, start=1):
            description = describe_change(change, self._domains)
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
                logger.info(description)
                self.status.updated(f"User [{change.user.name}]")
            if time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                last_progress = time.monotonic()
                logger.info(
                    "Progress: %d/%d users written (%d failed)", done, len(self.plan.changes), self.report.failed
                )
        self.report.directory_requests = self.directory.requests_sent
        self.report.openmetadata_reads = self.api.reads
        self.report.openmetadata_writes = self.api.writes
        logger.info("User sync summary: %s", self.report.summary())
        # The SDK's import and the workflow's own calls come before and after; benchmarks compare this figure.
        logger.info("User sync took %.2fs (directory, catalog, plan and writes)", time.monotonic() - self._started)

    def test_connection(self) -> None:
        """Reach both servers: who the token is, what it may do on users, and whether the directory answers."""
        principal = whoami(self.api)
        check_permissions(self.api, principal, self.settings.fields)
        self.directory.read()

    def close(self) -> None:
        self.directory.close()
        self.api.close()
