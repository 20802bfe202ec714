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
    matched: int = 0
    unchanged: int = 0
    updated: int = 0
    failed: int = 0
    not_found: int = 0
    skipped_for_domain: int = 0
    directory_requests: int = 0
    openmetadata_reads: int = 0
    openmetadata_writes: int = 0

    @classmethod
    def planned(cls, plan: Plan, directory_rows: int, invalid_rows: int) -> SyncReport:
        """The counts known once the plan is made; writes and requests are counted as the run goes on."""
        return cls(
            directory_rows=directory_rows,
            invalid_rows=invalid_rows,
            duplicate_rows=plan.duplicate_rows,
            conflicting_emails=len(plan.conflicts),
            matched=plan.matched,
            unchanged=plan.unchanged,
            not_found=len(plan.not_found),
            skipped_for_domain=plan.skipped_for_domain,
        )

    def summary(self) -> str:
        return (
            f"directory users read {self.directory_rows} (invalid rows {self.invalid_rows}, "
            f"duplicate rows {self.duplicate_rows}, conflicting emails {self.conflicting_emails}); "
            f"matched {self.matched}; unchanged {self.unchanged}; updated {self.updated}; "
            f"not found in OpenMetadata {self.not_found}; skipped for unknown domain {self.skipped_for_domain}; "
            f"failed {self.failed}. Requests: directory {self.directory_requests}, "
            f"OpenMetadata reads {self.openmetadata_reads}, writes {self.openmetadata_writes}"
        )
