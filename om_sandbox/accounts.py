"""Sign-in with a password and personal access tokens, after `resources/teams/UserResource.java`
(`createUser` with `createPasswordType: ADMIN_CREATE`, `loginUserWithPassword`, `createAccessToken`),
`security/auth/BasicAuthenticator.java` and `security/jwt/JWTTokenGenerator.java` (`getExpiryDate`).

This is the path a service user takes on a server with basic authentication: an admin creates it with a password,
it signs in once, and with that session it creates its own personal access token, which the sync then uses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from om_sandbox import auth
from om_sandbox.context import Context, ok, read_request
from om_sandbox.errors import ApiError, bad_request, unauthorized
from om_sandbox.store import Doc

# CatalogExceptionMessage texts (messages, not secrets).
INVALID_USERNAME_PASSWORD = "You have entered an invalid username or password."  # noqa: S105
PASSWORD_INVALID_FORMAT = (
    "Password must be of minimum 8 characters, with one special, one Upper, one lower case character, and one Digit."  # noqa: S105
)
PASSWORDS_DIFFER = "Password and Confirm Password should be same."
NOT_BASE64 = "Password needs to be encoded in Base-64."
NO_TOKEN_FOR_BOTS = "Bots cannot have a Personal Access Token."  # noqa: S105
# SecurityUtil.getLoginConfiguration().getJwtTokenExpiryTime(): 3600 s by default (openmetadata.yaml).
SESSION_SECONDS = 3600
DAY = 86400
# JWTTokenGenerator.getExpiryDate, by the JWTTokenExpiry value; None never expires.
TOKEN_EXPIRY_SECONDS: dict[str, int | None] = {
    "OneHour": 3600,
    "1": DAY,
    "7": 7 * DAY,
    "30": 30 * DAY,
    "60": 60 * DAY,
    "90": 90 * DAY,
    "Unlimited": None,
}
# PasswordUtil.validatePassword: 8 to 56 characters with an upper and a lower case letter, a digit and a special
# character.
_PASSWORD_RULES = (re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"\d"), re.compile(r"[^A-Za-z0-9]"))
_HASH_ROUNDS = 100_000


def _hash(password: str, salt: bytes) -> str:
    # OpenMetadata stores a bcrypt hash; the sandbox uses the standard library's PBKDF2: only "it matches" matters.
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _HASH_ROUNDS)
    return f"pbkdf2${salt.hex()}${digest.hex()}"


def _matches(password: str, stored: str) -> bool:
    _, salt, _ = stored.split("$")
    return hmac.compare_digest(_hash(password, bytes.fromhex(salt)), stored)


def password_mechanism(create: Doc) -> Doc | None:
    """The `authenticationMechanism` a create request gives a user (UserResource.addUserAuthForBasic): a password
    only for a person created with `createPasswordType: ADMIN_CREATE`; raises the server's 400 for a bad one."""
    if create.get("isBot") or create.get("createPasswordType") != "ADMIN_CREATE":
        return None
    password = create.get("password") or ""
    if password != create.get("confirmPassword"):
        raise bad_request(PASSWORDS_DIFFER)
    if not 8 <= len(password) <= 56 or not all(rule.search(password) for rule in _PASSWORD_RULES):
        raise bad_request(PASSWORD_INVALID_FORMAT)
    return {"authType": "BASIC", "config": {"password": _hash(password, secrets.token_bytes(16))}}


def _expiry_ms(expiry_seconds: int | None) -> int | None:
    return None if expiry_seconds is None else (int(time.time()) + expiry_seconds) * 1000


def routes(ctx: Context) -> list[Route]:
    async def login(request: Request) -> JSONResponse:
        # JwtFilter.EXCLUDED_ENDPOINTS lists v1/users/login: no token needed.
        _model, body = await read_request(request, "login")
        try:
            password = base64.b64decode(body["password"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise bad_request(NOT_BASE64) from None
        user = ctx.store.get_user_by_email(str(body["email"]).lower())
        if user is None or user.get("isBot") or user.get("deleted"):
            raise bad_request(INVALID_USERNAME_PASSWORD)
        mechanism: dict[str, Any] = user.get("authenticationMechanism") or {}
        stored = (mechanism.get("config") or {}).get("password")
        if not stored or not _matches(password, stored):
            raise unauthorized(INVALID_USERNAME_PASSWORD)
        return ok(
            {
                "tokenType": "Bearer",
                "accessToken": auth.issue_token(ctx.keys, user, SESSION_SECONDS, "OM_USER"),
                "refreshToken": str(uuid.uuid4()),
                "expiryDuration": _expiry_ms(SESSION_SECONDS),
            }
        )

    async def create_personal_token(request: Request) -> JSONResponse:
        # The token is always the caller's own: the request names no user (an admin cannot mint one for another).
        subject = ctx.subject(request)
        model, _ = await read_request(request, "personalToken")
        body = model.model_dump(mode="json", by_alias=True)
        if subject.user.get("isBot"):
            raise ApiError(400, NO_TOKEN_FOR_BOTS)
        expiry_seconds = TOKEN_EXPIRY_SECONDS[body["JWTTokenExpiry"]]
        return ok(
            {
                "token": str(uuid.uuid4()),
                "tokenName": body["tokenName"],
                "userId": subject.user["id"],
                "tokenType": "PERSONAL_ACCESS_TOKEN",
                "expiryDate": _expiry_ms(expiry_seconds),
                "jwtToken": auth.issue_token(ctx.keys, subject.user, expiry_seconds, "PERSONAL_ACCESS"),
            }
        )

    return [
        Route("/api/v1/users/login", login, methods=["POST"]),
        Route("/api/v1/users/security/token", create_personal_token, methods=["PUT"]),
    ]
