"""Fault injection for the project's test servers (the OpenMetadata sandbox and the directory server).

One ASGI middleware, configured by rules, fails chosen requests the way real networks and servers do. A rule
is one line of text::

    [METHOD] PATH_GLOB: STEP[, STEP ...]

    PATCH /api/v1/users/*: 503x3          three 503s, then every request passes
    PATCH /api/v1/users/*: ok x2, exit    two writes pass, the third kills the server
    POST /graphql: 429@0.3                each request fails with 429 at probability 0.3 (seeded)
    * /api/*: slow*                       every request waits past the client timeout

A STEP is a KIND followed by `xN` (the next N matching requests), `*` (every request from then on), `@P` (every
request from then on, each with probability P), or nothing (one request). Once the steps are used up, requests
pass. The first rule whose method and path match a request decides it. KINDs:

- `ok`: pass the request on;
- a status code (`429`, `500`, `503`, ...): answer it with a JSON error body; 429 and 503 carry `Retry-After`;
- `slow`: wait `slow_seconds` (past the client's timeout), then pass the request on;
- `drop`: close the connection without an HTTP answer;
- `lost`: pass the request on, then close the connection without sending its answer (a write applied whose
  answer never arrived);
- `exit`: end the server process at once, as a crash or a killed container would (no answer, no cleanup);
- kinds a server adds (the directory's GraphQL faults, `directory_server.faults`).

Rules come from `--fault RULE` options at start, and tests switch them mid-run through `PUT /__faults`
(`{"rules": [...], "seed": N}`; `GET` shows the rules and how many requests each decided), which answers only
loopback clients and exists only when the server was started with `--fault-control`.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import ipaddress
import json
import os
import random
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PATH = "/__faults"
RETRY_AFTER_SECONDS = "1"
DEFAULT_SLOW_SECONDS = 5.0

# A kind runs instead of (or around) the application for one request.
Kind = Callable[["FaultContext"], Awaitable[None]]

_STEP = re.compile(r"^(?P<kind>\d{3}|[a-z]+?)\s*(?:x\s*(?P<times>\d+)|(?P<forever>\*)|@\s*(?P<chance>[\d.]+))?$")


class RuleError(ValueError):
    """A fault rule cannot be parsed; the message quotes the rule."""


@dataclass(frozen=True)
class Step:
    kind: str
    times: int | None  # None: every request from then on
    chance: float = 1.0


@dataclass
class Rule:
    text: str
    method: str
    path: str
    steps: tuple[Step, ...]
    matched: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)

    def next_kind(self, rng: random.Random) -> str:
        """The kind for the next matching request, consuming the sequence."""
        position = self.matched
        self.matched += 1
        for step in self.steps:
            if step.times is None:
                return step.kind if rng.random() < step.chance else "ok"
            if position < step.times:
                return step.kind
            position -= step.times
        return "ok"


def parse_rule(text: str, kinds: Mapping[str, Kind]) -> Rule:
    target, separator, steps_text = text.partition(":")
    parts = target.split()
    if not separator or len(parts) not in (1, 2) or not steps_text.strip():
        raise RuleError(f"fault rule {text!r}: expected '[METHOD] PATH: STEP[, STEP ...]'")
    method, path = (parts[0].upper(), parts[1]) if len(parts) == 2 else ("*", parts[0])
    steps = []
    for step_text in steps_text.split(","):
        match = _STEP.match(step_text.strip())
        if match is None:
            raise RuleError(f"fault rule {text!r}: cannot read step {step_text.strip()!r}")
        kind = match["kind"]
        if kind not in kinds and not _is_status(kind):
            raise RuleError(f"fault rule {text!r}: unknown kind {kind!r}; known: {', '.join(sorted(kinds))}, a status")
        if match["times"]:
            steps.append(Step(kind, int(match["times"])))
        elif match["forever"]:
            steps.append(Step(kind, None))
        elif match["chance"]:
            chance = float(match["chance"])
            if not 0 <= chance <= 1:
                raise RuleError(f"fault rule {text!r}: a probability is between 0 and 1")
            steps.append(Step(kind, None, chance))
        else:
            steps.append(Step(kind, 1))
    return Rule(text=text, method=method, path=path, steps=tuple(steps))


def _is_status(kind: str) -> bool:
    return kind.isdigit() and 400 <= int(kind) <= 599


@dataclass
class FaultContext:
    """One request and the means to pass it on, answer it, or drop it."""

    scope: Scope
    receive: Receive
    send: Send
    app: ASGIApp
    slow_seconds: float

    async def pass_on(self) -> None:
        await self.app(self.scope, self.receive, self.send)

    async def answer(self, response: Response) -> None:
        await response(self.scope, self.receive, self.send)

    async def capture(self) -> tuple[int, dict[str, str], bytes]:
        """Run the application and return its answer instead of sending it, for kinds that rewrite bodies."""
        status, headers, chunks = 500, {}, []

        async def keep(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(self.scope, self.receive, keep)
        return status, headers, b"".join(chunks)

    async def drop(self) -> None:
        """Close the connection without an answer.

        ASGI has no message for this, so the transport is taken from uvicorn's request cycle, the object whose
        bound method `send` is; aborting it resets the connection, and uvicorn then sends nothing more."""
        transport = getattr(getattr(self.send, "__self__", None), "transport", None)
        if transport is None:
            raise RuntimeError("the 'drop' fault needs uvicorn's h11 or httptools protocol")
        transport.abort()
        await asyncio.sleep(0)  # let uvicorn see the connection as lost before the app returns


async def _ok(ctx: FaultContext) -> None:
    await ctx.pass_on()


async def _slow(ctx: FaultContext) -> None:
    await asyncio.sleep(ctx.slow_seconds)
    await ctx.pass_on()


async def _drop(ctx: FaultContext) -> None:
    await ctx.drop()


async def _lost(ctx: FaultContext) -> None:
    await ctx.capture()
    await ctx.drop()


async def _exit(ctx: FaultContext) -> None:
    # Like a crash: committed writes stay (SQLite's journal), the request in flight gets no answer.
    os._exit(70)


async def _status(ctx: FaultContext, status: int) -> None:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status in (429, 503) else {}
    await ctx.answer(JSONResponse({"code": status, "message": "injected fault"}, status_code=status, headers=headers))


BASE_KINDS: dict[str, Kind] = {"ok": _ok, "slow": _slow, "drop": _drop, "lost": _lost, "exit": _exit}


@dataclass
class FaultState:
    """The rules in force; shared by the middleware and the control endpoint, on the server's event loop."""

    kinds: Mapping[str, Kind]
    rules: list[Rule] = field(default_factory=list)
    seed: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def configure(self, rules: Sequence[str], seed: int) -> None:
        parsed = [parse_rule(text, self.kinds) for text in rules]
        self.rules, self.seed, self.rng = parsed, seed, random.Random(seed)  # noqa: S311 - a reproducible test sequence, not a secret

    def decide(self, method: str, path: str) -> str:
        for rule in self.rules:
            if rule.matches(method, path):
                return rule.next_kind(self.rng)
        return "ok"

    def describe(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [{"rule": r.text, "matched": r.matched} for r in self.rules]}


