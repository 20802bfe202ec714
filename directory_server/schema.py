"""The directory's GraphQL schema: the whole list, and a Relay-style paged form for large directories.

The same users are also served in two other shapes, so that the connector's configurable query, field paths and
paging can be tried against something real: `employees` (Relay-paged; workEmail, fullName, department { name })
and `people` (offset-paged; contact { email }, name, orgUnits { name }).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection
from strawberry.types import ExecutionContext, Info

from directory_server.data import DirectoryUser

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_CURSOR_PREFIX = "user:"

logger = logging.getLogger(__name__)


class QueryArgumentError(ValueError):
    """The client asked for something the directory cannot answer; its message goes back to the client."""


@dataclass(frozen=True)
class DirectoryContext:
    """What every resolver sees; the users are shared, read-only, across requests."""

    users: Sequence[DirectoryUser]


@strawberry.type(description="A group a person is a member of (in OpenMetadata: a team of type Group).")
class Group:
    name: str


@strawberry.type(description="A person as the company directory knows them; any field may be null.")
class User:
    email: str | None
    display_name: str | None
    domain: str | None
    groups: list[Group]

    @classmethod
    def from_record(cls, record: DirectoryUser) -> User:
        groups = [Group(name=name) for name in record.groups or ()]
        return cls(email=record.email, display_name=record.display_name, domain=record.domain, groups=groups)


@strawberry.type(description="A department an employee belongs to.")
class Department:
    name: str


@strawberry.type(description="The same person in an HR system's shape: other field names, nested department.")
class Employee:
    work_email: str | None
    full_name: str | None
    department: Department | None

    @classmethod
    def from_record(cls, record: DirectoryUser) -> Employee:
        department = Department(name=record.domain) if record.domain is not None else None
        return cls(work_email=record.email, full_name=record.display_name, department=department)


@strawberry.type
class Contact:
    email: str | None


@strawberry.type
class OrgUnit:
    name: str


@strawberry.type(description="The same person in an identity system's shape: nested email, a list of org units.")
class Person:
    contact: Contact
    name: str | None
    org_units: list[OrgUnit]

    @classmethod
    def from_record(cls, record: DirectoryUser) -> Person:
        units = [OrgUnit(name=record.domain)] if record.domain is not None else []
        return cls(contact=Contact(email=record.email), name=record.display_name, org_units=units)


Node = TypeVar("Node")


# Generic, so that strawberry names each use after its node: UserEdge/UserConnection, EmployeeEdge/...
@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    total_count: int


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode("ascii")


def decode_cursor(cursor: str, total: int) -> int:
    """The position a cursor names; QueryArgumentError if it names none."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error):
        text = ""
    digits = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not digits.isdigit() or int(digits) >= total:
        raise QueryArgumentError(f"Invalid cursor: {cursor!r}")
    return int(digits)


def _check_page_size(name: str, size: int) -> None:
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise QueryArgumentError(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {size}")


def page_of(
    users: Sequence[DirectoryUser], first: int, after: str | None, node: Callable[[DirectoryUser], Node]
) -> Connection[Node]:
    """A Relay page of `first` users after the cursor `after`, each shown as `node` makes it."""
    _check_page_size("first", first)
    start = 0 if after is None else decode_cursor(after, len(users)) + 1
    # Slicing a list touches only the page, so a page costs the same at row 10 and row 1,000,000.
    edges = [
        Edge(cursor=encode_cursor(position), node=node(record))
        for position, record in enumerate(users[start : start + first], start=start)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + first < len(users),
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(users),
    )


def page_of_users(users: Sequence[DirectoryUser], first: int, after: str | None) -> Connection[User]:
    return page_of(users, first, after, User.from_record)


@strawberry.type
class Query:
    @strawberry.field(description="Every user in the directory, in file order.")
    def users(self, info: Info[DirectoryContext, None]) -> list[User]:
        return [User.from_record(record) for record in info.context.users]

    @strawberry.field(description=f"Users a page at a time, in file order; `first` is at most {MAX_PAGE_SIZE}.")
    def users_connection(
        self,
        info: Info[DirectoryContext, None],
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[User]:
        # An explicit null means "no preference", the same as leaving `first` out.
        return page_of_users(info.context.users, DEFAULT_PAGE_SIZE if first is None else first, after)

    @strawberry.field(
        description=f"The users as employees, Relay-paged (another schema shape); `first` is at most {MAX_PAGE_SIZE}."
    )
    def employees(
        self, info: Info[DirectoryContext, None], first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Employee]:
        return page_of(info.context.users, first, after, Employee.from_record)

    @strawberry.field(
        description=f"The users as people, offset-paged (another schema shape); `limit` is at most {MAX_PAGE_SIZE}."
    )
    def people(
        self, info: Info[DirectoryContext, None], limit: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> list[Person]:
        _check_page_size("limit", limit)
        if offset < 0:
            raise QueryArgumentError(f"`offset` must not be negative, got {offset}")
        return [Person.from_record(record) for record in info.context.users[offset : offset + limit]]


class DirectorySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # A client's bad argument is not a server fault: one log line, no traceback.
        unexpected = []
        for error in errors:
            if isinstance(error.original_error, QueryArgumentError):
                logger.warning("rejected query: %s", error.message)
            else:
                unexpected.append(error)
        super().process_errors(unexpected, execution_context)


def build_schema(introspection: bool = True) -> DirectorySchema:
    """The schema; without introspection it refuses `__schema`/`__type`, as many production servers do."""
    return DirectorySchema(query=Query, extensions=[] if introspection else [DisableIntrospection])


schema = build_schema()
