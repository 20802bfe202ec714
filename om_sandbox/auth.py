"""JWT issuing and checking, after `security/jwt/JWTTokenGenerator.java`, `security/JwtFilter.java` and
`security/SecurityUtil.java`.

Tokens are RS256-signed with a key pair generated once and kept in the database, so tokens survive a
restart. OpenMetadata's own tokens carry the claims JWTTokenGenerator writes: iss, sub, email, isBot, tokenType,
iat, optional exp. An identity provider's (SSO) token carries no `tokenType`: the sandbox mints those with the
same keys (`sso_token`), as if the server's `publicKeyUrls` listed the provider's keys, and names its principal
from the configured claims (`AuthConfig`, `SecurityUtil.findUserNameFromClaims`).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from om_sandbox.errors import ApiError, unauthorized
from om_sandbox.store import Store

ISSUER = "open-metadata.org"
_PRIVATE_KEY = "jwt.private_key"
_KEY_ID = "jwt.kid"

# Texts from JwtFilter / AuthenticationException (messages, not secrets).
TOKEN_NOT_PRESENT = "Not Authorized! Token not present"  # noqa: S105
INVALID_TOKEN = "Invalid token."  # noqa: S105
EXPIRED_TOKEN = "Expired token!"  # noqa: S105
KEY_MISMATCH = "Invalid token. Token verification failed. Public key mismatch."
# SecurityUtil texts for an SSO token whose claims do not name a principal.
USERNAME_CLAIM_MISSING = "Invalid JWT token, 'username' claim is not present"
EMAIL_CLAIM_INVALID = "Invalid JWT token, 'email' claim is not present or invalid : {}"
NO_PRINCIPAL_CLAIM = "Invalid JWT token, none of the following claims are present [{}]"
# JwtFilter's constructor refuses such a mapping, so the server does not start.
MAPPING_INCOMPLETE = "Invalid JWT Principal Claims Mapping. Both username and email should be present"

# The AuthProvider enum (`entity/services/connections/metadata/openMetadataConnection.json`), as SDK 2.0.7.0 has it.
AUTH_PROVIDERS = (
    "basic",
    "azure",
    "google",
    "okta",
    "auth0",
    "aws-cognito",
    "custom-oidc",
    "ldap",
    "saml",
    "openmetadata",
)
# openmetadata.yaml's `jwtPrincipalClaims` default (AUTHENTICATION_JWT_PRINCIPAL_CLAIMS).
DEFAULT_PRINCIPAL_CLAIMS = ("email", "preferred_username", "sub")
# authorizerConfiguration.principalDomain in openmetadata.yaml (AUTHORIZER_PRINCIPAL_DOMAIN): appended to a
# principal claim without an `@` to make the email (SecurityUtil.findEmailFromClaims).
PRINCIPAL_DOMAIN = "open-metadata.org"
# The schema's pattern for one `jwtPrincipalClaimsMapping` item (configuration/authenticationConfiguration.json).
_MAPPING_ITEM = re.compile(r"(username|email):[a-zA-Z0-9_-]+")
# The issuer of the tokens `sso_token` mints: not OpenMetadata's, as an identity provider's would not be.
SSO_ISSUER = "sandbox-identity-provider"


@dataclass(frozen=True)
class AuthConfig:
    """The server's `authenticationConfiguration` as far as the sandbox uses it (`serve --auth-provider ...`)."""

    provider: str = "basic"
    # openmetadata.yaml: CUSTOM_OIDC_AUTHENTICATION_PROVIDER_NAME, default "".
    provider_name: str = ""
    principal_claims: tuple[str, ...] = DEFAULT_PRINCIPAL_CLAIMS
    # The mapping items as configured (`username:preferred_username`); empty: `principal_claims` decide.
    principal_claims_mapping: tuple[str, ...] = ()
    enable_self_signup: bool = False
    mapping: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        """Refuses what the server refuses at start: an unknown provider, a mapping item off the schema's pattern,
        a mapping without both `username` and `email` (JwtFilter's constructor); raises ValueError."""
        if self.provider not in AUTH_PROVIDERS:
            raise ValueError(f"unknown auth provider {self.provider!r}; one of {', '.join(AUTH_PROVIDERS)}")
        if not self.principal_claims:
            raise ValueError("jwtPrincipalClaims must name at least one claim")
        mapping: dict[str, str] = {}
        for item in self.principal_claims_mapping:
            if not _MAPPING_ITEM.fullmatch(item):
                raise ValueError(f"jwtPrincipalClaimsMapping item {item!r} is not 'username:CLAIM' or 'email:CLAIM'")
            key, claim = item.split(":", 1)
            mapping[key] = claim
        if mapping and not {"username", "email"} <= set(mapping):
            raise ValueError(MAPPING_INCOMPLETE)
        object.__setattr__(self, "mapping", mapping)


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the name and email JwtFilter puts on the CatalogPrincipal, and whether the token is
    one OpenMetadata issued (it has a `tokenType`) rather than an identity provider's."""

    name: str
    email: str | None
    issued_by_openmetadata: bool


@dataclass(frozen=True)
class Keys:
    private_pem: bytes
    public_pem: bytes
    kid: str


def ensure_keys(store: Store) -> Keys:
    with store.tx():
        pem = store.get_setting(_PRIVATE_KEY)
        kid = store.get_setting(_KEY_ID)
        if pem is None or kid is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            kid = str(uuid.uuid4())
            store.set_setting(_PRIVATE_KEY, pem)
            store.set_setting(_KEY_ID, kid)
    private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Keys(private_pem=pem.encode(), public_pem=public_pem, kid=kid)


