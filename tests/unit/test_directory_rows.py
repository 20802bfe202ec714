from connector.directory import DirectoryUser, parse_rows


def test_rows_are_normalised() -> None:
    users, problems = parse_rows(
        [
            {"email": "  Brian_Smith7@Gmail.com ", "displayName": " Brian Smith ", "domain": "Finance"},
            {"email": "a@x.org", "displayName": "", "domain": None},
            {"email": "b@x.org", "extra": [1, 2]},
        ]
    )
    assert problems == []
    assert users == [
        DirectoryUser(row=1, email="brian_smith7@gmail.com", display_name="Brian Smith", domains=("Finance",)),
        DirectoryUser(row=2, email="a@x.org", display_name=None, domains=None),
        DirectoryUser(row=3, email="b@x.org", display_name=None, domains=None),
    ]


def test_bad_rows_are_reported_with_row_and_field() -> None:
    users, problems = parse_rows(
        [
            "not an object",
            {"displayName": "No Email"},
            {"email": "   "},
            {"email": "no-at-sign"},
            {"email": "c@x.org", "displayName": 42, "domain": ["Finance", 7]},
        ]
    )
    assert [str(p) for p in problems] == [
        "directory row 1: row is not an object; skipped",
        "directory row 2: email is missing or empty; row skipped",
        "directory row 3: email is missing or empty; row skipped",
        "directory row 4: email 'no-at-sign' is not an email address; row skipped",
        "directory row 5: displayName is a int, not a string; ignored",
        "directory row 5: domain is a int, not a string; ignored",
    ]
    assert users == [DirectoryUser(row=5, email="c@x.org", display_name=None, domains=None)]


def test_a_list_of_domains_is_kept_without_repeats_or_blanks() -> None:
    users, problems = parse_rows([{"email": "d@x.org", "domain": [" Finance ", "finance", "", "Marketing"]}])
    assert problems == []
    assert users == [DirectoryUser(row=1, email="d@x.org", display_name=None, domains=("Finance", "Marketing"))]
