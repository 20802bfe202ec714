"""The operator's plan rules: domain mapping, add mode, filters, allowClear and unlisted users."""

import re
from dataclasses import replace

from connector.catalog import CatalogUser
from connector.directory import DirectoryUser
from connector.plan import PlanRules, SafetyLimits, UserChange, build_plan, check_safety_limits, hold_back_protected
from connector.settings import SyncField
from tests.unit.test_plan import AARON, ADMIN, BOTH, BRIAN, FINANCE, MARKETING, person, snapshot

GMAIL_ONLY = PlanRules(email_pattern=re.compile(r".*@gmail\.com", re.IGNORECASE))


def test_mapping_translates_codes_case_insensitively_and_passes_other_values_through() -> None:
    rules = PlanRules(domain_mapping={"fin": "Finance"})
    plan = build_plan(
        [person(1, BRIAN.email, None, "FIN"), person(2, AARON.email, None, "Marketing")],
        snapshot(BRIAN, AARON),
        BOTH,
        rules,
    )
    assert plan.changes == [UserChange(BRIAN, domains=(FINANCE,)), UserChange(AARON, domains=(MARKETING,))]


def test_mapping_to_an_unknown_domain_is_skipped_with_the_mapped_name() -> None:
    plan = build_plan(
        [person(1, BRIAN.email, None, "FIN")], snapshot(BRIAN), BOTH, PlanRules(domain_mapping={"fin": "Finanse"})
    )
    assert plan.changes == []
    assert plan.unknown_domains == {"Finanse": 1}
    assert [(s.user, s.values, s.reason) for s in plan.skipped] == [
        (BRIAN, ("FIN",), "domain 'Finanse' has no Domain entity in OpenMetadata")
    ]


def test_add_mode_keeps_the_users_domains_and_adds_the_directorys() -> None:
    add = PlanRules(domain_mode="add")
    plan = build_plan(
        [person(1, BRIAN.email, None, "Finance"), person(2, ADMIN.email, None, "Finance")],
        snapshot(BRIAN, ADMIN),
        BOTH,
        add,
    )
    assert plan.changes == [UserChange(BRIAN, domains=(MARKETING, FINANCE))]
    assert plan.unchanged == 1  # admin already has Finance


def test_email_pattern_sets_rows_aside_and_bounds_the_unlisted_users() -> None:
    plan = build_plan([person(1, ADMIN.email, "Someone", None)], snapshot(BRIAN, AARON, ADMIN), BOTH, GMAIL_ONLY)
    assert plan.changes == []
    assert [(p.email, reason) for p, reason in plan.filtered] == [(ADMIN.email, "email does not match emailPattern")]
    assert plan.unlisted == [AARON, BRIAN]


def test_rows_outside_the_row_filter_change_nothing_but_still_count_as_listed() -> None:
    plan = build_plan(
        [person(1, BRIAN.email, "Brian Smith", None), person(2, AARON.email, "Aaron", None)],
        snapshot(BRIAN, AARON),
        BOTH,
        filtered_rows=frozenset({1}),
    )
    assert plan.changes == [UserChange(AARON, display_name="Aaron")]
    assert [reason for _, reason in plan.filtered] == ["row does not match rowFilter"]
    assert plan.unlisted == []


def test_unlisted_users_are_reported_never_changed() -> None:
    plan = build_plan([person(1, BRIAN.email, "Brian", None)], snapshot(BRIAN, AARON, ADMIN), BOTH)
    assert plan.unlisted == [AARON, ADMIN]
    assert plan.changes == []


def test_allow_clear_clears_display_name_and_own_domains_in_replace_mode_only() -> None:
    empty = [person(1, BRIAN.email, None, None)]
    assert build_plan(empty, snapshot(BRIAN), BOTH, PlanRules(allow_clear=True)).changes == [
        UserChange(BRIAN, domains=(), clear_display_name=True)
    ]
    assert build_plan(empty, snapshot(BRIAN), BOTH, PlanRules(allow_clear=True, domain_mode="add")).changes == [
        UserChange(BRIAN, clear_display_name=True)
    ]
    assert build_plan(empty, snapshot(BRIAN), frozenset({SyncField.DOMAINS}), PlanRules(allow_clear=True)).changes == [
        UserChange(BRIAN, domains=())
    ]


