"""Answers a broken or hostile server may send, to both clients, through the real HTTP sessions on loopback:
redirects to another origin, bodies past the size cap, JSON nested past the parser, error texts that would forge
log lines. See docs/security.md."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlsplit

import pytest

from connector import http
from connector.directory import DirectoryClient, DirectoryError
from connector.openmetadata import OpenMetadataError
from tests.integration.test_retries import USERS, Answer, Script, openmetadata_api, server, settings

__all__ = ["server"]  # the fixture, shared with test_retries

SECRET = "hdr-secret-9f3a"  # noqa: S105 - a marker to look for
DEEP = b"[" * 100_000 + b"]" * 100_000


def other_origin(url: str) -> str:
    """The same loopback server under another origin: `localhost` instead of `127.0.0.1`."""
    return f"http://localhost:{urlsplit(url).port}"


def test_a_redirect_to_another_origin_is_refused_and_the_headers_never_go_there(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(307, b"", {"Location": f"{other_origin(url)}/elsewhere"}), Answer()]
    headers = json.dumps({"Authorization": f"Bearer {SECRET}", "X-Api-Key": SECRET})
    with pytest.raises(DirectoryError) as error:
        DirectoryClient(settings(url, graphqlHeaders=headers)).read_users()
    assert f"answered HTTP 307, redirecting to {other_origin(url)}/elsewhere" in str(error.value)
    assert "redirects are not followed" in str(error.value)
    # One request, to the configured origin: the redirect was not followed with or without the headers.
    assert [headers["Host"] for headers in script.headers] == [urlsplit(url).netloc]
    assert SECRET not in str(error.value)


def test_openmetadata_redirects_are_not_followed(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(302, b"", {"Location": f"{other_origin(url)}/api/v1/users"}), Answer()]
    with pytest.raises(OpenMetadataError, match="HTTP 302"):
        openmetadata_api(url).get("/users")
    assert len(script.seen) == 1


def test_an_answer_past_the_size_cap_is_refused_with_a_clear_error(
    server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    monkeypatch.setattr(http, "MAX_RESPONSE_BYTES", 1024)
    big = {"data": {"users": [USERS["data"]["users"][0]] * 100}}
    script.answers = [Answer(200, big)]
    with pytest.raises(DirectoryError, match=r"answered HTTP 200: the answer is larger than 0 MiB"):
        DirectoryClient(settings(url)).read_users()
    with pytest.raises(OpenMetadataError, match="GET /users: HTTP 200: the answer is larger than"):
        openmetadata_api(url).get("/users")


@pytest.mark.parametrize("status", [200, 400])
def test_json_nested_past_the_parser_is_a_clear_error_not_a_traceback(server: tuple[str, Script], status: int) -> None:
    url, script = server
    script.answers = [Answer(status, DEEP)]
    with pytest.raises(DirectoryError, match="the answer nests JSON too deeply to be read"):
        DirectoryClient(settings(url)).read_users()
    with pytest.raises(OpenMetadataError, match=f"GET /users: .*{status}") as error:
        openmetadata_api(url).get("/users")
    assert len(str(error.value)) < 400


def test_server_error_texts_are_one_bounded_line(server: tuple[str, Script], caplog: pytest.LogCaptureFixture) -> None:
    url, script = server
    forged = "boom\n2026-01-01 [INFO] User sync summary: all fine\u2028\u202eevil" + "x" * 5000
    script.answers = [Answer(200, {"errors": [{"message": forged}], "data": None})]
    with pytest.raises(DirectoryError) as directory_error:
        DirectoryClient(settings(url)).read_users()
    script.answers = [Answer(500, {"code": 500, "message": forged})]
    with pytest.raises(OpenMetadataError) as openmetadata_error:
        openmetadata_api(url, maxRetries="0").get("/users")
    script.answers = [Answer(200, {"errors": [{"message": forged}]})]
    with caplog.at_level(logging.WARNING):
        DirectoryClient(settings(url)).check_query()  # refused introspection: a warning quoting the server
    # The directory's texts escape line breaks; OpenMetadata's make whitespace runs (a stack trace's) one space.
    assert "boom\\n2026-01-01 [INFO] User sync summary: all fine\\u2028\\u202eevil" in str(directory_error.value)
    assert "boom\\n2026-01-01 [INFO] User sync summary: all fine\\u2028\\u202eevil" in caplog.text
    assert "boom 2026-01-01 [INFO] User sync summary: all fine \\u202eevil" in str(openmetadata_error.value)
    for text in (str(directory_error.value), str(openmetadata_error.value), caplog.text):
        assert "\n2026" not in text
        assert "\u2028" not in text
        assert "\u202e" not in text
        assert re.search(r"xxx\.\.\. \(50\d\d characters\)", text)
        assert len(text) < 600