def _is_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    try:
        return client is not None and ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


class FaultMiddleware:
    def __init__(self, app: ASGIApp, state: FaultState, control: bool, slow_seconds: float) -> None:
        self.app, self.state, self.control, self.slow_seconds = app, state, control, slow_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.control and scope["path"] == CONTROL_PATH:
            await self._control(scope, receive, send)
            return
        kind = self.state.decide(scope["method"], scope["path"])
        ctx = FaultContext(scope, receive, send, self.app, self.slow_seconds)
        if _is_status(kind):
            await _status(ctx, int(kind))
        else:
            await self.state.kinds[kind](ctx)

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if not _is_loopback(scope):
            response: Response = JSONResponse({"code": 403, "message": "loopback clients only"}, status_code=403)
        elif request.method == "PUT":
            try:
                body = json.loads(await request.body())
                self.state.configure(list(body.get("rules", [])), int(body.get("seed", 0)))
                response = JSONResponse(self.state.describe())
            except (ValueError, TypeError, AttributeError) as exc:
                response = JSONResponse({"code": 400, "message": str(exc)}, status_code=400)
        else:
            response = JSONResponse(self.state.describe())
        await response(scope, receive, send)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The fault options every test server accepts."""
    group = parser.add_argument_group("fault injection (for tests)")
    group.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="RULE",
        help="fail matching requests, e.g. 'PATCH /api/v1/users/*: 503x3' (see the `faults` module); repeatable",
    )
    group.add_argument("--fault-seed", type=int, default=0, help="seed of the @P probabilities (default: 0)")
    group.add_argument(
        "--fault-slow-seconds",
        type=float,
        default=DEFAULT_SLOW_SECONDS,
        help="how long a 'slow' request waits (default: %(default)s)",
    )
    group.add_argument(
        "--fault-control", action="store_true", help=f"accept new rules from loopback clients at PUT {CONTROL_PATH}"
    )


def wrap(app: ASGIApp, args: argparse.Namespace, extra_kinds: Mapping[str, Kind] | None = None) -> ASGIApp:
    """`app` behind the fault middleware the options ask for (`app` itself when none is); RuleError if a rule is bad.

    The middleware wraps the whole application rather than joining Starlette's middleware list, because Starlette
    wraps `send` in its error handler, and `drop` needs uvicorn's own `send` to reach the connection."""
    if not args.fault and not args.fault_control:
        return app
    state = FaultState(kinds={**BASE_KINDS, **(extra_kinds or {})})
    state.configure(args.fault, args.fault_seed)
    return FaultMiddleware(app, state=state, control=args.fault_control, slow_seconds=args.fault_slow_seconds)
