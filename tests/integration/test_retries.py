"""Retries, Retry-After, timeouts and error answers of both clients, against a scripted HTTP server on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
    OpenMetadataConnection,
)

from connector.directory import DirectoryClient, DirectoryError
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.settings import UserUpdaterSettings

USERS = {"data": {"users": [{"email": "a@x.org", "displayName": "A", "domain": None}]}}


@dataclass
class Answer:
    status: int = 200
    body: Any = field(default_factory=lambda: USERS)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Script:
    """Answers in order; the last one repeats. Records each request's method, path and Authorization."""

    answers: list[Answer]
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def next(self) -> Answer:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script([Answer()])

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            script.bodies.append(json.loads(body) if body else None)
            script.seen.append((self.command, self.path, self.headers.get("Authorization")))
            script.headers.append(dict(self.headers))
            answer = script.next()
            time.sleep(answer.delay)
            payload = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = _answer  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def settings(url: str, **options: str) -> UserUpdaterSettings:
    return UserUpdaterSettings.from_connection_options(
        {"graphqlEndpoint": url, "retryBackoffSeconds": "0.05", **options}
    )


def test_directory_retries_503_and_429_honouring_retry_after(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(503, {"error": "busy"}, {"Retry-After": "1"}), Answer(429, {}), Answer()]
    started = time.monotonic()
    read = DirectoryClient(settings(url)).read_users()
    assert [(user.email, user.display_name) for user in read.users] == [("a@x.org", "A")]
    assert len(script.seen) == 3
    assert time.monotonic() - started >= 1.0


def test_retry_after_is_bounded(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(503, {}, {"Retry-After": "30"}), Answer()]
    started = time.monotonic()
    DirectoryClient(settings(url, maxRetryWaitSeconds="0.2")).read_users()
    assert time.monotonic() - started < 5


def test_directory_gives_up_after_the_retry_budget(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(502, b"<html>Bad Gateway</html>")]
    with pytest.raises(DirectoryError, match="answered HTTP 502 with a body that is not JSON"):
        DirectoryClient(settings(url, maxRetries="2")).read_users()
    assert len(script.seen) == 3


def test_directory_request_times_out(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(delay=1.5)]
    started = time.monotonic()
    with pytest.raises(DirectoryError, match="timed out"):
        DirectoryClient(settings(url, maxRetries="1", requestTimeoutSeconds="0.3")).read_users()
    assert len(script.seen) == 2
    assert time.monotonic() - started < 1.5 * 2


def test_directory_headers_are_sent_but_never_in_errors(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(200, {"errors": [{"message": "Cannot query field 'nickname'"}], "data": None})]
    client = DirectoryClient(settings(f"{url}/graphql", graphqlHeaders='{"Authorization": "Bearer s3cret"}'))
    with pytest.raises(DirectoryError) as error:
        client.read_users()
    assert script.seen[0][2] == "Bearer s3cret"
    assert "Cannot query field 'nickname'" in str(error.value)
    assert "s3cret" not in str(error.value)


def test_relay_paging_loop_is_stopped(server: tuple[str, Script]) -> None:
    url, script = server
    page = {"edges": [{"node": USERS["data"]["users"][0]}], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}}
    script.answers = [Answer(200, {"data": {"usersConnection": page}})]
    with pytest.raises(DirectoryError, match="paging does not advance"):
        DirectoryClient(settings(url, graphqlPaging="relay")).read_users()
    assert len(script.seen) == 2


OFFSET_QUERY = "query($limit: Int!, $offset: Int!) { users(limit: $limit, offset: $offset) { email } }"


def people(*emails: str) -> Answer:
    return Answer(200, {"data": {"users": [{"email": email} for email in emails]}})


