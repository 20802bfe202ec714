"""JWT issuing and checking, after `security/jwt/JWTTokenGenerator.java` and `security/JwtFilter.java`.

Tokens are RS256-signed with a key pair generated once and kept in the database, so tokens survive a
restart. Claims are those JWTTokenGenerator writes: iss, sub, email, isBot, tokenType, iat, optional exp.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
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


def principal_name(keys: Keys, authorization: str | None) -> str:
    """The user name a request acts as; raises the 401 JwtFilter would answer."""
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
    name = claims.get("sub")
    if not isinstance(name, str) or not name:
        raise ApiError(401, INVALID_TOKEN, {"WWW-Authenticate": "om-auth"})
    return name
