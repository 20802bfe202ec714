"""The Starlette application: routes, error answers, and the middleware slot for fault injection."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from om_sandbox import access, accounts, auth, automations, domains, sdk, seed, users
from om_sandbox.context import Context, current_base_url, ok, set_base_url
from om_sandbox.entities import Entities
from om_sandbox.errors import ApiError, unhandled
from om_sandbox.release import Release
from om_sandbox.store import Store

LOG = logging.getLogger("om_sandbox")

# The git revision the sandbox reports; it is not an OpenMetadata build.
REVISION = "om-sandbox"


@dataclass
class Options:
    db: str
    # The OpenMetadata version to report and imitate; None: the installed SDK's (om_sandbox.release).
    version: str | None = None
    demo: bool = False
    write_latency_ms: int = 0
    # How a failing JSON Patch operation is answered (500, 400 or 422, om_sandbox.patching); None: 500.
    json_patch_errors: int | None = None
    # authenticationConfiguration (om_sandbox.auth.AuthConfig): `provider`, `jwtPrincipalClaims`,
    # `jwtPrincipalClaimsMapping` (items like `username:preferred_username`), `enableSelfSignup`.
    auth_provider: str = "basic"
    jwt_principal_claims: tuple[str, ...] = auth.DEFAULT_PRINCIPAL_CLAIMS
    jwt_principal_claims_mapping: tuple[str, ...] = ()
    enable_self_signup: bool = False
    # Extra Starlette middleware (outermost last). Fault injection wraps the whole app instead (see `faults.wrap`).
    middleware: list[Middleware] = field(default_factory=list)

    def auth_config(self) -> auth.AuthConfig:
        """The options' authenticationConfiguration; raises ValueError where the server would not start."""
        return auth.AuthConfig(
            provider=self.auth_provider,
            principal_claims=self.jwt_principal_claims,
            principal_claims_mapping=self.jwt_principal_claims_mapping,
            enable_self_signup=self.enable_self_signup,
        )


class BaseUrlMiddleware:
    """Remembers the request's base URL so entity `href`s point back at this server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            set_base_url(str(Request(scope).base_url))
        await self.app(scope, receive, send)


class WriteLatencyMiddleware:
    """Delays every non-GET request, to imitate a loaded server."""

    def __init__(self, app: ASGIApp, latency_ms: int) -> None:
        self.app = app
        self.latency = latency_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") not in ("GET", "HEAD") and self.latency > 0:
            await asyncio.sleep(self.latency)
        await self.app(scope, receive, send)


def open_context(
    db: str,
    release: Release | None = None,
    json_patch_errors: int | None = None,
    auth_config: auth.AuthConfig | None = None,
) -> Context:
    """The sandbox's state over `db`, imitating `release` (default: the installed SDK's), whose failing JSON Patch
    operations are answered with `json_patch_errors` (default: the release's, `Release.json_patch_error_status`),
    authenticating as `auth_config` says (default: basic, OpenMetadata's default claims)."""
    release = release or Release.of_installed_sdk()
    store = Store(db)
    entities = Entities(store, current_base_url)
    ctx = Context(
        store=store,
        entities=entities,
        keys=auth.ensure_keys(store),
        release=release,
        json_patch_errors=json_patch_errors or release.json_patch_error_status,
        auth_config=auth_config or auth.AuthConfig(),
    )
    seed.seed_system(ctx)
    return ctx


def create_app(options: Options) -> Starlette:
    auth_config = options.auth_config()
    ctx = open_context(
        options.db, Release(options.version) if options.version else None, options.json_patch_errors, auth_config
    )
    if options.demo:
        seed.seed_demo(ctx)
    started = int(time.time() * 1000)

    async def version(_request: Request) -> JSONResponse:
        # JwtFilter.EXCLUDED_ENDPOINTS lists v1/system/version: no token needed.
        return ok({"version": ctx.release.version, "revision": REVISION, "timestamp": started})

    auth_body = sdk.auth_configuration(auth_config)

    async def auth_configuration(_request: Request) -> JSONResponse:
        # JwtFilter.EXCLUDED_ENDPOINTS lists v1/system/config/auth: no token needed (ConfigResource.getAuthConfig).
        return ok(auth_body)

    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    async def not_found_route(request: Request, _exc: Exception) -> Response:
        return JSONResponse({"code": 404, "message": "HTTP 404 Not Found"}, status_code=404)

    async def method_not_allowed(_request: Request, _exc: Exception) -> Response:
        return JSONResponse({"code": 405, "message": "HTTP 405 Method Not Allowed"}, status_code=405)

    async def crash(_request: Request, exc: Exception) -> Response:
        LOG.exception("unhandled error")
        error = unhandled(str(exc))
        return JSONResponse(error.body(), status_code=error.status)

    middleware = [Middleware(BaseUrlMiddleware)]
    if options.write_latency_ms:
        middleware.append(Middleware(WriteLatencyMiddleware, latency_ms=options.write_latency_ms))
    middleware.extend(options.middleware)

    routes = [
        Route("/api/v1/system/version", version, methods=["GET"]),
        Route("/api/v1/system/config/auth", auth_configuration, methods=["GET"]),
        *accounts.routes(ctx),
        *users.routes(ctx),
        *domains.routes(ctx),
        *access.routes(ctx),
        *automations.routes(ctx),
    ]
    handlers: dict[int | type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
        ApiError: api_error,
        404: not_found_route,
        405: method_not_allowed,
        Exception: crash,
    }
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.ctx = ctx
    return app