def test_allow_clear_leaves_empty_users_and_unreadable_values_alone() -> None:
    bare = CatalogUser("u-n", "nina", "nina@x.org", None, ())
    plan = build_plan(
        [person(1, "nina@x.org", None, None), DirectoryUser(2, BRIAN.email, None, None)],
        snapshot(bare, BRIAN),
        BOTH,
        PlanRules(allow_clear=True),
        unreadable=frozenset({(2, "displayName"), (2, "domain")}),
    )
    assert plan.changes == []
    assert plan.unchanged == 2


PROTECTED_DIRECTORY = [
    person(1, "admin@open-metadata.org", "Someone Else", "Marketing"),
    person(2, "aaron_johnson0@gmail.com", "Aaron Johnson", "Marketing"),
    person(3, "brian_smith7@gmail.com", "Brian Smith", "Finance"),
]


def test_the_syncs_own_account_admins_and_listed_users_are_held_back_with_the_reason() -> None:
    root = replace(ADMIN, is_admin=True)
    catalog = snapshot(BRIAN, AARON, root)
    plan = build_plan(PROTECTED_DIRECTORY, catalog, BOTH, PlanRules(principal="Aaron_Johnson0"))
    assert [change.user.name for change in plan.changes] == ["brian_smith7"]
    assert [(held.change, held.reason) for held in plan.protected] == [
        (
            UserChange(root, display_name="Someone Else", domains=(MARKETING,)),
            "an OpenMetadata admin; admins are not changed unless protectAdmins is 'false'",
        ),
        (
            UserChange(AARON, display_name="Aaron Johnson", domains=(MARKETING,)),
            "the account this sync runs as; never changed",
        ),
    ]
    assert (plan.matched, plan.unchanged) == (3, 0)

    listed = PlanRules(protect_admins=False, protected_users=frozenset({"brian_smith7@gmail.com", "admin"}))
    plan = build_plan(PROTECTED_DIRECTORY, catalog, BOTH, listed)
    assert [change.user.name for change in plan.changes] == ["aaron_johnson0"]
    assert {held.change.user.name: held.reason for held in plan.protected} == {
        "admin": "listed in protectedUsers; never changed",
        "brian_smith7": "listed in protectedUsers; never changed",
    }

    unprotected = build_plan(PROTECTED_DIRECTORY, catalog, BOTH, PlanRules(protect_admins=False))
    assert [change.user.name for change in unprotected.changes] == ["admin", "aaron_johnson0", "brian_smith7"]


def test_a_protected_user_the_directory_agrees_with_is_just_unchanged() -> None:
    root = replace(ADMIN, is_admin=True)
    plan = build_plan([person(1, "admin@open-metadata.org", "Admin User", "Finance")], snapshot(root), BOTH)
    assert (plan.changes, plan.protected, plan.unchanged) == ([], [], 1)


def test_protected_changes_do_not_count_against_the_safety_limits() -> None:
    catalog = snapshot(BRIAN, AARON, replace(ADMIN, is_admin=True))
    plan = build_plan(PROTECTED_DIRECTORY, catalog, BOTH, PlanRules(principal="aaron_johnson0"))
    check_safety_limits(plan, SafetyLimits(max_percent=34, max_count=1, min_changes_for_percent=0))


def test_held_back_changes_from_a_plan_file_follow_the_same_rules() -> None:
    changes = [UserChange(BRIAN, display_name="B"), UserChange(replace(ADMIN, is_admin=True), display_name="A")]
    allowed, protected = hold_back_protected(changes, PlanRules())
    assert allowed == changes[:1]
    assert [held.change for held in protected] == changes[1:]
