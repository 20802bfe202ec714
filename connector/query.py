"""The directory query as configured: its shape, its field paths, and its fit to the server's schema.

Everything here is pure. The settings model uses `selection_problems` to refuse, before any request, a query that
does not select what the field paths and the paging style read; the directory client fetches the server's schema
by introspection and uses `schema_problems` to refuse, before any read or write, a query the server would reject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    build_client_schema,
    get_introspection_query,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

INTROSPECTION_QUERY = get_introspection_query(descriptions=False)

RELAY_PAGE_INFO = ("hasNextPage", "endCursor")


class QueryError(ValueError):
    """The configured query cannot work; the message names the option at fault."""


@dataclass(frozen=True)
class QueryPlan:
    """What the run needs from the query: where the users are, which paths it reads, which variables it sets."""

    paging: str
    users_path: tuple[str, ...]
    field_paths: Mapping[str, tuple[str, ...]]  # option name -> dotted path, e.g. {"emailField": ("email",)}
    page_size_variable: str | None
    page_start_variable: str | None
    variables: Mapping[str, Any]


def parse_query(text: str) -> DocumentNode:
    """The query's syntax tree, or QueryError with the parser's message and position."""
    try:
        return parse(text)
    except GraphQLSyntaxError as exc:
        raise QueryError(f"'graphqlQuery' is not valid GraphQL: {_describe(exc)}") from None


def _operation(document: DocumentNode) -> OperationDefinitionNode:
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    if len(operations) != 1:
        raise QueryError(f"'graphqlQuery' must hold exactly one operation, it holds {len(operations)}")
    if operations[0].operation is not OperationType.QUERY:
        raise QueryError(f"'graphqlQuery' must be a query, not a {operations[0].operation.value}")
    return operations[0]


def _fields(
    selection_sets: Iterable[SelectionSetNode], fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterable[FieldNode]:
    """The fields the selection sets select, through inline fragments and fragment spreads."""
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from _fields([selection.selection_set], fragments)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
                yield from _fields([fragments[selection.name.value].selection_set], fragments)


class _Selection:
    """Walks the query's selections by response key (alias or name), as the answer will carry them."""

    def __init__(self, document: DocumentNode, operation: OperationDefinitionNode) -> None:
        self._fragments = {
            node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)
        }
        self.root = [operation.selection_set]

    def follow(self, start: list[SelectionSetNode], path: Sequence[str]) -> list[SelectionSetNode] | str:
        """The selection sets under `path`, or the key that is not selected."""
        current = start
        for key in path:
            matches = [field for field in _fields(current, self._fragments) if (field.alias or field.name).value == key]
            if not matches:
                return key
            current = [field.selection_set for field in matches if field.selection_set is not None]
        return current


def selection_problems(document: DocumentNode, plan: QueryPlan) -> list[str]:
    """Why the query cannot give the run what the plan reads; empty when it can."""
    operation = _operation(document)
    selection = _Selection(document, operation)
    users_option = "graphqlUsersPath"
    users = selection.follow(selection.root, plan.users_path)
    if isinstance(users, str):
        return [f"'{users_option}' {'.'.join(plan.users_path)!r} is not selected by graphqlQuery (no field {users!r})"]
    problems: list[str] = []
    nodes = users
    if plan.paging == "relay":
        for key in RELAY_PAGE_INFO:
            if isinstance(selection.follow(users, ("pageInfo", key)), str):
                problems.append(f"graphqlQuery must select pageInfo {{ {key} }} under {'.'.join(plan.users_path)}")
        edges = selection.follow(users, ("edges", "node"))
        if isinstance(edges, str):
            problems.append(f"graphqlQuery must select edges {{ node {{ ... }} }} under {'.'.join(plan.users_path)}")
            return problems
        nodes = edges
    for option, path in plan.field_paths.items():
        missing = selection.follow(nodes, path)
        if isinstance(missing, str):
            problems.append(f"'{option}' {'.'.join(path)!r} is not selected by graphqlQuery (no field {missing!r})")
    return problems + _variable_problems(operation, plan)


def _variable_problems(operation: OperationDefinitionNode, plan: QueryPlan) -> list[str]:
    declared = {node.variable.name.value: node for node in operation.variable_definitions or ()}
    paging = {
        "graphqlPageSizeVariable": plan.page_size_variable,
        "graphqlPageStartVariable": plan.page_start_variable,
    }
    problems = []
    for option, name in paging.items():
        if name is not None and name not in declared:
            problems.append(f"graphqlQuery must declare ${name} for graphqlPaging '{plan.paging}' ('{option}')")
        elif name is not None and name in plan.variables:
            problems.append(f"'graphqlVariables' sets ${name}, which paging sets ('{option}')")
    start = declared.get(plan.page_start_variable or "")
    if plan.paging == "relay" and start is not None and isinstance(start.type, NonNullTypeNode):
        problems.append(f"${plan.page_start_variable} must be nullable: the first page is asked for with null")
    problems += [
        f"'graphqlVariables' sets ${name}, which graphqlQuery does not declare"
        for name in plan.variables
        if name not in declared
    ]
    given = set(plan.variables) | {name for name in paging.values() if name is not None}
    problems += [
        f"graphqlQuery needs ${name} (non-null, no default); set it in 'graphqlVariables'"
        for name, node in declared.items()
        if isinstance(node.type, NonNullTypeNode) and node.default_value is None and name not in given
    ]
    return problems


def first_request_variables(plan: QueryPlan, page_size: int) -> dict[str, Any]:
    """The variables of the first request: the configured ones and the paging ones."""
    variables = dict(plan.variables)
    if plan.page_size_variable is not None:
        variables[plan.page_size_variable] = page_size
    if plan.page_start_variable is not None:
        variables[plan.page_start_variable] = 0 if plan.paging == "offset" else None
    return variables


def schema_problems(document: DocumentNode, introspection: dict[str, Any], variables: dict[str, Any]) -> list[str]:
    """Why the server, whose introspection answer this is, would reject the query or its variables."""
    schema = build_client_schema(introspection)  # type: ignore[arg-type]
    errors = validate(schema, document)
    if not errors:
        coerced = get_variable_values(schema, _operation(document).variable_definitions or (), variables)
        errors = coerced if isinstance(coerced, list) else []
    return [_describe(error) for error in errors]


def _describe(error: GraphQLError) -> str:
    where = ", ".join(f"line {loc.line}, column {loc.column}" for loc in error.locations or ())
    return f"{error.message} ({where})" if where else error.message


def pluck(value: Any, path: Sequence[str]) -> Any:
    """The value at a dotted path of an answer; a path that crosses a list gives the list of values under it.

    A missing key or null gives None, so that an absent value reads as "no value" rather than as an error.
    """
    for index, key in enumerate(path):
        if isinstance(value, list):
            values: list[Any] = []
            for item in value:
                found = pluck(item, path[index:])
                values.extend(found if isinstance(found, list) else [found])
            return [item for item in values if item is not None]
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def plucker(path: Sequence[str]) -> Callable[[Any], Any]:
    """`pluck` bound to a path. A one-key path, the usual case, is a plain lookup: it runs for every field of every
    directory user."""
    if len(path) == 1:
        key = path[0]
        return lambda value: value.get(key) if isinstance(value, dict) else pluck(value, path)
    return partial(pluck, path=path)
