"""Single sign-on: the auth configuration a client reads without a token, how an identity provider's token names
its user (`SecurityUtil.findUserNameFromClaims` under the server's claims settings), and how
`GET /v1/users/loggedInUser` finds or refuses the account made before a first sign-in (docs/openmetadata-notes.md,
"Accounts before first sign-in, and leavers")."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from metadata.generated.schema.configuration.authenticationConfiguration import AuthenticationConfiguration

from om_sandbox import auth
from om_sandbox.users import ACCOUNT_EXISTS, NAME_AND_EMAIL_NOT_FOUND
from tests.sandbox.conftest import RELEASE, Sandbox, sandbox_command
from tests.support.commands import sandbox_sso_token
from tests.support.servers import start_server

MAPPING = "username:preferred_username,email:email"


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox whose SSO users are named by `preferred_username` (a claims mapping), with self-signup on."""
    db = tmp_path_factory.mktemp("mapped") / "s.db"
    server = start_server(
        sandbox_command(
            db,
            "--auth-provider",
            "custom-oidc",
            "--jwt-principal-claims-mapping",
            MAPPING,
            "--enable-self-signup",
        )
    )
    try:
        yield Sandbox(server=server, db=db, release=RELEASE)
    finally:
        server.stop()


def suffix() -> str:
    return uuid.uuid4().hex[:8]


def create(sandbox: Sandbox, name: str, email: str) -> dict[str, Any]:
    response = sandbox.call("admin", "POST", "/v1/users", json={"name": name, "email": email})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def signed_in(sandbox: Sandbox, path: str = "/v1/users/loggedInUser", **claims: str) -> requests.Response:
    token = sandbox_sso_token(sandbox.db, **claims)
    return sandbox.get(None, path, headers={"Authorization": f"Bearer {token}"})


def test_auth_config_needs_no_token_and_has_the_defaults(sandbox: Sandbox) -> None:
    response = requests.get(f"{sandbox.url}/api/v1/system/config/auth", timeout=10)
    assert response.status_code == 200
    body = response.json()
    AuthenticationConfiguration.model_validate(body)  # the installed line's AuthenticationConfiguration
    assert body["provider"] == "basic"
    assert body["providerName"] == ""
    assert body["enableSelfSignup"] is False
    assert body["jwtPrincipalClaims"] == ["email", "preferred_username", "sub"]
    assert body["jwtPrincipalClaimsMapping"] == []
    assert body["publicKeyUrls"] == []  # getAuthConfig never copies the configured key URLs
    assert "ldapConfiguration" not in body
    assert "oidcConfiguration" not in body


def test_auth_config_reports_the_serve_options(mapped: Sandbox) -> None:
    body = requests.get(f"{mapped.url}/api/v1/system/config/auth", timeout=10).json()
    AuthenticationConfiguration.model_validate(body)
    assert body["provider"] == "custom-oidc"
    assert body["enableSelfSignup"] is True
    assert body["jwtPrincipalClaimsMapping"] == ["username:preferred_username", "email:email"]


def test_an_sso_token_names_the_user_by_the_emails_local_part_under_the_default_claims(sandbox: Sandbox) -> None:
    name = f"jdoe{suffix()}"
    created = create(sandbox, name, f"{name}@example.com")
    # `email` comes first in jwtPrincipalClaims: preferred_username and sub are not read; the case does not matter.
    response = signed_in(sandbox, email=f"{name.upper()}@Example.com", preferred_username="someone-else", sub="x1")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]
    # Every other request finds the user by that name too (the SubjectCache reads it by name).
    listing = signed_in(sandbox, "/v1/users/name/admin", email=f"{name}@example.com")
    assert listing.status_code == 200, listing.text


def test_without_an_email_claim_the_next_principal_claim_names_the_user(sandbox: Sandbox) -> None:
    name = f"jdoe{suffix()}"
    # No `@`: the email is the name at the principal domain (SecurityUtil.findEmailFromClaims).
    create(sandbox, name, f"{name}@{auth.PRINCIPAL_DOMAIN}")
    response = signed_in(sandbox, preferred_username=name.upper(), sub="x2")
    assert response.status_code == 200, response.text
    assert response.json()["name"] == name


def test_under_a_mapping_the_username_claim_names_the_user(mapped: Sandbox) -> None:
    name = f"jdoe{suffix()}"
    email = f"jane.doe.{name}@example.org"
    created = create(mapped, name, email)
    response = signed_in(mapped, email=email, preferred_username=name.upper())
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]


def test_under_a_mapping_a_token_without_the_username_claim_is_401(mapped: Sandbox) -> None:
    response = signed_in(mapped, email="someone@example.org", sub="x3")
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Invalid JWT token, 'username' claim is not present"}
    assert response.headers["WWW-Authenticate"] == "om-auth"


def test_under_a_mapping_a_token_without_an_email_is_401(mapped: Sandbox) -> None:
    response = signed_in(mapped, preferred_username="someone")
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid JWT token, 'email' claim is not present or invalid : "


def test_a_token_with_none_of_the_principal_claims_is_401(sandbox: Sandbox) -> None:
    response = signed_in(sandbox, name="Jane Doe")
    assert response.status_code == 401
    assert response.json()["message"] == (
        "Invalid JWT token, none of the following claims are present [email, preferred_username, sub]"
    )


def test_logged_in_user_refuses_the_name_under_another_email(sandbox: Sandbox) -> None:
    name = f"jane{suffix()}"
    create(sandbox, name, f"{name}@a.example.com")
    response = signed_in(sandbox, email=f"{name}@b.example.com")
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": ACCOUNT_EXISTS}
    assert ACCOUNT_EXISTS == "Account already exists. Please contact administrator."


def test_logged_in_user_refuses_the_email_under_another_name(mapped: Sandbox) -> None:
    name = f"jane{suffix()}"
    email = f"{name}@example.org"
    create(mapped, name, email)
    response = signed_in(mapped, email=email, preferred_username=f"other{name}")
    assert response.status_code == 400
    assert response.json()["message"] == ACCOUNT_EXISTS


def test_logged_in_user_with_neither_name_nor_email_is_404(sandbox: Sandbox) -> None:
    response = signed_in(sandbox, email=f"nobody{suffix()}@example.com")
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": NAME_AND_EMAIL_NOT_FOUND}


def test_openmetadata_tokens_keep_naming_the_user_by_sub(mapped: Sandbox) -> None:
    # A personal access token or bot token has a tokenType: the mapping does not apply to it.
    response = mapped.get("admin", "/v1/users/loggedInUser")
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "admin"


def test_user_names_holding_a_double_colon_are_refused(sandbox: Sandbox) -> None:
    name = f"a::b{suffix()}"
    for method in ("POST", "PUT"):
        response = sandbox.call("admin", method, "/v1/users", json={"name": name, "email": f"x{suffix()}@example.com"})
        assert response.status_code == 400, response.text
        assert response.json()["message"] == '[name must match "^((?!::).)*$"]'


def test_a_mapping_without_both_keys_stops_the_server(tmp_path: Path) -> None:
    result = subprocess.run(
        [*sandbox_command(tmp_path / "m.db"), "--jwt-principal-claims-mapping", "username:preferred_username"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert auth.MAPPING_INCOMPLETE in result.stderr


def test_sso_token_carries_the_claims_and_no_token_type(sandbox: Sandbox) -> None:
    token = sandbox_sso_token(sandbox.db, email="jane@example.com", preferred_username="jdoe")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["email"] == "jane@example.com"
    assert claims["preferred_username"] == "jdoe"
    assert "tokenType" not in claims
    assert "sub" not in claims
