"""The team rules of the plan (connector/plan.py's docstring) and the team part of the user's patch."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import jsonpatch
import pytest

from connector import plan_file
from connector.catalog import CatalogSnapshot, CatalogUser, DomainIndex, Team, TeamIndex
from connector.directory import DirectoryUser
from connector.plan import Plan, PlanRules, TeamScopeError, UserChange, build_plan
from connector.settings import SyncField, UserUpdaterSettings
from connector.writer import build_patch, describe_change, replan, with_created_teams

TEAMS = frozenset({SyncField.TEAMS})
ORG = Team("t-org", "Organization", "Organization", "Organization")
ENGINEERING = Team("t-eng", "Engineering", "Engineering", "Department", ("t-org",))
PLATFORM = Team("t-dp", "Data Platform", "Data Platform", "Group", ("t-eng",))
WEB = Team("t-web", "Web", "Web", "Group", ("t-eng",))
MARKETING = Team("t-mkt", "Marketing Team", "Marketing Team", "Group", ("t-org",))
SALES_EU = Team("t-se", "Sales", "Sales", "Group", ("t-org",))
SALES_US = Team("t-su", "sales", "sales", "Group", ("t-org",))

# aaron is in a team made by hand (Marketing Team) and in Web; brian has no team (the server lists Organization).
AARON = CatalogUser("u-a", "aaron", "aaron@x.org", None, (), team_ids=("t-mkt", "t-web"))
BRIAN = CatalogUser("u-b", "brian", "brian@x.org", None, (), team_ids=("t-org",))
REPLACE = PlanRules(team_mode="replace", managed_teams_parent="Engineering")


def snapshot(*users: CatalogUser) -> CatalogSnapshot:
    teams = TeamIndex()
    for team in (ORG, ENGINEERING, PLATFORM, WEB, MARKETING, SALES_EU, SALES_US):
        teams.add(team)
    return CatalogSnapshot({u.email: u for u in users}, DomainIndex(), teams=teams)


def person(email: str, *teams: str, row: int = 1) -> DirectoryUser:
    return DirectoryUser(row, email, None, None, teams or None)


ADD = PlanRules()


def plan(*people: DirectoryUser, rules: PlanRules = ADD) -> Plan:
    return build_plan(list(people), snapshot(AARON, BRIAN), TEAMS, rules)


def test_add_mode_adds_the_directorys_teams_and_keeps_the_rest() -> None:
    result = plan(person("aaron@x.org", "data platform"), person("brian@x.org", "Web", row=2))
    assert result.changes == [
        UserChange(AARON, teams=(MARKETING, WEB, PLATFORM)),
        UserChange(BRIAN, teams=(WEB,)),  # Organization, the default, is never written
    ]


def test_a_user_already_in_the_teams_is_unchanged_and_a_missing_value_changes_nothing() -> None:
    result = plan(person("aaron@x.org", "Web"), person("brian@x.org", row=2))
    assert (result.changes, result.unchanged) == ([], 2)


def test_replace_mode_sets_the_managed_teams_and_never_touches_a_team_outside_the_scope() -> None:
    result = plan(person("aaron@x.org", "Data Platform"), rules=REPLACE)
    assert result.changes == [UserChange(AARON, teams=(MARKETING, PLATFORM))]


def test_the_mapping_translates_values_case_insensitively() -> None:
    rules = PlanRules(team_mapping={"eng-dp": "Data Platform"})
    assert plan(person("brian@x.org", "ENG-DP"), rules=rules).changes == [UserChange(BRIAN, teams=(PLATFORM,))]


@pytest.mark.parametrize(
    ("value", "rules", "reason"),
    [
        ("Nowhere", PlanRules(), "team 'Nowhere' has no team in OpenMetadata"),
        ("SALES", PlanRules(), "team 'SALES' names 2 teams; use the fully qualified name"),
        ("Engineering", PlanRules(), "team 'Engineering' is of type Department; only teams of type Group hold users"),
        ("Marketing Team", REPLACE, "team 'Marketing Team' is not under managedTeamsParent 'Engineering'"),
    ],
)
def test_a_value_that_cannot_be_used_leaves_the_users_teams_alone(value: str, rules: PlanRules, reason: str) -> None:
    result = plan(person("aaron@x.org", "Data Platform", value), rules=rules)
    assert result.changes == []
    assert [(s.user, s.field, s.reason) for s in result.skipped] == [(AARON, SyncField.TEAMS, reason)]
    assert result.team_problems == {value: reason}
    assert result.skipped_for_team == 1


def test_create_missing_teams_plans_a_group_under_the_parent_once() -> None:
    rules = replace(REPLACE, create_missing_teams=True)
    result = plan(person("aaron@x.org", "Mobile"), person("brian@x.org", "mobile", row=2), rules=rules)
    mobile = Team("", "Mobile", "Mobile", "Group", ("t-eng",))
    assert result.new_teams == [mobile]
    assert result.changes == [UserChange(AARON, teams=(MARKETING, mobile)), UserChange(BRIAN, teams=(mobile,))]


def test_allow_clear_in_replace_mode_removes_only_the_managed_teams() -> None:
    result = plan(person("aaron@x.org"), rules=replace(REPLACE, allow_clear=True))
    assert result.changes == [UserChange(AARON, teams=(MARKETING,))]


@pytest.mark.parametrize("parent", ["Nowhere", "Data Platform", "Organization"])
def test_the_managed_parent_must_be_a_team_that_holds_teams(parent: str) -> None:
    with pytest.raises(TeamScopeError, match="managedTeamsParent"):
        plan(person("aaron@x.org", "Web"), rules=PlanRules(team_mode="replace", managed_teams_parent=parent))


def test_rows_that_disagree_on_teams_are_a_conflict() -> None:
    result = plan(person("aaron@x.org", "Web"), person("aaron@x.org", "Data Platform", row=2))
    assert list(result.conflicts) == ["aaron@x.org"]


def test_the_patch_tests_every_listed_team_in_the_servers_order_then_adds_the_whole_list() -> None:
    change = UserChange(AARON, teams=(MARKETING, PLATFORM))
    assert list(build_patch(change)) == [
        {"op": "test", "path": "/teams/0/id", "value": "t-mkt"},
        {"op": "test", "path": "/teams/1/id", "value": "t-web"},
        {"op": "add", "path": "/teams", "value": [{"id": "t-mkt", "type": "team"}, {"id": "t-dp", "type": "team"}]},
    ]
    document = {"id": "u-a", "teams": [{"id": "t-mkt"}, {"id": "t-web"}]}
    assert build_patch(change).apply(document)["teams"] == [
        {"id": "t-mkt", "type": "team"},
        {"id": "t-dp", "type": "team"},
    ]
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        # The same teams in another order: the test fails, and the user is re-planned from the reread.
        build_patch(change).apply({"id": "u-a", "teams": [{"id": "t-web"}, {"id": "t-mkt"}]})


def test_a_team_to_create_is_written_only_once_created() -> None:
    mobile = Team("", "Mobile", "Mobile", "Group", ("t-eng",))
    change = UserChange(BRIAN, teams=(mobile,))
    with pytest.raises(ValueError, match="create it first"):
        build_patch(change)
    created = Team("t-mob", "Mobile", "Mobile", "Group", ("t-eng",))
    assert with_created_teams(change, {"mobile": created}) == UserChange(BRIAN, teams=(created,))
    assert with_created_teams(change, {}) == "the team 'Mobile' could not be created; nothing written"


def test_replan_keeps_a_team_given_meanwhile_and_drops_what_is_done() -> None:
    change = UserChange(AARON, teams=(MARKETING, PLATFORM))  # removes Web, adds Data Platform
    meanwhile = replace(AARON, team_ids=("t-web", "t-mkt", "t-se"))
    assert replan(change, meanwhile) == UserChange(meanwhile, teams=(MARKETING, SALES_EU_REF, PLATFORM))
    done = replace(AARON, team_ids=("t-dp", "t-mkt"))
    assert replan(change, done) is None
    cleared = UserChange(BRIAN, teams=(WEB,))
    assert replan(cleared, replace(BRIAN, team_ids=("t-org",)), frozenset({"t-org"})) == UserChange(BRIAN, teams=(WEB,))


SALES_EU_REF = Team("t-se", "t-se", "t-se", "")


def test_describe_names_the_teams_by_fqn_and_marks_new_ones() -> None:
    mobile = Team("", "Mobile", "Mobile", "Group", ("t-eng",))
    text = describe_change(UserChange(AARON, teams=(MARKETING, mobile)), DomainIndex(), snapshot().teams)
    assert text == "user aaron: teams [Marketing Team, Web] -> [Marketing Team, Mobile (new)]"


def test_a_plan_file_carries_the_teams_by_id_and_fqn_and_applies_them_back(tmp_path: Path) -> None:
    settings = UserUpdaterSettings.from_connection_options(
        {
            "graphqlEndpoint": "http://directory:4000",
            "graphqlQuery": "{ users { email displayName domain teams } }",
            "fields": "teams",
            "teamMode": "replace",
            "managedTeamsParent": "Engineering",
            "createMissingTeams": "true",
        }
    )
    mobile = Team("", "Mobile", "Mobile", "Group", ("t-eng",))
    changes = [UserChange(AARON, teams=(MARKETING, PLATFORM)), UserChange(BRIAN, teams=(mobile,))]
    catalog = snapshot(AARON, BRIAN)
    made = plan_file.new_plan_file(
        Plan(changes=changes),
        catalog.domains,
        settings,
        directory_endpoint="http://directory:4000/",
        openmetadata_host="http://om",
        created_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
        teams=catalog.teams,
    )
    path = tmp_path / "plan.json"
    loaded = plan_file.load(path, plan_file.save(path, made))
    assert loaded.changes[0].teams == plan_file.TeamsChange(
        old=[plan_file.TeamRef(id="t-mkt", fqn="Marketing Team"), plan_file.TeamRef(id="t-web", fqn="Web")],
        new=[plan_file.TeamRef(id="t-mkt", fqn="Marketing Team"), plan_file.TeamRef(id="t-dp", fqn="Data Platform")],
    )
    assert loaded.changes[1].teams is not None
    assert loaded.changes[1].teams.new == [plan_file.TeamRef(id=None, fqn="Mobile")]
    plan_file.check_applicable(loaded, openmetadata_host="http://om", fields=frozenset({SyncField.TEAMS}))
    applied, stale = plan_file.changes_to_apply(loaded, catalog)
    assert (applied, stale) == (changes, [])
