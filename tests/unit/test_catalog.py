from connector.catalog import Ambiguous, Domain, DomainIndex, user_from_json

FINANCE = Domain("d1", "Finance", "Finance")
EMEA_SALES = Domain("d2", "Sales", "EMEA.Sales")
US_SALES = Domain("d3", "Sales", "US.Sales")
DOTTED = Domain("d4", "a.b", '"a.b"')


def index() -> DomainIndex:
    domains = DomainIndex()
    for domain in (FINANCE, EMEA_SALES, US_SALES, DOTTED):
        domains.add(domain)
    return domains


def test_resolve_case_insensitively_by_fqn_then_unique_name() -> None:
    domains = index()
    assert domains.resolve("finance") == FINANCE
    assert domains.resolve(" FINANCE ") == FINANCE
    assert domains.resolve("emea.sales") == EMEA_SALES
    assert domains.resolve('"A.B"') == DOTTED
    assert domains.resolve("a.b") == DOTTED
    assert domains.resolve("Marketing") is None


def test_same_name_under_two_parents_is_ambiguous() -> None:
    assert index().resolve("sales") == Ambiguous((EMEA_SALES, US_SALES))


def test_user_from_json_keeps_only_own_domains() -> None:
    user = user_from_json(
        {
            "id": "u1",
            "name": "aaron",
            "email": "Aaron@X.org",
            "domains": [
                {"id": "d1", "type": "domain"},
                {"id": "d2", "type": "domain", "inherited": True},
            ],
        }
    )
    assert user.email == "aaron@x.org"
    assert user.display_name is None
    assert user.domain_ids == ("d1",)


def test_user_keeps_the_version_it_was_read_at() -> None:
    user = user_from_json({"id": "u", "name": "n", "email": "N@X.org", "version": 0.3, "domains": []})
    assert user.version == 0.3
