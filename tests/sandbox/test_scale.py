"""The sandbox at size: a list page costs a fixed number of SQL statements, bulk-loaded users equal created ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from om_sandbox import sdk, seed
from om_sandbox.app import open_context
from om_sandbox.context import Context
from om_sandbox.domains import DomainKind
from om_sandbox.entities import and_filters, include_filter
from om_sandbox.store import Doc, Filter
from om_sandbox.users import Users

NON_BOT = and_filters(include_filter(None), Filter("AND is_bot = ?", (0,)))
VOLATILE = ("id", "href", "updatedAt", "fullyQualifiedName", "name", "email")


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    sdk.install_light_import()
    ctx = open_context(str(tmp_path / "sandbox.db"))
    seed.seed_demo(ctx)  # teams with domains, so inherited domains are part of every page
    finance = DomainKind(ctx).create({"name": "Finance2", "domainType": "Aggregate"}, "admin")
    Users(ctx).import_users(
        (
            ({"name": f"p{i:04d}", "email": f"p{i:04d}@x.org", "displayName": f"P {i}"}, [finance["id"]])
            for i in range(300)
        ),
        "admin",
    )
    return ctx


def statements_for_page(ctx: Context, limit: int) -> int:
    statements: list[str] = []
    ctx.store._conn.set_trace_callback(statements.append)
    try:
        rows, _ = ctx.entities.list_page("user", NON_BOT, limit, None, None)
        views = Users(ctx).views(rows, {"domains"})
    finally:
        ctx.store._conn.set_trace_callback(None)
    assert len(views) == limit
    return len(statements)


def test_a_page_of_users_with_domains_costs_the_same_statements_whatever_its_size(ctx: Context) -> None:
    statements_for_page(ctx, 1)  # the first page also counts the users; later pages reuse the count
    assert statements_for_page(ctx, 10) == statements_for_page(ctx, 250) <= 10


def test_a_bulk_loaded_user_reads_back_like_a_created_one(ctx: Context) -> None:
    users = Users(ctx)
    finance = ctx.store.get_by_fqn("domain", "Finance2")
    assert finance is not None
    created = users.create(
        {"name": "q0001", "email": "q0001@x.org", "displayName": "P 1", "domains": ["Finance2"]}, "admin"
    )
    imported = users.get_by_name("p0001")

    def shown(user: Doc) -> Doc:
        body = users.view(user, {"domains", "teams", "roles"})
        return {key: value for key, value in body.items() if key not in VOLATILE}

    assert shown(imported) == shown(created)
    assert ctx.store.get_version(imported["id"], 0.1) is not None


def test_the_listed_total_follows_writes(ctx: Context) -> None:
    before = ctx.store.count("user", NON_BOT)
    assert ctx.store.count("user", NON_BOT) == before
    Users(ctx).create({"name": "late", "email": "late@x.org"}, "admin")
    assert ctx.store.count("user", NON_BOT) == before + 1
