"""`/api/v1/domains`, after `resources/domains/DomainResource.java` and `jdbi3/DomainRepository.java`:
a domain may have a parent, and its FQN is the parent's FQN, a dot and its (quoted if dotted) name."""

from __future__ import annotations

from starlette.routing import Route

from om_sandbox import crud
from om_sandbox.context import Context
from om_sandbox.entities import TypeSpec, build_fqn
from om_sandbox.store import Doc


class DomainKind(crud.Kind):
    spec = TypeSpec("domain", scalars=("description", "displayName", "domainType", "style"))
    allowed_fields = frozenset({"children", "owners", "parent", "experts", "assets", "tags", "followers", "extension"})
    put_fields = frozenset({"parent"})
    has_deleted = False  # Domain has no `deleted` attribute in 1.9 (domains are hard-deleted)

    def fqn(self, create: Doc) -> str:
        parent = create.get("parent")
        if parent:
            return build_fqn(
                self.entities.require_fqn("domain", str(parent))["fullyQualifiedName"], str(create["name"])
            )
        return build_fqn(None, str(create["name"]))

    def build(self, create: Doc) -> tuple[Doc, dict[str, list[str]]]:
        scalars: Doc = {key: create[key] for key in self.spec.scalars if create.get(key) is not None}
        if create.get("parent"):
            scalars["parent"] = self.entities.require_fqn("domain", str(create["parent"]))["id"]
        return scalars, {}

    def create(self, create: Doc, by: str) -> Doc:
        doc = super().create(create, by)
        if doc.get("parent"):
            self.store.add_relationship(doc["parent"], "domain", doc["id"], "domain", "contains")
        return doc

    def extra_view(self, doc: Doc, fields: set[str] | frozenset[str], body: Doc) -> None:
        body["domainType"] = doc.get("domainType")
        if doc.get("style") is not None:
            body["style"] = doc["style"]
        if doc.get("parent"):
            parent = self.entities.ref("domain", doc["parent"])
            if parent is not None:
                body["parent"] = parent
        if "children" in fields:
            body["children"] = self.entities.refs("domain", self.store.find_to(doc["id"], "contains", "domain"))
        for name in ("owners", "experts"):
            if name in fields:
                body[name] = []


def routes(ctx: Context) -> list[Route]:
    return crud.routes(ctx, DomainKind(ctx))
