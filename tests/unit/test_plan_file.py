"""Plan files: saved and loaded unchanged, refused for another server or fields, stale users held back."""

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connector import plan_file
from connector.plan import Plan, UserChange
from connector.settings import SyncField, UserUpdaterSettings
from tests.unit.test_plan import AARON, BOTH, BRIAN, FINANCE, MARKETING, snapshot

HOST = "http://om.example.com:8585/api"
SETTINGS = UserUpdaterSettings.from_connection_options(
    {"graphqlEndpoint": "http://directory:4000", "domainMapping": '{"FIN": "Finance"}'}
)
CHANGES = [
    UserChange(replace(BRIAN, version=0.3), display_name="Brian Smith", domains=(FINANCE,)),
    UserChange(replace(AARON, version=0.1), domains=(MARKETING,)),
]


def saved(tmp_path: Path) -> Path:
    made = plan_file.new_plan_file(
        Plan(changes=CHANGES),
        snapshot().domains,
        SETTINGS,
        directory_endpoint="http://directory:4000/",
        openmetadata_host=HOST,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    path = tmp_path / "plan.json"
    plan_file.save(path, made)
    return path


def test_a_saved_plan_describes_itself_and_loads_back_equal(tmp_path: Path) -> None:
    path = saved(tmp_path)
    loaded = plan_file.load(path)
    assert loaded.openmetadata_host == HOST
    assert loaded.fields == [SyncField.DISPLAY_NAME, SyncField.DOMAINS]
    assert loaded.options.domain_mapping == {"fin": "Finance"}
    brian = loaded.changes[0]
    assert (brian.id, brian.email, brian.version) == (BRIAN.id, BRIAN.email, 0.3)
    assert brian.display_name == plan_file.DisplayNameChange(old="Brian", new="Brian Smith")
    assert brian.domains == plan_file.DomainsChange(
        old=[plan_file.DomainRef(id="d-mkt", fqn="Marketing")], new=[plan_file.DomainRef(id="d-fin", fqn="Finance")]
    )
    assert '"openmetadataHost": "http://om.example.com:8585/api"' in path.read_text()
    assert not list(tmp_path.glob("*.partial"))


def test_unchanged_users_get_exactly_the_planned_changes(tmp_path: Path) -> None:
    loaded = plan_file.load(saved(tmp_path))
    changes, stale = plan_file.changes_to_apply(loaded, snapshot(*(change.user for change in CHANGES)))
    assert changes == CHANGES
    assert stale == []


def test_a_user_changed_or_gone_since_the_plan_is_held_back(tmp_path: Path) -> None:
    loaded = plan_file.load(saved(tmp_path))
    changes, stale = plan_file.changes_to_apply(loaded, snapshot(replace(BRIAN, version=0.4)))
    assert changes == []
    assert [(s.planned.name, s.reason) for s in stale] == [
        (
            "brian_smith7",
            "changed in OpenMetadata since the plan was made (version 0.3 in the plan, 0.4 now); not written",
        ),
        ("aaron_johnson0", "the user is no longer in OpenMetadata (deleted, or now a bot); not written"),
    ]


def test_a_plan_for_another_server_or_other_fields_is_refused(tmp_path: Path) -> None:
    loaded = plan_file.load(saved(tmp_path))
    plan_file.check_applicable(loaded, openmetadata_host="HTTP://OM.example.com:8585/api/", fields=BOTH)
    with pytest.raises(plan_file.PlanFileError, match=r"made for OpenMetadata at http://om\.example\.com:8585/api"):
        plan_file.check_applicable(loaded, openmetadata_host="http://other:8585/api", fields=BOTH)
    with pytest.raises(plan_file.PlanFileError, match="set `fields` to 'displayName,domains'"):
        plan_file.check_applicable(loaded, openmetadata_host=HOST, fields=frozenset({SyncField.DOMAINS}))


def test_a_file_that_is_not_a_plan_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"format": "something else"}')
    with pytest.raises(plan_file.PlanFileError, match="is not a plan file of this connector"):
        plan_file.load(path)
