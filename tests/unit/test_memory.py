"""The compact stores of the catalog's users and the directory's rows: what goes in comes out, equal values are held
once, and a person costs the bytes benchmarks/RESULTS-1M.md accounts for."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import Callable

from connector.catalog import CatalogSnapshot, CatalogUser, CatalogUsers, DomainIndex, UserFields
from connector.directory import DirectoryUser, DirectoryUsers

USER_ID = "0b5e3a52-6a8e-4d37-9c1f-2f0d6c1e8a77"


def fields(user: CatalogUser) -> UserFields:
    return (
        user.id,
        user.name,
        user.email,
        user.display_name,
        user.domain_ids,
        user.version,
        user.listed_domain_ids,
        user.is_admin,
        user.team_ids,
    )


def keyed(filed: UserFields) -> tuple[str, UserFields]:
    return filed[2], filed


def test_catalog_users_give_back_what_was_filed() -> None:
    users = [
        CatalogUser(USER_ID, "aaron", "aaron@x.org", "Aaron", ("d1",), 0.2, ("d1", "d2")),
        # A name that is not the email's local part, an id that is not a UUID, an upper-case UUID.
        CatalogUser("u-1", "Brian.S", "brian@x.org", None, (), 1.0, ()),
        CatalogUser(USER_ID.upper(), "c", "carol@x.org", "Carol", (), 0.1, ()),
    ]
    filed = CatalogUsers()
    for user in users:
        filed.add(*keyed(fields(user)))
    assert len(filed) == 3
    assert list(filed) == ["aaron@x.org", "brian@x.org", "carol@x.org"]
    assert [filed[user.email] for user in users] == users
    assert filed.get("nobody@x.org") is None
    assert "brian@x.org" in filed
    assert "nobody@x.org" not in filed
    assert filed.with_ids({USER_ID, "u-1", "missing"}) == {USER_ID: users[0], "u-1": users[1]}


def test_a_later_user_with_the_same_email_replaces_the_first() -> None:
    filed = CatalogUsers()
    filed.add(*keyed(fields(CatalogUser("u-1", "a", "a@x.org", "First", ()))))
    filed.add(*keyed(fields(CatalogUser("u-2", "a2", "a@x.org", "Second", ()))))
    assert len(filed) == 1
    assert filed["a@x.org"].id == "u-2"


def test_snapshot_finds_users_by_id_in_either_store() -> None:
    aaron = CatalogUser(USER_ID, "aaron", "aaron@x.org", "Aaron", ())
    filed = CatalogUsers()
    filed.add(*keyed(fields(aaron)))
    for users in (filed, {aaron.email: aaron}):
        assert CatalogSnapshot(users, DomainIndex()).users_with_ids({USER_ID}) == {USER_ID: aaron}


def test_directory_users_give_back_what_was_appended() -> None:
    rows = [
        DirectoryUser(1, "a@x.org", "Aaron", ("Finance",)),
        DirectoryUser(3, "b@x.org", None, None),
        DirectoryUser(4, "c@x.org", "Carol", ("Finance", "Sales")),
    ]
    held = DirectoryUsers.of(rows)
    assert list(held) == rows
    assert len(held) == 3
    assert held[1] == rows[1]
    assert held[-1] == rows[-1]
    assert held[1:] == rows[1:]
    assert list(held.emails) == ["a@x.org", "b@x.org", "c@x.org"]
    assert list(held.columns())[2] == (4, "c@x.org", "Carol", ("Finance", "Sales"), None)


def test_the_two_reads_hold_each_equal_text_once() -> None:
    """The directory and the catalog each decode their own copy of an email or a name; the shared table keeps one."""
    strings: dict[str, str] = {}
    directory, catalog = DirectoryUsers(strings), CatalogUsers(strings)
    directory.append(DirectoryUser(1, "".join(["a@", "x.org"]), "".join(["Aa", "ron"]), ("Fin",)))
    directory.append(DirectoryUser(2, "b@x.org", "".join(["Aa", "ron"]), ("".join(["F", "in"]),)))
    catalog.add(*keyed(fields(CatalogUser(USER_ID, "a", "".join(["a@x", ".org"]), "".join(["Aar", "on"]), ()))))
    first, second = directory
    assert first.email is next(iter(catalog))
    assert first.display_name is second.display_name is catalog["a@x.org"].display_name
    assert first.domains is second.domains


def kept_bytes(build: Callable[[], object]) -> int:
    """What `build`'s result holds, as tracemalloc counts it."""
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    result = build()
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return after - before


def test_a_person_costs_what_the_benchmark_accounts_for() -> None:
    """20,000 people as the run holds them: each email and name decoded twice (once by each read), UUID ids, one
    domain. Beyond one copy of each text, a catalog user costs its filing (~105 bytes) and its id as an int (48), a
    directory row its four columns (~35); the bound leaves room for the dicts' growth steps, not for a record per
    person (a CatalogUser alone is 88 bytes, its id as text 85 more)."""
    people = 20_000
    names = [f"Person {index}" for index in range(people)]
    emails = [f"person.{index}@example.com" for index in range(people)]
    ids = [str(uuid.UUID(int=index + 1)) for index in range(people)]

    def copy(text: str) -> str:
        return "".join([text[:1], text[1:]])  # a new str object, as json decoding makes

    def texts() -> list[str]:
        return [copy(text) for text in emails + names]

    def both() -> tuple[DirectoryUsers, CatalogUsers]:
        strings: dict[str, str] = {}
        directory, catalog = DirectoryUsers(strings), CatalogUsers(strings)
        for index in range(people):
            directory.append(DirectoryUser(index + 1, copy(emails[index]), copy(names[index]), (copy("Finance"),)))
            domain_ids = (copy("d-fin"),)
            name = f"person.{index}"
            email = copy(emails[index])
            catalog.add(email, (ids[index], name, email, copy(names[index]), domain_ids, 0.1, domain_ids, False, ()))
        directory.release_strings()
        catalog.release_strings()
        return directory, catalog

    one_copy = kept_bytes(texts) - 8 * 2 * people  # without the list that holds them
    assert (kept_bytes(both) - one_copy) / people < 220
