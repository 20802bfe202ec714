"""Every row of docs/reliability.md says what the user sees and what is written, and names tests that exist,
among them an end-to-end run through `metadata ingest`."""

from tests.unit.doc_tables import defined_tests, named_tests, table_rows


def test_each_fault_names_its_outcome_and_tests_that_exist() -> None:
    existing = defined_tests("unit", "integration", "e2e", "sandbox", "directory", "faults")
    end_to_end = defined_tests("e2e")
    table = table_rows("reliability.md", 4)
    assert len(table) >= 20
    for fault, seen, written, tests in table:
        assert seen, f"what the user sees is missing for: {fault}"
        assert written, f"what is written is missing for: {fault}"
        named = named_tests(tests)
        missing = [name for name in named if name not in existing]
        assert not missing, f"{fault}: tests {missing} do not exist"
        assert set(named) & end_to_end, f"no end-to-end test named for: {fault}"
