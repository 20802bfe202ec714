"""`openmetadata-sandbox serve|token|sso-token`."""

from __future__ import annotations

import argparse
import logging
import socket
import sys

import uvicorn

import faults
from om_sandbox import auth, sdk, seed
from om_sandbox.app import Options, create_app, open_context
from om_sandbox.entities import build_fqn
from om_sandbox.patching import JSON_PATCH_ERROR_STATUSES
from om_sandbox.store import Store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openmetadata-sandbox",
        description="A small server speaking the slice of the OpenMetadata REST API the user sync uses, as the release "
        "of the installed ingestion SDK (or of --version) does.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8585, help="0 picks a free port (printed on the READY line)")
    serve.add_argument("--db", required=True, help="SQLite file (created if missing)")
    serve.add_argument("--demo", action="store_true", help="seed the demo domains, teams, roles and users")
    serve.add_argument(
        "--version",
        default=None,
        help="OpenMetadata version to report (/api/v1/system/version) and imitate; default: the installed SDK's",
    )
    serve.add_argument("--write-latency-ms", type=int, default=0, help="delay every write request")
    serve.add_argument(
        "--json-patch-errors",
        type=int,
        choices=JSON_PATCH_ERROR_STATUSES,
        default=None,
        help="how a failing JSON Patch operation (a `test` included) is answered: 500 with Apache Johnzon's text "
        "(before OpenMetadata PR #28316), 400 or 422 with Eclipse Parsson's; default: 500",
    )
    serve.add_argument(
        "--auth-provider",
        default="basic",
        choices=auth.AUTH_PROVIDERS,
        help="authenticationConfiguration.provider, as GET /api/v1/system/config/auth reports it; default: basic",
    )
    serve.add_argument(
        "--jwt-principal-claims",
        type=_comma_list,
        default=",".join(auth.DEFAULT_PRINCIPAL_CLAIMS),
        help="claims naming an SSO token's user, first present wins (jwtPrincipalClaims); default: "
        "email,preferred_username,sub",
    )
    serve.add_argument(
        "--jwt-principal-claims-mapping",
        type=_comma_list,
        default="",
        help="jwtPrincipalClaimsMapping, e.g. username:preferred_username,email:email (both keys, or none); when "
        "set, an SSO token's user is named by the `username` claim; default: none",
    )
    serve.add_argument(
        "--enable-self-signup",
        action="store_true",
        help="report enableSelfSignup: true (OpenMetadata's openmetadata.yaml defaults to true; the sandbox to false)",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    faults.add_arguments(serve)
    token = commands.add_parser("token", help="print a JWT for an existing user")
    token.add_argument("name")
    token.add_argument("--db", required=True)
    token.add_argument("--demo", action="store_true", help="seed the demo data first")
    token.add_argument("--expiry-seconds", type=int, default=None, help="default: never expires")
    sso = commands.add_parser(
        "sso-token",
        help="print a JWT as an identity provider mints it (the given claims, no OpenMetadata tokenType), signed "
        "with the sandbox's keys",
    )
    sso.add_argument("--db", required=True)
    sso.add_argument(
        "--claim",
        action="append",
        default=[],
        type=_claim,
        metavar="NAME=VALUE",
        help="a string claim, e.g. --claim email=jane@example.com --claim preferred_username=jdoe (repeatable)",
    )
    sso.add_argument("--expiry-seconds", type=int, default=None, help="default: never expires")
    return parser


def _comma_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _claim(value: str) -> tuple[str, str]:
    name, sep, claim = value.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"a claim is NAME=VALUE, got {value!r}")
    return name, claim


def _serve(args: argparse.Namespace) -> int:
    options = Options(
        db=args.db,
        version=args.version,
        demo=args.demo,
        write_latency_ms=args.write_latency_ms,
        json_patch_errors=args.json_patch_errors,
        auth_provider=args.auth_provider,
        jwt_principal_claims=args.jwt_principal_claims,
        jwt_principal_claims_mapping=args.jwt_principal_claims_mapping,
        enable_self_signup=args.enable_self_signup,
    )
    try:
        app = faults.wrap(create_app(options), args)
    except (faults.RuleError, ValueError) as error:
        print(f"openmetadata-sandbox: error: {error}", file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    # uvicorn logs an access line per request (method, path, status) and never headers.
    config = uvicorn.Config(app, log_level=args.log_level, access_log=args.log_level in ("debug", "info"))
    server = uvicorn.Server(config)
    print(f"READY http://{shown}:{port}", flush=True)
    server.run(sockets=[sock])
    return 0


def _token(args: argparse.Namespace) -> int:
    ctx = open_context(args.db)
    if args.demo:
        seed.seed_demo(ctx)
    user = ctx.store.get_by_fqn("user", build_fqn(None, args.name.lower()))
    if user is None:
        print(f"user {args.name} not found", file=sys.stderr)
        return 1
    print(auth.issue_token(ctx.keys, user, args.expiry_seconds))
    return 0


def _sso_token(args: argparse.Namespace) -> int:
    store = Store(args.db)
    try:
        print(auth.sso_token(auth.ensure_keys(store), dict(args.claim), args.expiry_seconds))
    finally:
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sdk.install_light_import()
    if args.command == "serve":
        return _serve(args)
    if args.command == "sso-token":
        return _sso_token(args)
    return _token(args)


if __name__ == "__main__":
    sys.exit(main())
