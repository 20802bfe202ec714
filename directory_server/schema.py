"""The directory's GraphQL schema: the whole list, and a Relay-style paged form for large directories."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError
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


@strawberry.type(description="A person as the company directory knows them; any field may be null.")
class User:
    email: str | None
    display_name: str | None
    domain: str | None

    @classmethod
    def from_record(cls, record: DirectoryUser) -> User:
        return cls(email=record.email, display_name=record.display_name, domain=record.domain)


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
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


def page_of_users(users: Sequence[DirectoryUser], first: int, after: str | None) -> UserConnection:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise QueryArgumentError(f"`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}")
    start = 0 if after is None else decode_cursor(after, len(users)) + 1
    # Slicing a list touches only the page, so a page costs the same at row 10 and row 1,000,000.
    edges = [
        UserEdge(cursor=encode_cursor(position), node=User.from_record(record))
        for position, record in enumerate(users[start : start + first], start=start)
    ]
    return UserConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + first < len(users),
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(users),
    )


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
    ) -> UserConnection:
        # An explicit null means "no preference", the same as leaving `first` out.
        return page_of_users(info.context.users, DEFAULT_PAGE_SIZE if first is None else first, after)


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


schema = DirectorySchema(query=Query)
