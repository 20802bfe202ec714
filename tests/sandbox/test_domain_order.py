"""The order in which a user's own and inherited domains are listed, and patched: EntityUtil.mergedInheritedEntityRefs
sorts them by id as java.util.UUID compares (signed 64-bit halves), whatever order the relationship rows came in."""

from __future__ import annotations

import uuid
from typing import Any

from om_sandbox.users import PageLookup, Users, java_uuid_order
from tests.sandbox.conftest import Sandbox

# Text order and java.util.UUID order disagree: a first hex digit of 8 to f is a negative most significant half.
LOW = "10000000-0000-4000-8000-000000000000"
HIGH = "f0000000-0000-4000-8000-000000000000"
MIDDLE = "7fffffff-ffff-4fff-bfff-ffffffffffff"


def ref(domain_id: str) -> dict[str, Any]:
    return {"id": domain_id, "type": "domain", "name": domain_id[:2]}


def test_java_uuid_order_compares_each_half_as_a_signed_long() -> None:
    ids = [LOW, MIDDLE, HIGH, "80000000-0000-4000-8000-000000000000"]
    assert sorted(ids, key=java_uuid_order) == [
        "80000000-0000-4000-8000-000000000000",
        HIGH,
        LOW,
        MIDDLE,
    ]
    # Within an equal most significant half, the least significant one decides, signed as well (variant bits 10
    # make it negative for every RFC 4122 id, so there text order and Java order agree).
    same = ["10000000-0000-4000-9000-000000000000", "10000000-0000-4000-8000-000000000001"]
    assert sorted(same, key=java_uuid_order) == sorted(same)


def test_own_and_inherited_domains_merge_in_uuid_order_with_the_own_entry_winning() -> None:
    lookup = PageLookup(
        teams={"u": ["t1", "t2"]},
        own_domains={"u": [MIDDLE, LOW]},  # row order, which the server does not keep
        team_domains={"t1": [LOW], "t2": [HIGH]},
        refs={("domain", i): ref(i) for i in (LOW, HIGH, MIDDLE)},
    )
    merged = Users.domains({"id": "u"}, lookup)
    assert [(d["id"], d.get("inherited")) for d in merged] == [(HIGH, True), (LOW, None), (MIDDLE, None)]


def test_own_domains_alone_are_sorted_too() -> None:
    lookup = PageLookup(
        teams={"u": ["org"]}, own_domains={"u": [LOW, HIGH]}, refs={("domain", i): ref(i) for i in (LOW, HIGH)}
    )
    assert [d["id"] for d in Users.domains({"id": "u"}, lookup)] == [HIGH, LOW]


def test_every_read_and_the_patch_see_the_same_order(sandbox: Sandbox) -> None:
    """A user holding two domains and inheriting two more: a GET by name, the users list and the document a PATCH
    applies to (its `test` ops) agree on one order, that of the ids."""
    suffix = uuid.uuid4().hex[:6]
    names = [f"D{suffix}{n}" for n in range(4)]
    for name in names:
        body = {"name": name, "domainType": "Aggregate", "description": name}
        assert sandbox.call("admin", "POST", "/v1/domains", json=body).status_code == 201
    team = sandbox.call(
        "admin", "POST", "/v1/teams", json={"name": f"T{suffix}", "teamType": "Group", "domains": names[2:]}
    )
    assert team.status_code == 201, team.text
    user = sandbox.new_user(teams=[team.json()["id"]], domains=names[:2])
    by_name = sandbox.user(user["name"])["domains"]
    assert sorted(d["name"] for d in by_name if not d.get("inherited")) == names[:2]
    assert sorted(d["name"] for d in by_name if d.get("inherited")) == names[2:]
    ids = [d["id"] for d in by_name]
    assert ids == sorted(ids, key=java_uuid_order)
    listed = sandbox.get("admin", "/v1/users", params={"fields": "domains", "limit": 1000}).json()["data"]
    assert [d["id"] for d in next(u for u in listed if u["id"] == user["id"])["domains"]] == ids
    tests = [{"op": "test", "path": f"/domains/{i}/id", "value": domain_id} for i, domain_id in enumerate(ids)]
    kept = sandbox.patch("user-sync", user["id"], [*tests, {"op": "add", "path": "/description", "value": "x"}])
    assert kept.status_code == 200, kept.text
