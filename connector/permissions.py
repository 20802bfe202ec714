"""Check, before any write, that the account the connector runs as may edit the fields it syncs.

OpenMetadata answers what the calling principal may do on a resource type (`GET /v1/permissions/user`). Bots
carry `DefaultBotPolicy`, whose `DisplayName-Deny` rule refuses `EditDisplayName`, so the stock ingestion-bot
can change users' domains but not their display names; without this check such a run would fail user after
user with 403s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connector.compat import edit_operation
from connector.credentials import ACCOUNT_DOC
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.settings import SyncField, UserUpdaterSettings

logger = logging.getLogger("metadata.Ingestion")

ALLOWED = {"allow", "conditionalAllow"}

REMEDY = (
    "Run the sync as a non-bot service user whose role allows ViewAll and EditAll on 'user' "
    "(docs/account.md), or set connectionOptions.fields to 'domains' to sync domains only"
)


class MissingPermissionError(Exception):
    """The principal may not make the edits the settings ask for; raised before any write."""


@dataclass(frozen=True)
class Principal:
    name: str
    is_bot: bool
    is_admin: bool

    def __str__(self) -> str:
        kind = "admin" if self.is_admin else "bot" if self.is_bot else "user"
        return f"'{self.name}' ({kind})"


class TokenRefusedError(Exception):
    """OpenMetadata answered 401 to the connector's token: the message says why, where the token came from, and
    what to do."""


def _renewal(server_text: str) -> str:
    if "expired" in server_text.lower():
        return (
            "The token has expired: sign in as the service user, create a new personal access token and replace the "
            f"stored one ({ACCOUNT_DOC}, 'Renewing the token')"
        )
    return (
        "Use the service user's personal access token for this server, whole and not revoked (a token of another "
        f"server, or one signed before the server's JWT keys changed, is refused; {ACCOUNT_DOC})"
    )


def whoami(api: OpenMetadataApi) -> Principal:
    """The principal the token belongs to; TokenRefusedError when OpenMetadata refuses the token."""
    try:
        me = api.get("/users/loggedInUser")
    except OpenMetadataError as exc:
        if exc.status != 401:
            raise
        raise TokenRefusedError(
            f"OpenMetadata at {api.base_url} refused the token from {api.token_origin} ({exc}). "
            f"{_renewal(str(exc))}. Nothing was written."
        ) from None
    return Principal(name=me.get("name", "?"), is_bot=bool(me.get("isBot")), is_admin=bool(me.get("isAdmin")))


def _describe(entry: dict[str, Any]) -> str:
    """The rule, policy and role that decided an access, as OpenMetadata reports them (the rule is an object)."""
    rule = entry.get("rule")
    names = {
        "rule": rule.get("name") if isinstance(rule, dict) else rule,
        "policy": entry.get("policy"),
        "role": entry.get("role"),
    }
    parts = [f"{kind} '{name}'" for kind, name in names.items() if name]
    return ", ".join(parts) if parts else "no rule allows it"


@dataclass(frozen=True)
class FieldAccess:
    """What OpenMetadata answers for editing one user field: the operation it needs and the deciding rule."""

    field: SyncField
    operation: str
    access: str
    decided_by: str
    only_own_account: bool = False

    @property
    def allowed(self) -> bool:
        """A `conditionalAllow` whose deciding rule is `isOwner()` alone is no permission: on a user, the owner is
        the user itself (docs/openmetadata-notes.md, "Who may write what"), so it allows editing only the sync's own
        account, which the sync never changes."""
        return self.access in ALLOWED and not self.only_own_account

    def __str__(self) -> str:
        return f"{self.operation} '{self.access}' ({self.decided_by})"


@dataclass(frozen=True)
class OperationNeed:
    """An operation a run needs beyond editing the fields it syncs (creating, deleting, restoring), and the option
    that needs it. It must be a plain `allow`: a condition (`isOwner()`, `noOwner()`) is decided per entity, and
    the entities these operations touch are not the principal's own."""

    resource: str
    operation: str
    purpose: str


