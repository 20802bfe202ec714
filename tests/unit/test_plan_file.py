"""Plan files: saved and loaded unchanged, refused for another server or fields, stale users held back."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from connector import plan_file
from connector.plan import Plan, PlanRules, UserChange
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
        Plan(changes=CHANGES, unchanged=1),
        snapshot().domains,
        SETTINGS,
        directory_endpoint="http://directory:4000/",
        openmetadata_host=HOST,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    path = tmp_path / "plan.json"
    assert plan_file.save(path, made) == plan_file.digest(path.read_bytes())
    return path


def load(path: Path) -> plan_file.PlanFile:
    """The plan, as a run whose applyPlanDigest is the file's digest loads it."""
    return plan_file.load(path, plan_file.digest(path.read_bytes()))


def test_a_saved_plan_describes_itself_and_loads_back_equal(tmp_path: Path) -> None:
    path = saved(tmp_path)
    loaded = load(path)
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
    loaded = load(saved(tmp_path))
    changes, stale = plan_file.changes_to_apply(loaded, snapshot(*(change.user for change in CHANGES)))
    assert changes == CHANGES
    assert stale == []


def test_a_user_changed_or_gone_since_the_plan_is_held_back(tmp_path: Path) -> None:
    loaded = load(saved(tmp_path))
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
    loaded = load(saved(tmp_path))
    plan_file.check_applicable(loaded, openmetadata_host="HTTP://OM.example.com:8585/api/", fields=BOTH)
    with pytest.raises(plan_file.PlanFileError, match=r"made for OpenMetadata at http://om\.example\.com:8585/api"):
        plan_file.check_applicable(loaded, openmetadata_host="http://other:8585/api", fields=BOTH)
    with pytest.raises(plan_file.PlanFileError, match="set `fields` to 'displayName,domains'"):
        plan_file.check_applicable(loaded, openmetadata_host=HOST, fields=frozenset({SyncField.DOMAINS}))


def test_a_file_that_is_not_a_plan_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"format": "something else"}')
    with pytest.raises(plan_file.PlanFileError, match="is not a plan file of this connector"):
        load(path)


