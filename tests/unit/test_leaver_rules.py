"""The plan's leaver and returner rules (`leavers: softDelete`), and the maxLeavers limit."""

import re
from dataclasses import replace

import pytest

from connector.catalog import CatalogUser
from connector.permissions import OperationNeed, operations_needed
from connector.plan import HeldBack, PlanRules, SafetyLimitError, SafetyLimits, build_plan, check_safety_limits
from connector.settings import SettingsError, UserUpdaterSettings
from tests.unit.test_plan import AARON, BOTH, BRIAN, FINANCE, person, snapshot

COMPANY = re.compile(r".*@gmail\.com", re.IGNORECASE)
SOFT_DELETE = PlanRules(soft_delete_leavers=True, leavers_email_pattern=COMPANY, principal="sync-bot")
CAROL = CatalogUser("u-c", "carol", "carol@gmail.com", "Carol", ())
SYNC = CatalogUser("u-s", "sync-bot", "sync-bot@gmail.com", "Sync", ())
BOSS = CatalogUser("u-x", "boss", "boss@gmail.com", "Boss", (), is_admin=True)
GUEST = CatalogUser("u-g", "guest", "guest@partner.com", "Guest", ())


def held(plan_held: list[HeldBack]) -> dict[str, str]:
    return {entry.user.name: entry.reason for entry in plan_held}


def test_a_leaver_is_an_unlisted_user_within_the_company_scope() -> None:
    plan = build_plan([person(1, BRIAN.email, "Brian", None)], snapshot(BRIAN, AARON, GUEST), BOTH, SOFT_DELETE)
    assert plan.leavers == [AARON]
    assert plan.unlisted == [AARON, GUEST]  # the guest is outside leaversEmailPattern: reported only
    assert plan.held_back == []


def test_report_mode_plans_no_leaver() -> None:
    plan = build_plan([person(1, BRIAN.email, "Brian", None)], snapshot(BRIAN, AARON), BOTH, PlanRules())
    assert plan.leavers == []
    assert plan.unlisted == [AARON]


def test_email_pattern_bounds_the_leavers_as_well() -> None:
    rules = replace(SOFT_DELETE, email_pattern=re.compile(r"aaron.*", re.IGNORECASE))
    plan = build_plan([person(1, AARON.email, None, None)], snapshot(BRIAN, AARON, CAROL), BOTH, rules)
    assert plan.leavers == []


def test_a_row_outside_the_row_filter_still_lists_its_person() -> None:
    plan = build_plan(
        [person(1, BRIAN.email, "Brian", None), person(2, AARON.email, None, None)],
        snapshot(BRIAN, AARON),
        BOTH,
        SOFT_DELETE,
        filtered_rows=frozenset({2}),
    )
    assert plan.leavers == []


@pytest.mark.parametrize(
    ("user", "rules", "reason"),
    [
        (SYNC, SOFT_DELETE, "the account this sync runs as; never changed"),
        (BOSS, SOFT_DELETE, "an OpenMetadata admin; admins are not changed unless protectAdmins is 'false'"),
        (BOSS, replace(SOFT_DELETE, protect_admins=False), "an OpenMetadata admin; admins are never soft-deleted"),
        (CAROL, replace(SOFT_DELETE, protected_users=frozenset({"carol"})), "listed in protectedUsers; never changed"),
        (
            CAROL,
            replace(SOFT_DELETE, leavers_excluded=frozenset({"carol@gmail.com"})),
            "listed in leaversExcluded; never soft-deleted",
        ),
    ],
)
def test_never_soft_deleted(user: CatalogUser, rules: PlanRules, reason: str) -> None:
    plan = build_plan([person(1, BRIAN.email, "Brian", None)], snapshot(BRIAN, user), BOTH, rules)
    assert plan.leavers == []
    assert plan.held_back == [HeldBack(user, "delete", reason, protected=True)]
    assert plan.leavers_held_back == 1


def test_users_sharing_an_unlisted_email_are_held_back() -> None:
    twin = CatalogUser("u-c2", "carol_old", "Carol@gmail.com", None, ())
    snap = snapshot(BRIAN)
    snap.shared_emails = {CAROL.email: [CAROL, twin]}
    plan = build_plan([person(1, BRIAN.email, "Brian", None)], snap, BOTH, SOFT_DELETE)
    assert plan.leavers == []
    assert [(h.user, h.action, h.protected) for h in plan.held_back] == [
        (CAROL, "delete", False),
        (twin, "delete", False),
    ]


