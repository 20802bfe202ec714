"""The schema in-process: exact SDL, cursors, and paging deep into a large directory."""

from __future__ import annotations

import pytest

from directory_server.data import DirectoryUser
from directory_server.schema import (
    MAX_PAGE_SIZE,
    DirectoryContext,
    QueryArgumentError,
    build_schema,
    decode_cursor,
    encode_cursor,
    page_of_users,
    schema,
)

EXPECTED_SDL_LINES = [
    "users: [User!]!",
    "usersConnection(first: Int = 100, after: String = null): UserConnection!",
    "type User {\n  email: String\n  displayName: String\n  domain: String\n  groups: [Group!]!\n}",
    "type Group {\n  name: String!\n}",
    "type UserEdge {\n  cursor: String!\n  node: User!\n}",
    "type PageInfo {\n  hasNextPage: Boolean!\n  endCursor: String\n}",
    "type UserConnection {\n  edges: [UserEdge!]!\n  pageInfo: PageInfo!\n  totalCount: Int!\n}",
    "employees(first: Int! = 100, after: String = null): EmployeeConnection!",
    "people(limit: Int! = 100, offset: Int! = 0): [Person!]!",
    "type Employee {\n  workEmail: String\n  fullName: String\n  department: Department\n}",
    "type EmployeeEdge {\n  cursor: String!\n  node: Employee!\n}",
    "type Person {\n  contact: Contact!\n  name: String\n  orgUnits: [OrgUnit!]!\n}",
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


SHAPES_CONTEXT = DirectoryContext(
    users=[DirectoryUser("a@b.c", "A", "Finance"), DirectoryUser("d@e.f", None, None), DirectoryUser(None, "G", "X")]
)


def test_employees_are_the_same_users_relay_paged_in_another_shape() -> None:
    query = (
        "query($after: String) { employees(first: 2, after: $after) { edges { node { workEmail fullName "
        "department { name } } } pageInfo { hasNextPage endCursor } } }"
    )
    first = schema.execute_sync(query, context_value=SHAPES_CONTEXT)
    assert first.errors is None
    assert first.data is not None
    page = first.data["employees"]
    assert [edge["node"] for edge in page["edges"]] == [
        {"workEmail": "a@b.c", "fullName": "A", "department": {"name": "Finance"}},
        {"workEmail": "d@e.f", "fullName": None, "department": None},
    ]
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": encode_cursor(1)}
    rest = schema.execute_sync(query, variable_values={"after": encode_cursor(1)}, context_value=SHAPES_CONTEXT)
    assert rest.data is not None
    assert rest.data["employees"]["edges"] == [
        {"node": {"workEmail": None, "fullName": "G", "department": {"name": "X"}}}
    ]
    assert rest.data["employees"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("limit", "offset", "emails"),
    [(2, 0, ["a@b.c", "d@e.f"]), (2, 2, [None]), (2, 3, []), (0, 0, []), (1000, 1, ["d@e.f", None])],
)
def test_people_are_the_same_users_offset_paged_in_another_shape(
    limit: int, offset: int, emails: list[str | None]
) -> None:
    query = "query($l: Int!, $o: Int!) { people(limit: $l, offset: $o) { contact { email } name orgUnits { name } } }"
    result = schema.execute_sync(query, variable_values={"l": limit, "o": offset}, context_value=SHAPES_CONTEXT)
    assert result.errors is None
    assert result.data is not None
    assert [person["contact"]["email"] for person in result.data["people"]] == emails
    if offset == 0 and limit == 2:
        assert result.data["people"][0] == {
            "contact": {"email": "a@b.c"},
            "name": "A",
            "orgUnits": [{"name": "Finance"}],
        }
        assert result.data["people"][1]["orgUnits"] == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [("limit: 1001", "`limit` must be between 0 and 1000, got 1001"), ("offset: -1", "`offset` must not be negative")],
)
def test_people_arguments_outside_their_range_are_errors(arguments: str, message: str) -> None:
    result = schema.execute_sync(f"{{ people({arguments}) {{ name }} }}", context_value=SHAPES_CONTEXT)
    assert result.errors is not None
    assert message in result.errors[0].message


def test_introspection_can_be_disabled_while_queries_still_work() -> None:
    closed = build_schema(introspection=False)
    refused = closed.execute_sync("{ __schema { queryType { name } } }", context_value=SHAPES_CONTEXT)
    assert refused.errors is not None
    assert "introspection" in refused.errors[0].message.lower()
    served = closed.execute_sync("{ users { email } }", context_value=SHAPES_CONTEXT)
    assert served.errors is None
    assert schema.execute_sync("{ __schema { queryType { name } } }").errors is None