def rewritten(path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """The plan file after `edit`, as someone who can write it at rest would leave it."""
    content = json.loads(path.read_text())
    edit(content)
    path.write_text(json.dumps(content, indent=2) + "\n")
    return path


def test_a_plan_is_applied_only_under_the_digest_of_its_exact_bytes(tmp_path: Path) -> None:
    path = saved(tmp_path)
    reviewed = plan_file.digest(path.read_bytes())
    assert reviewed == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert plan_file.load(path, reviewed).changes[0].display_name == plan_file.DisplayNameChange(
        old="Brian", new="Brian Smith"
    )

    rewritten(path, _set("changes", 0, "displayName", "new", "Brian Smith (edited)"))
    forged = plan_file.digest(path.read_bytes())
    with pytest.raises(plan_file.PlanFileError, match="is not the plan that applyPlanDigest names") as refused:
        plan_file.load(path, reviewed)
    assert "refused whole. Nothing was written" in str(refused.value)
    # The file's own digest is never offered to the operator to copy.
    assert forged.removeprefix("sha256:") not in str(refused.value)
    rewritten(path, _extra_user)
    with pytest.raises(plan_file.PlanFileError, match="applyPlanDigest"):
        plan_file.load(path, reviewed)
    # A byte of whitespace is a change too: the digest is of the bytes, as `sha256sum` computes it.
    before = plan_file.digest(path.read_bytes())
    plan_file.load(path, before)
    path.write_bytes(path.read_bytes() + b" ")
    with pytest.raises(plan_file.PlanFileError, match="applyPlanDigest"):
        plan_file.load(path, before)


def _set(*path: Any) -> Callable[[dict[str, Any]], None]:
    """An edit setting the value at the end of `path` (keys, then the value)."""
    *keys, value = path

    def edit(content: dict[str, Any]) -> None:
        node: Any = content
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return edit


def _extra_user(content: dict[str, Any]) -> None:
    content["changes"].append({**content["changes"][0], "id": "u-x", "name": "x", "email": "x@example.com"})


def _repeat_user(content: dict[str, Any]) -> None:
    content["changes"].append(content["changes"][0])


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (_set("changes", 0, "displayName", "new", "\a" + "A" * 5000), "displayName"),
        (_set("changes", 0, "displayName", "new", "Admin\u202eresU"), "bidirectional"),
        (_set("changes", 0, "displayName", "new", "<script>alert(1)</script>"), "HTML"),
        (_set("changes", 0, "displayName", "new", " Brian Smith"), "form a directory value is read into"),
        (_set("changes", 0, "displayName", "new", None), "without allowClear"),
        (_set("changes", 1, "domains", "new", []), "without allowClear"),
        (_set("changes", 1, "domains", "new", [{"id": "d-fin", "fqn": "Fin\x00ance"}]), "domain"),
        (_set("changes", 0, "email", "not an email"), "email"),
        (_set("fields", ["domains"]), "changes displayName, which the plan's fields leave out"),
        (_set("changes", 1, "domains", None), "changes no field"),
        (_set("matched", 1), "2 changes for 1 matched users"),
        (_repeat_user, "appear more than once"),
    ],
)
def test_a_plan_value_a_directory_row_could_not_carry_refuses_the_whole_plan(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    """Even under its own digest (an operator who approved it, or a plan of an older version): nothing applies."""
    loaded = load(rewritten(saved(tmp_path), edit))
    fields = frozenset(loaded.fields)
    with pytest.raises(plan_file.PlanFileError, match=r"refused whole\. Nothing was written") as refused:
        plan_file.check_applicable(loaded, openmetadata_host=HOST, fields=fields)
    assert problem in str(refused.value)


def test_a_plan_user_that_is_not_the_catalog_user_of_its_id_refuses_the_plan(tmp_path: Path) -> None:
    loaded = load(rewritten(saved(tmp_path), _set("changes", 0, "name", "admin")))
    with pytest.raises(plan_file.PlanFileError, match="'admin' is not the OpenMetadata user with id u-b"):
        plan_file.changes_to_apply(loaded, snapshot(*(change.user for change in CHANGES)))


def test_planned_domains_must_be_the_catalogs_domains(tmp_path: Path) -> None:
    def unknown_and_relabelled(content: dict[str, Any]) -> None:
        content["changes"][0]["domains"]["new"] = [{"id": "d-secret", "fqn": "Finance"}]
        content["changes"][1]["domains"]["new"] = [{"id": "d-fin", "fqn": "Marketing"}]

    loaded = load(rewritten(saved(tmp_path), unknown_and_relabelled))
    changes, stale = plan_file.changes_to_apply(loaded, snapshot(*(change.user for change in CHANGES)))
    assert changes == []
    assert [s.reason for s in stale] == [
        "domain(s) Finance no longer in OpenMetadata; not written",
        "domain(s) Marketing (now Finance) renamed in OpenMetadata since the plan was made; not written",
    ]


def test_a_plan_of_the_first_format_is_not_applied(tmp_path: Path) -> None:
    path = rewritten(saved(tmp_path), _set("formatVersion", 1))
    with pytest.raises(plan_file.PlanFileError, match="is not a plan file of this connector"):
        load(path)


CAROL = replace(AARON, id="u-c", name="carol", email="carol@gmail.com", version=0.2)
DAVE = replace(AARON, id="u-d", name="dave", email="dave@gmail.com", version=0.5)


def test_leavers_and_returners_are_carried_and_applied_only_at_their_planned_version(tmp_path: Path) -> None:
    made = plan_file.new_plan_file(
        Plan(leavers=[BRIAN, CAROL], returners=[DAVE]),
        snapshot().domains,
        SETTINGS,
        directory_endpoint="http://directory:4000/",
        openmetadata_host=HOST,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    path = tmp_path / "plan.json"
    plan_file.save(path, made)
    loaded = load(path)
    assert loaded.format_version == 4
    assert [leaver.name for leaver in loaded.leavers] == ["brian_smith7", "carol"]
    with pytest.raises(plan_file.PlanFileError, match="set leavers: softDelete"):
        plan_file.check_applicable(loaded, openmetadata_host=HOST, fields=BOTH)
    plan_file.check_applicable(loaded, openmetadata_host=HOST, fields=BOTH, soft_deletes=True, restores=True)

    # Carol changed since the plan; Dave is still soft-deleted at his version; Brian became an admin.
    now = snapshot(replace(BRIAN, is_admin=True), replace(CAROL, version=0.3))
    now.deleted_by_email = {DAVE.email: [DAVE]}
    accounts = plan_file.accounts_to_apply(loaded, now, PlanRules(soft_delete_leavers=True))
    assert accounts.leavers == []
    assert accounts.returners == [DAVE]
    assert [(held.user.name, held.protected) for held in accounts.held_back] == [("brian_smith7", True)]
    assert [(stale.planned.name, stale.delete) for stale in accounts.stale] == [("carol", True)]
