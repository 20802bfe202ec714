"""Counts of one sync run, and the summary an operator reads at its end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SyncReport:
    directory_rows: int = 0
    invalid_rows: int = 0
    duplicate_rows: int = 0
    conflicting_emails: int = 0
    matched: int = 0
    unchanged: int = 0
    to_update: int = 0
    updated: int = 0
    failed: int = 0
    not_found: int = 0
    skipped_for_domain: int = 0
    directory_requests: int = 0
    openmetadata_reads: int = 0
    openmetadata_writes: int = 0

    def summary(self) -> str:
        return (
            f"directory users read {self.directory_rows} (invalid rows {self.invalid_rows}, "
            f"duplicate rows {self.duplicate_rows}, conflicting emails {self.conflicting_emails}); "
            f"matched {self.matched}; unchanged {self.unchanged}; updated {self.updated}; "
            f"not found in OpenMetadata {self.not_found}; skipped for unknown domain {self.skipped_for_domain}; "
            f"failed {self.failed}. Requests: directory {self.directory_requests}, "
            f"OpenMetadata reads {self.openmetadata_reads}, writes {self.openmetadata_writes}"
        )