def operations_needed(settings: UserUpdaterSettings) -> list[OperationNeed]:
    """The operations the settings' options need; none with every option off."""
    needs = []
    if settings.create_missing_teams and SyncField.TEAMS in settings.fields:
        needs.append(OperationNeed("team", "Create", "createMissingTeams"))
    if settings.leavers == "softDelete":
        needs.append(
            OperationNeed("user", "Delete", "leavers: softDelete soft-deletes users the directory no longer lists")
        )
    if settings.create_missing_users:
        needs.append(OperationNeed("user", "Create", "createMissingUsers creates accounts for new joiners"))
    if settings.restores_returners:
        needs.append(
            OperationNeed("user", "EditAll", "a returner's soft-deleted account is restored (PUT /users/restore)")
        )
    return needs


def _only_isowner(entry: dict[str, Any]) -> bool:
    """Whether the entry is a `conditionalAllow` decided by a rule whose condition is `isOwner()` and nothing else."""
    rule = entry.get("rule")
    condition = rule.get("condition") if isinstance(rule, dict) else None
    return (
        entry.get("access") == "conditionalAllow"
        and isinstance(condition, str)
        and condition.replace(" ", "") == "isOwner()"
    )


def _permissions(api: OpenMetadataApi, principal: Principal, resource: str) -> dict[str, dict[str, Any]]:
    try:
        answer = api.get(f"/permissions/{resource}")
    except OpenMetadataError as exc:
        raise MissingPermissionError(f"cannot ask OpenMetadata what {principal} may do on {resource}s: {exc}") from None
    return {entry.get("operation"): entry for entry in answer.get("permissions", [])}


def field_access(api: OpenMetadataApi, principal: Principal, fields: frozenset[SyncField]) -> list[FieldAccess]:
    """The server's answer for each field, in a stable order; MissingPermissionError if it cannot be asked."""
    entries = _permissions(api, principal, "user")
    result = []
    for field in sorted(fields, key=lambda f: f.value):
        operation = edit_operation(field.value, entries)
        entry = entries.get(operation, {"access": "notAllow"})
        result.append(
            FieldAccess(field, operation, entry.get("access", "notAllow"), _describe(entry), _only_isowner(entry))
        )
    return result


def operation_problems(api: OpenMetadataApi, principal: Principal, needs: Sequence[OperationNeed]) -> list[str]:
    """Why each need that is not a plain `allow` is refused, in the order given."""
    problems = []
    answers: dict[str, dict[str, dict[str, Any]]] = {}
    for need in needs:
        if need.resource not in answers:
            answers[need.resource] = _permissions(api, principal, need.resource)
        entry = answers[need.resource].get(need.operation, {"access": "notAllow"})
        access = entry.get("access", "notAllow")
        if access != "allow":
            problems.append(
                f"{need.purpose} needs {need.operation} on {need.resource}, which OpenMetadata answers '{access}' "
                f"for {principal} ({_describe(entry)})"
            )
    return problems


def check_permissions(
    api: OpenMetadataApi, principal: Principal, fields: frozenset[SyncField], needs: Sequence[OperationNeed] = ()
) -> None:
    """Raise MissingPermissionError naming each refused operation, the deciding rule/policy/role and the remedy."""
    problems = []
    for access in field_access(api, principal, fields):
        if not access.allowed:
            own = " only under isOwner(), which on a user allows editing the account itself" * access.only_own_account
            problems.append(
                f"editing users' {access.field.value} needs {access.operation}, which OpenMetadata answers "
                f"'{access.access}'{own} for {principal} ({access.decided_by})"
            )
        elif access.access == "conditionalAllow":
            logger.warning(
                "%s may edit users' %s only under a condition (%s); OpenMetadata decides per user",
                principal,
                access.field.value,
                access.decided_by,
            )
    problems.extend(operation_problems(api, principal, needs))
    if problems:
        raise MissingPermissionError("; ".join(problems) + f". Nothing was written. {REMEDY}.")
