import pytest

from connector.catalog import CatalogSnapshot, CatalogUser, Domain, DomainIndex, user_from_json
from connector.directory import DirectoryUser
from connector.plan import Plan, SafetyLimitError, SafetyLimits, UserChange, build_plan, check_safety_limits
from connector.settings import SyncField, UserUpdaterSettings

FINANCE = Domain("d-fin", "Finance", "Finance")
MARKETING = Domain("d-mkt", "Marketing", "Marketing")
EMEA_SALES = Domain("d-es", "Sales", "EMEA.Sales")
US_SALES = Domain("d-us", "Sales", "US.Sales")
BOTH = frozenset({SyncField.DISPLAY_NAME, SyncField.DOMAINS})

BRIAN = CatalogUser("u-b", "brian_smith7", "brian_smith7@gmail.com", "Brian", ("d-mkt",))
AARON = CatalogUser("u-a", "aaron_johnson0", "aaron_johnson0@gmail.com", None, ())
ADMIN = CatalogUser("u-ad", "admin", "admin@open-metadata.org", "Admin User", ("d-fin",))


def snapshot(*users: CatalogUser) -> CatalogSnapshot:
    domains = DomainIndex()
    for domain in (FINANCE, MARKETING, EMEA_SALES, US_SALES):
        domains.add(domain)
    return CatalogSnapshot(users_by_email={u.email: u for u in users}, domains=domains)


def person(row: int, email: str, display_name: str | None, domain: str | None) -> DirectoryUser:
    return DirectoryUser(row=row, email=email, display_name=display_name, domains=(domain,) if domain else None)


def test_changes_only_what_differs() -> None:
    plan = build_plan(
        [
            person(1, "admin@open-metadata.org", "Admin User", "finance"),
            person(2, "aaron_johnson0@gmail.com", "Aaron Johnson", "Marketing"),
            person(3, "brian_smith7@gmail.com", "Brian Smith", "Finance"),
        ],
        snapshot(BRIAN, AARON, ADMIN),
        BOTH,
    )
    assert plan.unchanged == 1
    assert plan.matched == 3
    assert plan.changes == [
        UserChange(AARON, display_name="Aaron Johnson", domains=(MARKETING,)),
        UserChange(BRIAN, display_name="Brian Smith", domains=(FINANCE,)),
    ]


def test_only_the_fields_asked_for() -> None:
    directory = [person(3, "brian_smith7@gmail.com", "Brian Smith", "Finance")]
    assert build_plan(directory, snapshot(BRIAN), frozenset({SyncField.DOMAINS})).changes == [
        UserChange(BRIAN, domains=(FINANCE,))
    ]
    assert build_plan(directory, snapshot(BRIAN), frozenset({SyncField.DISPLAY_NAME})).changes == [
        UserChange(BRIAN, display_name="Brian Smith")
    ]


def test_empty_values_never_erase() -> None:
    plan = build_plan([person(1, "brian_smith7@gmail.com", None, None)], snapshot(BRIAN), BOTH)
    assert plan.changes == []
    assert plan.unchanged == 1


def test_unknown_domain_warns_and_display_name_still_changes() -> None:
    plan = build_plan(
        [
            person(1, "brian_smith7@gmail.com", "Brian Smith", "Finanse"),
            person(2, "aaron_johnson0@gmail.com", None, "Finanse"),
        ],
        snapshot(BRIAN, AARON),
        BOTH,
    )
    assert plan.changes == [UserChange(BRIAN, display_name="Brian Smith")]
    assert plan.unknown_domains == {"Finanse": 2}
    assert plan.skipped_for_domain == 2
    assert plan.unchanged == 1


def test_ambiguous_domain_is_not_guessed_but_fqn_is_used() -> None:
    plan = build_plan(
        [
            person(1, "brian_smith7@gmail.com", None, "Sales"),
            person(2, "aaron_johnson0@gmail.com", None, "us.sales"),
        ],
        snapshot(BRIAN, AARON),
        BOTH,
    )
    assert plan.changes == [UserChange(AARON, domains=(US_SALES,))]
    assert plan.ambiguous_domains == {"Sales": (EMEA_SALES, US_SALES)}
    assert plan.ambiguous_counts == {"Sales": 1}


def test_inherited_domain_does_not_count_as_own() -> None:
    inheriting = user_from_json(
        {
            "id": "u-i",
            "name": "ines",
            "email": "ines@x.org",
            "displayName": "Ines",
            "domains": [{"id": "d-fin", "type": "domain", "inherited": True}],
        }
    )
    plan = build_plan([person(1, "ines@x.org", "Ines", "Finance")], snapshot(inheriting), BOTH)
    assert plan.changes == [UserChange(inheriting, domains=(FINANCE,))]


def test_extra_own_domains_are_replaced_by_the_directory_one() -> None:
    two = CatalogUser("u-t", "tom", "tom@x.org", "Tom", ("d-fin", "d-mkt"))
    plan = build_plan([person(1, "tom@x.org", "Tom", "Finance")], snapshot(two), BOTH)
    assert plan.changes == [UserChange(two, domains=(FINANCE,))]


def test_not_found_users_are_listed() -> None:
    stranger = person(1, "nobody@x.org", "No Body", "Finance")
    plan = build_plan([stranger], snapshot(BRIAN), BOTH)
    assert plan.not_found == [stranger]
    assert plan.matched == 0