def issue_token(
    keys: Keys, user: dict[str, Any], expiry_seconds: int | None = None, token_type: str | None = None
) -> str:
    """A JWT for `user`; `token_type` as ServiceTokenType names it (BOT, PERSONAL_ACCESS, OM_USER for a sign-in),
    by default BOT for a bot and PERSONAL_ACCESS for a person."""
    now = int(time.time())
    is_bot = bool(user.get("isBot"))
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": user["name"],
        "roles": [],
        "email": user["email"],
        "isBot": is_bot,
        "tokenType": token_type or ("BOT" if is_bot else "PERSONAL_ACCESS"),
        "iat": now,
    }
    if expiry_seconds is not None:
        claims["exp"] = now + expiry_seconds
    return jwt.encode(claims, keys.private_pem, algorithm="RS256", headers={"kid": keys.kid})


def sso_token(keys: Keys, claims: Mapping[str, Any], expiry_seconds: int | None = None) -> str:
    """A JWT as an identity provider mints it: `claims` (e.g. email, preferred_username, sub), no `tokenType`."""
    now = int(time.time())
    body: dict[str, Any] = {"iss": SSO_ISSUER, "iat": now, **claims}
    if expiry_seconds is not None:
        body["exp"] = now + expiry_seconds
    return jwt.encode(body, keys.private_pem, algorithm="RS256", headers={"kid": keys.kid})


def _string_claim(claims: Mapping[str, Any], name: str) -> str | None:
    # JwtFilter keeps the claims in a case-insensitive TreeMap; Claim.asString() is null for a non-string value.
    for key, value in claims.items():
        if key.lower() == name.lower():
            return value if isinstance(value, str) else None
    return None


def _has_claim(claims: Mapping[str, Any], name: str) -> bool:
    return any(key.lower() == name.lower() for key in claims)


def _first_claim(order: Sequence[str], claims: Mapping[str, Any]) -> str:
    """SecurityUtil.getFirstMatchJwtClaim: the value of the first claim of `order` the token has."""
    for name in order:
        if _has_claim(claims, name):
            value = _string_claim(claims, name)
            if value is not None:
                return value
            break  # a present but non-string claim ends the search in an empty Optional, as in the server
    raise unauthorized(NO_PRINCIPAL_CLAIM.format(", ".join(order)))


def sso_principal(config: AuthConfig, claims: Mapping[str, Any]) -> Principal:
    """SecurityUtil.findUserNameFromClaims and findEmailFromClaims for a token without `tokenType`: with a mapping
    (not for a bot) the `username` claim's value and the `email` claim; otherwise the first claim of
    `jwtPrincipalClaims` for both. The name is cut at its first `@`, both are lower-cased."""
    is_bot = any(key.lower() == "isbot" and value is True for key, value in claims.items())
    if config.mapping and not is_bot:
        username = _string_claim(claims, config.mapping["username"])
        if not username:
            raise unauthorized(USERNAME_CLAIM_MISSING)
        email = _string_claim(claims, config.mapping["email"])
        if not email or "@" not in email:
            # String.format of the claim's value: "" for a missing claim, "null" for a non-string one.
            shown = "null" if email is None and _has_claim(claims, config.mapping["email"]) else (email or "")
            raise unauthorized(EMAIL_CLAIM_INVALID.format(shown))
    else:
        username = _first_claim(config.principal_claims, claims)
        email = username if "@" in username else f"{username}@{PRINCIPAL_DOMAIN}"
    return Principal(name=username.split("@")[0].lower(), email=email.lower(), issued_by_openmetadata=False)


def principal(keys: Keys, config: AuthConfig, authorization: str | None) -> Principal:
    """The principal a request acts as; raises the 401 JwtFilter would answer."""
    claims = _verified_claims(keys, authorization)
    if not _has_claim(claims, "tokenType"):
        return sso_principal(config, claims)
    # The sandbox names OpenMetadata's own tokens by `sub`, the user's name, as it always did; see
    # docs/sandbox-fidelity.md for how the newest JwtFilter reads them.
    name = claims.get("sub")
    if not isinstance(name, str) or not name:
        raise ApiError(401, INVALID_TOKEN, {"WWW-Authenticate": "om-auth"})
    email = claims.get("email")
    return Principal(name=name, email=email.lower() if isinstance(email, str) else None, issued_by_openmetadata=True)


def _verified_claims(keys: Keys, authorization: str | None) -> dict[str, Any]:
    """The claims of the request's token once JwtFilter.decodeAndVerify accepts it; raises its 401."""
    if not authorization or not authorization.startswith("Bearer") or len(authorization) <= len("Bearer") + 1:
        raise unauthorized(TOKEN_NOT_PRESENT)
    token = authorization[len("Bearer") + 1 :]
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise unauthorized(INVALID_TOKEN) from exc
    exp = unverified.get("exp")
    if isinstance(exp, (int, float)) and exp < time.time():
        raise unauthorized(EXPIRED_TOKEN)
    try:
        claims = jwt.decode(
            token, keys.public_pem, algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False}
        )
    except jwt.PyJWTError as exc:
        raise unauthorized(KEY_MISMATCH) from exc
    if not isinstance(claims, dict):
        raise unauthorized(INVALID_TOKEN)
    return claims
