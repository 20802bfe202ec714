"""Create the accounts of new joiners (`createMissingUsers`) with `POST /v1/users`, needing Create on user.

The request carries the name a first sign-in gives (connector.sign_in), the email, and the synced fields: domains
by FQN (CreateUser takes names), teams by id (none: the server puts the user into Organization). It never carries
`isAdmin` or `isBot`. OpenMetadata refuses a name or an email any account holds, soft-deleted ones included, with
409 `Entity already exists` (docs/openmetadata-notes.md, "Creating a user").

Resending: the HTTP layer resends a POST whose answer was lost (connector/http.py). If the first one was applied,
the second meets that 409; the user is then read by name, and an account with the planned email counts as created
(the lost answer's, or someone else's made meanwhile: either way the person has the account a sign-in finds).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connector.catalog import CatalogUser, user_from_json
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.plan import NewUser
from connector.writer import WriteError


def create_request(user: NewUser) -> dict[str, Any]:
    """The CreateUser body for `user`; its teams must all have ids (created first)."""
    if not all(team.id for team in user.teams):
        raise ValueError("a team to create has no id yet: create it first")
    body: dict[str, Any] = {"name": user.name, "email": user.email}
    if user.display_name is not None:
        body["displayName"] = user.display_name
    if user.domains:
        body["domains"] = [domain.fqn for domain in user.domains]
    if user.teams:
        body["teams"] = [team.id for team in user.teams]
    return body


def create_user(api: OpenMetadataApi, user: NewUser) -> CatalogUser:
    """Create `user`'s account; the account as OpenMetadata holds it. WriteError when it could not be made."""
    try:
        answer = api.post("/users", create_request(user))
    except OpenMetadataError as exc:
        if exc.status != 409:
            raise WriteError(str(exc), unreachable=exc.status is None) from None
        return _existing(api, user, exc)
    if not isinstance(answer, dict) or "id" not in answer:
        raise WriteError("OpenMetadata answered the user's creation without the user")
    created = user_from_json(answer)
    if (created.name, created.email) != (user.name, user.email):
        # The server chose another name (basic auth names users itself) or email: a sign-in would miss it.
        raise WriteError(
            f"OpenMetadata created the account as {created.name!r}, not {user.name!r} as planned; check its sign-in "
            "settings (docs/recipes.md, 'Accounts for new joiners')"
        )
    return created


def _existing(api: OpenMetadataApi, user: NewUser, conflict: OpenMetadataError) -> CatalogUser:
    """After a 409: the account, when it is the planned one (made by a resent request, or meanwhile)."""
    try:
        answer = api.get(f"/users/name/{quote(user.name, safe='')}", {"fields": "domains", "include": "all"})
    except OpenMetadataError:
        raise WriteError(
            f"{conflict}: another account holds this email (a soft-deleted one, perhaps); no account created"
        ) from None
    found = user_from_json(answer)
    if found.email != user.email or answer.get("deleted"):
        raise WriteError(f"{conflict}: the name {user.name!r} belongs to another account; no account created")
    return found
