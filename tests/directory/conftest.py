from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.servers import RunningServer, start_server

GraphQLPost = Callable[..., dict[str, Any]]

# Rows as a real HR export has them: gaps, nulls, blanks, non-ASCII and keys nobody asked for.
CUSTOM_ROWS: list[dict[str, Any]] = [
    {"email": "zoë.müller@example.com", "displayName": "Zoë Müller", "domain": "Forschung & Entwicklung"},
    {"email": "li.wei@example.com", "displayName": "李伟", "domain": None},
    {"email": "no.name@example.com", "displayName": None, "domain": "Sales"},
    {"email": "missing.keys@example.com"},
    {"email": None, "displayName": "Nobody", "domain": "Finance", "employeeId": 42, "manager": {"id": 1}},
    {"email": "blank@example.com", "displayName": "  ", "domain": ""},
]


def directory_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "directory_server", *args]


def post_graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(url, json={"query": query, "variables": variables or {}}, timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def demo_server() -> Iterator[RunningServer]:
    server = start_server(directory_command("--port", "0"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def custom_data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("directory") / "users.json"
    path.write_text(json.dumps(CUSTOM_ROWS, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def custom_server(custom_data_file: Path) -> Iterator[RunningServer]:
    server = start_server(directory_command("--port", "0", "--data", str(custom_data_file)))
    yield server
    server.stop()
