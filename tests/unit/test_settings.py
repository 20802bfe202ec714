import re
from pathlib import Path

import pytest

from connector.settings import SettingsError, SyncField, UserUpdaterSettings


def parse(**options: str) -> UserUpdaterSettings:
    return UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://localhost:4000", **options})


def test_defaults() -> None:
    settings = parse()
    assert settings.fields == {SyncField.DISPLAY_NAME, SyncField.DOMAINS}
    assert settings.query == "{ users { email displayName domain } }"
    assert settings.query_plan.users_path == ("users",)
    assert settings.query_plan.field_paths == {
        "emailField": ("email",),
        "displayNameField": ("displayName",),
        "domainField": ("domain",),
    }
    assert settings.page_size == 1000
    assert settings.request_timeout_seconds == 30
    assert settings.tls_verify is True


def test_string_values_are_typed() -> None:
    settings = parse(
        pageSize="250", graphqlVerifySsl="false", requestTimeoutSeconds="2.5", fields=" domains ", maxRetries="0"
    )
    assert settings.page_size == 250
    assert settings.graphql_verify_ssl is False
    assert settings.tls_verify is False
    assert settings.request_timeout_seconds == 2.5
    assert settings.fields == {SyncField.DOMAINS}
    assert settings.max_retries == 0


def test_relay_defaults() -> None:
    settings = parse(graphqlPaging="relay", graphqlPageSize="50")
    plan = settings.query_plan
    assert plan.users_path == ("usersConnection",)
    assert (plan.page_size_variable, plan.page_start_variable) == ("first", "after")
    assert settings.graphql_page_size == 50


RELAY_QUERY = (
    "query Staff($n: Int!, $cursor: String, $status: String!) { org { staff(first: $n, after: $cursor, "
    "status: $status) { edges { node { workEmail fullName departments { name } } } "
    "pageInfo { hasNextPage endCursor } } } }"
)


def test_a_query_of_another_shape_with_its_paths_and_variables() -> None:
    settings = parse(
        graphqlPaging="relay",
        graphqlQuery=RELAY_QUERY,
        graphqlUsersPath="org.staff",
        emailField="workEmail",
        displayNameField="fullName",
        domainField="departments.name",
        graphqlPageSizeVariable="n",
        graphqlPageStartVariable="cursor",
        graphqlVariables='{"status": "ACTIVE"}',
    )
    plan = settings.query_plan
    assert plan.users_path == ("org", "staff")
    assert plan.field_paths["domainField"] == ("departments", "name")
    assert (plan.page_size_variable, plan.page_start_variable) == ("n", "cursor")
    assert plan.variables == {"status": "ACTIVE"}


