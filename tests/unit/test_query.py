"""The pure parts of the directory query: field paths through an answer, and the check against a schema."""

from typing import Any

import pytest
from graphql import build_schema, graphql_sync

from connector.query import INTROSPECTION_QUERY, parse_query, pluck, plucker, schema_problems

NODE: dict[str, Any] = {
    "workEmail": "a@x.org",
    "name": {"full": "A B"},
    "department": {"name": "Finance"},
    "departments": [{"name": "Finance"}, {"name": None}, {"name": "Marketing"}],
    "teams": [{"units": [{"code": "F1"}, {"code": "F2"}]}, {"units": []}, None],
    "tags": ["x", "y"],
    "nothing": None,
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("workEmail",), "a@x.org"),
        (("name", "full"), "A B"),
        (("department", "name"), "Finance"),
        (("departments", "name"), ["Finance", "Marketing"]),
        (("teams", "units", "code"), ["F1", "F2"]),
        (("tags",), ["x", "y"]),
        (("nothing", "name"), None),
        (("missing",), None),
        (("workEmail", "deeper"), None),
        (("department",), {"name": "Finance"}),
    ],
)
def test_pluck_follows_dotted_paths_through_objects_and_lists(path: tuple[str, ...], value: Any) -> None:
    assert pluck(NODE, path) == value
    assert plucker(path)(NODE) == value


@pytest.mark.parametrize("node", [[NODE, {"workEmail": "b@x.org"}], None, "text", 3])
@pytest.mark.parametrize("path", [("workEmail",), ("department", "name")])
def test_a_bound_plucker_reads_any_node_as_pluck_does(node: Any, path: tuple[str, ...]) -> None:
    assert plucker(path)(node) == pluck(node, path)


SDL = """
type Query { employees(first: Int, after: String, status: Status = ACTIVE): EmployeeConnection! }
enum Status { ACTIVE INACTIVE }
type EmployeeConnection { edges: [EmployeeEdge!]! pageInfo: PageInfo! }
type EmployeeEdge { node: Employee! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type Employee { workEmail: String fullName: String department: Department }
type Department { name: String }
"""


def introspection() -> dict[str, Any]:
    result = graphql_sync(build_schema(SDL), INTROSPECTION_QUERY)
    assert result.errors is None
    assert result.data is not None
    return result.data


GOOD = (
    "query($first: Int, $after: String, $status: Status) { employees(first: $first, after: $after, status: $status) "
    "{ edges { node { workEmail fullName department { name } } } pageInfo { hasNextPage endCursor } } }"
)


def test_a_query_the_schema_accepts_has_no_problems() -> None:
    assert schema_problems(parse_query(GOOD), introspection(), {"first": 2, "after": None, "status": "ACTIVE"}) == []


@pytest.mark.parametrize(
    ("query", "variables", "problem"),
    [
        (
            GOOD.replace("fullName", "nickname"),
            {},
            "Cannot query field 'nickname' on type 'Employee'. Did you mean 'fullName'? (line 1, column 139)",
        ),
        (GOOD.replace("first: $first", "size: $first"), {}, "Unknown argument 'size' on field 'Query.employees'."),
        (GOOD.replace("{ name }", ""), {}, "Field 'department' of type 'Department' must have a selection"),
        (GOOD, {"status": "RETIRED"}, "Value 'RETIRED' does not exist in 'Status' enum"),
        (GOOD, {"first": "ten"}, "Variable '$first' has invalid value: Int cannot represent"),
    ],
)
def test_what_the_schema_rejects_is_named(query: str, variables: dict[str, Any], problem: str) -> None:
    problems = schema_problems(parse_query(query), introspection(), variables)
    assert any(problem in text for text in problems), problems
