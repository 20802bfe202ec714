"""Every row of docs/sandbox-fidelity.md names an OpenMetadata source file and at least one existing test."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sandbox_tests() -> set[str]:
    names = set()
    for path in (ROOT / "tests" / "sandbox").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    return names


def rows() -> list[list[str]]:
    table = []
    for line in (ROOT / "docs" / "sandbox-fidelity.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3 and not set(cells[0]) <= set("-: "):
            table.append(cells)
    return table[1:]  # the header row


def test_each_row_names_a_source_and_tests_that_exist() -> None:
    existing = sandbox_tests()
    table = rows()
    assert len(table) >= 20
    for behaviour, source, tests in table:
        named = re.findall(r"`(test_\w+)`", tests)
        assert named, f"no test named for: {behaviour}"
        missing = [name for name in named if name not in existing]
        assert not missing, f"{behaviour}: tests {missing} do not exist"
        assert source, f"no OpenMetadata source named for: {behaviour}"
