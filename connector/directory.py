"""Read the company directory: users with email, displayName and domain, from a GraphQL endpoint.

Reading is all or nothing. A directory that cannot be read whole (connection refused, an HTTP error, GraphQL
`errors` even next to `data`, malformed JSON, a paging loop) raises `DirectoryError`, so that a run never plans
changes from a partial list of people.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from connector.http import build_session, describe_request_error, redact_url
from connector.settings import UserUpdaterSettings

logger = logging.getLogger("metadata.Ingestion")


class DirectoryError(Exception):
    """The directory could not be read completely; nothing may be written from what was read."""


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """One person of the directory, normalised: `email` lower-cased and stripped, empty values as None.

    `domains` holds the directory's domain values (one, or several when the directory lists them), stripped and
    without case-insensitive repeats; None when the directory gives none."""

    row: int
    email: str
    display_name: str | None
    domains: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A directory row that cannot be used, with the field at fault."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"directory row {self.row}: {self.field} {self.reason}"


# basic.json#/definitions/email, which the server validates users' emails against: 6 to 127 characters.
EMAIL_PATTERN = re.compile(r"^[\S.!#$%&’*+/=?^_`{|}~-]+@\S+\.\S+$")  # noqa: RUF001 - the schema's own pattern
EMAIL_LENGTH = (6, 127)
# OpenMetadata's user schema sets no maximum for displayName; entity names stop at 256 (basic.json `entityName`),
# and a longer "name" in an HR feed is a data error, not a name.
MAX_TEXT_LENGTH = 256
# Explicit embeddings, overrides and isolates reorder what a reader sees ("Trojan Source"); right-to-left letters
# and the plain marks LRM/RLM are fine.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else f"a {type(value).__name__}"


def _show(value: str) -> str:
    """A value for a warning: quoted, and shortened, so a 10k-character row cannot flood the log."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _text_problem(value: str) -> str | None:
    """Why a stripped, NFC-normalised text value cannot be used, or None."""
    if any(unicodedata.category(char) == "Cc" for char in value):
        return "holds control characters"
    if any(char in BIDI_CONTROLS for char in value):
        return "holds bidirectional override characters"
    if len(value) > MAX_TEXT_LENGTH:
        return f"is {len(value)} characters long (at most {MAX_TEXT_LENGTH})"
    return None


def _optional_text(row: int, field: str, value: Any) -> str | RowProblem | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return RowProblem(row, field, f"is {_json_type(value)}, not a string; ignored")
    text = unicodedata.normalize("NFC", value.strip())
    if not text:
        return None
    problem = _text_problem(text)
    if problem is None and field == "displayName" and HTML_TAG.search(text):
        problem = "looks like HTML markup"
    if problem is not None:
        return RowProblem(row, field, f"{_show(text)} {problem}; ignored")
    return text


def _domain_values(row: int, value: Any) -> tuple[str, ...] | RowProblem | None:
    values = value if isinstance(value, list) else [value]
    kept: dict[str, str] = {}
    for item in values:
        text = _optional_text(row, "domain", item)
        if isinstance(text, RowProblem):
            return text
        if text is not None:
            kept.setdefault(text.lower(), text)
    return tuple(kept.values()) or None


def _email(row: int, value: Any) -> str | RowProblem:
    if not isinstance(value, str) or not value.strip():
        return RowProblem(row, "email", "is missing or empty; row skipped")
    email = unicodedata.normalize("NFC", value.strip()).lower()
    low, high = EMAIL_LENGTH
    if not low <= len(email) <= high:
        return RowProblem(
            row, "email", f"{_show(email)} is {len(email)} characters long ({low} to {high}); row skipped"
        )
    if _text_problem(email) is not None or not EMAIL_PATTERN.match(email):
        return RowProblem(row, "email", f"{_show(email)} is not an email address; row skipped")
    return email


def parse_rows(rows: list[Any], first_row: int = 1) -> tuple[list[DirectoryUser], list[RowProblem]]:
    """Turn raw user objects {email, displayName, domain} into DirectoryUsers, and every bad value into a RowProblem.

    A row without a usable email is skipped; an unusable displayName or domain is ignored (the user keeps what
    OpenMetadata has for that field) while the row's other fields still apply. Values are stripped and
    NFC-normalised (so a name typed with combining accents compares equal to the composed one). Keys other than
    the three are ignored. Row numbers are 1-based positions in the directory's answer (`first_row` is the number
    of `rows[0]` when the rows are one page of many), so that an operator can find the row.
    """
    users: list[DirectoryUser] = []
    problems: list[RowProblem] = []
    for row, item in enumerate(rows, start=first_row):
        if not isinstance(item, dict):
            problems.append(RowProblem(row, "row", "is not an object; skipped"))
            continue
        email = _email(row, item.get("email"))
        if isinstance(email, RowProblem):
            problems.append(email)
            continue
        display_name = _optional_text(row, "displayName", item.get("displayName"))
        domains = _domain_values(row, item.get("domain"))
        for value in (display_name, domains):
            if isinstance(value, RowProblem):
                problems.append(value)
        users.append(
            DirectoryUser(
                row=row,
                email=email,
                display_name=display_name if isinstance(display_name, str) else None,
                domains=domains if isinstance(domains, tuple) else None,
            )
        )
    return users, problems


