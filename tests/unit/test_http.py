import socket
from typing import Any

import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors

from connector.http import BoundedRetry, build_session, describe_request_error, redact_url


def test_waits_are_bounded_even_for_long_retry_after() -> None:
    retry = BoundedRetry(total=3, backoff_factor=100, max_wait=2.0)

    class Response:
        headers = {"Retry-After": "3600"}  # noqa: RUF012

        def getheader(self, name: str) -> str | None:
            return self.headers.get(name)

    assert retry.get_retry_after(Response()) == 2.0
    later = retry.new(total=2)
    assert later.max_wait == 2.0


def test_session_retries_the_methods_it_sends() -> None:
    adapter = build_session(max_retries=4, backoff_seconds=0.1, max_wait_seconds=5, verify=False).get_adapter(
        "http://127.0.0.1"
    )
    assert isinstance(adapter, HTTPAdapter)
    retry = adapter.max_retries
    assert retry.total == 4
    assert retry.allowed_methods
    assert {"GET", "POST", "PATCH"} <= set(retry.allowed_methods)
    assert {429, 500, 502, 503, 504} <= set(retry.status_forcelist)
    assert retry.respect_retry_after_header


def test_a_500_is_retried_on_reads_and_final_on_a_patch() -> None:
    """A failed JSON Patch `test` comes back as 500 on older releases: retrying it only wastes the budget."""
    adapter = build_session(max_retries=4, backoff_seconds=0.1, max_wait_seconds=5).get_adapter("http://127.0.0.1")
    assert isinstance(adapter, HTTPAdapter)
    retry = adapter.max_retries
    for method in ("GET", "POST", "PATCH"):
        for status in (429, 502, 503, 504):
            assert retry.is_retry(method, status), (method, status)
        for status in (400, 401, 403, 404, 409, 422):
            assert not retry.is_retry(method, status), (method, status)
    assert retry.is_retry("GET", 500)
    assert retry.is_retry("POST", 500)
    assert not retry.is_retry("PATCH", 500)
    assert not retry.new(total=1).is_retry("PATCH", 500)


def test_redact_url_drops_credentials_and_query() -> None:
    assert redact_url("https://user:pw@dir.example.com:8443/graphql?token=abc#x") == (
        "https://dir.example.com:8443/graphql"
    )


def failed_request(url: str, timeout: float = 5.0) -> str:
    """The reason describe_request_error gives for a GET that gets no answer, through a real session."""
    session = build_session(max_retries=0, backoff_seconds=0, max_wait_seconds=1)
    with pytest.raises(requests.RequestException) as error:
        session.get(url, timeout=timeout)
    return describe_request_error(error.value)


def test_a_refused_connection_is_named_as_refused_not_as_a_timeout() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: the kernel refuses connections
        reason = failed_request(f"http://127.0.0.1:{port}/graphql")
    assert reason.startswith("connection refused: nothing listens at that host and port")
    assert "timed out" not in reason


def test_an_unknown_host_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "directory.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    # The resolver is the only thing replaced: requests, urllib3 and their error wrapping run as in production.
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    reason = failed_request("http://directory.invalid:4000/graphql")
    assert reason == "unknown host: the host name does not resolve; check the host in the URL"


def test_a_server_that_accepts_but_never_answers_is_a_timeout() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # the kernel completes the handshake; nobody ever reads or answers
        reason = failed_request(f"http://127.0.0.1:{sock.getsockname()[1]}/", timeout=0.3)
    assert reason.startswith("timed out: connected, but no answer within requestTimeoutSeconds")


def test_a_connect_timeout_and_a_tls_failure_are_named() -> None:
    pool = urllib3.HTTPConnectionPool("10.0.0.1", 80)
    connect = urllib3_errors.MaxRetryError(pool, "/", reason=urllib3_errors.ConnectTimeoutError(pool, "timed out"))
    assert describe_request_error(requests.ConnectTimeout(connect)).startswith("timed out connecting")
    tls = urllib3_errors.MaxRetryError(pool, "/", reason=urllib3_errors.SSLError("certificate verify failed"))
    assert describe_request_error(requests.exceptions.SSLError(tls)) == "TLS verification failed"