def test_offset_paging_stops_on_a_short_page_and_numbers_rows_across_pages(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [people("a@x.org", "b@x.org"), people("c@x.org", "no-at-sign.example"), people()]
    options = {"graphqlPaging": "offset", "graphqlQuery": OFFSET_QUERY, "graphqlPageSize": "2"}
    read = DirectoryClient(settings(url, displayNameField="email", domainField="email", **options)).read_users()
    assert [body["variables"] for body in script.bodies] == [
        {"limit": 2, "offset": 0},
        {"limit": 2, "offset": 2},
        {"limit": 2, "offset": 4},
    ]
    assert read.rows == 4
    assert [user.email for user in read.users] == ["a@x.org", "b@x.org", "c@x.org"]
    assert [str(problem) for problem in read.problems] == [
        "directory row 4: email 'no-at-sign.example' is not an email address; row skipped"
    ]


def test_offset_paging_that_does_not_advance_is_stopped(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [people("a@x.org", "b@x.org")]
    options = {"graphqlPaging": "offset", "graphqlQuery": OFFSET_QUERY, "graphqlPageSize": "2"}
    with pytest.raises(DirectoryError, match="offset paging does not advance"):
        DirectoryClient(settings(url, displayNameField="email", domainField="email", **options)).read_users()
    assert len(script.seen) == 2


@pytest.mark.parametrize(
    "answer",
    [
        # strawberry's DisableIntrospection and graphql-core's NoSchemaIntrospectionCustomRule
        Answer(200, {"data": None, "errors": [{"message": "GraphQL introspection has been disabled"}]}),
        # Apollo Server with introspection off
        Answer(400, {"errors": [{"message": "GraphQL introspection is not allowed by Apollo Server"}]}),
        # a schema next to errors may be incomplete, so it is not used
        Answer(200, {"data": {"__schema": {"types": []}}, "errors": [{"message": "resolver failed"}]}),
        # a gateway that blocks the query outright
        Answer(403, {"message": "forbidden"}),
        Answer(403, b"<html>Forbidden</html>"),
    ],
)
def test_refused_introspection_is_a_warning(
    server: tuple[str, Script], answer: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    url, script = server
    script.answers = [answer]
    assert DirectoryClient(settings(url)).check_query() is False
    assert "introspection disabled; the query is not checked before the run" in caplog.text
    assert "__schema" in script.bodies[0]["query"]


@pytest.mark.parametrize(
    "answer",
    [
        Answer(404, b"Not Found"),  # a wrong path on the right server
        Answer(405, {"detail": "Method Not Allowed"}),
        Answer(200, b"<html>HR portal</html>"),  # the site's home page, not its API
        Answer(200, {"status": "ok"}),
    ],
)
def test_a_url_that_is_not_a_graphql_endpoint_names_graphql_endpoint(
    server: tuple[str, Script], answer: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    url, script = server
    script.answers = [answer]
    with pytest.raises(DirectoryError) as error:
        DirectoryClient(settings(url)).check_query()
    assert f"is not a GraphQL endpoint: it answered HTTP {answer.status}" in str(error.value)
    assert "Check connectionOptions.graphqlEndpoint" in str(error.value)
    assert "introspection" not in caplog.text


def test_a_broken_server_is_not_taken_for_a_refusal(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(502, b"<html>Bad Gateway</html>")]
    with pytest.raises(DirectoryError, match="answered HTTP 502 with a body that is not JSON"):
        DirectoryClient(settings(url, maxRetries="0")).check_query()


def _metadata(url: str) -> Any:
    return SimpleNamespace(
        config=OpenMetadataConnection.model_validate({"hostPort": f"{url}/api"}),
        _auth_provider=SimpleNamespace(get_access_token=lambda: ("jwt-token", 0)),
    )


def openmetadata_api(url: str, **options: str) -> OpenMetadataApi:
    return OpenMetadataApi(_metadata(url), settings(url, **options))


def test_openmetadata_patch_is_retried_and_carries_the_token(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(503, {"code": 503, "message": "restarting"}), Answer(200, {"id": "u1"})]
    assert openmetadata_api(url).patch("/users/u1", [{"op": "add", "path": "/displayName", "value": "A"}]) == {
        "id": "u1"
    }
    assert script.seen == [("PATCH", "/api/v1/users/u1", "Bearer jwt-token")] * 2


def test_a_500_is_retried_on_a_read_and_final_on_a_patch(server: tuple[str, Script]) -> None:
    """A 500 on a PATCH is most often a refused JSON Patch `test` (before PR #28316): retrying it wastes the budget."""
    url, script = server
    refused = {"code": 500, "message": "An exception with message [x] was thrown while processing request."}
    script.answers = [Answer(500, refused), Answer(200, {"id": "u1"})]
    assert openmetadata_api(url).get("/users/u1") == {"id": "u1"}
    assert [method for method, _, _ in script.seen] == ["GET", "GET"]
    script.seen.clear()
    script.answers = [Answer(500, refused), Answer(200, {"id": "u1"})]
    with pytest.raises(OpenMetadataError, match="HTTP 500: An exception with message") as error:
        openmetadata_api(url).patch("/users/u1", [{"op": "add", "path": "/displayName", "value": "A"}])
    assert error.value.status == 500
    assert [method for method, _, _ in script.seen] == ["PATCH"]


def test_openmetadata_errors_quote_no_entity_json(server: tuple[str, Script]) -> None:
    url, script = server
    user = json.dumps({"id": "u1", "name": "brian", "description": "PLANTED-91ab"})
    message = f"'{user}' contains no value for name 'displayName'"
    script.answers = [Answer(400, {"code": 400, "message": f"{message}\n\tat JsonPointerImpl"})]
    with pytest.raises(OpenMetadataError) as error:
        openmetadata_api(url).patch("/users/u1", [{"op": "test", "path": "/displayName", "value": "A"}])
    assert str(error.value) == (
        "PATCH /users/u1: HTTP 400: '<entity JSON omitted>' contains no value for name 'displayName' at JsonPointerImpl"
    )
    script.answers = [Answer(502, {"user": json.loads(user)})]
    with pytest.raises(OpenMetadataError) as error:
        openmetadata_api(url, maxRetries="0").get("/users/u1")
    assert str(error.value) == "GET /users/u1: HTTP 502: Bad Gateway"


def test_openmetadata_errors_carry_status_and_server_message(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [Answer(403, {"code": 403, "message": "operation EditAll not allowed"})]
    with pytest.raises(OpenMetadataError, match="HTTP 403: operation EditAll not allowed") as error:
        openmetadata_api(url).get("/users/u1")
    assert error.value.status == 403
    assert "jwt-token" not in str(error.value)
