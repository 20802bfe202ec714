"""The name OpenMetadata gives a person at first sign-in, and whether the server's settings let the sync predict it.

An account made before the first sign-in (`createMissingUsers`) must be the one that sign-in finds: OpenMetadata
finds a signed-in user by the name it takes from the token's claims, and the newest releases also require the
account's email to be the token's (docs/openmetadata-notes.md, "How a sign-in finds its user"). With
`jwtPrincipalClaims` starting with `email` (the default, `[email, preferred_username, sub]`), or a
`jwtPrincipalClaimsMapping` whose `username` is the `email` claim, that name is the email's part before the first
`@`, lower-cased; on basic auth the server gives a created user that name itself. Any other setting (another claim
first, a mapping to `preferred_username` or an employee id, SAML or LDAP sign-in, whose naming was not verified)
could name the person otherwise, and the first sign-in would then meet a 400 or make a second account: the run
refuses instead. `GET /v1/system/config/auth` (`ConfigResource.getAuthConfig`) tells the provider and the claims.

What the server cannot tell: whether the identity provider's tokens carry an `email` claim at all (the recipe asks
the operator to check one).
"""

from __future__ import annotations

from typing import Any

from connector.openmetadata import OpenMetadataApi, OpenMetadataError

# Providers whose sign-in names users by the JWT claims rule (SecurityUtil.findUserNameFromClaims), and basic auth,
# where UserResource.createUser names the user by the email's local part.
CLAIMS_PROVIDERS = frozenset({"google", "okta", "auth0", "azure", "custom-oidc", "aws-cognito"})
BASIC = "basic"

# A name OpenMetadata would refuse or quote (entityName refuses "::"; a quote breaks its FQN) cannot be the one a
# sign-in looks for.
_UNUSABLE_IN_NAMES = ("::", '"')


class SignInError(Exception):
    """The server's sign-in settings could name a new person otherwise than the sync would; nothing is created."""


def sign_in_name(email: str) -> str:
    """The name a first sign-in with this email gives: its part before the first `@`, lower-cased."""
    return email.strip().split("@", 1)[0].lower()


def name_problem(name: str) -> str | None:
    """Why `name` cannot be given to an account, or None."""
    if not name:
        return "the email has nothing before '@' to name the account by"
    if any(part in name for part in _UNUSABLE_IN_NAMES):
        return f"the name {name!r} holds '::' or '\"', which OpenMetadata does not accept in a user's name"
    return None


def _claims(value: Any) -> list[str]:
    return [str(item).strip() for item in value] if isinstance(value, list) else []


def config_problem(config: Any) -> str | None:
    """Why the sign-in settings `config` (the answer of /system/config/auth) could name a person otherwise than
    `sign_in_name`, or None when they cannot."""
    if not isinstance(config, dict) or not config.get("provider"):
        return "OpenMetadata's answer names no authentication provider"
    provider = str(config["provider"]).lower()
    if provider == BASIC:
        return None
    if provider not in CLAIMS_PROVIDERS:
        return (
            f"the server signs people in with {provider!r}, whose naming of new users this sync does not reproduce "
            "(only OIDC/JWT providers and basic auth)"
        )
    mapping = _claims(config.get("jwtPrincipalClaimsMapping"))
    if mapping:
        username = next((item.split(":", 1)[1] for item in mapping if item.startswith("username:")), None)
        if username is None or username.strip().lower() != "email":
            return (
                f"jwtPrincipalClaimsMapping takes the user name from the claim {username!r}, not from 'email': a "
                "first sign-in would look for a name the directory's email does not give"
            )
        return None
    claims = _claims(config.get("jwtPrincipalClaims"))
    if not claims or claims[0].lower() != "email":
        return (
            f"jwtPrincipalClaims is {claims}: a first sign-in takes its name from the first of these claims present "
            "in the token, so 'email' must come first"
        )
    return None


def check_sign_in(api: OpenMetadataApi) -> str:
    """Raise SignInError unless the server names people at first sign-in as `sign_in_name` does; say which rule
    holds."""
    try:
        config = api.get("/system/config/auth")
    except OpenMetadataError as exc:
        raise SignInError(
            f"createMissingUsers: cannot read OpenMetadata's sign-in settings (GET /v1/system/config/auth): {exc}. "
            "Without them the name a first sign-in gives is not known, so no account is created. Nothing was written."
        ) from None
    problem = config_problem(config)
    if problem is not None:
        raise SignInError(
            f"createMissingUsers: {problem}. An account created now could be missed by the person's first sign-in "
            "(a 400 'Account already exists', or a second account), so no account is created. Nothing was written "
            "(docs/recipes.md, 'Accounts for new joiners')."
        )
    provider = str(config["provider"]).lower()
    if provider == BASIC:
        return "basic auth: OpenMetadata names a created user by its email's part before '@'"
    return f"{provider} sign-in takes the user name from the 'email' claim, before '@'"
