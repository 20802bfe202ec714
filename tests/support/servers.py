"""Start the project's servers as real processes on free loopback ports, and stop them.

Every server of the project (`openmetadata-sandbox serve`, `directory-server`) accepts `--port 0`,
binds a free port itself and prints one line `READY <base-url>` on stdout once it listens, so tests
never race for a fixed or pre-probed port.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

READY_PREFIX = "READY "


@dataclass
class RunningServer:
    """A server process started by `start_server`; `url` is its base URL, e.g. http://127.0.0.1:41234."""

    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return "".join(self.output)


def _pump(stream: object, sink: list[str], lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)
        lines.put(line)


def start_server(
    args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60.0
) -> RunningServer:
    """Run `args` (which must include `--port 0`) and wait for its READY line."""
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    output: list[str] = []
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, output, lines), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if line.startswith(READY_PREFIX):
            return RunningServer(process=process, url=line[len(READY_PREFIX) :].strip(), output=output)
    server = RunningServer(process=process, url="", output=output)
    server.stop()
    raise RuntimeError(f"{args[0]} did not become ready within {timeout}s:\n{server.log()}")


def set_faults(server: RunningServer, *rules: str) -> dict[str, Any]:
    """Replace the fault rules of a server started with `--fault-control`; returns the rules now in force."""
    response = requests.put(f"{server.url}/__faults", json={"rules": list(rules)}, timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def fault_counts(server: RunningServer) -> dict[str, int]:
    """How many requests each fault rule of the server has decided so far."""
    response = requests.get(f"{server.url}/__faults", timeout=10)
    response.raise_for_status()
    return {rule["rule"]: rule["matched"] for rule in response.json()["rules"]}
