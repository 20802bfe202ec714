"""The server as a real process over loopback: the seed query, custom data, paging, errors, GraphiQL."""

from __future__ import annotations

import base64
import json
import signal
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.directory.conftest import CUSTOM_ROWS, directory_command, post_graphql
from tests.support.servers import RunningServer, start_server

SEED_QUERY = "{ users { email displayName domain } }"
PAGE_QUERY = """
query Page($first: Int, $after: String) {
  usersConnection(first: $first, after: $after) {
    totalCount
    edges { cursor node { email displayName domain } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
SEED_USERS = [
    {"email": "admin@open-metadata.org", "displayName": "Admin User", "domain": "Finance"},
    {"email": "aaron_johnson0@gmail.com", "displayName": "Aaron Johnson", "domain": "Marketing"},
    {"email": "brian_smith7@gmail.com", "displayName": "Brian Smith", "domain": "Finance"},
]


def as_served(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in ("email", "displayName", "domain")}


def error_messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


@pytest.mark.parametrize("path", ["", "/", "/graphql"])
def test_seed_query_returns_the_demo_users(demo_server: RunningServer, path: str) -> None:
    body = post_graphql(demo_server.url + path, SEED_QUERY)
    assert body == {"data": {"users": SEED_USERS}}


def test_ready_line_is_a_loopback_url(demo_server: RunningServer) -> None:
    assert demo_server.url.startswith("http://127.0.0.1:")
    assert int(demo_server.url.rsplit(":", 1)[1]) > 0


def test_custom_file_is_served_unchanged(custom_server: RunningServer) -> None:
    body = post_graphql(custom_server.url, SEED_QUERY)
    assert body == {"data": {"users": [as_served(row) for row in CUSTOM_ROWS]}}


def test_response_is_utf8_json_with_non_ascii_intact(custom_server: RunningServer) -> None:
    response = requests.post(custom_server.url, json={"query": SEED_QUERY}, timeout=10)
    assert response.headers["content-type"].startswith("application/json")
    names = [user["displayName"] for user in json.loads(response.content.decode("utf-8"))["data"]["users"]]
    assert names[:2] == ["Zoë Müller", "李伟"]


def walk_pages(url: str, first: int) -> tuple[list[dict[str, Any]], int]:
    """Every node reached by following endCursor, and the number of requests it took."""
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    requests_made = 0
    while True:
        body = post_graphql(url, PAGE_QUERY, {"first": first, "after": after})
        requests_made += 1
        connection = body["data"]["usersConnection"]
        assert connection["totalCount"] == len(CUSTOM_ROWS)
        assert len(connection["edges"]) <= first
        nodes.extend(edge["node"] for edge in connection["edges"])
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes, requests_made
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]


@pytest.mark.parametrize("first", [1, 2, 4, 6, 1000])
def test_paging_visits_every_row_once_in_order(custom_server: RunningServer, first: int) -> None:
    nodes, requests_made = walk_pages(custom_server.url + "/graphql", first)
    assert nodes == [as_served(row) for row in CUSTOM_ROWS]
    assert requests_made == max(1, -(-len(CUSTOM_ROWS) // first))


def test_default_page_size_and_explicit_null_first(demo_server: RunningServer) -> None:
    for variables in ({}, {"first": None}):
        connection = post_graphql(demo_server.url, PAGE_QUERY, variables)["data"]["usersConnection"]
        assert [edge["node"] for edge in connection["edges"]] == SEED_USERS
        assert connection["pageInfo"] == {"hasNextPage": False, "endCursor": connection["edges"][-1]["cursor"]}


def test_first_zero_is_an_empty_page(demo_server: RunningServer) -> None:
    connection = post_graphql(demo_server.url, PAGE_QUERY, {"first": 0})["data"]["usersConnection"]
    assert connection == {"totalCount": 3, "edges": [], "pageInfo": {"hasNextPage": True, "endCursor": None}}


@pytest.mark.parametrize("first", [1001, -1])
def test_first_outside_the_cap_is_a_graphql_error(demo_server: RunningServer, first: int) -> None:
    body = post_graphql(demo_server.url, PAGE_QUERY, {"first": first})
    assert body["data"] is None
    assert error_messages(body) == [f"`first` must be between 0 and 1000, got {first}"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "!!!!",
        base64.urlsafe_b64encode(b"user:3").decode(),  # one past the last row
        base64.urlsafe_b64encode(b"user:-1").decode(),
        base64.urlsafe_b64encode(b"page:1").decode(),
        "",
    ],
)
def test_bad_cursor_is_a_graphql_error(demo_server: RunningServer, cursor: str) -> None:
    body = post_graphql(demo_server.url, PAGE_QUERY, {"first": 2, "after": cursor})
    assert body["data"] is None
    assert error_messages(body) == [f"Invalid cursor: {cursor!r}"]


def test_graphiql_is_served_to_a_browser(demo_server: RunningServer) -> None:
    for path in ("/", "/graphql"):
        response = requests.get(demo_server.url + path, headers={"Accept": "text/html"}, timeout=10)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "graphiql" in response.text.lower()


def test_no_introspection_flag_refuses_schema_queries_but_serves_users(custom_data_file: Path) -> None:
    server = start_server(directory_command("--port", "0", "--no-introspection", "--data", str(custom_data_file)))
    try:
        refused = post_graphql(server.url, "{ __schema { queryType { name } } }")
        assert "introspection has been disabled" in " ".join(error_messages(refused))
        assert post_graphql(server.url, SEED_QUERY) == {"data": {"users": [as_served(row) for row in CUSTOM_ROWS]}}
    finally:
        server.stop()


def test_unknown_path_is_404(demo_server: RunningServer) -> None:
    response = requests.post(demo_server.url + "/nope", json={"query": SEED_QUERY}, timeout=10)
    assert response.status_code == 404


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_stop_signal_exits_cleanly(custom_data_file: Path, stop_signal: signal.Signals) -> None:
    server = start_server(directory_command("--port", "0", "--data", str(custom_data_file)))
    try:
        server.process.send_signal(stop_signal)
        assert server.process.wait(timeout=10) == 0
    finally:
        server.stop()
    assert "Traceback" not in server.log()
