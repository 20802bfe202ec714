"""Counts of one sync run, and the summary an operator reads at its end."""

from __future__ import annotations

from dataclasses import dataclass

from connector.plan import Plan


@dataclass
class SyncReport:
    directory_rows: int = 0
    invalid_rows: int = 0
    duplicate_rows: int = 0
    conflicting_emails: int = 0
    filtered: int = 0
    matched: int = 0
    unchanged: int = 0
    planned: int = 0
    updated: int = 0
    failed: int = 0
    not_found: int = 0
    unlisted: int = 0
    skipped_for_domain: int = 0
    skipped_for_team: int = 0
    teams_created: int = 0
    teams_synced: bool = False
    changed_since_plan: int = 0
    protected: int = 0
    # `leavers: softDelete` (and restoring returners): shown only when it is on.
    accounts: bool = False
    leavers: int = 0
    soft_deleted: int = 0
    leavers_held_back: int = 0
    returners: int = 0
    restored: int = 0
    # `createMissingUsers`: shown only when it is on.
    creates_users: bool = False
    new_users: int = 0
    users_created: int = 0
    plan_digest: str | None = None
    directory_requests: int = 0
    openmetadata_reads: int = 0
    openmetadata_writes: int = 0
    dry_run: bool = False
    from_plan_file: bool = False

    @classmethod
    def planned_from(
        cls,
        plan: Plan,
        directory_rows: int,
        invalid_rows: int,
        dry_run: bool,
        *,
        teams_synced: bool = False,
        accounts: bool = False,
        creates_users: bool = False,
    ) -> SyncReport:
        """The counts known once the plan is made; writes and requests are counted as the run goes on."""
        return cls(
            directory_rows=directory_rows,
            invalid_rows=invalid_rows,
            duplicate_rows=plan.duplicate_rows,
            conflicting_emails=len(plan.conflicts),
            filtered=len(plan.filtered),
            matched=plan.matched,
            unchanged=plan.unchanged,
            planned=len(plan.changes),
            protected=len(plan.protected),
            not_found=len(plan.not_found),
            unlisted=len(plan.unlisted),
            skipped_for_domain=plan.skipped_for_domain,
            skipped_for_team=plan.skipped_for_team,
            teams_synced=teams_synced,
            dry_run=dry_run,
            accounts=accounts,
            leavers=len(plan.leavers),
            leavers_held_back=plan.leavers_held_back,
            returners=len(plan.returners),
            creates_users=creates_users,
            new_users=len(plan.new_users),
        )

    def summary(self) -> str:
        if self.from_plan_file:
            source = (
                f"plan file: {self.planned + self.changed_since_plan + self.protected} user(s) to change, "
                f"{self.changed_since_plan} changed in OpenMetadata since the plan (not written); "
                f"updated {self.updated}; planned {self.planned}; protected {self.protected}"
            )
        else:
            source = (
                f"directory users read {self.directory_rows} (invalid rows {self.invalid_rows}, "
                f"duplicate rows {self.duplicate_rows}, conflicting emails {self.conflicting_emails}); "
                f"filtered out {self.filtered}; matched {self.matched}; unchanged {self.unchanged}; "
                f"updated {self.updated}; planned {self.planned}; not found in OpenMetadata {self.not_found}; "
                f"unlisted by the directory {self.unlisted}; skipped for unknown domain {self.skipped_for_domain}; "
                f"protected {self.protected}"
            )
        if self.teams_synced:
            # Only when teams are synced, so that the summary of a run without them reads as before.
            source += f"; skipped for unknown team {self.skipped_for_team}; teams created {self.teams_created}"
        if self.accounts:
            if self.dry_run:
                source += f"; leavers who would be soft-deleted {self.leavers}; returners to restore {self.returners}"
            else:
                source += (
                    f"; leavers soft-deleted {self.soft_deleted} of {self.leavers}; returners restored "
                    f"{self.restored} of {self.returners}"
                )
            source += f"; leavers held back {self.leavers_held_back}"
        if self.creates_users:
            if self.dry_run:
                source += f"; new accounts to create {self.new_users}"
            else:
                source += f"; new accounts created {self.users_created} of {self.new_users}"
        prefix = "DRY RUN, nothing written: " if self.dry_run else ""
        plan = f'. Plan file written: applyPlanDigest "{self.plan_digest}"' if self.plan_digest else ""
        return (
            f"{prefix}{source}; failed {self.failed}. Requests: directory {self.directory_requests}, "
            f"OpenMetadata reads {self.openmetadata_reads}, writes {self.openmetadata_writes}{plan}"
        )
