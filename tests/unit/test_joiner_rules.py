"""Accounts before first sign-in (`createMissingUsers`): the sign-in name and settings, the plan's joiner rules, the
creation request and its 409, the plan file's new users."""

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, cast

import pytest

from connector import plan_file
from connector.catalog import GROUP, CatalogUser, Team, TeamIndex
from connector.directory import DirectoryUser
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.permissions import OperationNeed, operations_needed
from connector.plan import NewUser, PlanRules, SafetyLimitError, SafetyLimits, build_plan, check_safety_limits
from connector.settings import SyncField, UserUpdaterSettings
from connector.sign_in import SignInError, check_sign_in, config_problem, name_problem, sign_in_name
from connector.user_creator import create_request, create_user
from connector.writer import WriteError
from tests.unit.test_plan import AARON, BOTH, BRIAN, FINANCE, person, snapshot

CREATE = PlanRules(create_missing_users=True, restore_returners=True)
JANE = person(1, "jane.doe@gmail.com", "Jane Doe", "Finance")
DATA = Team("t-data", "Data Platform", "Data Platform", GROUP, ("t-eng",))


def settings(**options: str) -> UserUpdaterSettings:
    return UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://dir.test/graphql", **options})


# The sign-in name and settings


@pytest.mark.parametrize(
    ("email", "name"),
    [("Jane.Doe@Example.com", "jane.doe"), (" bob@x.org", "bob"), ("a@b@c.org", "a")],
)
def test_the_sign_in_name_is_the_lower_cased_part_before_the_first_at(email: str, name: str) -> None:
    assert sign_in_name(email) == name


def test_names_openmetadata_would_refuse_are_problems() -> None:
    assert name_problem("jane") is None
    assert name_problem("") is not None
    assert "'::'" in (name_problem("a::b") or "")
    assert name_problem('a"b') is not None


@pytest.mark.parametrize(
    "config",
    [
        {"provider": "basic", "jwtPrincipalClaims": ["email", "preferred_username", "sub"]},
        {"provider": "google", "jwtPrincipalClaims": ["email", "preferred_username", "sub"]},
        {"provider": "custom-oidc", "jwtPrincipalClaims": ["Email"], "jwtPrincipalClaimsMapping": []},
        {
            "provider": "okta",
            "jwtPrincipalClaims": ["sub"],
            "jwtPrincipalClaimsMapping": ["username:email", "email:email"],
        },
    ],
)
def test_settings_under_which_a_sign_in_gives_the_emails_local_part(config: dict[str, Any]) -> None:
    assert config_problem(config) is None


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({}, "names no authentication provider"),
        ({"provider": "saml"}, "'saml'"),
        ({"provider": "ldap"}, "'ldap'"),
        ({"provider": "google", "jwtPrincipalClaims": ["preferred_username", "email"]}, "'email' must come first"),
        ({"provider": "google", "jwtPrincipalClaims": []}, "'email' must come first"),
        (
            {"provider": "azure", "jwtPrincipalClaimsMapping": ["username:preferred_username", "email:email"]},
            "claim 'preferred_username'",
        ),
    ],
)
def test_settings_that_could_name_a_person_otherwise_are_refused(config: dict[str, Any], words: str) -> None:
    assert words in (config_problem(config) or "")


class AuthApi:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        assert path == "/system/config/auth"
        if isinstance(self.answer, OpenMetadataError):
            raise self.answer
        return self.answer


def test_check_sign_in_says_which_rule_holds_or_refuses_with_the_reason() -> None:
    good = AuthApi({"provider": "google", "jwtPrincipalClaims": ["email", "sub"]})
    assert "'email' claim" in check_sign_in(cast(OpenMetadataApi, good))
    with pytest.raises(SignInError, match="Nothing was written"):
        check_sign_in(cast(OpenMetadataApi, AuthApi({"provider": "saml"})))
    with pytest.raises(SignInError, match="cannot read OpenMetadata's sign-in settings"):
        check_sign_in(cast(OpenMetadataApi, AuthApi(OpenMetadataError("GET /system/config/auth: HTTP 404", 404))))


# The plan


def test_a_person_without_an_account_gets_one_with_the_synced_fields() -> None:
    plan = build_plan([JANE, person(2, BRIAN.email, "Brian", "Marketing")], snapshot(BRIAN), BOTH, CREATE)
    assert plan.new_users == [NewUser("jane.doe", "jane.doe@gmail.com", "Jane Doe", (FINANCE,), ())]
    assert plan.not_found == []
    assert plan.unchanged == 1


def test_fields_not_synced_are_left_out_of_the_new_account() -> None:
    plan = build_plan([JANE], snapshot(), frozenset({SyncField.DOMAINS}), CREATE)
    assert plan.new_users == [NewUser("jane.doe", "jane.doe@gmail.com", None, (FINANCE,), ())]


