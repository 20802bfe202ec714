"""Fault injection in both servers, as real processes over loopback: rules at start, rules switched mid-run."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from faults import BASE_KINDS, RuleError, parse_rule
from om_sandbox.release import installed_sdk_version
from tests.support.servers import RunningServer, set_faults, start_server

BIN = Path(sys.executable).parent
QUERY = {"query": "{ users { email displayName domain } }"}
PAGE_QUERY = (
    "query P($first: Int, $after: String) { usersConnection(first: $first, after: $after) "
    "{ edges { node { email } } pageInfo { hasNextPage endCursor } } }"
)


def test_rule_steps_are_consumed_in_order() -> None:
    rule = parse_rule("PATCH /api/v1/users/*: 503x2, ok, drop*", BASE_KINDS)
    rng = random.Random(0)  # noqa: S311
    assert rule.matches("PATCH", "/api/v1/users/42")
    assert not rule.matches("GET", "/api/v1/users/42")
    assert [rule.next_kind(rng) for _ in range(5)] == ["503", "503", "ok", "drop", "drop"]
    once = parse_rule("/graphql: 500", BASE_KINDS)
    assert [once.next_kind(rng) for _ in range(3)] == ["500", "ok", "ok"]


def test_a_probability_is_seeded() -> None:
    def draws(seed: int) -> list[str]:
        rule, rng = parse_rule("* /x: 429@0.5", BASE_KINDS), random.Random(seed)  # noqa: S311
        return [rule.next_kind(rng) for _ in range(40)]

    assert draws(7) == draws(7)
    assert 5 < draws(7).count("429") < 35


@pytest.mark.parametrize("text", ["no colon", "/x: teapot", "/x: 503x", "/x: 429@2", "GET POST /x: 500"])
def test_bad_rules_are_refused(text: str) -> None:
    with pytest.raises(RuleError):
        parse_rule(text, BASE_KINDS)


@pytest.fixture
def directory(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    server = start_server([str(BIN / "directory-server"), "--port", "0", "--fault-control", *request.param])
    yield server
    server.stop()


def post(server: RunningServer, payload: dict[str, Any] = QUERY, timeout: float = 5) -> requests.Response:
    return requests.post(f"{server.url}/graphql", json=payload, timeout=timeout)


@pytest.mark.parametrize("directory", [["--fault", "POST /graphql: 429, 503"]], indirect=True)
def test_status_faults_then_the_real_answer(directory: RunningServer) -> None:
    first, second, third = post(directory), post(directory), post(directory)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert second.status_code == 503
    assert third.status_code == 200
    assert len(third.json()["data"]["users"]) == 3
    assert set_faults(directory)["rules"] == []


@pytest.mark.parametrize("directory", [["--fault-slow-seconds", "2"]], indirect=True)
def test_drop_and_slow(directory: RunningServer) -> None:
    set_faults(directory, "POST /graphql: drop, slow")
    with pytest.raises(requests.ConnectionError):
        post(directory)
    with pytest.raises(requests.Timeout):
        post(directory, timeout=0.5)
    assert post(directory).status_code == 200
    assert "ASGI callable returned without" not in directory.log()


@pytest.mark.parametrize("directory", [[]], indirect=True)
def test_graphql_faults(directory: RunningServer) -> None:
    set_faults(directory, "POST /graphql: errors, partial, malformed, html, empty")
    errors = post(directory).json()
    assert errors["data"] is None
    assert errors["errors"][0]["message"].startswith("injected fault")
    partial = post(directory).json()
    assert len(partial["data"]["users"]) == 3
    assert partial["errors"]
    malformed = post(directory)
    assert malformed.headers["content-type"] == "application/json"
    with pytest.raises(requests.JSONDecodeError):
        malformed.json()
    html = post(directory)
    assert (html.status_code, html.headers["content-type"].split(";")[0]) == (502, "text/html")
    assert post(directory).json() == {"data": {"users": []}}
    assert post(directory).json()["data"]["users"]


@pytest.mark.parametrize("directory", [["--fault", "POST /graphql: loop*"]], indirect=True)
def test_loop_repeats_the_cursor_it_was_given(directory: RunningServer) -> None:
    first = post(directory, {"query": PAGE_QUERY, "variables": {"first": 1}}).json()["data"]["usersConnection"]
    cursor = first["pageInfo"]["endCursor"]
    second = post(directory, {"query": PAGE_QUERY, "variables": {"first": 1, "after": cursor}}).json()
    assert second["data"]["usersConnection"]["pageInfo"] == {"hasNextPage": True, "endCursor": cursor}


def test_control_endpoint_exists_only_when_asked_for() -> None:
    server = start_server([str(BIN / "directory-server"), "--port", "0", "--fault", "/graphql: 500"])
    try:
        assert requests.put(f"{server.url}/__faults", json={"rules": []}, timeout=5).status_code in (404, 405, 500)
        assert post(server).status_code == 500
    finally:
        server.stop()


def test_raw_mode_serves_rows_verbatim(tmp_path: Path) -> None:
    rows = [{"email": 42, "displayName": ["a"], "domain": {"x": 1}}, "not an object"]
    data = tmp_path / "rows.json"
    data.write_text(json.dumps(rows))
    server = start_server([str(BIN / "directory-server"), "--port", "0", "--raw", "--data", str(data)])
    try:
        assert post(server).json() == {"data": {"users": rows}}
    finally:
        server.stop()


def test_sandbox_takes_the_same_rules(tmp_path: Path) -> None:
    server = start_server(
        [
            str(BIN / "openmetadata-sandbox"),
            "serve",
            "--port",
            "0",
            "--db",
            str(tmp_path / "om.db"),
            "--fault",
            "GET /api/v1/system/*: 500, drop",
        ]
    )
    try:
        url = f"{server.url}/api/v1/system/version"
        assert requests.get(url, timeout=5).status_code == 500
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
        assert requests.get(url, timeout=5).json()["version"] == installed_sdk_version()
    finally:
        server.stop()


def test_a_bad_rule_stops_the_server_at_start(tmp_path: Path) -> None:
    db = str(tmp_path / "om.db")
    with pytest.raises(RuntimeError, match="unknown kind 'teapot'"):
        start_server([str(BIN / "openmetadata-sandbox"), "serve", "--port", "0", "--db", db, "--fault", "/x: teapot"])


@pytest.mark.parametrize("directory", [["--fault", "POST /graphql: redirect"]], indirect=True)
def test_redirect_points_to_the_same_path_under_another_origin(directory: RunningServer) -> None:
    answer = requests.post(f"{directory.url}/graphql", json=QUERY, timeout=5, allow_redirects=False)
    port = directory.url.rsplit(":", 1)[1]
    assert (answer.status_code, answer.headers["Location"]) == (307, f"http://localhost:{port}/graphql")
