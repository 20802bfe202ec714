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

from connector.compat import OpenMetadata, VerifySSL, access_token_provider, get_verify_ssl_fn, workflow_token
from connector.credentials import WORKFLOW_TOKEN, AccountToken, check_workflow_token
from connector.http import AnswerError, build_session, describe_request_error, parse_json, read_body, redact_url
from connector.settings import UserUpdaterSettings
from connector.texts import server_text

JSON_PATCH = "application/json-patch+json"
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
    """A server's message fit for one log line (`connector.texts.server_text`), any quoted entity JSON replaced
    first and whitespace runs (a Java stack trace's line breaks) made one space: people's records never reach a log
    or an exception text through it."""
    return server_text(" ".join(_QUOTED_JSON.sub(ENTITY_OMITTED, text).split()))


def _server_message(response: requests.Response, body: bytes) -> str:
    try:
        answer = parse_json(body)
    except (ValueError, AnswerError):
        return server_reason(body[:1000].decode("utf-8", "replace")) or str(response.reason)
    if isinstance(answer, dict) and isinstance(answer.get("message"), str) and answer["message"]:
        return server_reason(answer["message"])
    # An error body without OpenMetadata's message (a proxy's, say) is not quoted: it may be any document.
    return str(response.reason)


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
        if token is None:
            check_workflow_token(workflow_token(config))
        else:
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
            # Redirects are not followed: they would carry the session's extraHeaders to wherever they point.
            response = self._session.request(
                method, url, headers=headers, timeout=self._timeout, stream=True, allow_redirects=False, **kwargs
            )
            body = read_body(response)
        except requests.RequestException as exc:
            raise OpenMetadataError(
                f"{method} {path}: no answer from OpenMetadata at {redact_url(self.base_url)} "
                f"(workflowConfig.openMetadataServerConfig.hostPort): {describe_request_error(exc)}"
            ) from None
        except AnswerError as exc:
            raise OpenMetadataError(
                f"{method} {path}: HTTP {response.status_code}: {exc}", response.status_code
            ) from None
        if response.status_code >= 400 or response.is_redirect:
            reason = _server_message(response, body)
            raise OpenMetadataError(
                f"{method} {path}: HTTP {response.status_code}: {reason}", status=response.status_code, reason=reason
            )
        try:
            return parse_json(body)
        except AnswerError as exc:
            raise OpenMetadataError(
                f"{method} {path}: HTTP {response.status_code}: {exc}", response.status_code
            ) from None
        except ValueError:
            raise OpenMetadataError(f"{method} {path}: the answer is not JSON", response.status_code) from None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        with self._count_lock:
            self.reads += 1
        return self._request("GET", path, params=params)

    def _write(self, method: str, path: str, **kwargs: Any) -> Any:
        with self._count_lock:
            self.writes += 1
        return self._request(method, path, **kwargs)

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        return self._write("PATCH", path, data=json.dumps(operations), headers={"Content-Type": JSON_PATCH})

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._write("POST", path, json=body)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self._write("PUT", path, json=body)

    def delete(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._write("DELETE", path, params=params)

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
