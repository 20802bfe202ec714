"""Create, read, list and create-or-update for the entity types other than users, after
`resources/EntityResource.java` and `jdbi3/EntityRepository.java`. Each type says how a create request
becomes a document and how a document is shown (`Kind`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from om_sandbox import policies
from om_sandbox.context import Context, check_cursors, ok, read_request
from om_sandbox.entities import (
    COLLECTIONS,
    TypeSpec,
    build_fqn,
    include_filter,
    new_id,
    now_ms,
    parse_fields,
    parse_limit,
)
from om_sandbox.errors import ApiError, not_found
from om_sandbox.store import Doc, Filter

BASE_KEYS = ("id", "name", "fullyQualifiedName", "displayName", "description", "version", "updatedAt", "updatedBy")


class Kind:
    spec: TypeSpec
    allowed_fields: frozenset[str] = frozenset()
    put_fields: frozenset[str] = frozenset()
    has_deleted = True

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.entities = ctx.entities

    @property
    def entity_type(self) -> str:
        return self.spec.entity_type

    def fqn(self, create: Doc) -> str:
        return build_fqn(None, str(create["name"]))

    def check_request(self, create: Doc) -> None:
        """Refuse a create request arriving over HTTP (the resource's own checks, which the seed skips)."""

    def build(self, create: Doc) -> tuple[Doc, dict[str, list[str]]]:
        """The scalar document (without id and versioning) and the relationships of a create request."""
        raise NotImplementedError

    def extra_view(self, doc: Doc, fields: set[str] | frozenset[str], body: Doc) -> None:
        """Add the type's own keys to `body`."""

    def relations(self, doc: Doc) -> dict[str, list[str]]:
        return {name: self.entities.related(doc["id"], spec) for name, spec in self.spec.ref_lists.items()}

    def view(self, doc: Doc, fields: set[str] | frozenset[str]) -> Doc:
        body: Doc = {key: doc[key] for key in BASE_KEYS if doc.get(key) is not None}
        body["href"] = self.entities.href(self.entity_type, doc["id"])
        self.extra_view(doc, fields, body)
        for key in ("changeDescription", "incrementalChangeDescription"):
            if doc.get(key) is not None:
                body[key] = doc[key]
        if self.has_deleted:
            body["deleted"] = bool(doc.get("deleted"))
        return body

    def create(self, create: Doc, by: str) -> Doc:
        fqn = self.fqn(create)
        if self.store.get_by_fqn(self.entity_type, fqn) is not None:
            raise ApiError(409, "Entity already exists")
        scalars, relations = self.build(create)
        doc: Doc = {
            "id": new_id(),
            "name": create["name"],
            "fullyQualifiedName": fqn,
            **scalars,
            "version": 0.1,
            "updatedAt": now_ms(),
            "updatedBy": by,
        }
        if self.has_deleted:
            doc["deleted"] = False
        with self.store.tx():
            self.store.insert(self.entity_type, doc)
            self.write_relations(doc, relations)
            self.store.put_version(doc["id"], 0.1, self.entities.state(self.spec, doc, relations))
        return doc

    def write_relations(self, doc: Doc, relations: dict[str, list[str]]) -> None:
        for name, spec in self.spec.ref_lists.items():
            if name in relations:
                self.entities.set_related(self.entity_type, doc["id"], spec, relations[name])

    def update(self, existing: Doc, create: Doc, by: policies.Subject) -> tuple[Doc, bool]:
        """PUT on an existing entity: EntityUpdater with the request's values."""
        original_state = self.entities.state(self.spec, existing, self.relations(existing))
        scalars, relations = self.build(create)
        updated = {k: v for k, v in existing.items() if k not in self.spec.scalars}
        updated.update(scalars)
        if by.is_bot and existing.get("description"):
            updated["description"] = existing["description"]  # EntityUpdater.updateDescription
        full_relations = {**self.relations(existing), **relations}
        updated_state = self.entities.state(self.spec, updated, full_relations)
        with self.store.tx():
            result, incremental, changed = self.entities.commit_update(
                self.spec, existing, original_state, updated, updated_state, by=by.name, patch=False
            )
            if changed:
                self.store.update(self.entity_type, result)
                self.write_relations(result, relations)
        return {**result, "changeDescription": incremental}, changed

    def resolve_many(self, entity_type: str, refs: list[Any] | None) -> list[str]:
        return [self.entities.resolve_ref(entity_type, ref) for ref in refs or []]

    def resolve_names(self, entity_type: str, names: list[Any] | None) -> list[str]:
        return [self.entities.require_fqn(entity_type, str(name))["id"] for name in names or []]


def routes(ctx: Context, kind: Kind) -> list[Route]:
    entity_type = kind.entity_type
    collection = f"/api/v1/{COLLECTIONS[entity_type]}"

    async def list_entities(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        params = request.query_params
        fields = parse_fields(params.get("fields"), kind.allowed_fields)
        limit = parse_limit(params.get("limit"))
        check_cursors(params.get("before"), params.get("after"))
        policies.authorize(subject, policies.ResourceContext(entity_type), ["ViewBasic"])
        where = include_filter(params.get("include")) if kind.has_deleted else Filter()
        rows, paging = ctx.entities.list_page(entity_type, where, limit, params.get("before"), params.get("after"))
        return ok({"data": [kind.view(row, fields) for row in rows], "paging": paging})

    def get_one(request: Request, key: str, doc: Doc | None) -> JSONResponse:
        subject = ctx.subject(request)
        fields = parse_fields(request.query_params.get("fields"), kind.allowed_fields)
        if doc is None:
            raise not_found(entity_type, key)
        policies.authorize(subject, policies.ResourceContext(entity_type, _owners(doc)), ["ViewBasic"])
        return ok(kind.view(doc, fields))

    async def get_by_id(request: Request) -> JSONResponse:
        key = request.path_params["id"]
        return get_one(request, key, ctx.store.get(entity_type, key))

    async def get_by_name(request: Request) -> JSONResponse:
        key = request.path_params["fqn"]
        return get_one(request, key, ctx.store.get_by_fqn(entity_type, key))

    async def post(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        _model, create = await read_request(request, entity_type)
        kind.check_request(create)
        policies.authorize(subject, policies.ResourceContext(entity_type), ["Create"])
        doc = kind.create(create, subject.name)
        return ok(kind.view(doc, kind.put_fields), status=201)

    async def put(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        _model, create = await read_request(request, entity_type)
        kind.check_request(create)
        existing = ctx.store.get_by_fqn(entity_type, kind.fqn(create))
        if existing is None:
            policies.authorize(subject, policies.ResourceContext(entity_type), ["Create"])
            doc = kind.create(create, subject.name)
            return ok(kind.view(doc, kind.put_fields), status=201, headers={"X-OpenMetadata-Change": "entityCreated"})
        policies.authorize(subject, policies.ResourceContext(entity_type, _owners(existing)), ["EditAll"])
        doc, changed = kind.update(existing, create, subject)
        return ok(
            kind.view(doc, kind.put_fields),
            headers={"X-OpenMetadata-Change": "entityUpdated" if changed else "entityNoChange"},
        )

    return [
        Route(collection, list_entities, methods=["GET"]),
        Route(collection, post, methods=["POST"]),
        Route(collection, put, methods=["PUT"]),
        Route(collection + "/name/{fqn:path}", get_by_name, methods=["GET"]),
        Route(collection + "/{id}", get_by_id, methods=["GET"]),
    ]


def _owners(doc: Doc) -> tuple[str, ...]:
    return tuple(owner["id"] for owner in doc.get("owners") or [] if isinstance(owner, dict) and "id" in owner)
