"""Teams, roles, policies and `/api/v1/permissions`, after `resources/teams/TeamResource.java`,
`RoleResource.java`, `resources/policies/PolicyResource.java` and
`resources/permissions/PermissionsResource.java` (+ `security/DefaultAuthorizer.java`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from om_sandbox import crud, policies, sdk, teams
from om_sandbox.context import Context, ok
from om_sandbox.entities import RefList, TypeSpec, build_fqn
from om_sandbox.errors import bad_request, not_admin, not_found
from om_sandbox.store import Doc


class TeamKind(crud.Kind):
    spec = TypeSpec(
        "team",
        scalars=("description", "displayName", "teamType", "email", "isJoinable", "profile", "externalId"),
        ref_lists={
            "users": RefList("has", "user", outgoing=True),
            "defaultRoles": RefList("has", "role", outgoing=True),
            "policies": RefList("has", "policy", outgoing=True),
            "domains": RefList("has", "domain", outgoing=False),
            "parents": RefList("parentOf", "team", outgoing=False),
            "children": RefList("parentOf", "team", outgoing=True),
        },
    )
    allowed_fields = frozenset(
        {
            "owners",
            "profile",
            "users",
            "owns",
            "defaultRoles",
            "parents",
            "children",
            "policies",
            "userCount",
            "childrenCount",
            "domains",
            "inheritedRoles",
        }
    )
    put_fields = frozenset({"users", "defaultRoles", "policies", "domains", "parents", "profile"})

    def check_request(self, create: Doc) -> None:
        teams.check_create_request(create)

    def build(self, create: Doc) -> tuple[Doc, dict[str, list[str]]]:
        scalars: Doc = {key: create[key] for key in self.spec.scalars if create.get(key) is not None}
        relations = {
            "users": self.resolve_many("user", create.get("users")),
            "defaultRoles": self.resolve_many("role", create.get("defaultRoles")),
            "policies": self.resolve_many("policy", create.get("policies")),
            "domains": self.resolve_names("domain", create.get("domains")),
            "parents": self.resolve_many("team", create.get("parents")),
        }
        if create.get("children") is not None:
            relations["children"] = self.resolve_many("team", create["children"])
        # TeamRepository.prepare: the hierarchy is checked first (users only in a Group: `create`).
        teams.check_hierarchy(
            str(create["name"]),
            str(create["teamType"]),
            [self.entities.require("team", p) for p in relations["parents"]],
            [self.entities.require("team", c) for c in relations.get("children", [])],
        )
        # TeamRepository.storeRelationships: Organization as a parent is the default and is not stored.
        org = self.store.get_by_fqn("team", policies.ORGANIZATION)
        relations["parents"] = [p for p in relations["parents"] if org is None or p != org["id"]]
        return scalars, relations

    def create(self, create: Doc, by: str) -> Doc:
        users = self.resolve_many("user", create.get("users"))
        teams.check_team_users(str(create["teamType"]), users, self.ctx.release)
        return super().create(create, by)

    def update(self, existing: Doc, create: Doc, by: policies.Subject) -> tuple[Doc, bool]:
        has_children = bool(self.store.find_to(existing["id"], "parentOf", "team"))
        teams.check_type_change(str(existing.get("teamType")), str(create["teamType"]), has_children)
        return super().update(existing, create, by)

    def extra_view(self, doc: Doc, fields: set[str] | frozenset[str], body: Doc) -> None:
        body["teamType"] = doc.get("teamType")
        for key in ("email", "externalId", "isJoinable"):
            if doc.get(key) is not None:
                body[key] = doc[key]
        if "profile" in fields and doc.get("profile") is not None:
            body["profile"] = doc["profile"]
        if "users" in fields:
            body["users"] = self.entities.refs("user", self.store.find_to(doc["id"], "has", "user"))
        if "userCount" in fields:
            body["userCount"] = len(self.store.find_to(doc["id"], "has", "user"))
        if "defaultRoles" in fields:
            body["defaultRoles"] = self.entities.refs("role", self.store.find_to(doc["id"], "has", "role"))
        if "policies" in fields:
            body["policies"] = self.entities.refs("policy", self.store.find_to(doc["id"], "has", "policy"))
        if "domains" in fields:
            body["domains"] = self.entities.refs("domain", self.store.find_from(doc["id"], "has", "domain"))
        if "parents" in fields:
            parents = self.store.find_from(doc["id"], "parentOf", "team")
            if not parents and doc["name"] != policies.ORGANIZATION:
                parents = [policies.organization_id(self.store)]
            body["parents"] = self.entities.refs("team", parents)
        if "children" in fields:
            body["children"] = self.entities.refs("team", self.store.find_to(doc["id"], "parentOf", "team"))
        if "owners" in fields:
            body["owners"] = []


class RoleKind(crud.Kind):
    spec = TypeSpec(
        "role",
        scalars=("description", "displayName", "provider", "allowDelete"),
        ref_lists={"policies": RefList("has", "policy", outgoing=True)},
    )
    allowed_fields = frozenset({"policies", "teams", "users"})
    put_fields = frozenset({"policies"})

    def build(self, create: Doc) -> tuple[Doc, dict[str, list[str]]]:
        scalars: Doc = {key: create[key] for key in self.spec.scalars if create.get(key) is not None}
        return scalars, {"policies": self.resolve_names("policy", create.get("policies"))}

    def extra_view(self, doc: Doc, fields: set[str] | frozenset[str], body: Doc) -> None:
        for key in ("provider", "allowDelete"):
            if doc.get(key) is not None:
                body[key] = doc[key]
        if "policies" in fields:
            body["policies"] = self.entities.refs("policy", self.store.find_to(doc["id"], "has", "policy"))
        if "users" in fields:
            body["users"] = self.entities.refs("user", self.store.find_from(doc["id"], "has", "user"))
        if "teams" in fields:
            body["teams"] = self.entities.refs("team", self.store.find_from(doc["id"], "has", "team"))


class PolicyKind(crud.Kind):
    spec = TypeSpec("policy", scalars=("description", "displayName", "enabled", "rules", "provider", "allowDelete"))
    allowed_fields = frozenset({"owners", "location", "teams", "roles"})

    def build(self, create: Doc) -> tuple[Doc, dict[str, list[str]]]:
        scalars: Doc = {key: create[key] for key in self.spec.scalars if create.get(key) is not None}
        scalars.setdefault("enabled", True)
        policy_fqn = build_fqn(None, str(create["name"]))
        # The SDK's request model knows the operations of the installed SDK's release; an older release of the
        # same line lacks some (Release.operations), which Jackson refuses there as an unknown enum value.
        known = self.ctx.release.operations(sdk.operations())
        for index, rule in enumerate(create.get("rules") or []):
            for unknown in (op for op in rule.get("operations") or [] if op not in known):
                raise bad_request(
                    f"[rules.{index}.operations {unknown!r} is not an operation of OpenMetadata "
                    f"{self.ctx.release.version}]"
                )
        # PolicyRepository gives every rule the FQN <policy>.<rule>.
        scalars["rules"] = [
            {**rule, "fullyQualifiedName": f"{policy_fqn}.{build_fqn(None, str(rule['name']))}"}
            for rule in create.get("rules") or []
        ]
        return scalars, {}

    def extra_view(self, doc: Doc, fields: set[str] | frozenset[str], body: Doc) -> None:
        body["enabled"] = doc.get("enabled", True)
        body["rules"] = doc.get("rules") or []
        for key in ("provider", "allowDelete"):
            if doc.get(key) is not None:
                body[key] = doc[key]
        if "owners" in fields:
            body["owners"] = []
        if "roles" in fields:
            body["roles"] = self.entities.refs("role", self.store.find_from(doc["id"], "has", "role"))
        if "teams" in fields:
            body["teams"] = self.entities.refs("team", self.store.find_from(doc["id"], "has", "team"))


PERMISSION_RESOURCES = ("all", "domain", "policy", "role", "team", "user")


def _subject_for_query(ctx: Context, request: Request) -> policies.Subject:
    """DefaultAuthorizer.changeSubjectContext: asking for another user's permissions is admin-only."""
    subject = ctx.subject(request)
    user = request.query_params.get("user")
    if user is not None and user != subject.name:
        if not subject.is_admin:
            raise not_admin(subject.name)
        target = ctx.store.get_by_fqn("user", build_fqn(None, user.lower()))
        if target is None:
            raise not_found("user", user)
        return policies.subject_for(ctx.store, target)
    return subject


def routes(ctx: Context) -> list[Route]:
    async def resource_permission(request: Request) -> JSONResponse:
        subject = _subject_for_query(ctx, request)
        resource = request.path_params["resource"]
        try:
            return ok(policies.resource_permission(subject, resource.lower(), ctx.release))
        except KeyError as exc:
            raise bad_request(f"Resource type {resource} not found") from exc

    async def all_permissions(request: Request) -> JSONResponse:
        subject = _subject_for_query(ctx, request)
        data = [policies.resource_permission(subject, resource, ctx.release) for resource in PERMISSION_RESOURCES]
        return ok({"data": data, "paging": {"total": len(data)}})

    return [
        *crud.routes(ctx, TeamKind(ctx)),
        *crud.routes(ctx, RoleKind(ctx)),
        *crud.routes(ctx, PolicyKind(ctx)),
        Route("/api/v1/permissions", all_permissions, methods=["GET"]),
        Route("/api/v1/permissions/{resource}", resource_permission, methods=["GET"]),
    ]
