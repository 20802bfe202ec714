from connector.catalog import CatalogUser, Domain, DomainIndex
from connector.plan import UserChange
from connector.writer import build_patch, describe_change

FINANCE = Domain("d-fin", "Finance", "Finance")
MARKETING = Domain("d-mkt", "Marketing", "Marketing")
BRIAN = CatalogUser("u-b", "brian_smith7", "brian_smith7@gmail.com", "Brian", ("d-mkt",))


def test_patch_holds_exactly_the_changed_fields() -> None:
    assert list(build_patch(UserChange(BRIAN, 1, display_name="Brian Smith"))) == [
        {"op": "add", "path": "/displayName", "value": "Brian Smith"}
    ]
    assert list(build_patch(UserChange(BRIAN, 1, domains=(FINANCE,)))) == [
        {"op": "add", "path": "/domains", "value": [{"id": "d-fin", "type": "domain"}]}
    ]
    assert [op["path"] for op in build_patch(UserChange(BRIAN, 1, "Brian Smith", (FINANCE,)))] == [
        "/displayName",
        "/domains",
    ]


def test_patch_applies_to_a_user_without_display_name() -> None:
    document = {"id": "u-a", "name": "aaron", "teams": [{"id": "t"}]}
    patched = build_patch(UserChange(BRIAN, 1, display_name="Aaron Johnson")).apply(document)
    assert patched == {**document, "displayName": "Aaron Johnson"}


def test_change_is_described_for_the_log() -> None:
    domains = DomainIndex()
    domains.add(FINANCE)
    domains.add(MARKETING)
    change = UserChange(BRIAN, 1, display_name="Brian Smith", domains=(FINANCE,))
    assert (
        describe_change(change, domains)
        == "user brian_smith7: displayName 'Brian' -> 'Brian Smith'; domains [Marketing] -> [Finance]"
    )
