"""HTTP sessions with the connector's retry and timeout policy, shared by the directory and OpenMetadata clients.

The SDK's REST client retries only 504 (sleeping 30-90 s), turns 429 into a 60 s ban of the path, and has no
timeout; an unattended sync needs bounded, predictable behaviour instead, so both servers are reached through
`requests` sessions configured here.

What is retried, with exponential backoff: a connection that could not be made or was lost, a read that timed out,
429 (honouring Retry-After) and the gateway answers 502, 503 and 504, which a proxy or a restarting server gives and
which pass. Every other status is the server's considered answer and comes back at once: a 4xx repeats as long as
the request does, and so does a failed JSON Patch `test` (400, 422 or 500 depending on the release), which the
writer handles by reading the user again (connector/writer.py).

A plain 500 is retried on reads only. OpenMetadata answers any exception it did not expect with 500, and on a read
that is mostly a passing backend failure (a lost database connection, a search-engine timeout), while a read that
fails the same way every time costs one retry budget once, since a failed snapshot read stops the run. On a PATCH,
a 500 is most often deterministic (a failed `test` before PR #28316, an updater's error) and a retry would only
repeat it, up to the whole budget per user (about 15 s per conflict with the defaults); the user fails instead and
the next run writes it. The connector's reads are OpenMetadata's GETs and the directory's GraphQL query, sent as a
POST; its writes are PATCHes to OpenMetadata, and with `leavers: softDelete` a DELETE (soft delete) or a PUT
(restore) of a user. Those two are not in the retried methods: once sent, they are never resent here (a 429 or a
gateway answer included); the writer reads the user again instead (connector/soft_delete.py).
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.util.retry import Retry

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Methods on which a 500 is final (see the module docstring).
NO_RETRY_OF_500 = frozenset({"PATCH"})


class BoundedRetry(Retry):
    """urllib3 Retry whose waits, Retry-After included, never exceed `max_wait` seconds.

    urllib3 obeys any Retry-After a server sends; a rate limiter answering "3600" would stall a run for an hour.
    """

    def __init__(self, *args: Any, max_wait: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait

    def new(self, **kwargs: Any) -> BoundedRetry:
        kwargs.setdefault("max_wait", self.max_wait)
        return super().new(**kwargs)

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_wait)

    def get_backoff_time(self) -> float:
        return min(super().get_backoff_time(), self.max_wait)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 500 and method.upper() in NO_RETRY_OF_500:
            return False
        return super().is_retry(method, status_code, has_retry_after)


def build_session(
    *,
    max_retries: int,
    backoff_seconds: float,
    max_wait_seconds: float,
    verify: bool | str = True,
    connections: int = 16,
) -> requests.Session:
    """A session that retries as the module docstring says, with exponential backoff.

    `connections` is the number of keep-alive connections kept per host: at least the number of threads that
    use the session, or urllib3 discards (and logs) the surplus connections and opens new ones per request.

    A PATCH whose answer was lost is sent again: the writer's patches are safe to resend (connector/writer.py).
    """
    retry = BoundedRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        backoff_factor=backoff_seconds,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST", "PATCH"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        max_wait=max_wait_seconds,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=connections)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = verify
    return session


def redact_url(url: str) -> str:
    """The URL without credentials, query or fragment, fit for logs and error messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what caused it, outermost first: urllib3 chains the socket error it wrapped (`from` in
    urllib3 2, the implicit context in 1.26)."""
    chain = [error]
    while len(chain) < 10:
        cause = chain[-1].__cause__ or chain[-1].__context__
        if cause is None:
            break
        chain.append(cause)
    return chain


def describe_request_error(exc: requests.RequestException) -> str:
    """What went wrong with a request that got no answer, and what to check; never headers or the URL's secrets.

    The order matters: urllib3's NewConnectionError (refused, unknown host, unreachable) is a subclass of
    ConnectTimeoutError, so a plain timeout test would call every failed connection a timeout.
    """
    # Once urllib3's retries run out, requests wraps the last cause (a read timeout, say) in a ConnectionError.
    cause: BaseException = exc
    if exc.args and isinstance(exc.args[0], urllib3_errors.MaxRetryError) and exc.args[0].reason is not None:
        cause = exc.args[0].reason
    chain = _causes(cause)
    if any(isinstance(error, socket.gaierror) for error in chain):
        return "unknown host: the host name does not resolve; check the host in the URL"
    if any(isinstance(error, ConnectionRefusedError) for error in chain):
        return "connection refused: nothing listens at that host and port; check the URL and that the server runs"
    if isinstance(exc, requests.exceptions.SSLError) or isinstance(cause, urllib3_errors.SSLError):
        return "TLS verification failed"
    if isinstance(cause, urllib3_errors.NewConnectionError):
        reason = next((error.strerror for error in chain if isinstance(error, OSError) and error.strerror), None)
        return f"could not connect ({reason or 'no route'}); check the URL and the network path"
    if isinstance(exc, requests.ConnectTimeout) or isinstance(cause, urllib3_errors.ConnectTimeoutError):
        return "timed out connecting (requestTimeoutSeconds): check the URL, and firewalls or proxies on the way"
    if isinstance(exc, requests.Timeout) or isinstance(cause, urllib3_errors.TimeoutError):
        return "timed out: connected, but no answer within requestTimeoutSeconds; the server is slow or stuck"
    if isinstance(exc, requests.ConnectionError):
        return "the connection broke before an answer came"
    return type(exc).__name__


# The cap on one answer's size. The largest honest answer is a whole directory in one list (1M people is about
# 100 MB) or a page of OpenMetadata users (pageSize 1000 is about 2 MB); past the cap the server is broken or
# hostile, and reading on would only exhaust memory.
MAX_RESPONSE_BYTES = 512 * 1024 * 1024


class AnswerError(Exception):
    """An answer cannot be read: too large, broken off, or nested too deeply; the message says which."""


def read_body(response: requests.Response, max_bytes: int | None = None) -> bytes:
    """The body of a response sent with `stream=True`, read no further than `max_bytes` (decompressed; default
    MAX_RESPONSE_BYTES)."""
    max_bytes = MAX_RESPONSE_BYTES if max_bytes is None else max_bytes
    declared = response.headers.get("Content-Length", "")
    try:
        if declared.isdigit() and int(declared) > max_bytes:
            raise AnswerError(f"the answer is larger than {max_bytes // 2**20} MiB ({int(declared)} bytes)")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise AnswerError(f"the answer is larger than {max_bytes // 2**20} MiB")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise AnswerError(f"the answer broke off ({describe_request_error(exc)})") from None
    finally:
        response.close()
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """The JSON value of an answer's body: ValueError when it is not JSON, AnswerError when it nests deeper than
    Python's parser goes.

    Honest answers nest fewer than 10 levels; the parser stops near 1000 with a RecursionError, which would
    otherwise escape as a traceback. (A check of the depth before parsing costs more than the parse itself.)"""
    try:
        return json.loads(body)
    except RecursionError:
        raise AnswerError("the answer nests JSON too deeply to be read") from None
