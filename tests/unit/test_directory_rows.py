import json
import sys
import unicodedata
from pathlib import Path

import pytest

from connector.directory import UNSAFE_CHARACTERS, DirectoryUser, parse_rows


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


def test_names_keep_the_marks_their_scripts_need() -> None:
    users, _ = parse_rows([case["row"] for case in CORPUS])
    by_email = {user.email: user for user in users}
    assert by_email["zwnj@example.com"].display_name == "\u0639\u0644\u06cc\u200c\u0631\u0636\u0627"
    assert by_email["rlm@example.com"].display_name == "Dana \u200f\u05d3\u05e0\u05d4"
    # Refused emails match no one: neither the Kelvin sign's "kelvin@" nor the fullwidth "ann@".
    assert not {"kelvin@example.com", "ann@example.com", "strasse@example.com"} & set(by_email)


def test_one_character_class_refuses_exactly_cc_cf_zl_zp_but_the_five_marks() -> None:
    """The hand-written class of connector.directory against the Unicode database of this Python."""
    allowed = {"\u200c", "\u200d", "\u200e", "\u200f", "\u061c"}
    expected = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp") and chr(code) not in allowed
    }
    refused = {chr(code) for code in range(sys.maxunicode + 1) if UNSAFE_CHARACTERS.match(chr(code))}
    # The class names whole blocks of format characters, some assigned only in a later Unicode than this Python's.
    assert expected <= refused
    assert {unicodedata.category(char) for char in refused - expected} <= {"Cn"}


@pytest.mark.parametrize(
    ("email", "kept"),
    [
        ("zo\u00e9@example.fr", "zo\u00e9@example.fr"),
        ("zoe\u0301@example.fr", "zo\u00e9@example.fr"),  # the same letter, decomposed: NFC composes it
        ("\u0645\u062d\u0645\u062f@example.org", "\u0645\u062d\u0645\u062f@example.org"),
        ("Kim@Example.org", "kim@example.org"),
    ],
)
def test_emails_that_change_only_in_case_or_composition_are_kept(email: str, kept: str) -> None:
    users, problems = parse_rows([{"email": email}])
    assert problems == []
    assert [user.email for user in users] == [kept]


@pytest.mark.parametrize("email", ["\u212aim@example.org", "\u0130lker@example.org", "\u03c2@example.gr"])
def test_emails_that_fold_beyond_case_are_refused(email: str) -> None:
    users, problems = parse_rows([{"email": email}])
    assert users == []
    assert "changes under Unicode normalisation or case folding beyond its case" in str(problems[0])
