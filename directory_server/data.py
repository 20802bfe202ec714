"""Load the directory's user rows from a JSON file and check their shape.

Only the shape is checked (a list of objects whose known keys hold strings or null): the values
themselves are served exactly as the file has them, because the connector's tests feed this server
deliberately messy HR rows (blank names, missing domains, odd emails) and must see them unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

_PACKAGE = "directory_server"
DEMO_DATA_NAME = "demo_users.json"

# The only keys read from a row; any others are ignored. `groups` is a list of names (or null).
_KEYS = ("email", "displayName", "domain")
GROUPS_KEY = "groups"


class DataError(Exception):
    """The data file cannot be served; the message is one line meant for the operator."""


# Not frozen: a frozen dataclass is twice as slow to build, which shows at a million rows.
@dataclass(slots=True)
class DirectoryUser:
    email: str | None
    display_name: str | None
    domain: str | None
    groups: list[str] | None = None


def parse_users(rows: Any, source: str) -> list[DirectoryUser]:
    """Turn decoded JSON into users, or raise DataError naming `source` and the offending row."""
    if not isinstance(rows, list):
        raise DataError(f"{source}: expected a JSON list of user objects, got {_json_type(rows)}")
    users: list[DirectoryUser] = []
    append = users.append
    # Kept flat, and the bad row explained only after the fact, because start-up time shows at 1M rows.
    for row in rows:
        if type(row) is not dict:
            break
        email, display_name, domain = row.get("email"), row.get("displayName"), row.get("domain")
        groups = row.get(GROUPS_KEY)
        if not (_is_text(email) and _is_text(display_name) and _is_text(domain) and _are_names(groups)):
            break
        append(DirectoryUser(email, display_name, domain, groups))
    else:
        return users
    raise DataError(f"{source}: {_describe_bad_row(len(users), rows[len(users)])}")


def _is_text(value: object) -> bool:
    return value is None or type(value) is str


def _are_names(value: object) -> bool:
    return value is None or (type(value) is list and all(type(item) is str for item in value))


def _describe_bad_row(index: int, row: object) -> str:
    if not isinstance(row, dict):
        return f"row {index} is {_json_type(row)}, expected an object"
    # A number or nested object would otherwise fail later, per request, as a GraphQL String.
    key = next((key for key in _KEYS if not _is_text(row.get(key))), None)
    if key is None:
        return f"row {index} key {GROUPS_KEY!r} is {_json_type(row[GROUPS_KEY])}, expected a list of strings or null"
    return f"row {index} key {key!r} is {_json_type(row[key])}, expected a string or null"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"cannot read data file {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error


def load_users(path: Path) -> list[DirectoryUser]:
    return _decode(_read(path), str(path))


def load_raw_rows(path: Path) -> list[Any]:
    """The file's JSON list as it is, for `--raw`: rows of any shape, served verbatim."""
    rows = _parse_json(_read(path), str(path))
    if not isinstance(rows, list):
        raise DataError(f"{path}: expected a JSON list, got {_json_type(rows)}")
    return rows


def load_demo_users() -> list[DirectoryUser]:
    """The bundled demo rows, read as package data so they work from an installed wheel too."""
    text = resources.files(_PACKAGE).joinpath(DEMO_DATA_NAME).read_text(encoding="utf-8")
    return _decode(text, f"{_PACKAGE}/{DEMO_DATA_NAME}")


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{source}: invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from error


def _decode(text: str, source: str) -> list[DirectoryUser]:
    return parse_users(_parse_json(text, source), source)


def _json_type(value: object) -> str:
    names: Sequence[tuple[type, str]] = (
        (bool, "a boolean"),
        (int, "a number"),
        (float, "a number"),
        (str, "a string"),
        (list, "a list"),
        (dict, "an object"),
    )
    if value is None:
        return "null"
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)
