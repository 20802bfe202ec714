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
