import json
from pathlib import Path

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
        "directory row 5: displayName is a number, not a string; ignored",
        "directory row 5: domain is a number, not a string; ignored",
    ]
    assert users == [DirectoryUser(row=5, email="c@x.org", display_name=None, domains=None)]


def test_a_list_of_domains_is_kept_without_repeats_or_blanks() -> None:
    users, problems = parse_rows([{"email": "d@x.org", "domain": [" Finance ", "finance", "", "Marketing"]}])
    assert problems == []
    assert users == [DirectoryUser(row=1, email="d@x.org", display_name=None, domains=("Finance", "Marketing"))]


CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "bad_directory_rows.json").read_text())["cases"]


def test_every_bad_row_of_the_corpus_gets_its_precise_warning_and_nothing_crashes() -> None:
    users, problems = parse_rows([case["row"] for case in CORPUS])
    messages = {problem.row: str(problem) for problem in problems}
    for row, case in enumerate(CORPUS, start=1):
        if case["warning"] is None:
            assert row not in messages, f"{case['case']}: unexpected {messages.get(row)}"
        else:
            assert case["warning"] in messages.get(row, ""), f"{case['case']}: got {messages.get(row)!r}"
    assert all(len(message) < 200 for message in messages.values())
    by_email = {user.email: user for user in users}
    assert by_email["brian_smith7@gmail.com"].display_name == "Brian Smith"
    assert by_email["combining@example.com"].display_name == "Zoé Müller"
    assert by_email["rtl@example.com"].display_name == "محمد علي"
    assert by_email["two.domains@example.com"].domains == ("Finance", "Marketing")
    assert by_email["script@example.com"].display_name is None
    assert by_email["numberdomain@example.com"] == DirectoryUser(21, "numberdomain@example.com", "Number Domain", None)


def test_rows_of_a_later_page_keep_their_position_in_the_whole_directory() -> None:
    users, problems = parse_rows([{"email": "a@x.org"}, {"displayName": "no email"}], start=1001)
    assert [user.row for user in users] == [1001]
    assert [problem.row for problem in problems] == [1002]
