"""Sign-in with a password and personal access tokens: how a service user gets its token on a basic-auth server."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import jwt
import pytest
import requests

from tests.sandbox.conftest import Sandbox
from tests.support.commands import sandbox_token

PASSWORD = "Sync-account-1"  # noqa: S105 - a test account of the sandbox


def encoded(password: str) -> str:
    return base64.b64encode(password.encode()).decode()


def new_account(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    name = f"svc{uuid.uuid4().hex[:8]}"
    body = {
        "name": name,
        "email": f"{name}@example.com",
        "createPasswordType": "ADMIN_CREATE",
        "password": PASSWORD,
        "confirmPassword": PASSWORD,
        **extra,
    }
    response = sandbox.call("admin", "POST", "/v1/users", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def login(sandbox: Sandbox, email: str, password: str) -> requests.Response:
    return sandbox.call(None, "POST", "/v1/users/login", json={"email": email, "password": encoded(password)})


def mint(sandbox: Sandbox, bearer: str, expiry: str = "OneHour") -> requests.Response:
    return sandbox.call(
        None,
        "PUT",
        "/v1/users/security/token",
        json={"tokenName": "user-sync", "JWTTokenExpiry": expiry},
        headers={"Authorization": f"Bearer {bearer}"},
    )


def test_an_admin_created_password_signs_in_and_the_session_mints_the_users_own_token(sandbox: Sandbox) -> None:
    account = new_account(sandbox)
    assert "authenticationMechanism" not in account
    assert "password" not in str(account)
    session = login(sandbox, account["email"].upper(), PASSWORD)  # emails match case-insensitively
    assert session.status_code == 200, session.text
    answer = session.json()
    assert answer["tokenType"] == "Bearer"
    assert answer["refreshToken"]
    claims = jwt.decode(answer["accessToken"], options={"verify_signature": False})
    assert (claims["sub"], claims["tokenType"], claims["exp"] - claims["iat"]) == (account["name"], "OM_USER", 3600)

    personal = mint(sandbox, answer["accessToken"], "OneHour")
    assert personal.status_code == 200, personal.text
    token = personal.json()
    assert (token["tokenName"], token["tokenType"], token["userId"]) == (
        "user-sync",
        "PERSONAL_ACCESS_TOKEN",
        account["id"],
    )
    claims = jwt.decode(token["jwtToken"], options={"verify_signature": False})
    assert (claims["sub"], claims["tokenType"], claims["isBot"]) == (account["name"], "PERSONAL_ACCESS", False)
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(token["expiryDate"] - claims["exp"] * 1000) < 2000
    me = sandbox.call(None, "GET", "/v1/users/loggedInUser", headers={"Authorization": f"Bearer {token['jwtToken']}"})
    assert me.status_code == 200
    assert me.json()["name"] == account["name"]


@pytest.mark.parametrize(
    ("expiry", "seconds"),
    [("1", 86400), ("7", 7 * 86400), ("30", 30 * 86400), ("60", 60 * 86400), ("90", 90 * 86400), ("Unlimited", None)],
)
def test_personal_token_expiry_follows_jwt_token_expiry(sandbox: Sandbox, expiry: str, seconds: int | None) -> None:
    answer = mint(sandbox, sandbox.token("user-sync"), expiry).json()
    claims = jwt.decode(answer["jwtToken"], options={"verify_signature": False})
    assert claims.get("exp", None) == (None if seconds is None else claims["iat"] + seconds)
    assert answer["expiryDate"] == (None if seconds is None else claims["exp"] * 1000)


def test_a_token_past_its_expiry_is_refused_with_the_servers_text(sandbox: Sandbox) -> None:
    expired = sandbox_token(sandbox.db, "user-sync", "--expiry-seconds", "-1")
    assert jwt.decode(expired, options={"verify_signature": False})["tokenType"] == "PERSONAL_ACCESS"
    response = sandbox.call(None, "GET", "/v1/users/loggedInUser", headers={"Authorization": f"Bearer {expired}"})
    assert (response.status_code, response.json()) == (401, {"code": 401, "message": "Expired token!"})


def test_only_the_owner_mints_and_never_a_bot(sandbox: Sandbox) -> None:
    bot = mint(sandbox, sandbox.token("ingestion-bot"))
    assert (bot.status_code, bot.json()["message"]) == (400, "Bots cannot have a Personal Access Token.")
    # An admin's request names no user: whatever it asks, the token is the admin's own.
    admin = sandbox.call(
        "admin",
        "PUT",
        "/v1/users/security/token",
        params={"username": "user-sync"},
        json={"tokenName": "for-user-sync", "JWTTokenExpiry": "7"},
    )
    assert admin.status_code == 200
    assert jwt.decode(admin.json()["jwtToken"], options={"verify_signature": False})["sub"] == "admin"
    assert mint(sandbox, "not-a-jwt").status_code == 401
    bad = sandbox.call("user-sync", "PUT", "/v1/users/security/token", json={"tokenName": "x", "JWTTokenExpiry": "2"})
    assert bad.status_code == 400


def test_sign_in_refusals_use_openmetadatas_texts(sandbox: Sandbox) -> None:
    account = new_account(sandbox)
    invalid = "You have entered an invalid username or password."
    wrong = login(sandbox, account["email"], "Wrong-password-1")
    assert (wrong.status_code, wrong.json()["message"]) == (401, invalid)
    unknown = login(sandbox, "nobody@example.com", PASSWORD)
    assert (unknown.status_code, unknown.json()["message"]) == (400, invalid)
    bot = login(sandbox, "ingestion-bot@open-metadata.org", PASSWORD)
    assert (bot.status_code, bot.json()["message"]) == (400, invalid)
    # A user created without a password (createPasswordType USER_CREATE, the default) cannot sign in yet.
    no_password = sandbox.new_user()
    assert login(sandbox, no_password["email"], PASSWORD).status_code == 401
    raw = sandbox.call(None, "POST", "/v1/users/login", json={"email": account["email"], "password": "%%%"})
    assert (raw.status_code, raw.json()["message"]) == (400, "Password needs to be encoded in Base-64.")
    assert login(sandbox, account["email"], PASSWORD).status_code == 200


def test_an_admin_created_password_must_be_confirmed_and_strong(sandbox: Sandbox) -> None:
    name = f"svc{uuid.uuid4().hex[:8]}"
    base = {"name": name, "email": f"{name}@example.com", "createPasswordType": "ADMIN_CREATE"}
    differ = sandbox.call("admin", "POST", "/v1/users", json={**base, "password": PASSWORD, "confirmPassword": "x"})
    assert (differ.status_code, differ.json()["message"]) == (400, "Password and Confirm Password should be same.")
    weak = sandbox.call("admin", "POST", "/v1/users", json={**base, "password": "short", "confirmPassword": "short"})
    assert weak.status_code == 400
    assert weak.json()["message"].startswith("Password must be of minimum 8 characters")
    assert sandbox.get("admin", f"/v1/users/name/{name}").status_code == 404
