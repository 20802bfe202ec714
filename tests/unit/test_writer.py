from typing import Any

import pytest

from connector.catalog import CatalogUser, Domain, DomainIndex
from connector.openmetadata import OpenMetadataError
from connector.plan import UserChange
from connector.writer import UserWriter, WriteError, build_patch, describe_change

FINANCE = Domain("d-fin", "Finance", "Finance")
MARKETING = Domain("d-mkt", "Marketing", "Marketing")
BRIAN = CatalogUser("u-b", "brian_smith7", "brian_smith7@gmail.com", "Brian", ("d-mkt",))


def test_patch_holds_exactly_the_changed_fields() -> None:
    assert list(build_patch(UserChange(BRIAN, display_name="Brian Smith"))) == [
        {"op": "add", "path": "/displayName", "value": "Brian Smith"}
    ]
    assert list(build_patch(UserChange(BRIAN, domains=(FINANCE,)))) == [
        {"op": "add", "path": "/domains", "value": [{"id": "d-fin", "type": "domain"}]}
    ]
    assert [op["path"] for op in build_patch(UserChange(BRIAN, "Brian Smith", (FINANCE,)))] == [
        "/displayName",
        "/domains",
    ]


def test_patch_applies_to_a_user_without_display_name() -> None:
    document = {"id": "u-a", "name": "aaron", "teams": [{"id": "t"}]}
    patched = build_patch(UserChange(BRIAN, display_name="Aaron Johnson")).apply(document)
    assert patched == {**document, "displayName": "Aaron Johnson"}


def test_change_is_described_for_the_log() -> None:
    domains = DomainIndex()
    domains.add(FINANCE)
    domains.add(MARKETING)
    change = UserChange(BRIAN, display_name="Brian Smith", domains=(FINANCE,))
    assert (
        describe_change(change, domains)
        == "user brian_smith7: displayName 'Brian' -> 'Brian Smith'; domains [Marketing] -> [Finance]"
    )


class FakeApi:
    """Stands in for OpenMetadataApi.patch: answers with a prepared entity or raises."""

    def __init__(self, answer: Any = None, error: OpenMetadataError | None = None) -> None:
        self.answer, self.error = answer, error
        self.sent: list[tuple[str, list[dict[str, Any]]]] = []

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        self.sent.append((path, operations))
        if self.error:
            raise self.error
        return self.answer


def entity(display_name: str | None, domains: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "u-b",
        "name": "brian_smith7",
        "email": "brian_smith7@gmail.com",
        "displayName": display_name,
        "domains": domains,
    }


def writer(api: FakeApi) -> UserWriter:
    return UserWriter(api)  # type: ignore[arg-type]


def test_write_sends_the_patch_and_accepts_the_kept_values() -> None:
    api = FakeApi(entity("Brian Smith", [{"id": "d-fin", "type": "domain"}, {"id": "d-x", "inherited": True}]))
    written = writer(api).write(UserChange(BRIAN, "Brian Smith", (FINANCE,)))
    assert api.sent == [("/users/u-b", list(build_patch(UserChange(BRIAN, "Brian Smith", (FINANCE,)))))]
    assert written.display_name == "Brian Smith"
    assert written.domain_ids == ("d-fin",)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (entity("Brian", [{"id": "d-fin"}]), "kept displayName 'Brian'"),
        (entity("Brian Smith", [{"id": "d-mkt"}]), "domains are not the ones sent"),
        (entity("Brian Smith", [{"id": "d-fin", "inherited": True}]), "domains are not the ones sent"),
        ({"message": "ok"}, "without the updated user"),
    ],
)
def test_a_success_status_that_kept_old_values_is_a_failure(answer: Any, message: str) -> None:
    with pytest.raises(WriteError, match=message):
        writer(FakeApi(answer)).write(UserChange(BRIAN, "Brian Smith", (FINANCE,)))


def test_http_errors_become_write_errors_with_the_servers_reason() -> None:
    error = OpenMetadataError("PATCH /users/u-b: HTTP 403: operation EditDisplayName denied", status=403)
    with pytest.raises(WriteError, match="HTTP 403: operation EditDisplayName denied"):
        writer(FakeApi(error=error)).write(UserChange(BRIAN, "Brian Smith"))
