from connector.row_filter import row_matches, rows_outside


def test_values_compare_as_trimmed_text_case_insensitively() -> None:
    assert row_matches({"status": " active "}, {"status": ("ACTIVE",)})
    assert row_matches({"active": True, "level": 3}, {"active": ("true",), "level": ("3",)})
    assert not row_matches({"status": "LEFT"}, {"status": ("ACTIVE", "ON_LEAVE")})


def test_nested_paths_lists_and_missing_values() -> None:
    row = {"employment": {"type": "FTE"}, "groups": [{"name": "hr"}, {"name": "it"}], "manager": None}
    assert row_matches(row, {"employment.type": ("fte",), "groups.name": ("IT",)})
    assert not row_matches(row, {"employment.site": ("Paris",)})
    assert not row_matches(row, {"manager": ("none",)})
    assert not row_matches(row, {"employment": ("FTE",)})  # an object is not a value


def test_rows_outside_numbers_rows_from_one() -> None:
    rows = [{"status": "ACTIVE"}, {"status": "LEFT"}, "not an object"]
    assert rows_outside(rows, {"status": ("ACTIVE",)}) == frozenset({2, 3})
    assert rows_outside(rows, {}) == frozenset()