def test_an_unreadable_email_in_the_directory_holds_every_leaver_back() -> None:
    plan = build_plan(
        [person(1, BRIAN.email, "Brian", None)],
        snapshot(BRIAN, AARON, CAROL),
        BOTH,
        SOFT_DELETE,
        unreadable=frozenset({(2, "email")}),
    )
    assert plan.leavers == []
    assert set(held(plan.held_back)) == {AARON.name, CAROL.name}
    assert "1 directory row(s) have an email that could not be read" in held(plan.held_back)[CAROL.name]


def test_an_unreadable_display_name_does_not_hold_leavers_back() -> None:
    plan = build_plan(
        [person(1, BRIAN.email, "Brian", None)],
        snapshot(BRIAN, AARON),
        BOTH,
        SOFT_DELETE,
        unreadable=frozenset({(1, "displayName")}),
    )
    assert plan.leavers == [AARON]


def test_a_returner_is_restored_and_planned_like_anyone() -> None:
    rules = replace(SOFT_DELETE, restore_returners=True)
    snap = snapshot(BRIAN)
    snap.deleted_by_email = {AARON.email: [AARON]}
    plan = build_plan(
        [person(1, BRIAN.email, "Brian", None), person(2, AARON.email, "Aaron", "Finance")], snap, BOTH, rules
    )
    assert plan.returners == [AARON]
    assert [(c.user, c.display_name, c.domains) for c in plan.changes] == [(AARON, "Aaron", (FINANCE,))]
    assert plan.not_found == []


def test_returners_are_not_restored_when_the_option_is_off() -> None:
    snap = snapshot(BRIAN)
    snap.deleted_by_email = {AARON.email: [AARON]}
    plan = build_plan([person(1, AARON.email, "Aaron", None)], snap, BOTH, SOFT_DELETE)
    assert plan.returners == []
    assert plan.changes == []


def test_a_protected_returner_or_several_deleted_accounts_are_not_restored() -> None:
    rules = replace(SOFT_DELETE, restore_returners=True, protected_users=frozenset({"aaron_johnson0"}))
    old_carol = replace(CAROL, id="u-c0", name="carol0")
    snap = snapshot()
    snap.deleted_by_email = {AARON.email: [AARON], CAROL.email: [CAROL, old_carol]}
    plan = build_plan([person(1, AARON.email, None, None), person(2, CAROL.email, None, None)], snap, BOTH, rules)
    assert plan.returners == []
    assert [(h.user.name, h.action, h.protected) for h in plan.held_back] == [
        ("aaron_johnson0", "restore", True),
        ("carol", "restore", False),
        ("carol0", "restore", False),
    ]


def test_max_leavers_is_its_own_limit() -> None:
    plan = build_plan([person(1, BRIAN.email, "Brian", None)], snapshot(BRIAN, AARON, CAROL), BOTH, SOFT_DELETE)
    check_safety_limits(plan, SafetyLimits(max_leavers=2))
    with pytest.raises(SafetyLimitError, match=r"soft-deletes 2 users .* more than maxLeavers 1\. Nothing was written"):
        check_safety_limits(plan, SafetyLimits(max_leavers=1))
    # The field-change limits do not count leavers.
    check_safety_limits(plan, SafetyLimits(max_count=0, max_leavers=2))


def test_max_leavers_defaults_to_10() -> None:
    assert (
        SafetyLimits.from_settings(
            UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://d"})
        ).max_leavers
        == 10
    )


def test_soft_delete_needs_a_scope_and_asks_for_delete_and_edit_all() -> None:
    with pytest.raises(SettingsError, match="leaversEmailPattern"):
        UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://d", "leavers": "softDelete"})
    settings = UserUpdaterSettings.from_connection_options(
        {
            "graphqlEndpoint": "http://d",
            "leavers": "softDelete",
            "leaversEmailPattern": r".*@gmail\.com",
            "leaversExcluded": "Carol, Boss@gmail.com",
        }
    )
    assert settings.leavers_excluded == frozenset({"carol", "boss@gmail.com"})
    assert [(need.resource, need.operation) for need in operations_needed(settings)] == [
        ("user", "Delete"),
        ("user", "EditAll"),
    ]
    assert operations_needed(UserUpdaterSettings.from_connection_options({"graphqlEndpoint": "http://d"})) == []
    assert all(isinstance(need, OperationNeed) for need in operations_needed(settings))
