"""The schema in-process: exact SDL, cursors, and paging deep into a large directory."""

from __future__ import annotations

import pytest

from directory_server.data import DirectoryUser
from directory_server.schema import (
    MAX_PAGE_SIZE,
    DirectoryContext,
    QueryArgumentError,
    decode_cursor,
    encode_cursor,
    page_of_users,
    schema,
)

EXPECTED_SDL_LINES = [
    "users: [User!]!",
    "usersConnection(first: Int = 100, after: String = null): UserConnection!",
    "type User {\n  email: String\n  displayName: String\n  domain: String\n}",
    "type UserEdge {\n  cursor: String!\n  node: User!\n}",
    "type PageInfo {\n  hasNextPage: Boolean!\n  endCursor: String\n}",
    "type UserConnection {\n  edges: [UserEdge!]!\n  pageInfo: PageInfo!\n  totalCount: Int!\n}",
]


@pytest.mark.parametrize("fragment", EXPECTED_SDL_LINES)
def test_sdl_is_the_published_contract(fragment: str) -> None:
    assert fragment in schema.as_str()


@pytest.mark.parametrize("position", [0, 1, 99, 999_999])
def test_cursor_round_trips(position: int) -> None:
    assert decode_cursor(encode_cursor(position), 1_000_000) == position


def test_cursor_past_the_end_is_rejected() -> None:
    with pytest.raises(QueryArgumentError, match="Invalid cursor"):
        decode_cursor(encode_cursor(3), 3)


def test_last_page_of_a_million_rows() -> None:
    # The same record repeated keeps the list cheap to build; only the last rows need telling apart.
    users = [DirectoryUser(None, None, None)] * 999_997
    users += [DirectoryUser(f"u{n}@example.com", None, None) for n in range(999_997, 1_000_000)]
    page = page_of_users(users, 3, encode_cursor(999_996))
    assert [edge.node.email for edge in page.edges] == [
        "u999997@example.com",
        "u999998@example.com",
        "u999999@example.com",
    ]
    assert page.page_info.has_next_page is False
    assert page.page_info.end_cursor == encode_cursor(999_999)
    assert page.total_count == 1_000_000


def test_page_size_cap_is_inclusive() -> None:
    users = [DirectoryUser(None, None, None)] * (MAX_PAGE_SIZE + 1)
    page = page_of_users(users, MAX_PAGE_SIZE, None)
    assert len(page.edges) == MAX_PAGE_SIZE
    assert page.page_info.has_next_page is True


def test_query_reads_users_from_the_context() -> None:
    context = DirectoryContext(users=[DirectoryUser("a@b.c", "Ä", None)])
    result = schema.execute_sync("{ users { email displayName domain } }", context_value=context)
    assert result.errors is None
    assert result.data == {"users": [{"email": "a@b.c", "displayName": "Ä", "domain": None}]}
