from requests.adapters import HTTPAdapter

from connector.http import BoundedRetry, build_session, redact_url


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


def test_redact_url_drops_credentials_and_query() -> None:
    assert redact_url("https://user:pw@dir.example.com:8443/graphql?token=abc#x") == (
        "https://dir.example.com:8443/graphql"
    )
