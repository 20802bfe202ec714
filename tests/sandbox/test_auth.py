"""Authentication: JwtFilter's open endpoints and 401 answers, the token command, key persistence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from om_sandbox.release import installed_sdk_version
from tests.sandbox.conftest import Sandbox, sandbox_command
from tests.support.commands import sandbox_token
from tests.support.servers import start_server


@pytest.mark.lines
def test_version_needs_no_token_and_is_the_installed_sdks(sandbox: Sandbox) -> None:
    response = sandbox.get(None, "/v1/system/version")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == installed_sdk_version()
    assert body["version"].count(".") == 2  # the server's three numbers, not the SDK's four
    assert {"revision", "timestamp"} <= set(body)


def test_version_option_chooses_the_reported_version(tmp_path: Path) -> None:
    server = start_server(sandbox_command(tmp_path / "v.db", "--version", "1.12.3"))
    try:
        assert requests.get(f"{server.url}/api/v1/system/version", timeout=10).json()["version"] == "1.12.3"
    finally:
        server.stop()


def test_missing_token_is_401(sandbox: Sandbox) -> None:
    response = sandbox.get(None, "/v1/users")
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Not Authorized! Token not present"}
    assert response.headers["WWW-Authenticate"] == "om-auth"


def test_token_signed_by_another_key_is_401(sandbox: Sandbox) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    forged = jwt.encode(
        {"iss": "open-metadata.org", "sub": "admin", "email": "admin@open-metadata.org", "isBot": False},
        pem,
        algorithm="RS256",
    )
    response = sandbox.get(None, "/v1/users", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token. Token verification failed. Public key mismatch."


def test_garbage_token_is_401(sandbox: Sandbox) -> None:
    response = sandbox.get(None, "/v1/users", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Invalid token."}


def test_expired_token_is_401(sandbox: Sandbox) -> None:
    expired = sandbox_token(sandbox.db, "admin", "--expiry-seconds", "-60")
    response = sandbox.get(None, "/v1/users", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Expired token!"}


def test_token_command_prints_an_openmetadata_style_jwt(sandbox: Sandbox) -> None:
    token = sandbox_token(sandbox.db, "ingestion-bot")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "open-metadata.org"
    assert claims["sub"] == "ingestion-bot"
    assert claims["email"] == "ingestion-bot@open-metadata.org"
    assert claims["isBot"] is True
    assert claims["tokenType"] == "BOT"
    assert "exp" not in claims
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    me = sandbox.get(None, "/v1/users/loggedInUser", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["name"] == "ingestion-bot"


def test_token_command_refuses_unknown_user(sandbox: Sandbox) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "om_sandbox.cli", "token", "nobody", "--db", str(sandbox.db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""


def test_keys_and_data_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "restart.db"
    first = start_server(sandbox_command(db, "--demo"))
    try:
        token = sandbox_token(db, "user-sync")
        before = user_ids(first.url, token)
    finally:
        first.stop()
    second = start_server(sandbox_command(db, "--demo"))
    try:
        assert user_ids(second.url, token) == before
    finally:
        second.stop()


def user_ids(url: str, token: str) -> list[str]:
    response = requests.get(f"{url}/api/v1/users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return [user["id"] for user in response.json()["data"]]
