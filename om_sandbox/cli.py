"""`openmetadata-sandbox serve|token`."""

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
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    faults.add_arguments(serve)
    token = commands.add_parser("token", help="print a JWT for an existing user")
    token.add_argument("name")
    token.add_argument("--db", required=True)
    token.add_argument("--demo", action="store_true", help="seed the demo data first")
    token.add_argument("--expiry-seconds", type=int, default=None, help="default: never expires")
    return parser


def _serve(args: argparse.Namespace) -> int:
    options = Options(
        db=args.db,
        version=args.version,
        demo=args.demo,
        write_latency_ms=args.write_latency_ms,
        json_patch_errors=args.json_patch_errors,
    )
    try:
        app = faults.wrap(create_app(options), args)
    except faults.RuleError as error:
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sdk.install_light_import()
    if args.command == "serve":
        return _serve(args)
    return _token(args)


if __name__ == "__main__":
    sys.exit(main())