def test_an_unknown_domain_is_left_out_with_its_warning() -> None:
    plan = build_plan([person(1, "jane@gmail.com", "Jane", "Atlantis")], snapshot(), BOTH, CREATE)
    assert plan.new_users == [NewUser("jane", "jane@gmail.com", "Jane", (), ())]
    assert plan.unknown_domains["Atlantis"] == 1


def test_the_option_off_plans_no_account() -> None:
    plan = build_plan([JANE], snapshot(), BOTH, PlanRules())
    assert plan.new_users == []
    assert [p.email for p in plan.not_found] == [JANE.email]


@pytest.mark.parametrize(
    ("directory", "catalog", "rules", "words"),
    [
        # Another account holds the name, with another email.
        (
            [person(1, "aaron_johnson0@corp.example", None, None)],
            [AARON],
            CREATE,
            "another OpenMetadata account holds the name 'aaron_johnson0'",
        ),
        # Two people would share the name.
        (
            [person(1, "sam@gmail.com", None, None), person(2, "sam@corp.example", None, None)],
            [],
            CREATE,
            "2 directory people would get the name 'sam'",
        ),
        ([person(1, "a::b@gmail.com", None, None)], [], CREATE, "'::'"),
        ([JANE], [], replace(CREATE, protected_users=frozenset({"jane.doe"})), "listed in protectedUsers"),
    ],
)
def test_not_created(directory: list[DirectoryUser], catalog: list[CatalogUser], rules: PlanRules, words: str) -> None:
    plan = build_plan(directory, snapshot(*catalog), BOTH, rules)
    assert plan.new_users == []
    assert {p.email for p in plan.not_found} == {p.email for p in directory}
    assert all(
        words in plan.not_created[p.email] and "no account is created" in plan.not_created[p.email] for p in directory
    )


def test_a_name_held_by_a_soft_deleted_account_with_another_email_is_not_given() -> None:
    gone = CatalogUser("u-j", "jane.doe", "jane.doe@old.example", None, ())
    snap = snapshot()
    snap.deleted_by_email = {gone.email: [gone]}
    plan = build_plan([JANE], snap, BOTH, CREATE)
    assert plan.new_users == []
    assert "holds the name 'jane.doe'" in plan.not_created[JANE.email]


def test_a_person_whose_account_is_soft_deleted_is_restored_not_created_again() -> None:
    gone = CatalogUser("u-j", "jane.doe", JANE.email, "Jane Doe", ("d-fin",))
    snap = snapshot()
    snap.deleted_by_email = {gone.email: [gone]}
    plan = build_plan([JANE], snap, BOTH, CREATE)
    assert plan.returners == [gone]
    assert plan.new_users == []
    assert plan.unchanged == 1


def test_new_accounts_carry_the_directorys_teams_and_teams_to_create() -> None:
    teams = TeamIndex()
    for team in (Team("t-eng", "Engineering", "Engineering", "Department"), DATA):
        teams.add(team)
    snap = snapshot()
    snap.teams = teams
    rules = replace(CREATE, managed_teams_parent="Engineering", create_missing_teams=True)
    directory = [
        DirectoryUser(1, "jane@gmail.com", None, None, ("data platform",)),
        DirectoryUser(2, "raj@gmail.com", None, None, ("Search",)),
    ]
    plan = build_plan(directory, snap, frozenset({SyncField.TEAMS}), rules)
    assert [(u.name, [t.name for t in u.teams]) for u in plan.new_users] == [
        ("jane", ["Data Platform"]),
        ("raj", ["Search"]),
    ]
    assert [(t.name, t.id, t.parent_ids) for t in plan.new_teams] == [("Search", "", ("t-eng",))]


def test_new_accounts_count_toward_max_change_count() -> None:
    plan = build_plan([JANE, person(2, "raj@gmail.com", None, None)], snapshot(), BOTH, CREATE)
    with pytest.raises(SafetyLimitError, match=r"changes 2 of 0 matched users \(0%\), new accounts included \(2\)"):
        check_safety_limits(plan, SafetyLimits(max_count=1))
    check_safety_limits(plan, SafetyLimits(max_count=2))


def test_the_option_asks_for_create_on_user_and_edit_all_for_returners() -> None:
    needs = operations_needed(settings(createMissingUsers="true"))
    assert [(n.resource, n.operation) for n in needs] == [("user", "Create"), ("user", "EditAll")]
    assert all(isinstance(n, OperationNeed) for n in needs)
    assert settings(createMissingUsers="true").restores_returners
    assert not settings().restores_returners
    assert operations_needed(settings()) == []


# The write


class CreateApi:
    def __init__(self, answer: Any, existing: Any = None) -> None:
        self.answer = answer
        self.existing = existing
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.reads: list[str] = []

    def post(self, path: str, body: dict[str, Any]) -> Any:
        self.posted.append((path, body))
        if isinstance(self.answer, OpenMetadataError):
            raise self.answer
        return self.answer

    def get(self, path: str, params: dict[str, Any]) -> Any:
        self.reads.append(path)
        if isinstance(self.existing, OpenMetadataError):
            raise self.existing
        return self.existing


