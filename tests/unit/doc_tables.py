"""Read the Markdown tables of docs/ whose last column names tests, and the tests that exist, for the tests that
keep those tables honest."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def defined_tests(*folders: str) -> set[str]:
    """Names of the test functions defined under tests/<folder> for each folder."""
    names = set()
    for folder in folders:
        for path in (ROOT / "tests" / folder).rglob("test_*.py"):
            tree = ast.parse(path.read_text())
            names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    return names


def table_rows(document: str, columns: int) -> list[list[str]]:
    """The body rows (header and separator left out) of every table with `columns` columns in docs/<document>."""
    table: list[list[str]] = []
    for line in (ROOT / "docs" / document).read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) != columns:
            continue
        if set(cells[0]) <= set("-: "):
            table.pop()  # the row above a separator is its table's header
        else:
            table.append(cells)
    return table


def named_tests(cell: str) -> list[str]:
    return re.findall(r"`(test_\w+)`", cell)
