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
    assert settings.users_path == ("users",)
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
    assert settings.users_path == ("usersConnection",)
    assert "$first" in settings.query
    assert "$after" in settings.query
    assert parse(graphqlPaging="relay", graphqlUsersPath="org.people").users_path == ("org", "people")


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
        ("fields", "displayName,teams", "unknown field\\(s\\) teams"),
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
    ],
)
def test_operator_control_errors_name_the_key(options: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        parse(**options)
