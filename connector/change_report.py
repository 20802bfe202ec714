"""The change report an auditor reads (`reportPath`): one row per user and field, for dry and real runs.

Columns: email, user (the OpenMetadata user's name), field, old_value, new_value, action, reason. Domains and
teams are listed by FQN (a team the run creates by its name). Actions:

- `create`: dry run; a team a real run would create (`createMissingTeams`; field `team`, old_value the parent, new_value
  the team's name), or a new joiner's account (`createMissingUsers`; field `user`, new_value the account's name, then
  a row per field it is created with). Nothing was written.
- `created`: the team or the account was created (`failed` rows when it was not).
- `update`: dry run; the change a real run would write. Nothing was written.
- `updated`: written, and OpenMetadata answered with the new value.
- `failed`: the write failed; the reason is OpenMetadata's answer.
- `conflict`: `applyPlan` only; the user changed in OpenMetadata since the plan was made (or is gone). Not written.
- `skipped`: the directory asks for something the rules do not allow: an unknown or ambiguous domain or team, a
  team that may not hold users or (in `replace` mode) is outside the managed scope, rows for
  the same email that disagree, no OpenMetadata user with this email, or several (emails equal once case is
  ignored). Not written.
- `unlisted`: an OpenMetadata user (not a bot) whose email the directory does not list. Never changed.
- `protected`: the directory asks for a change on a protected user (the account the sync runs as, an admin, or one
  `protectedUsers` names); the reason says which. Never changed. With `leavers: softDelete`, also a leaver never
  soft-deleted (those, and `leaversExcluded`) or a returner not restored.
- `delete` / `deleted` (`leavers: softDelete`): a leaver a real run would soft-delete (dry run; nothing written) /
  soft-deleted. Field `deleted`, `false` -> `true`.
- `restore` / `restored`: a returner's soft-deleted account a real run would restore / restored. Field `deleted`,
  `true` -> `false`; the returner's field changes follow as `update`/`updated` rows.

`failed` and `conflict` (the user changed since the plan read it; not written) apply to these too. A leaver held
back for another reason (unreadable directory rows, a shared email) is `skipped`.

Unchanged users and rows outside `emailPattern`/`rowFilter` are counted in the run's summary, not listed.
JSON Lines keep domains as lists; CSV joins them with "; ", and puts a `'` before a cell that a spreadsheet would
run as a formula (one starting with =, +, -, @, a tab or a carriage return).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from connector.catalog import CatalogUser, DomainIndex, TeamIndex
from connector.plan import NewUser, Plan, ProtectedChange
from connector.plan_file import (
    DomainRef,
    PlannedAccount,
    PlannedUser,
    StaleAccount,
    StaleChange,
    TeamRef,
    planned_user,
)
from connector.private_file import PrivateFile

COLUMNS = ("email", "user", "field", "old_value", "new_value", "action", "reason")

Value = str | list[str] | None


class Action(str, Enum):
    CREATE = "create"
    CREATED = "created"
    UPDATE = "update"
    UPDATED = "updated"
    FAILED = "failed"
    CONFLICT = "conflict"
    SKIPPED = "skipped"
    UNLISTED = "unlisted"
    PROTECTED = "protected"
    DELETE = "delete"
    DELETED = "deleted"
    RESTORE = "restore"
    RESTORED = "restored"


@dataclass(frozen=True, slots=True)
class ReportRow:
    email: str
    user: str
    field: str
    old_value: Value
    new_value: Value
    action: Action
    reason: str


def _fqns(refs: list[DomainRef] | list[TeamRef]) -> list[str]:
    return [ref.fqn for ref in refs]


def change_rows(planned: PlannedUser, action: Action, reason: str) -> list[ReportRow]:
    """One row per field of a planned change."""
    rows = []
    if planned.display_name is not None:
        rows.append(
            ReportRow(
                planned.email,
                planned.name,
                "displayName",
                planned.display_name.old,
                planned.display_name.new,
                action,
                reason,
            )
        )
    if planned.domains is not None:
        old, new = _fqns(planned.domains.old), _fqns(planned.domains.new)
        rows.append(ReportRow(planned.email, planned.name, "domains", old, new, action, reason))
    if planned.teams is not None:
        old, new = _fqns(planned.teams.old), _fqns(planned.teams.new)
        rows.append(ReportRow(planned.email, planned.name, "teams", old, new, action, reason))
    return rows


def new_user_rows(user: NewUser, action: Action, reason: str) -> list[ReportRow]:
    """The rows of an account created for a new joiner: field `user` with its name, then each field it gets."""
    rows = [ReportRow(user.email, user.name, "user", None, user.name, action, reason)]
    if user.display_name is not None:
        rows.append(ReportRow(user.email, user.name, "displayName", None, user.display_name, action, reason))
    if user.domains:
        rows.append(ReportRow(user.email, user.name, "domains", None, [d.fqn for d in user.domains], action, reason))
    if user.teams:
        rows.append(ReportRow(user.email, user.name, "teams", None, [t.fqn for t in user.teams], action, reason))
    return rows


def team_rows(name: str, parent: str, action: Action, reason: str) -> list[ReportRow]:
    """The row of a team the run creates (`createMissingTeams`): field `team`, its parent as the old value."""
    return [ReportRow("", "", "team", parent, name, action, reason)]


def stale_rows(stale: list[StaleChange]) -> Iterator[ReportRow]:
    for change in stale:
        yield from change_rows(change.planned, Action.CONFLICT, change.reason)


def protected_rows(
    protected: list[ProtectedChange], domains: DomainIndex, teams: TeamIndex | None = None
) -> Iterator[ReportRow]:
    for held in protected:
        yield from change_rows(planned_user(held.change, domains, teams), Action.PROTECTED, held.reason)


def plan_rows(plan: Plan) -> Iterator[ReportRow]:
    """The rows a plan yields before any write: what it skips and whom the directory does not list."""
    for skipped in plan.skipped:
        user = skipped.user
        yield ReportRow(
            user.email, user.name, skipped.field.value, None, list(skipped.values), Action.SKIPPED, skipped.reason
        )
    for email, people in plan.conflicts.items():
        reason = f"{len(people)} directory rows for this email disagree (rows {', '.join(str(p.row) for p in people)})"
        yield ReportRow(email, "", "", None, None, Action.SKIPPED, reason)
    for person in plan.not_found:
        why_not = plan.not_created.get(person.email)
        reason = "no OpenMetadata user has this email" + (f"; {why_not}" if why_not else "")
        yield ReportRow(person.email, "", "", None, None, Action.SKIPPED, reason)
    for email, users in plan.shared_emails.items():
        reason = f"{len(users)} OpenMetadata users share this email once case is ignored; none is changed"
        for user in users:
            yield ReportRow(email, user.name, "", None, None, Action.SKIPPED, reason)
    # A leaver, or one held back, has a row of its own.
    accounted = {user.id for user in plan.leavers} | {held.user.id for held in plan.held_back}
    for user in plan.unlisted:
        if user.id not in accounted:
            yield ReportRow(
                user.email, user.name, "", None, None, Action.UNLISTED, "the directory does not list this email"
            )
    for held in plan.held_back:
        action = Action.PROTECTED if held.protected else Action.SKIPPED
        yield account_row(held.user, held.action == "delete", action, held.reason)


def account_row(user: CatalogUser | PlannedAccount, delete: bool, action: Action, reason: str) -> ReportRow:
    """The row of a soft delete (`delete`) or a restore: field `deleted`, from one state to the other."""
    old, new = ("false", "true") if delete else ("true", "false")
    return ReportRow(user.email, user.name, "deleted", old, new, action, reason)


def stale_account_rows(stale: list[StaleAccount]) -> Iterator[ReportRow]:
    for account in stale:
        yield account_row(account.planned, account.delete, Action.CONFLICT, account.reason)


# A cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV Injection"); a directory value
# such as `=HYPERLINK(...)` must open as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """`text` as a CSV cell that opens as text: a leading quote before what a spreadsheet would run."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_text(value: Value) -> str:
    if value is None:
        return ""
    return "; ".join(value) if isinstance(value, list) else value


class ChangeReport:
    """Writes rows as they come, so that a large run never holds the whole report in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._file = PrivateFile(path)
        self._csv = csv.writer(self._file) if path.suffix.lower() == ".csv" else None
        if self._csv is not None:
            self._csv.writerow(COLUMNS)

    def write(self, rows: Iterable[ReportRow]) -> None:
        for row in rows:
            self.rows += 1
            if self._csv is not None:
                old, new = _csv_text(row.old_value), _csv_text(row.new_value)
                cells = (row.email, row.user, row.field, old, new, row.action.value, row.reason)
                self._csv.writerow([csv_cell(cell) for cell in cells])
            else:
                self._file.write(json.dumps({**asdict(row), "action": row.action.value}) + "\n")

    def close(self) -> None:
        self._file.close()
