"""The directory's own fault kinds, on top of the shared ones in `faults`: broken GraphQL answers.

- `errors`: HTTP 200 with GraphQL `errors` and no data;
- `partial`: the real answer plus an `errors` entry (data and errors together, as for a failing resolver);
- `malformed`: HTTP 200, `application/json`, a body cut off mid-way;
- `html`: HTTP 502 with an HTML error page, as a proxy in front of the directory answers;
- `empty`: the real answer with every user list (and connection) emptied;
- `loop`: the real page, claiming a next page whose cursor is the one the request gave (an endless paging loop);
- `redirect`: HTTP 307 to the same path under the other loopback name (`127.0.0.1` <-> `localhost`), another
  origin, as a hijacked or misconfigured proxy would answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message

from faults import FaultContext, Kind

GRAPHQL_ERROR = {"message": "injected fault: the directory backend failed", "path": ["users"]}


async def _errors(ctx: FaultContext) -> None:
    await ctx.answer(JSONResponse({"data": None, "errors": [GRAPHQL_ERROR]}))


async def _malformed(ctx: FaultContext) -> None:
    await ctx.answer(Response(b'{"data": {"users": [{"email": "a', media_type="application/json"))


async def _html(ctx: FaultContext) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    await ctx.answer(HTMLResponse(page, status_code=502))


async def _rewrite(ctx: FaultContext, change: Callable[[dict[str, Any], dict[str, Any]], None]) -> None:
    """Run the real query, let `change(body, variables)` alter its JSON answer, and send that."""
    request_body = b""
    more = True
    while more:
        message = await ctx.receive()
        request_body += message.get("body", b"")
        more = message.get("more_body", False)

    async def replay() -> Message:
        return {"type": "http.request", "body": request_body, "more_body": False}

    ctx.receive = replay
    status, _, body = await ctx.capture()
    try:
        variables = json.loads(request_body or b"{}").get("variables") or {}
    except ValueError:
        variables = {}
    answer = json.loads(body)
    change(answer, variables)
    await ctx.answer(JSONResponse(answer, status_code=status))


def _connections(answer: dict[str, Any]) -> list[dict[str, Any]]:
    data = answer.get("data") or {}
    return [value for value in data.values() if isinstance(value, dict) and "edges" in value]


def _add_error(answer: dict[str, Any], _variables: dict[str, Any]) -> None:
    answer["errors"] = [GRAPHQL_ERROR]


def _empty_lists(answer: dict[str, Any], _variables: dict[str, Any]) -> None:
    data = answer.get("data") or {}
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = []
    for connection in _connections(answer):
        connection["edges"] = []
        connection["pageInfo"] = {"hasNextPage": False, "endCursor": None}


def _repeat_cursor(answer: dict[str, Any], variables: dict[str, Any]) -> None:
    for connection in _connections(answer):
        page_info = connection.setdefault("pageInfo", {})
        page_info["hasNextPage"] = True
        if variables.get("after"):
            page_info["endCursor"] = variables["after"]


async def _partial(ctx: FaultContext) -> None:
    await _rewrite(ctx, _add_error)


async def _empty(ctx: FaultContext) -> None:
    await _rewrite(ctx, _empty_lists)


async def _loop(ctx: FaultContext) -> None:
    await _rewrite(ctx, _repeat_cursor)


async def _redirect(ctx: FaultContext) -> None:
    host, _, port = dict(ctx.scope["headers"]).get(b"host", b"").decode("latin-1").partition(":")
    other = "localhost" if host == "127.0.0.1" else "127.0.0.1"
    location = f"http://{other}:{port}{ctx.scope['path']}" if port else f"http://{other}{ctx.scope['path']}"
    await ctx.answer(Response(status_code=307, headers={"Location": location}))


KINDS: dict[str, Kind] = {
    "errors": _errors,
    "partial": _partial,
    "malformed": _malformed,
    "html": _html,
    "empty": _empty,
    "loop": _loop,
    "redirect": _redirect,
}
