"""The connector's client for the OpenMetadata REST API: paged reads, JSON Patch writes, honest errors.

It reuses what the SDK's `OpenMetadata` object was configured with (host, auth provider, TLS, extra headers)
but not its REST client, which hides PATCH failures, retries only 504 and has no timeout
(docs/openmetadata-notes.md, "The SDK's REST client").
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import requests

from connector.compat import OpenMetadata, VerifySSL, access_token_provider, get_verify_ssl_fn
from connector.credentials import WORKFLOW_TOKEN, AccountToken
from connector.http import build_session, describe_request_error
from connector.settings import UserUpdaterSettings

JSON_PATCH = "application/json-patch+json"
# The longest server reason quoted in an error: enough for any message OpenMetadata writes for a person to read.
REASON_CHARS = 300
# A JSON object or array quoted in a message: JSON-P's pointer errors quote the whole entity they walked
# ("'{...the user...}' contains no value for name 'displayName'"). Greedy, so a quote inside the JSON is covered.
_QUOTED_JSON = re.compile(r"'[{\[].*[}\]]'", re.DOTALL)
ENTITY_OMITTED = "'<entity JSON omitted>'"


class OpenMetadataError(Exception):
    """A request to OpenMetadata failed; `status` is the HTTP status, or None when no answer came; `reason` is the
    server's own message (see `server_reason`), empty when none came."""

    def __init__(self, message: str, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def server_reason(text: str) -> str:
    """A server's message fit for one log line: any quoted entity JSON replaced, whitespace collapsed, length
    bounded. People's records never reach a log or an exception text through it."""
    one_line = " ".join(_QUOTED_JSON.sub(ENTITY_OMITTED, text).split())
    return one_line if len(one_line) <= REASON_CHARS else one_line[: REASON_CHARS - 3] + "..."


def _server_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return server_reason(response.text) or response.reason
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return server_reason(body["message"])
    # An error body without OpenMetadata's message (a proxy's, say) is not quoted: it may be any document.
    return response.reason


class OpenMetadataApi:
    """Minimal typed access to the endpoints the connector needs, under `<hostPort>/v1`."""

    def __init__(
        self, metadata: OpenMetadata, settings: UserUpdaterSettings, token: AccountToken | None = None
    ) -> None:
        config = metadata.config
        self.base_url = config.hostPort.rstrip("/") + "/" + (config.apiVersion or "v1")
        self._timeout = settings.request_timeout_seconds
        # The provider may refresh its token; ask it for every request rather than caching the header.
        self._token = access_token_provider(metadata)
        self.token_origin = WORKFLOW_TOKEN
        if token is not None:
            self._token = lambda: (token.value.get_secret_value(), 0)
            self.token_origin = token.origin
        self._session = build_session(
            max_retries=settings.max_retries,
            backoff_seconds=settings.retry_backoff_seconds,
            max_wait_seconds=settings.max_retry_wait_seconds,
            verify=get_verify_ssl_fn(config.verifySSL or VerifySSL.no_ssl)(config.sslConfig),
            connections=max(16, settings.write_concurrency),
        )
        if config.extraHeaders and config.extraHeaders.root:
            self._session.headers.update(config.extraHeaders.root)
        # Writes run on several threads (writeConcurrency); `+=` on an attribute is not atomic.
        self._count_lock = threading.Lock()
        self.reads = 0
        self.writes = 0

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        token, _ = self._token()
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        url = f"{self.base_url}{path}"
        try:
            response = self._session.request(method, url, headers=headers, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            raise OpenMetadataError(f"{method} {path}: {describe_request_error(exc)}") from None
        if response.status_code >= 400:
            reason = _server_message(response)
            raise OpenMetadataError(
                f"{method} {path}: HTTP {response.status_code}: {reason}", status=response.status_code, reason=reason
            )
        try:
            return response.json()
        except ValueError:
            raise OpenMetadataError(f"{method} {path}: the answer is not JSON", response.status_code) from None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        with self._count_lock:
            self.reads += 1
        return self._request("GET", path, params=params)

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        with self._count_lock:
            self.writes += 1
        return self._request("PATCH", path, data=json.dumps(operations), headers={"Content-Type": JSON_PATCH})

    def list_pages(self, path: str, params: dict[str, Any], page_size: int) -> Iterator[list[dict[str, Any]]]:
        """The pages of entities of a paged list endpoint, following OpenMetadata's `paging.after` cursor."""
        after: str | None = None
        while True:
            query = {**params, "limit": page_size}
            if after:
                query["after"] = after
            page = self.get(path, query)
            yield page.get("data", [])
            after = (page.get("paging") or {}).get("after")
            if not after:
                return

    def close(self) -> None:
        self._session.close()