OFFSET_QUERY = "query($limit: Int, $offset: Int) { people(limit: $limit, offset: $offset) { mail } }"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"graphqlQuery": "{ users { email "}, "'graphqlQuery' is not valid GraphQL: Syntax Error: Expected Name"),
        ({"graphqlQuery": "mutation { users { email displayName domain } }"}, "must be a query, not a mutation"),
        ({"graphqlQuery": "{ users { email } }"}, "'displayNameField' 'displayName' is not selected by graphqlQuery"),
        ({"emailField": "contact.email"}, "'emailField' 'contact.email' is not selected by graphqlQuery"),
        ({"graphqlUsersPath": "people"}, "'graphqlUsersPath' 'people' is not selected by graphqlQuery"),
        ({"graphqlPaging": "offset"}, "'graphqlQuery' is required with graphqlPaging 'offset'"),
        (
            {"graphqlPaging": "offset", "graphqlQuery": OFFSET_QUERY, "graphqlUsersPath": "people"},
            "'emailField' 'email' is not selected",
        ),
        (
            {
                "graphqlPaging": "relay",
                "graphqlQuery": "query($first: Int) { usersConnection(first: $first) "
                "{ edges { node { email displayName domain } } pageInfo { hasNextPage endCursor } } }",
            },
            "must declare $after for graphqlPaging 'relay' ('graphqlPageStartVariable')",
        ),
        (
            {
                "graphqlPaging": "relay",
                "graphqlQuery": "query($first: Int, $after: String!) { usersConnection("
                "first: $first, after: $after) { edges { node { email displayName domain } } } }",
            },
            "must select pageInfo { hasNextPage }",
        ),
        (
            {"graphqlPaging": "relay", "graphqlVariables": '{"first": 3}'},
            "'graphqlVariables' sets $first, which paging sets",
        ),
        ({"graphqlVariables": '{"status": "ACTIVE"}'}, "sets $status, which graphqlQuery does not declare"),
        (
            {"graphqlQuery": "query($status: String!) { users(status: $status) { email displayName domain } }"},
            "graphqlQuery needs $status (non-null, no default); set it in 'graphqlVariables'",
        ),
        ({"graphqlVariables": "[1]"}, "'graphqlVariables': Value error, must be a JSON object"),
    ],
)
def test_a_query_that_cannot_give_what_the_options_read_is_refused(options: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        parse(**options)
    assert message in str(error.value)


def test_relay_start_variable_must_be_nullable() -> None:
    query = (
        "query($first: Int, $after: String!) { usersConnection(first: $first, after: $after) "
        "{ edges { node { email displayName domain } } pageInfo { hasNextPage endCursor } } }"
    )
    with pytest.raises(SettingsError, match=r"\$after must be nullable"):
        parse(graphqlPaging="relay", graphqlQuery=query)


def test_fragments_and_aliases_count_as_selected() -> None:
    query = (
        "query { staff: users { ...Person } } fragment Person on User { mail: email ... on User { displayName } "
        "domain }"
    )
    settings = parse(graphqlQuery=query, graphqlUsersPath="staff", emailField="mail")
    assert settings.query_plan.users_path == ("staff",)


def test_missing_endpoint_names_the_key() -> None:
    with pytest.raises(SettingsError, match="'graphqlEndpoint' is required"):
        UserUpdaterSettings.from_connection_options({})


def test_unknown_key_is_named() -> None:
    with pytest.raises(SettingsError, match="unknown option\\(s\\) pageSiz"):
        parse(pageSiz="10")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("pageSize", "many", "'pageSize'"),
        ("pageSize", "0", "'pageSize'"),
        ("graphqlEndpoint", "not a url", "'graphqlEndpoint'"),
        ("graphqlPaging", "cursor", "'graphqlPaging'"),
        ("fields", "displayName,owners", "unknown field\\(s\\) owners"),
        ("fields", " , ", "at least one"),
        ("graphqlHeaders", "{not json", "'graphqlHeaders'"),
        ("graphqlHeaders", '{"X-Retries": 3}', "values are strings"),
        ("graphqlCaBundle", "/nonexistent/ca.pem", "file not found"),
        ("graphqlVerifySsl", "perhaps", "'graphqlVerifySsl'"),
    ],
)
def test_malformed_values_name_the_key(key: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse(**{key: value})


def test_header_secrets_stay_out_of_reprs_and_errors() -> None:
    settings = parse(graphqlHeaders='{"Authorization": "Bearer s3cr3t-token"}')
    assert settings.graphql_headers["Authorization"].get_secret_value() == "Bearer s3cr3t-token"
    assert "s3cr3t" not in repr(settings)
    assert "s3cr3t" not in str(settings)
    with pytest.raises(SettingsError) as error:
        parse(graphqlHeaders='{"Authorization": "Bearer s3cr3t-token"', pageSize="x")
    assert "s3cr3t" not in str(error.value)


def test_operator_controls_are_typed(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    settings = parse(
        dryRun="true",
        reportPath=str(tmp_path / "report.csv"),
        applyPlan=str(plan),
        applyPlanDigest="SHA256:" + "AB" * 32,
        domainMapping='{"FIN": "Finance", " hr ": "People.HR"}',
        domainMode="add",
        emailPattern=r".*@example\.com",
        rowFilter='{"status": "ACTIVE", "level": [1, 2]}',
        allowClear="yes",
        maskEmails="1",
    )
    assert (settings.dry_run, settings.allow_clear, settings.mask_emails) == (True, True, True)
    assert settings.domain_mapping == {"fin": "Finance", "hr": "People.HR"}
    assert settings.domain_mode == "add"
    assert settings.email_pattern is not None
    assert settings.email_pattern.fullmatch("A@EXAMPLE.COM")
    assert settings.row_filter == {"status": ("ACTIVE",), "level": ("1", "2")}
    assert parse().dry_run is False
    assert parse().domain_mode == "replace"
    assert settings.apply_plan_digest == "sha256:" + "ab" * 32


def test_admins_are_protected_unless_the_operator_says_otherwise() -> None:
    assert (parse().protect_admins, parse().protected_users) == (True, frozenset())
    settings = parse(protectAdmins="false", protectedUsers=" Alice , OPS@example.com,,")
    assert settings.protect_admins is False
    assert settings.protected_users == {"alice", "ops@example.com"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reportPath": "report.txt"}, "'reportPath': Value error, must end in .jsonl, .json, .csv"),
        ({"reportPath": "/no/such/dir/r.csv"}, "'reportPath': Value error, directory not found: /no/such/dir"),
        ({"planPath": "/no/such/dir/p.json"}, "'planPath': Value error, directory not found"),
        ({"applyPlan": "/no/such/plan.json"}, "'applyPlan': Value error, file not found"),
        ({"domainMapping": '{"fin": "Finance", "FIN": "Fin"}'}, "'domainMapping': Value error, 'FIN' is mapped twice"),
        ({"domainMapping": "[1]"}, "'domainMapping': Value error, must be a JSON object"),
        ({"domainMode": "merge"}, "'domainMode': Input should be 'replace' or 'add'"),
        ({"emailPattern": "(unclosed"}, "'emailPattern': Value error, is not a regular expression"),
        ({"rowFilter": '{"status": {"a": 1}}'}, "'rowFilter': Value error, the value for 'status' must be"),
        ({"applyPlan": __file__, "planPath": "p.json"}, "set only one"),
        ({"applyPlan": __file__}, "'applyPlan' and 'applyPlanDigest' go together"),
        ({"applyPlanDigest": "sha256:" + "0" * 64}, "'applyPlan' and 'applyPlanDigest' go together"),
        ({"applyPlan": __file__, "applyPlanDigest": "sha256:abc"}, "'applyPlanDigest': Value error, must be 'sha256:'"),
    ],
)
def test_operator_control_errors_name_the_key(options: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        parse(**options)


@pytest.mark.parametrize(
    "endpoint", ["http://dir.example.com/graphql?apiKey=k3y-s3cret", "https://svc:k3y-s3cret@dir.example.com/graphql"]
)
def test_an_endpoint_with_a_query_string_or_credentials_is_refused_without_echoing_them(endpoint: str) -> None:
    with pytest.raises(SettingsError) as error:
        UserUpdaterSettings.from_connection_options({"graphqlEndpoint": endpoint})
    assert "'graphqlEndpoint': Value error, must not carry a query string or user:password" in str(error.value)
    assert "k3y-s3cret" not in str(error.value)


def test_teams_are_read_only_when_synced_and_replace_needs_a_managed_parent() -> None:
    base = {"graphqlEndpoint": "http://x", "graphqlQuery": "{ users { email displayName domain groups { name } } }"}
    assert "teamField" not in UserUpdaterSettings.from_connection_options(base).query_plan.field_paths
    teams = UserUpdaterSettings.from_connection_options({**base, "fields": "teams", "teamField": "groups.name"})
    assert teams.query_plan.field_paths["teamField"] == ("groups", "name")
    assert teams.team_mode == "add"
    with pytest.raises(SettingsError, match="'teamMode' replace needs 'managedTeamsParent'"):
        UserUpdaterSettings.from_connection_options({**base, "fields": "teams", "teamMode": "replace"})
    with pytest.raises(SettingsError, match="'createMissingTeams' needs 'managedTeamsParent'"):
        UserUpdaterSettings.from_connection_options({**base, "createMissingTeams": "true"})
    with pytest.raises(SettingsError, match="'teamField' 'teams' is not selected"):
        UserUpdaterSettings.from_connection_options({**base, "fields": "teams"})
