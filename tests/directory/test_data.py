"""Unit tests for loading and checking the data file, without a server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from directory_server.data import DataError, DirectoryUser, load_demo_users, load_users, parse_users

SEED_USERS = [
    DirectoryUser("admin@open-metadata.org", "Admin User", "Finance"),
    DirectoryUser("aaron_johnson0@gmail.com", "Aaron Johnson", "Marketing", ["Data Platform"]),
    DirectoryUser("brian_smith7@gmail.com", "Brian Smith", "Finance", ["Web"]),
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "users.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_users_are_exactly_the_seed_three_in_order() -> None:
    assert load_demo_users() == SEED_USERS


def test_values_are_kept_as_they_are_and_extra_keys_ignored(tmp_path: Path) -> None:
    rows = [
        {"email": "Zoë@Example.com ", "displayName": "  ", "domain": "", "title": "CTO"},
        {"email": "a@b.c", "displayName": None},
        {},
    ]
    path = write(tmp_path, json.dumps(rows, ensure_ascii=False))
    assert load_users(path) == [
        DirectoryUser("Zoë@Example.com ", "  ", ""),
        DirectoryUser("a@b.c", None, None),
        DirectoryUser(None, None, None),
    ]


def test_empty_list_is_a_valid_directory(tmp_path: Path) -> None:
    assert load_users(write(tmp_path, "[]")) == []


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(DataError, match=r"cannot read data file .*nope\.json"):
        load_users(missing)


def test_invalid_json_says_where(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"invalid JSON: .*line 1, column 3\)"):
        load_users(write(tmp_path, "[{oops}]"))


def test_non_utf8_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_bytes(b'[{"email": "\xff"}]')
    with pytest.raises(DataError, match="not UTF-8"):
        load_users(path)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"users": []}, "expected a JSON list of user objects, got an object"),
        ("text", "expected a JSON list of user objects, got a string"),
        (None, "expected a JSON list of user objects, got null"),
        ([{"email": "a@b.c"}, ["x"]], "row 1 is a list, expected an object"),
        ([{"email": 7}], "row 0 key 'email' is a number, expected a string or null"),
        ([{"displayName": True}], "row 0 key 'displayName' is a boolean, expected a string or null"),
        ([{"domain": {"name": "X"}}], "row 0 key 'domain' is an object, expected a string or null"),
    ],
)
def test_wrong_shape_is_rejected_with_the_row(rows: Any, message: str) -> None:
    with pytest.raises(DataError) as caught:
        parse_users(rows, "users.json")
    assert str(caught.value) == f"users.json: {message}"
