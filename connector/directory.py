"""Read the company directory: users with email, displayName and domain, from a GraphQL endpoint.

The query, the paging style (one list, Relay connection or offset pages) and the field paths come from the
settings; each page is turned into canonical rows by the field paths and parsed before the next is asked for.

Reading is all or nothing. A directory that cannot be read whole (connection refused, an HTTP error, GraphQL
`errors` even next to `data`, malformed JSON, a paging loop) raises `DirectoryError`, so that a run never plans
changes from a partial list of people.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, overload
from urllib.parse import urljoin

import requests

from connector.http import AnswerError, build_session, describe_request_error, parse_json, read_body, redact_url
from connector.query import (
    INTROSPECTION_QUERY,
    QueryError,
    first_request_variables,
    parse_query,
    plucker,
    schema_problems,
)
from connector.row_filter import rows_outside
from connector.settings import UserUpdaterSettings
from connector.texts import server_text

logger = logging.getLogger("metadata.Ingestion")


# The body of an answer that is not JSON (an HTML error page, a cut-off body); JSON `null` is None.
NOT_JSON = object()


class DirectoryError(Exception):
    """The directory could not be read completely; nothing may be written from what was read."""


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """One person of the directory, normalised: `email` lower-cased and stripped, empty values as None.

    `domains` holds the directory's domain values (one, or several when the directory lists them), stripped and
    without case-insensitive repeats; None when the directory gives none. `teams` likewise, read only when teams
    are synced."""

    row: int
    email: str
    display_name: str | None
    domains: tuple[str, ...] | None
    teams: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A directory row that cannot be used, with the field at fault."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"directory row {self.row}: {self.field} {self.reason}"


# Answers without a GraphQL body that still come from the right endpoint: an authenticating gateway in front of it
# that refuses the request, or blocks the introspection query only. Anything else without `data` or `errors` (a 404,
# an HTML page) says the URL is not the GraphQL endpoint.
REFUSING_STATUSES = frozenset({401, 403})
# basic.json#/definitions/email, which the server validates users' emails against: 6 to 127 characters.
EMAIL_PATTERN = re.compile(r"^[\S.!#$%&’*+/=?^_`{|}~-]+@\S+\.\S+$")  # noqa: RUF001 - the schema's own pattern
EMAIL_LENGTH = (6, 127)
# OpenMetadata's user schema sets no maximum for displayName; entity names stop at 256 (basic.json `entityName`),
# and a longer "name" in an HR feed is a data error, not a name.
MAX_TEXT_LENGTH = 256
# Characters a name or an email never needs, which make a value render as something else or forge a log line:
# - control characters (Unicode category Cc);
# - format characters (Cf): invisible ones (zero-width space, word joiner, soft hyphen, BOM, tags) that make
#   look-alike names, and the explicit embeddings, overrides and isolates that reorder what a reader sees
#   ("Trojan Source"), except five marks that real names need: ZWNJ and ZWJ (U+200C, U+200D: spelling in Persian
#   and Indic scripts, emoji sequences) and the implicit direction marks LRM, RLM and ALM (U+200E, U+200F,
#   U+061C), which place neutral characters in mixed-direction text without reordering anything;
# - the line and paragraph separators U+2028 and U+2029 (Zl, Zp), which end a line in many log viewers.
# One character class, so that a clean value costs one regex scan (every directory value passes here, 1M rows a
# run); the reason is looked for only on a match. tests/unit/test_directory_rows.py checks the class against the
# Unicode database of the running Python.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
SEPARATORS = re.compile("[\u2028\u2029]")
FORMAT_CHARACTERS = (
    "\xad\u0600-\u0605\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
UNSAFE_CHARACTERS = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{FORMAT_CHARACTERS}]")
ASCII_CONTROLS = re.compile("[\x00-\x1f\x7f]")
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
    # str.isascii() reads a flag CPython keeps on each string: most values are ASCII, and their scan is the cheaper.
    unsafe = ASCII_CONTROLS if value.isascii() else UNSAFE_CHARACTERS
    if len(value) <= MAX_TEXT_LENGTH and unsafe.search(value) is None:
        return None
    if CONTROL_CHARACTERS.search(value):
        return "holds control characters"
    if BIDI_CONTROLS.search(value):
        return "holds bidirectional override characters"
    if SEPARATORS.search(value):
        return "holds line or paragraph separators"
    if UNSAFE_CHARACTERS.search(value):
        return "holds invisible formatting characters"
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


def _values(row: int, field: str, value: Any) -> tuple[str, ...] | RowProblem | None:
    """One value or a list of them (`domain`, `teams`), without case-insensitive repeats."""
    if not isinstance(value, list):
        # Most directories give one domain per person.
        text = _optional_text(row, field, value)
        return (text,) if isinstance(text, str) else text
    kept: dict[str, str] = {}
    for item in value:
        text = _optional_text(row, field, item)
        if isinstance(text, RowProblem):
            return text
        if text is not None:
            kept.setdefault(text.lower(), text)
    return tuple(kept.values()) or None


def _folds_beyond_case(email: str) -> bool:
    """True when NFKC normalisation or case folding changes a non-ASCII email in more than its case.

    Emails match case-insensitively, so lower-casing is the one change allowed (and NFC composition, which changes
    no character's meaning). The Kelvin sign U+212A normalises and lower-cases to an ASCII `k`, fullwidth letters
    normalise to ASCII, `ß` folds to `ss`: such an address would match, here or in another system, a different
    person's. An ASCII email never changes, so the check runs only on the rare others."""
    text = unicodedata.normalize("NFC", email)
    return (
        not unicodedata.is_normalized("NFKC", text)
        or text.lower() != text.casefold()
        or any(
            folded.isascii()
            for char in email
            if not char.isascii()
            for folded in unicodedata.normalize("NFKC", char).casefold()
        )
    )


def _email(row: int, value: Any) -> str | RowProblem:
    if not isinstance(value, str) or not value.strip():
        return RowProblem(row, "email", "is missing or empty; row skipped")
    email = value.strip()
    if not email.isascii():
        if _folds_beyond_case(email):
            # Escaped, since the point is a character that looks like another one.
            return RowProblem(
                row,
                "email",
                f"{email if len(email) <= 60 else email[:57] + '...'!a} changes under Unicode normalisation or "
                "case folding beyond its case, so it could match another person's address; row skipped",
            )
        email = unicodedata.normalize("NFC", email)
    email = email.lower()
    low, high = EMAIL_LENGTH
    if not low <= len(email) <= high:
        return RowProblem(
            row, "email", f"{_show(email)} is {len(email)} characters long ({low} to {high}); row skipped"
        )
    if _text_problem(email) is not None or not EMAIL_PATTERN.match(email):
        return RowProblem(row, "email", f"{_show(email)} is not an email address; row skipped")
    return email


def parse_rows(rows: Iterable[Any], start: int = 1) -> tuple[list[DirectoryUser], list[RowProblem]]:
    """Turn canonical rows {email, displayName, domain, and teams when synced} into DirectoryUsers, and every bad
    value into a RowProblem.

    A row without a usable email is skipped; an unusable displayName, domain or team is ignored (the user keeps what
    OpenMetadata has for that field) while the row's other fields still apply. Values are stripped and
    NFC-normalised (so a name typed with combining accents compares equal to the composed one). Other keys are
    ignored. Row numbers are 1-based positions in the directory's answer (`start` is the number of
    a page's first row), so that an operator can find the row.
    """
    users: list[DirectoryUser] = []
    problems: list[RowProblem] = []
    for row, item in enumerate(rows, start=start):
        if not isinstance(item, dict):
            problems.append(RowProblem(row, "row", "is not an object; skipped"))
            continue
        email = _email(row, item.get("email"))
        if isinstance(email, RowProblem):
            problems.append(email)
            continue
        display_name = _optional_text(row, "displayName", item.get("displayName"))
        domains = _values(row, "domain", item.get("domain"))
        teams = _values(row, "teams", item["teams"]) if "teams" in item else None
        for value in (display_name, domains, teams):
            if isinstance(value, RowProblem):
                problems.append(value)
        users.append(
            DirectoryUser(
                row=row,
                email=email,
                display_name=display_name if isinstance(display_name, str) else None,
                domains=domains if isinstance(domains, tuple) else None,
                teams=teams if isinstance(teams, tuple) else None,
            )
        )
    return users, problems


class DirectoryUsers(Sequence[DirectoryUser]):
    """The directory's users in its order, held as columns (about a quarter of the bytes of DirectoryUser records)
    and turned into a DirectoryUser when read.

    `strings` shares equal texts (emails, display names) with whoever else fills the same table: the catalog's
    snapshot holds the same values (benchmarks/RESULTS-1M.md); domain and team values are held once per distinct
    set. The teams column exists only when `teams` is true (teams synced), so that the default run holds nothing
    more."""

    def __init__(self, strings: dict[str, str] | None = None, teams: bool = False) -> None:
        self._rows = array("L")
        self._emails: list[str] = []
        self._display_names: list[str | None] = []
        self._domains: list[tuple[str, ...] | None] = []
        self._teams: list[tuple[str, ...] | None] | None = [] if teams else None
        self._shared_values: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._strings = {} if strings is None else strings

    def append(self, user: DirectoryUser) -> None:
        strings = self._strings
        shared = self._shared_values
        self._rows.append(user.row)
        self._emails.append(strings.setdefault(user.email, user.email))
        name = user.display_name
        self._display_names.append(None if name is None else strings.setdefault(name, name))
        domains = user.domains
        self._domains.append(None if domains is None else shared.setdefault(domains, domains))
        if self._teams is not None:
            self._teams.append(None if user.teams is None else shared.setdefault(user.teams, user.teams))

    def release_strings(self) -> None:
        """Drop the reference to the shared table once filled, so that it is freed when the reads are done."""
        self._strings = {}

    @property
    def emails(self) -> Sequence[str]:
        """The users' emails, in order, without building their records."""
        return self._emails

    def columns(
        self,
    ) -> Iterator[tuple[int, str, str | None, tuple[str, ...] | None, tuple[str, ...] | None]]:
        """(row, email, display_name, domains, teams) per user, in order, without building their records."""
        if self._teams is None:
            return zip(self._rows, self._emails, self._display_names, self._domains, repeat(None))
        return zip(self._rows, self._emails, self._display_names, self._domains, self._teams, strict=True)

    @overload
    def __getitem__(self, index: int) -> DirectoryUser: ...

    @overload
    def __getitem__(self, index: slice) -> list[DirectoryUser]: ...

    def __getitem__(self, index: int | slice) -> DirectoryUser | list[DirectoryUser]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        teams = None if self._teams is None else self._teams[index]
        return DirectoryUser(
            self._rows[index], self._emails[index], self._display_names[index], self._domains[index], teams
        )

    def __iter__(self) -> Iterator[DirectoryUser]:
        return (DirectoryUser(*columns) for columns in self.columns())

    def __len__(self) -> int:
        return len(self._emails)

    @classmethod
    def of(cls, users: Iterable[DirectoryUser]) -> DirectoryUsers:
        listed = list(users)
        held = cls(teams=any(user.teams is not None for user in listed))
        for user in listed:
            held.append(user)
        return held


@dataclass
class DirectoryRead:
    """The whole directory, parsed: the usable users, the rows' problems, and how many rows it had."""

    users: DirectoryUsers
    problems: list[RowProblem]
    rows: int
    filtered: set[int]


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
        self._plan = settings.query_plan
        paths = self._plan.field_paths
        self._pluckers = tuple(plucker(paths[option]) for option in ("emailField", "displayNameField", "domainField"))
        self._team_plucker = plucker(paths["teamField"]) if "teamField" in paths else None
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

    def _send(self, query: str, variables: dict[str, Any]) -> tuple[requests.Response, Any]:
        """POST one GraphQL request, with the session's retries: the answer and its JSON body (NOT_JSON when the
        body is not JSON). Redirects are refused, not followed: see docs/security.md, "Directory requests"."""
        payload: dict[str, Any] = {"query": query}
        if variables:
            payload["variables"] = variables
        self.requests_sent += 1
        try:
            response = self._session.post(
                self._url,
                json=payload,
                timeout=self._settings.request_timeout_seconds,
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise DirectoryError(
                f"cannot read the directory at {self.endpoint} (connectionOptions.graphqlEndpoint): "
                f"{describe_request_error(exc)}"
            ) from None
        if response.is_redirect:
            response.close()
            target = redact_url(urljoin(self._url, response.headers["Location"]))
            raise DirectoryError(
                f"the directory at {self.endpoint} answered HTTP {response.status_code}, redirecting to {target}; "
                "redirects are not followed (they would carry graphqlHeaders elsewhere): set graphqlEndpoint to the "
                "URL that answers"
            )
        try:
            body = parse_json(read_body(response))
        except AnswerError as exc:
            raise DirectoryError(
                f"the directory at {self.endpoint} answered HTTP {response.status_code}: {exc}"
            ) from None
        except ValueError:
            body = NOT_JSON
        return response, body

    def _not_graphql(self, response: requests.Response) -> DirectoryError:
        kind = response.headers.get("Content-Type", "unknown content type")
        return DirectoryError(
            f"the directory at {self.endpoint} is not a GraphQL endpoint: it answered HTTP {response.status_code} "
            f"({kind}) without a GraphQL answer (`data` or `errors`). Check connectionOptions.graphqlEndpoint: the "
            "URL of the GraphQL endpoint itself, path included (often .../graphql). Nothing was read or written."
        )

    def _not_json(self, response: requests.Response) -> DirectoryError:
        kind = server_text(response.headers.get("Content-Type", "unknown content type"), 80)
        return DirectoryError(
            f"the directory at {self.endpoint} answered HTTP {response.status_code} with a body that is not JSON "
            f"({kind})"
        )

    def _post(self, variables: dict[str, Any]) -> Any:
        response, body = self._send(self._settings.query, variables)
        if body is NOT_JSON:
            raise self._not_json(response)
        # GraphQL servers answer query errors with 200 or 4xx and an `errors` list; report those first.
        if isinstance(body, dict) and body.get("errors"):
            partial = " (next to partial data, which is not used)" if body.get("data") else ""
            raise DirectoryError(
                f"the directory at {self.endpoint} answered with GraphQL errors{partial}: {_error_messages(body)}"
            )
        if response.status_code != 200:
            raise DirectoryError(f"the directory at {self.endpoint} answered HTTP {response.status_code}")
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise DirectoryError(f"the directory at {self.endpoint} answered without a `data` object")
        return body["data"]

    def check_query(self) -> bool:
        """Check the query against the server's schema by introspection; QueryError if the server would reject it.

        False, with a warning, when the server refuses introspection: the query is then first checked by the run.
        """
        response, body = self._send(INTROSPECTION_QUERY, {})
        if response.status_code >= 500:
            # A broken server, not a refusal (retries are spent): the read would fail the same way.
            if body is NOT_JSON:
                raise self._not_json(response)
            raise DirectoryError(f"the directory at {self.endpoint} answered HTTP {response.status_code}")
        if not isinstance(body, dict):
            body = {}
        if "data" not in body and "errors" not in body and response.status_code not in REFUSING_STATUSES:
            raise self._not_graphql(response)
        data = body.get("data")
        # A schema next to errors may be incomplete: checking against it could refuse a good query.
        if body.get("errors") or not isinstance(data, dict) or not isinstance(data.get("__schema"), dict):
            reason = _error_messages(body) if body.get("errors") else f"HTTP {response.status_code} without a schema"
            logger.warning(
                "The directory at %s refuses introspection (%s): introspection disabled; the query is not checked "
                "before the run",
                self.endpoint,
                reason,
            )
            return False
        variables = first_request_variables(self._plan, self._settings.graphql_page_size)
        try:
            problems = schema_problems(parse_query(self._settings.query), data, variables)
        except (TypeError, ValueError) as exc:
            # A malformed introspection answer says nothing about the query: warn and let the run check it.
            logger.warning(
                "The directory at %s sent a schema that cannot be used (%s); not checked",
                self.endpoint,
                server_text(str(exc)),
            )
            return False
        if problems:
            raise QueryError(
                f"'graphqlQuery' does not fit the schema of the directory at {self.endpoint}: "
                + "; ".join(problems)
                + ". Nothing was read or written."
            )
        logger.info("The query fits the schema of the directory at %s", self.endpoint)
        return True

    def _pages(self) -> Iterator[list[Any]]:
        """The raw user objects, a page at a time, in the directory's order."""
        plan = self._plan
        variables = first_request_variables(plan, self._settings.graphql_page_size)
        if plan.paging == "relay":
            yield from self._relay_pages(variables)
        elif plan.paging == "offset":
            yield from self._offset_pages(variables)
        else:
            yield self._list(self._post(variables))

    def _list(self, data: Any) -> list[Any]:
        users = _dig(data, self._plan.users_path, "a list of users")
        if not isinstance(users, list):
            raise DirectoryError(f"`data.{'.'.join(self._plan.users_path)}` is not a list")
        return users

    def _relay_pages(self, variables: dict[str, Any]) -> Iterator[list[Any]]:
        path = self._plan.users_path
        cursor_variable = self._plan.page_start_variable or ""
        seen_cursors: set[str] = set()
        while True:
            connection = _dig(self._post(variables), path, "a Relay connection")
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
            variables = {**variables, cursor_variable: cursor}

    def _offset_pages(self, variables: dict[str, Any]) -> Iterator[list[Any]]:
        offset_variable = self._plan.page_start_variable or ""
        size = self._settings.graphql_page_size
        offset = 0
        previous: list[Any] | None = None
        while True:
            page = self._list(self._post({**variables, offset_variable: offset}))
            # A server that ignores the offset answers the same page again and again.
            if page and page == previous:
                raise DirectoryError(
                    f"the directory's offset paging does not advance (the page at offset {offset} repeats the one "
                    "before); stopping instead of looping"
                )
            yield page
            if len(page) < size:
                return
            offset += len(page)
            previous = page

    def _canonical(self, node: Any) -> Any:
        """A raw user object as the row parse_rows reads: {email, displayName, domain, teams} by the field paths,
        `teams` only when synced."""
        if not isinstance(node, dict):
            return node
        email, display_name, domain = self._pluckers
        row = {"email": email(node), "displayName": display_name(node), "domain": domain(node)}
        if self._team_plucker is not None:
            row["teams"] = self._team_plucker(node)
        return row

    def read_users(self, strings: dict[str, str] | None = None) -> DirectoryRead:
        """Every user of the directory, parsed page by page so that only one raw page is held at a time.

        `strings` is the table of texts shared with the catalog's snapshot (see DirectoryUsers)."""
        teams = self._team_plucker is not None
        read = DirectoryRead(users=DirectoryUsers(strings, teams=teams), problems=[], rows=0, filtered=set())
        for page in self._pages():
            # rowFilter reads the user objects as the query returns them, so it is decided before extraction.
            read.filtered |= rows_outside(page, self._settings.row_filter, start=read.rows + 1)
            # A generator, so that each canonical row lives only while it is parsed.
            users, problems = parse_rows((self._canonical(node) for node in page), start=read.rows + 1)
            for user in users:
                read.users.append(user)
            read.problems += problems
            read.rows += len(page)
            logger.debug("directory: %d users read so far", read.rows)
        read.users.release_strings()
        return read

    def close(self) -> None:
        self._session.close()


def _error_messages(body: dict[str, Any]) -> str:
    errors = body["errors"] if isinstance(body["errors"], list) else [body["errors"]]
    return server_text(
        "; ".join(str(error.get("message", error)) if isinstance(error, dict) else str(error) for error in errors[:3])
    )