def _dig(data: Any, path: tuple[str, ...], what: str) -> Any:
    node = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise DirectoryError(f"the directory's answer has no `data.{'.'.join(path)}` ({what})")
        node = node[key]
    return node


class DirectoryClient:
    """Reads all users from the directory's GraphQL endpoint, with the settings' paging, retries and timeout."""

    def __init__(self, settings: UserUpdaterSettings) -> None:
        self._settings = settings
        self._url = str(settings.graphql_endpoint)
        self._session = build_session(
            max_retries=settings.max_retries,
            backoff_seconds=settings.retry_backoff_seconds,
            max_wait_seconds=settings.max_retry_wait_seconds,
            verify=settings.tls_verify,
        )
        self._session.headers.update(
            {name: value.get_secret_value() for name, value in settings.graphql_headers.items()}
        )
        self.requests_sent = 0

    @property
    def endpoint(self) -> str:
        return redact_url(self._url)

    def _post(self, variables: dict[str, Any] | None) -> Any:
        payload: dict[str, Any] = {"query": self._settings.query}
        if variables:
            payload["variables"] = variables
        self.requests_sent += 1
        try:
            response = self._session.post(self._url, json=payload, timeout=self._settings.request_timeout_seconds)
        except requests.RequestException as exc:
            raise DirectoryError(
                f"cannot read the directory at {self.endpoint}: {describe_request_error(exc)}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "unknown content type")
            raise DirectoryError(
                f"the directory at {self.endpoint} answered HTTP {response.status_code} with a body that is "
                f"not JSON ({kind})"
            ) from None
        # GraphQL servers answer query errors with 200 or 4xx and an `errors` list; report those first.
        if isinstance(body, dict) and body.get("errors"):
            messages = [
                str(error.get("message", error)) if isinstance(error, dict) else str(error)
                for error in body["errors"][:3]
            ]
            partial = " (next to partial data, which is not used)" if body.get("data") else ""
            raise DirectoryError(
                f"the directory at {self.endpoint} answered with GraphQL errors{partial}: " + "; ".join(messages)
            )
        if response.status_code != 200:
            raise DirectoryError(f"the directory at {self.endpoint} answered HTTP {response.status_code}")
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise DirectoryError(f"the directory at {self.endpoint} answered without a `data` object")
        return body["data"]

    def _pages(self) -> Iterator[list[Any]]:
        path = self._settings.users_path
        if self._settings.graphql_paging == "none":
            users = _dig(self._post(None), path, "a list of users")
            if not isinstance(users, list):
                raise DirectoryError(f"`data.{'.'.join(path)}` is not a list")
            yield users
            return
        seen_cursors: set[str] = set()
        cursor: str | None = None
        while True:
            connection = _dig(
                self._post({"first": self._settings.graphql_page_size, "after": cursor}),
                path,
                "a Relay connection",
            )
            edges = connection.get("edges") if isinstance(connection, dict) else None
            page_info = connection.get("pageInfo") if isinstance(connection, dict) else None
            if not isinstance(edges, list) or not isinstance(page_info, dict):
                raise DirectoryError(f"`data.{'.'.join(path)}` lacks `edges` or `pageInfo`")
            yield [edge.get("node") if isinstance(edge, dict) else edge for edge in edges]
            if not page_info.get("hasNextPage"):
                return
            cursor = page_info.get("endCursor")
            if not isinstance(cursor, str) or cursor in seen_cursors:
                raise DirectoryError(
                    "the directory's paging does not advance (hasNextPage without a new endCursor); "
                    "stopping instead of looping"
                )
            seen_cursors.add(cursor)

    def read_users(self) -> tuple[list[DirectoryUser], list[RowProblem], int]:
        """Every user and row problem, and the number of rows read. Each page is parsed as it arrives and its raw
        rows dropped, so a 100k-person directory never holds all its raw JSON objects at once."""
        users: list[DirectoryUser] = []
        problems: list[RowProblem] = []
        rows = 0
        for page in self._pages():
            page_users, page_problems = parse_rows(page, first_row=rows + 1)
            users.extend(page_users)
            problems.extend(page_problems)
            rows += len(page)
        return users, problems, rows

    def read(self) -> list[Any]:
        """All raw user objects, in the directory's order."""
        rows: list[Any] = []
        for page in self._pages():
            rows.extend(page)
            if self._settings.graphql_paging == "relay":
                logger.debug("directory: %d users read so far", len(rows))
        return rows

    def close(self) -> None:
        self._session.close()
