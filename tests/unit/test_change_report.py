"""The change report: one row per user and field, as JSON Lines or CSV."""

import csv
import json
from pathlib import Path

import pytest

from connector.catalog import CatalogUser
from connector.change_report import Action, ChangeReport, change_rows, plan_rows
from connector.plan import Plan, PlanRules, UserChange, build_plan
from connector.plan_file import planned_user
from connector.privacy import email_shown, mask_email
from tests.unit.test_plan import AARON, BOTH, BRIAN, FINANCE, person, snapshot


def test_a_plan_yields_skipped_not_found_conflicting_and_unlisted_rows() -> None:
    directory = [
        person(1, BRIAN.email, None, "Nope"),
        person(2, "x@y.org", "X", None),
        person(3, "dup@y.org", "A", None),
        person(4, "dup@y.org", "B", None),
    ]
    rows = list(plan_rows(build_plan(directory, snapshot(BRIAN, AARON), BOTH, PlanRules())))
    assert [(row.email, row.field, row.action, row.reason) for row in rows] == [
        (BRIAN.email, "domains", Action.SKIPPED, "domain 'Nope' has no Domain entity in OpenMetadata"),
        ("dup@y.org", "", Action.SKIPPED, "2 directory rows for this email disagree (rows 3, 4)"),
        ("x@y.org", "", Action.SKIPPED, "no OpenMetadata user has this email"),
        (AARON.email, "", Action.UNLISTED, "the directory does not list this email"),
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_rows_are_written_per_field_with_full_emails(tmp_path: Path, suffix: str) -> None:
    snap = snapshot(BRIAN)
    change = planned_user(UserChange(BRIAN, display_name="Brian Smith", domains=(FINANCE,)), snap.domains)
    path = tmp_path / f"report{suffix}"
    report = ChangeReport(path)
    report.write(change_rows(change, Action.UPDATED, ""))
    report.write(plan_rows(Plan(unlisted=[BRIAN])))
    report.close()
    if suffix == ".csv":
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows[1] == {
            "email": BRIAN.email,
            "user": "brian_smith7",
            "field": "domains",
            "old_value": "Marketing",
            "new_value": "Finance",
            "action": "updated",
            "reason": "",
        }
    else:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert rows[1]["old_value"] == ["Marketing"]
        assert rows[0]["old_value"] == "Brian"
    assert report.rows == len(rows) == 3
    assert [row["action"] for row in rows] == ["updated", "updated", "unlisted"]


def test_masked_emails_keep_the_first_letter_and_the_domain() -> None:
    assert mask_email("brian_smith7@gmail.com") == "b***@gmail.com"
    assert mask_email("nobody") == "n***"
    assert email_shown(False)("brian_smith7@gmail.com") == "brian_smith7@gmail.com"
    assert email_shown(True)("brian_smith7@gmail.com") == "b***@gmail.com"


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x.invalid","y")', "+1 555", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]
)
def test_csv_cells_a_spreadsheet_would_run_open_as_text(tmp_path: Path, name: str) -> None:
    snap = snapshot(BRIAN)
    change = planned_user(UserChange(BRIAN, display_name=name, domains=(FINANCE,)), snap.domains)
    path = tmp_path / "report.csv"
    report = ChangeReport(path)
    report.write(change_rows(change, Action.UPDATE, "=cmd|' /C calc'!A0"))
    report.close()
    with path.open(newline="") as handle:
        first = next(iter(csv.DictReader(handle)))
    assert first["new_value"] == "'" + name
    assert first["reason"] == "'=cmd|' /C calc'!A0"
    assert first["old_value"] == "Brian"  # plain text stays as it is
    jsonl = tmp_path / "report.jsonl"
    report = ChangeReport(jsonl)
    report.write(change_rows(change, Action.UPDATE, ""))
    report.close()
    assert json.loads(jsonl.read_text().splitlines()[0])["new_value"] == name  # JSON is data, not a sheet


def test_users_sharing_an_email_each_get_a_skipped_row() -> None:
    twin = CatalogUser("u-b2", "brian_smith7_old", BRIAN.email, None, ())
    rows = list(plan_rows(Plan(shared_emails={BRIAN.email: [BRIAN, twin]})))
    reason = "2 OpenMetadata users share this email once case is ignored; none is changed"
    assert [(row.user, row.action, row.reason) for row in rows] == [
        ("brian_smith7", Action.SKIPPED, reason),
        ("brian_smith7_old", Action.SKIPPED, reason),
    ]