def test_agreeing_duplicates_count_once() -> None:
    plan = build_plan(
        [
            person(1, "brian_smith7@gmail.com", "Brian Smith", "Finance"),
            person(2, "brian_smith7@gmail.com", "Brian Smith", "FINANCE"),
        ],
        snapshot(BRIAN),
        BOTH,
    )
    assert plan.duplicate_rows == 1
    assert plan.changes == [UserChange(BRIAN, display_name="Brian Smith", domains=(FINANCE,))]


def test_disagreeing_duplicates_apply_neither() -> None:
    rows = [
        person(1, "brian_smith7@gmail.com", "Brian Smith", "Finance"),
        person(2, "aaron_johnson0@gmail.com", "Aaron Johnson", None),
        person(3, "brian_smith7@gmail.com", "Brian S.", "Finance"),
    ]
    plan = build_plan(rows, snapshot(BRIAN, AARON), BOTH)
    assert plan.conflicts == {"brian_smith7@gmail.com": [rows[0], rows[2]]}
    assert plan.changes == [UserChange(AARON, display_name="Aaron Johnson")]
    assert plan.matched == 1


def test_several_directory_domains_become_the_users_own_domains() -> None:
    row = DirectoryUser(row=1, email=BRIAN.email, display_name="Brian", domains=("Finance", "marketing"))
    plan = build_plan([row], snapshot(BRIAN), BOTH)
    assert plan.changes == [UserChange(BRIAN, domains=(FINANCE, MARKETING))]


def test_one_unknown_domain_among_several_leaves_the_domains_alone() -> None:
    row = DirectoryUser(row=1, email=BRIAN.email, display_name="Brian", domains=("Finance", "Nope"))
    plan = build_plan([row], snapshot(BRIAN), BOTH)
    assert plan.changes == []
    assert plan.unknown_domains == {"Nope": 1}


def plan_changing(changed: int, matched: int) -> Plan:
    return Plan(changes=[UserChange(BRIAN, display_name=f"B{i}") for i in range(changed)], unchanged=matched - changed)


def test_safety_limit_on_the_share_of_matched_users() -> None:
    share = SafetyLimits(max_percent=20)
    check_safety_limits(plan_changing(2, 10), share)
    with pytest.raises(SafetyLimitError) as error:
        check_safety_limits(plan_changing(3, 10), share)
    assert str(error.value).startswith(
        "Safety limit: the plan changes 3 of 10 matched users (30%), more than maxChangePercent 20% (checked above "
        "minChangesForPercentLimit 0). Nothing was written."
    )
    assert 'maxChangePercent: "100" turns the share check off' in str(error.value)
    check_safety_limits(plan_changing(10, 10), SafetyLimits(max_percent=100))
    check_safety_limits(plan_changing(0, 0), SafetyLimits(max_percent=0, max_count=0))


def test_the_share_limit_applies_only_above_the_minimum_number_of_changes() -> None:
    """A small team: 1 change of 3 users is 33%, an ordinary hourly change that the share limit must not stop."""
    small_team = SafetyLimits(max_percent=20, min_changes_for_percent=10)
    check_safety_limits(plan_changing(1, 3), small_team)
    check_safety_limits(plan_changing(10, 12), small_team)
    with pytest.raises(SafetyLimitError, match=r"11 of 12 matched users \(92%\), more than maxChangePercent 20%"):
        check_safety_limits(plan_changing(11, 12), small_team)
    # On a large directory the floor changes nothing: 20% of 1000 is far above it.
    with pytest.raises(SafetyLimitError, match="201 of 1000"):
        check_safety_limits(plan_changing(201, 1000), small_team)
    # The count limit does not depend on the floor.
    with pytest.raises(SafetyLimitError, match="more than maxChangeCount 2"):
        check_safety_limits(plan_changing(3, 3), SafetyLimits(max_percent=100, max_count=2, min_changes_for_percent=10))


def test_safety_limits_come_from_the_settings_with_a_floor_of_10_by_default() -> None:
    settings = UserUpdaterSettings.from_connection_options(
        {"graphqlEndpoint": "http://localhost:4000", "maxChangePercent": "5", "maxChangeCount": "7"}
    )
    assert SafetyLimits.from_settings(settings) == SafetyLimits(max_percent=5, max_count=7, min_changes_for_percent=10)
    zero = UserUpdaterSettings.from_connection_options(
        {"graphqlEndpoint": "http://localhost:4000", "minChangesForPercentLimit": "0"}
    )
    assert SafetyLimits.from_settings(zero).min_changes_for_percent == 0


def test_safety_limit_on_the_count() -> None:
    check_safety_limits(plan_changing(5, 10), SafetyLimits(max_count=5))
    with pytest.raises(SafetyLimitError, match=r"6 of 10 .* more than maxChangeCount 5\."):
        check_safety_limits(plan_changing(6, 10), SafetyLimits(max_count=5))
    with pytest.raises(SafetyLimitError, match=r"maxChangePercent 50% \(.*\) and more than maxChangeCount 5"):
        check_safety_limits(plan_changing(6, 10), SafetyLimits(max_percent=50, max_count=5))


def test_users_sharing_an_email_are_reported_and_none_is_changed() -> None:
    twin = CatalogUser("u-b2", "brian_smith7_old", "Brian_Smith7@gmail.com", "Old", ())
    snap = snapshot(AARON)
    snap.shared_emails = {BRIAN.email: [BRIAN, twin]}
    plan = build_plan([person(1, BRIAN.email, "Brian Smith", "Finance")], snap, BOTH)
    assert plan.changes == []
    assert plan.not_found == []
    assert plan.shared_emails == {BRIAN.email: [BRIAN, twin]}
    assert plan.unlisted == [AARON]
