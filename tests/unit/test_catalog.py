import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

from connector.catalog import Ambiguous, Domain, DomainIndex, SnapshotCancelledError, load_snapshot, user_from_json
from connector.openmetadata import OpenMetadataApi

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


class PagedApi:
    """Serves one page of domains and `user_pages` pages of one user each, counting the pages fetched."""

    def __init__(self, user_pages: int, cancel_after: int | None = None, cancel: threading.Event | None = None):
        self.user_pages, self.cancel_after, self.cancel = user_pages, cancel_after, cancel
        self.fetched = 0

    def list_pages(self, path: str, params: dict[str, Any], page_size: int) -> Iterator[list[dict[str, Any]]]:
        if path == "/domains":
            self.fetched += 1
            yield [{"id": "d1", "name": "Finance", "fullyQualifiedName": "Finance"}]
            return
        for number in range(self.user_pages):
            if self.cancel is not None and number == self.cancel_after:
                self.cancel.set()
            self.fetched += 1
            yield [{"id": f"u{number}", "name": f"u{number}", "email": f"u{number}@x.org", "domains": []}]


def test_snapshot_reads_every_page_when_not_cancelled() -> None:
    api = PagedApi(user_pages=5)
    snapshot = load_snapshot(cast(OpenMetadataApi, api), 1, threading.Event())
    assert len(snapshot.users_by_email) == 5
    assert set(snapshot.domains.by_id) == {"d1"}
    assert api.fetched == 6


def test_a_cancelled_snapshot_stops_at_the_next_page() -> None:
    cancel = threading.Event()
    api = PagedApi(user_pages=50, cancel_after=2, cancel=cancel)
    with pytest.raises(SnapshotCancelledError):
        load_snapshot(cast(OpenMetadataApi, api), 1, cancel)
    assert api.fetched == 4  # the domains page and users pages 0-2: nothing after the cancel


class UsersApi:
    def __init__(self, *emails: str) -> None:
        self.emails = emails

    def list_pages(self, path: str, params: dict[str, Any], page_size: int) -> Iterator[list[dict[str, Any]]]:
        if path == "/users":
            yield [{"id": f"u{i}", "name": f"user{i}", "email": email} for i, email in enumerate(self.emails)]


def test_users_whose_emails_fold_together_are_set_aside_not_overwritten() -> None:
    api = UsersApi("Ann@x.org", "bob@x.org", "ann@X.org", "\uff41nn@x.org", "\u212aim@x.org", "kim@x.org")
    snapshot = load_snapshot(cast(OpenMetadataApi, api), 100)
    assert list(snapshot.users_by_email) == ["bob@x.org"]
    assert {email: [user.name for user in users] for email, users in snapshot.shared_emails.items()} == {
        "ann@x.org": ["user0", "user2", "user3"],
        "kim@x.org": ["user4", "user5"],
    }
