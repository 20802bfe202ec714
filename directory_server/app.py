"""Build the ASGI application that serves a loaded directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from directory_server.data import DirectoryUser
from directory_server.schema import DirectoryContext, build_schema

GRAPHQL_PATHS = ("/", "/graphql")


class DirectoryGraphQL(GraphQL[DirectoryContext, None]):
    def __init__(self, users: Sequence[DirectoryUser], introspection: bool) -> None:
        # GraphiQL needs introspection to know the schema, so it is served only with introspection on.
        super().__init__(build_schema(introspection), graphql_ide="graphiql" if introspection else None)
        self._context = DirectoryContext(users=users)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> DirectoryContext:
        return self._context


def create_app(
    users: Sequence[DirectoryUser], middleware: Sequence[Middleware] = (), introspection: bool = True
) -> Starlette:
    """`middleware` wraps every GraphQL route, the hook for test-only behaviour such as injected faults;
    `introspection=False` refuses introspection queries, as many production GraphQL servers do."""
    graphql = DirectoryGraphQL(users, introspection)
    # Both paths, because clients configured with a bare host (http://localhost:4000) post to `/`.
    routes = [Route(path, graphql, methods=["GET", "POST"]) for path in GRAPHQL_PATHS]
    return Starlette(routes=routes, middleware=list(middleware))


def create_raw_app(rows: list[Any]) -> Starlette:
    """Answer every query with `{"data": {"users": rows}}`, rows exactly as given: numbers, lists and nulls where
    the typed schema allows only strings, so that clients can be tested against a directory that misbehaves."""

    async def users(_request: Request) -> JSONResponse:
        return JSONResponse({"data": {"users": rows}})

    routes = [Route(path, users, methods=["POST"]) for path in GRAPHQL_PATHS]
    return Starlette(routes=routes)