def account(name: str, email: str, **more: Any) -> dict[str, Any]:
    return {"id": "u-new", "name": name, "email": email, "version": 0.1, **more}


NEW = NewUser("jane.doe", "jane.doe@gmail.com", "Jane Doe", (FINANCE,), (DATA,))
TAKEN = OpenMetadataError("POST /users: HTTP 409: Entity already exists", 409, "Entity already exists")


def test_the_request_carries_name_email_fields_domains_by_fqn_teams_by_id_and_never_admin() -> None:
    assert create_request(NEW) == {
        "name": "jane.doe",
        "email": "jane.doe@gmail.com",
        "displayName": "Jane Doe",
        "domains": ["Finance"],
        "teams": ["t-data"],
    }
    assert create_request(NewUser("bob", "bob@x.org")) == {"name": "bob", "email": "bob@x.org"}
    with pytest.raises(ValueError, match="create it first"):
        create_request(replace(NEW, teams=(Team("", "Search", "Search", GROUP),)))


def test_a_created_account_is_returned_and_one_named_otherwise_is_a_failure() -> None:
    api = CreateApi(account("jane.doe", "jane.doe@gmail.com"))
    assert create_user(cast(OpenMetadataApi, api), NEW).id == "u-new"
    renamed = CreateApi(account("jdoe", "jane.doe@gmail.com"))
    with pytest.raises(WriteError, match="created the account as 'jdoe'"):
        create_user(cast(OpenMetadataApi, renamed), NEW)


def test_a_409_for_the_planned_account_counts_as_created_and_for_another_fails() -> None:
    mine = CreateApi(TAKEN, existing=account("jane.doe", "jane.doe@gmail.com"))
    assert create_user(cast(OpenMetadataApi, mine), NEW).name == "jane.doe"
    assert mine.reads == ["/users/name/jane.doe"]
    other = CreateApi(TAKEN, existing=account("jane.doe", "jane.doe@elsewhere.example"))
    with pytest.raises(WriteError, match="belongs to another account"):
        create_user(cast(OpenMetadataApi, other), NEW)
    email_taken = CreateApi(TAKEN, existing=OpenMetadataError("GET: HTTP 404", 404))
    with pytest.raises(WriteError, match="another account holds this email"):
        create_user(cast(OpenMetadataApi, email_taken), NEW)


def test_no_answer_is_unreachable() -> None:
    api = CreateApi(OpenMetadataError("POST /users: connection refused", None))
    with pytest.raises(WriteError) as raised:
        create_user(cast(OpenMetadataApi, api), NEW)
    assert raised.value.unreachable


# The plan file


def test_a_plan_file_carries_new_users_and_applies_them_while_no_account_holds_the_email(tmp_path: Any) -> None:
    options = settings(createMissingUsers="true", fields="displayName,domains")
    plan = build_plan([JANE], snapshot(), BOTH, CREATE)
    saved = plan_file.new_plan_file(
        plan,
        snapshot().domains,
        options,
        directory_endpoint="http://dir.test/graphql",
        openmetadata_host="http://om.test",
        created_at=datetime.now(timezone.utc),
    )
    digest = plan_file.save(tmp_path / "plan.json", saved)
    loaded = plan_file.load(tmp_path / "plan.json", digest)
    assert loaded.format_version == 4
    plan_file.check_applicable(loaded, openmetadata_host="http://om.test", fields=BOTH, creates=True)
    with pytest.raises(plan_file.PlanFileError, match="createMissingUsers is off"):
        plan_file.check_applicable(loaded, openmetadata_host="http://om.test", fields=BOTH)
    new_users, stale = plan_file.new_users_to_apply(loaded, snapshot())
    assert (new_users, stale) == ([NewUser("jane.doe", JANE.email, "Jane Doe", (FINANCE,), ())], [])
    meanwhile = CatalogUser("u-j", "jane.doe", JANE.email, None, ())
    new_users, stale = plan_file.new_users_to_apply(loaded, snapshot(meanwhile))
    assert new_users == []
    assert "holds this email since the plan was made" in stale[0].reason


def test_a_plan_file_new_user_named_otherwise_than_a_sign_in_is_refused(tmp_path: Any) -> None:
    options = settings(createMissingUsers="true", fields="displayName,domains")
    saved = plan_file.new_plan_file(
        build_plan([JANE], snapshot(), BOTH, CREATE),
        snapshot().domains,
        options,
        directory_endpoint="http://dir.test/graphql",
        openmetadata_host="http://om.test",
        created_at=datetime.now(timezone.utc),
    )
    forged = saved.model_copy(update={"new_users": [saved.new_users[0].model_copy(update={"name": "admin"})]})
    with pytest.raises(plan_file.PlanFileError, match="not named as a first sign-in"):
        plan_file.check_applicable(forged, openmetadata_host="http://om.test", fields=BOTH, creates=True)
