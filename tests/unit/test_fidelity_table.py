"""Every row of docs/sandbox-fidelity.md names an OpenMetadata source file and at least one existing test."""

from tests.unit.doc_tables import defined_tests, named_tests, table_rows


def test_each_row_names_a_source_and_tests_that_exist() -> None:
    existing = defined_tests("sandbox", "unit")
    table = table_rows("sandbox-fidelity.md", 3)
    assert len(table) >= 20
    for behaviour, source, tests in table:
        named = named_tests(tests)
        assert named, f"no test named for: {behaviour}"
        missing = [name for name in named if name not in existing]
        assert not missing, f"{behaviour}: tests {missing} do not exist"
        assert source, f"no OpenMetadata source named for: {behaviour}"
