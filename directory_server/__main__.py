"""`directory-server`: serve a company directory over GraphQL for the connector to sync from."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

import faults
from directory_server import faults as directory_faults
from directory_server.app import create_app, create_raw_app
from directory_server.data import DataError, load_demo_users, load_raw_rows, load_users

PROG = "directory-server"
EXIT_BAD_DATA = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=4000, help="port to listen on; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="JSON list of {email, displayName, domain} objects (default: the bundled demo users)",
    )
    parser.add_argument(
        "--no-introspection",
        dest="introspection",
        action="store_false",
        help="refuse introspection queries (and serve no GraphiQL), as many production servers do",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="uvicorn log level (default: %(default)s)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="serve the --data file's list verbatim as `users`, without the typed schema (for bad-data tests)",
    )
    faults.add_arguments(parser)
    return parser.parse_args(argv)


def bind(host: str, port: int) -> socket.socket:
    """Listen before announcing, so whoever reads the READY line can connect at once."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def public_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    # A wildcard address is fine to listen on but not to connect to.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(app: ASGIApp, sock: socket.socket, log_level: str) -> None:
    """Announce READY and serve until SIGINT or SIGTERM, then shut down gracefully."""
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level))
    # uvicorn installs its own stop handlers only once running; routing the signals to it already now
    # means a stop that arrives right after READY is not lost or fatal. Its handler merely records the
    # signal, so when uvicorn re-raises it after shutting down, the process still exits 0.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, server.handle_exit)
    print(f"READY {public_url(sock)}", flush=True)
    server.run(sockets=[sock])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        # Only reachable before serving starts, e.g. Ctrl-C while a large file loads.
        return 130


def run(args: argparse.Namespace) -> int:
    try:
        if args.raw:
            if args.data is None:
                raise DataError("--raw needs --data")
            directory = create_raw_app(load_raw_rows(args.data))
        else:
            users = load_demo_users() if args.data is None else load_users(args.data)
            directory = create_app(users, introspection=args.introspection)
        app = faults.wrap(directory, args, directory_faults.KINDS)
    except (DataError, faults.RuleError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_BAD_DATA
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        print(f"{PROG}: error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    try:
        serve(app, sock, args.log_level)
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
