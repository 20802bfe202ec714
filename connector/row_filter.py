"""`rowFilter`: which directory rows a run considers, decided on each user object as the directory returns it.

A filter is a map of dotted paths (`status`, `employment.type`) to accepted values. A row passes when, for every
path, the value there equals one of the accepted values, compared as text, case-insensitively and trimmed; a list
anywhere on the path passes when any element does; a missing path never passes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connector.query import pluck


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    return (value if isinstance(value, str) else json.dumps(value)).strip().lower()


def row_matches(row: Any, row_filter: Mapping[str, tuple[str, ...]]) -> bool:
    for path, accepted in row_filter.items():
        wanted = {value.strip().lower() for value in accepted}
        found = pluck(row, path.split("."))
        if not any(_as_text(value) in wanted for value in (found if isinstance(found, list) else [found])):
            return False
    return True


def rows_outside(rows: list[Any], row_filter: Mapping[str, tuple[str, ...]], start: int = 1) -> set[int]:
    """The 1-based positions of the rows that do not pass, numbered as `directory.parse_rows` numbers them."""
    if not row_filter:
        return set()
    return {position for position, row in enumerate(rows, start=start) if not row_matches(row, row_filter)}
