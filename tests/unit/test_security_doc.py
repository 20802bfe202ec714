"""docs/security.md names, for each defence, tests that exist."""

from tests.unit.doc_tables import ROOT, defined_tests, named_tests


def test_every_test_the_threat_model_names_exists() -> None:
    named = named_tests((ROOT / "docs" / "security.md").read_text())
    assert len(named) >= 20
    missing = sorted(set(named) - defined_tests("unit", "integration", "e2e", "sandbox", "directory", "faults"))
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
