"""`/api/v1/users`, after `resources/teams/UserResource.java` and `jdbi3/UserRepository.java`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from om_sandbox import accounts, patching, policies
from om_sandbox.context import Context, check_cursors, ok, query_flag, read_request
from om_sandbox.entities import (
    RefList,
    TypeSpec,
    and_filters,
    build_fqn,
    include_filter,
    new_id,
    next_version,
    now_ms,
    parse_fields,
    parse_limit,
)
from om_sandbox.errors import ENTITY_ALREADY_EXISTS, ApiError, bad_request, not_admin, not_found, unhandled
from om_sandbox.store import Doc, Filter, Relationship
from om_sandbox.teams import check_team_additions, check_user_teams

USER_SPEC = TypeSpec(
    "user",
    scalars=(
        "description",
        "displayName",
        "externalId",
        "timezone",
        "profile",
        "isBot",
        "isAdmin",
        "isEmailVerified",
        "personas",
    ),
    ref_lists={
        "roles": RefList("has", "role", outgoing=True),
        "teams": RefList("has", "team", outgoing=False),
        "domains": RefList("has", "domain", outgoing=False),
    },
)
# UserResource.allowedFields minus the protected authenticationMechanism.
ALLOWED_FIELDS = frozenset(
    {
        "profile",
        "roles",
        "teams",
        "follows",
        "owns",
        "personas",
        "defaultPersona",
        "domains",
        "lastLoginTime",
        "lastActivityTime",
        "personaPreferences",
        "inheritedRoles",
    }
)
# UserRepository.USER_PATCH_FIELDS / USER_UPDATE_FIELDS as far as the sandbox keeps them.
PATCH_FIELDS = frozenset({"profile", "roles", "teams", "personas", "domains"})
_STORED = (
    "id",
    "name",
    "fullyQualifiedName",
    "email",
    *USER_SPEC.scalars,
    "version",
    "updatedAt",
    "updatedBy",
    "deleted",
    "changeDescription",
    "incrementalChangeDescription",
    # The password's hash (om_sandbox.accounts): kept by every update, never shown (USER_PROTECTED_FIELDS).
    "authenticationMechanism",
)
# The schema's `entityName` pattern (`type/basic.json`), which CreateUser's `name` carries: no `::`. The SDK's
# generated model drops the pattern, so the sandbox checks it itself. Java's `.` matches no line terminator either.
ENTITY_NAME_PATTERN = "^((?!::).)*$"
_ENTITY_NAME = re.compile(r"((?!::)[^\n\r\u0085\u2028\u2029])*")
# UserRepository.getLoggedInUserByNameAndEmail's texts.
ACCOUNT_EXISTS = "Account already exists. Please contact administrator."
NAME_AND_EMAIL_NOT_FOUND = "Cannot find user with provided name and email"
# PATCH can't change these (EntityRepository/UserRepository.restorePatchAttributes, UserUpdater's email).
_RESTORED = (
    "id",
    "name",
    "fullyQualifiedName",
    "email",
    "version",
    "updatedAt",
    "updatedBy",
    "href",
    "changeDescription",
    "incrementalChangeDescription",
    "inheritedRoles",
    "deleted",
)


@dataclass
class PageLookup:
    """Relationships of a page of users: team ids and own domain ids per user, domain ids per team, and the
    references of those teams and domains."""

    teams: dict[str, list[str]] = field(default_factory=dict)
    own_domains: dict[str, list[str]] = field(default_factory=dict)
    team_domains: dict[str, list[str]] = field(default_factory=dict)
    refs: dict[tuple[str, str], Doc] = field(default_factory=dict)

    def refs_of(self, entity_type: str, ids: list[str]) -> list[Doc]:
        return [self.refs[entity_type, i] for i in ids if (entity_type, i) in self.refs]


def java_uuid_order(value: str) -> tuple[int, int]:
    """The sort key of `java.util.UUID.compareTo`: the most, then the least significant 64 bits, each compared as a
    *signed* long, so ids from `8…` to `f…` sort before `0…` to `7…` (unlike their text)."""
    number = uuid.UUID(value).int
    halves = (number >> 64, number & (1 << 64) - 1)
    most, least = (half - (1 << 64) if half >= 1 << 63 else half for half in halves)
    return most, least


class Users:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.entities = ctx.entities
        self.store = ctx.store

    # -- reading -------------------------------------------------------------------------------------
    def relations(self, user: Doc) -> dict[str, list[str]]:
        return {
            "roles": self.store.find_to(user["id"], "has", "role"),
            "teams": policies.user_team_ids(self.store, user["id"]),
            "domains": self.store.find_from(user["id"], "has", "domain"),
        }

    def state(self, user: Doc) -> Doc:
        return self.entities.state(USER_SPEC, user, self.relations(user))

    def inherited_roles(self, user: Doc) -> list[str]:
        """SubjectContext.getRolesForTeams: default roles of the user's teams and their parents."""
        if user.get("isBot"):
            return []
        roles: list[str] = []
        visited: set[str] = set()
        pending = list(policies.user_team_ids(self.store, user["id"]))
        while pending:
            team_id = pending.pop(0)
            if team_id in visited:
                continue
            visited.add(team_id)
            roles.extend(r for r in self.store.find_to(team_id, "has", "role") if r not in roles)
            pending.extend(policies.team_parent_ids(self.store, team_id))
        return roles

    def lookup(self, users: list[Doc], fields: set[str] | frozenset[str]) -> PageLookup:
        """The teams and domains that `fields` needs for a page of users, read with a fixed number of queries
        whatever the page size. Only the answer is OpenMetadata's; how it is read is the sandbox's (recent
        OpenMetadata lines also fetch a page's relationships in bulk, `EntityRepository.setFieldsInBulk`)."""
        if not fields & {"teams", "domains"}:
            return PageLookup()
        user_ids = [user["id"] for user in users]
        org = policies.organization_id(self.store)
        memberships = self.store.find_from_many(user_ids, "has", "team")
        team_ids = {team_id for ids in memberships.values() for team_id in ids}
        team_docs = self.store.get_many("team", team_ids | {org})
        teams = {
            user_id: [t for t in ids if not team_docs.get(t, {}).get("deleted")] or [org]
            for user_id, ids in memberships.items()
        }
        lookup = PageLookup(
            teams=teams, refs={("team", t): self.entities.ref_of("team", d) for t, d in team_docs.items()}
        )
        if "domains" in fields:
            lookup.own_domains = self.store.find_from_many(user_ids, "has", "domain")
            lookup.team_domains = self.store.find_from_many(sorted(team_ids | {org}), "has", "domain")
            domain_ids = {d for ids in (*lookup.own_domains.values(), *lookup.team_domains.values()) for d in ids}
            for domain_id, doc in self.store.get_many("domain", domain_ids).items():
                lookup.refs["domain", domain_id] = self.entities.ref_of("domain", doc)
        return lookup

    @staticmethod
    def domains(user: Doc, lookup: PageLookup) -> list[Doc]:
        """UserRepository.setInheritedFields: the user's own domains merged with the domains of their teams by
        EntityUtil.mergedInheritedEntityRefs, which collects both into one TreeSet ordered by
        `compareEntityReferenceById` (the id as java.util.UUID orders it, then the type) and marks the team
        domains the user does not hold itself `inherited`. It runs whenever `domains` is asked for, with or without
        inherited ones: on GET (one user or a page) and on the document a PATCH applies to, so the order is the same
        on every path and owes nothing to the order of the relationship rows (newer `findFrom` queries have no
        ORDER BY)."""
        merged = {ref["id"]: ref for ref in lookup.refs_of("domain", lookup.own_domains[user["id"]])}
        for team_id in lookup.teams[user["id"]]:
            for ref in lookup.refs_of("domain", lookup.team_domains.get(team_id, [])):
                if ref["id"] not in merged:
                    merged[ref["id"]] = {**ref, "inherited": True}
        return sorted(merged.values(), key=lambda ref: java_uuid_order(ref["id"]))

    def views(self, users: list[Doc], fields: set[str] | frozenset[str]) -> list[Doc]:
        lookup = self.lookup(users, fields)
        return [self._view(user, fields, lookup) for user in users]

    def view(self, user: Doc, fields: set[str] | frozenset[str]) -> Doc:
        return self.views([user], fields)[0]

    def _view(self, user: Doc, fields: set[str] | frozenset[str], lookup: PageLookup) -> Doc:
        body: Doc = {}
        for key in (
            "id",
            "name",
            "fullyQualifiedName",
            "displayName",
            "description",
            "externalId",
            "email",
            "version",
            "updatedAt",
            "updatedBy",
        ):
            if user.get(key) is not None:
                body[key] = user[key]
        body["href"] = self.entities.href("user", user["id"])
        for key in ("timezone",):
            if user.get(key) is not None:
                body[key] = user[key]
        body["isBot"] = bool(user.get("isBot"))
        body["isAdmin"] = bool(user.get("isAdmin"))
        if "profile" in fields and user.get("profile") is not None:
            body["profile"] = user["profile"]
        if "teams" in fields:
            body["teams"] = lookup.refs_of("team", lookup.teams[user["id"]])
        if "personas" in fields:
            body["personas"] = user.get("personas") or []
        if "owns" in fields:
            body["owns"] = []
        if "follows" in fields:
            body["follows"] = []
        for key in ("changeDescription", "incrementalChangeDescription"):
            if user.get(key) is not None:
                body[key] = user[key]
        body["deleted"] = bool(user.get("deleted"))
        if "roles" in fields:
            body["roles"] = self.entities.refs("role", self.store.find_to(user["id"], "has", "role"))
            body["inheritedRoles"] = self.entities.refs("role", self.inherited_roles(user))
        if user.get("isEmailVerified") is not None:
            body["isEmailVerified"] = user["isEmailVerified"]
        if "domains" in fields:
            body["domains"] = self.domains(user, lookup)
        return body

    def logged_in(self, name: str, email: str) -> Doc:
        """UserRepository.getLoggedInUserByNameAndEmail: the user holding both the name and the email, compared
        case-insensitively over every user, soft-deleted ones included (the UserDAO queries filter on neither);
        400 when only one of them is held (by a user, or by two different users: then 404)."""
        by_name = self.store.find_by_name("user", name.lower())
        for user in by_name:
            if str(user.get("email", "")).lower() == email.lower():
                return user
        by_email = self.store.get_user_by_email(email.lower()) is not None
        if bool(by_name) != by_email:
            raise ApiError(400, ACCOUNT_EXISTS)
        raise ApiError(404, NAME_AND_EMAIL_NOT_FOUND)

    def get_by_name(self, name: str) -> Doc:
        user = self.store.get_by_fqn("user", build_fqn(None, name.lower()))
        if user is None:
            raise not_found("user", name)
        return user

    # -- writing -------------------------------------------------------------------------------------
    def _teams(self, refs: list[Any]) -> list[str]:
        """The team ids a user's write names (UserRepository.validateTeams): Organization only when no other team
        is named, each team one that may hold users on this release."""
        org = policies.organization_id(self.store)
        teams = [self.entities.resolve_ref("team", t) for t in refs]
        teams = [t for t in teams if t != org] if len(teams) > 1 else teams
        check_user_teams(self.store, teams, self.ctx.release)
        return teams or [org]

    def _request_relations(self, create: Doc) -> dict[str, list[str]]:
        teams = self._teams(create.get("teams") or [])
        return {
            "roles": [self.entities.resolve_ref("role", r) for r in create.get("roles") or []],
            "teams": teams,
            "domains": [self.entities.require_fqn("domain", d)["id"] for d in create.get("domains") or []],
        }

    def _store_relations(self, user_id: str, relations: dict[str, list[str]]) -> None:
        org = policies.organization_id(self.store)
        for name, spec in USER_SPEC.ref_lists.items():
            ids = relations[name]
            if name == "teams":
                ids = [t for t in ids if t != org]  # membership of Organization is implicit, not stored
            self.entities.set_related("user", user_id, spec, ids)

    def new_user(self, create: Doc, by: str) -> Doc:
        """The document a create request becomes (UserRepository.prepare), before it is stored."""
        name = str(create["name"]).lower()
        user: Doc = {
            "id": new_id(),
            "name": name,
            "fullyQualifiedName": build_fqn(None, name),
            "email": str(create["email"]).lower(),
            "version": 0.1,
            "updatedAt": now_ms(),
            "updatedBy": by,
            "deleted": False,
        }
        for key in USER_SPEC.scalars:
            if create.get(key) is not None:
                user[key] = create[key]
        user["isBot"] = bool(create.get("isBot"))
        user["isAdmin"] = bool(create.get("isAdmin"))
        return user

    def create(self, create: Doc, by: str, authentication: Doc | None = None) -> Doc:
        if self.store.get_by_fqn("user", build_fqn(None, str(create["name"]).lower())) is not None:
            raise ApiError(409, ENTITY_ALREADY_EXISTS)
        relations = self._request_relations(create)
        user = self.new_user(create, by)
        if authentication is not None:
            user["authenticationMechanism"] = authentication
        with self.store.tx():
            self.store.insert("user", user)
            self._store_relations(user["id"], relations)
            self.store.put_version(user["id"], 0.1, self.entities.state(USER_SPEC, user, relations))
        return user

    def import_users(self, creates: Iterable[tuple[Doc, list[str]]], by: str) -> int:
        """Store many new users, each a create request and its own domain ids, in one transaction with batched
        statements: what `create` stores for a user without teams or roles, at a rate fit for a million users
        (benchmarks seed the catalog this way instead of over HTTP). Returns the number stored."""
        org = policies.organization_id(self.store)
        count = 0

        def rows() -> Iterator[tuple[Doc, list[Relationship], Doc]]:
            nonlocal count
            for create, domain_ids in creates:
                user = self.new_user(create, by)
                relations = {"roles": [], "teams": [org], "domains": domain_ids}
                links = [(domain_id, "domain", user["id"], "user", "has") for domain_id in domain_ids]
                count += 1
                yield user, links, self.entities.state(USER_SPEC, user, relations)

        with self.store.tx():
            self.store.insert_many("user", rows())
        return count

    def create_or_update(self, create: Doc, by: policies.Subject) -> tuple[Doc, str]:
        """PUT: UserRepository.UserUpdater over EntityUpdater. Returns (user, change type)."""
        existing = self.store.get_by_fqn("user", build_fqn(None, str(create["name"]).lower()))
        if existing is None:
            return self.create(create, by.name), "entityCreated"
        relations = self._request_relations(create)  # resolved first: a bad reference must not restore the user
        if existing.get("deleted"):
            # EntityUpdater.updateDeleted: a PUT on a soft-deleted user restores it. The server records the restore
            # and the update as one version; the sandbox stores them as two.
            existing = self.restore(existing, by.name)
        original_state = self.state(existing)
        updated = {key: existing[key] for key in _STORED if key in existing and key not in USER_SPEC.scalars}
        for key in USER_SPEC.scalars:
            if create.get(key) is not None:
                updated[key] = create[key]
        updated["isBot"] = bool(create.get("isBot"))
        updated["isAdmin"] = bool(create.get("isAdmin"))
        if by.is_bot:
            # EntityUpdater.updateDescription: a bot's PUT does not overwrite a non-empty description.
            if existing.get("description"):
                updated["description"] = existing["description"]
            # The same guard for displayName, on the releases that have it (om_sandbox.release).
            if self.ctx.release.bot_put_keeps_display_name and existing.get("displayName"):
                updated["displayName"] = existing["displayName"]
            # UserUpdater.updateDomains: "Domain need to be updated with a PATCH request".
            if original_state["domains"]:
                relations["domains"] = list(original_state["domains"])
        return self._commit(existing, original_state, updated, relations, by.name, patch=False)

    def patch(self, user: Doc, ops: list[dict[str, Any]], by: str) -> Doc:
        """EntityRepository.patch: apply to the entity with its patch fields (inherited domains
        included), restore what PATCH can't change, then run the updater."""
        original_state = self.state(user)
        current = self.view(user, PATCH_FIELDS)
        patched = patching.apply(current, patching.drop_href_ops(ops), self.ctx.json_patch_errors)
        for key in _RESTORED:
            if key in current:
                patched[key] = current[key]
            else:
                patched.pop(key, None)
        _check_user_shape(patched)
        teams = self._teams(patched.get("teams") or [])
        relations = {
            "roles": [self.entities.resolve_ref("role", r) for r in patched.get("roles") or []],
            "teams": teams,
            # UserUpdater.updateDomains skips references marked inherited: they come from teams.
            "domains": [
                self.entities.resolve_ref("domain", d)
                for d in patched.get("domains") or []
                if not (isinstance(d, dict) and d.get("inherited"))
            ],
        }
        updated = {key: user[key] for key in _STORED if key in user and key not in USER_SPEC.scalars}
        for key in USER_SPEC.scalars:
            if patched.get(key) is not None and patched[key] != []:
                updated[key] = patched[key]
        result, _ = self._commit(user, original_state, updated, relations, by, patch=True)
        return result

    def soft_delete(self, user: Doc, by: str) -> Doc:
        """EntityRepository.delete without hardDelete: the user stays, marked `deleted`, one version up; its
        relationships (roles, teams, domains, ownerships) are kept, only a hard delete removes them (`cleanup`)."""
        return self._set_deleted(user, True, by)

    def restore(self, user: Doc, by: str) -> Doc:
        """EntityRepository.restoreEntity: the soft-deleted user comes back as it was, relationships included, one
        version up, recording `deleted` true -> false (EntityUpdater.updateDeleted)."""
        return self._set_deleted(user, False, by)

    def _set_deleted(self, user: Doc, deleted: bool, by: str) -> Doc:
        version = float(user.get("version", 0.1))
        change = {
            "fieldsAdded": [],
            "fieldsUpdated": [{"name": "deleted", "oldValue": not deleted, "newValue": deleted}],
            "fieldsDeleted": [],
            "previousVersion": version,
        }
        result = {
            **user,
            "deleted": deleted,
            "version": next_version(version),
            "updatedAt": now_ms(),
            "updatedBy": by,
            "changeDescription": change,
            "incrementalChangeDescription": change,
        }
        with self.store.tx():
            self.store.update("user", result)
        return result

    def _commit(
        self,
        original: Doc,
        original_state: Doc,
        updated: Doc,
        relations: dict[str, list[str]],
        by: str,
        *,
        patch: bool,
    ) -> tuple[Doc, str]:
        relations["domains"] = list(dict.fromkeys(relations["domains"]))
        updated_state = self.entities.state(USER_SPEC, updated, relations)
        with self.store.tx():
            result, incremental, changed = self.entities.commit_update(
                USER_SPEC, original, original_state, updated, updated_state, by=by, patch=patch
            )
            if changed:
                self.store.update("user", result)
                self._store_relations(original["id"], relations)
        # The response of an update carries the change this request made (EntityRepository.patch
        # sets changeDescription to the incremental one before answering).
        result = {**result, "changeDescription": incremental}
        return result, "entityUpdated" if changed else "entityNoChange"


def _check_user_shape(doc: Doc) -> None:
    # JsonUtils.applyPatch converts the patched JSON back into a User; a value of the wrong shape fails
    # there with a RuntimeException, i.e. an unhandled 500.
    for key in ("displayName", "description", "timezone", "externalId"):
        if key in doc and not isinstance(doc[key], str):
            raise unhandled("Failed to convert JsonValue to target class")
    for key in ("roles", "teams", "domains", "personas"):
        if key in doc and doc[key] is not None and not isinstance(doc[key], list):
            raise unhandled("Failed to convert JsonValue to target class")
    for key in ("isBot", "isAdmin", "isEmailVerified"):
        if key in doc and doc[key] is not None and not isinstance(doc[key], bool):
            raise unhandled("Failed to convert JsonValue to target class")


def _check_name(body: Doc) -> None:
    # Bean validation of CreateUser.name (@Pattern from `entityName`), answered as ConstraintViolationExceptionMapper
    # does: `[<property> <message>]`, Hibernate Validator's message for @Pattern being `must match "<regexp>"`.
    if isinstance(body.get("name"), str) and not _ENTITY_NAME.fullmatch(body["name"]):
        raise bad_request(f'[name must match "{ENTITY_NAME_PATTERN}"]')


def _resource(user: Doc | None) -> policies.ResourceContext:
    # ResourceContext.getOwners: the owner of a user entity is that user.
    return policies.ResourceContext("user", None if user is None else (user["id"],))


def routes(ctx: Context) -> list[Route]:
    users = Users(ctx)

    async def list_users(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        params = request.query_params
        fields = parse_fields(params.get("fields"), ALLOWED_FIELDS)
        limit = parse_limit(params.get("limit"))
        check_cursors(params.get("before"), params.get("after"))
        policies.authorize(subject, _resource(None), ["ViewBasic"])
        filters = [include_filter(params.get("include"))]
        for flag, column in (("isBot", "is_bot"), ("isAdmin", "is_admin")):
            value = query_flag(request, flag)
            if value is not None:
                filters.append(Filter(f"AND {column} = ?", (1 if value else 0,)))
        team = params.get("team")
        if team:
            team_doc = ctx.store.get_by_fqn("team", team)
            if team_doc is None:
                raise not_found("team", team)
            filters.append(
                Filter(
                    "AND id IN (SELECT to_id FROM relationship WHERE from_id = ? AND relation = 'has' "
                    "AND to_type = 'user')",
                    (team_doc["id"],),
                )
            )
        rows, paging = ctx.entities.list_page(
            "user", and_filters(*filters), limit, params.get("before"), params.get("after")
        )
        return ok({"data": users.views(rows, fields), "paging": paging})

    async def get_user(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        fields = parse_fields(request.query_params.get("fields"), ALLOWED_FIELDS)
        user = ctx.store.get("user", request.path_params["id"])
        if user is None or not _included(user, request):
            raise not_found("user", request.path_params["id"])
        policies.authorize(subject, _resource(user), ["ViewBasic"])
        return ok(users.view(user, fields))

    async def get_user_by_name(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        fields = parse_fields(request.query_params.get("fields"), ALLOWED_FIELDS)
        user = users.get_by_name(request.path_params["name"])
        if not _included(user, request):
            raise not_found("user", request.path_params["name"])
        policies.authorize(subject, _resource(user), ["ViewBasic"])
        return ok(users.view(user, fields))

    async def logged_in_user(request: Request) -> JSONResponse:
        principal = ctx.principal(request)
        fields = parse_fields(request.query_params.get("fields"), ALLOWED_FIELDS)
        if not principal.issued_by_openmetadata and principal.email is not None:
            # UserResource.getCurrentLoggedInUser authorizes nothing: it reads the user by the principal's name and
            # email together, which is how an account made before a first sign-in is found or refused.
            return ok(users.view(users.logged_in(principal.name, principal.email), fields))
        # OpenMetadata's own tokens: by name, as the sandbox always did (the token's email is the user's own).
        subject = ctx.subject(request)
        return ok(users.view(subject.user, fields))

    def _admin_needed(subject: policies.Subject, create: Doc) -> None:
        if (create.get("isAdmin") or create.get("isBot")) and not subject.is_admin:
            raise not_admin(subject.name)

    async def create_user(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        _model, create = await read_request(request, "user", _check_name)
        _admin_needed(subject, create)
        # UserResource.createUser: an email held by any user, soft-deleted ones included (UserDAO.checkEmailExists
        # compares LOWER(email) over the whole table), is refused before the Create check.
        if ctx.store.get_user_by_email(str(create["email"]).lower()) is not None:
            raise ApiError(409, ENTITY_ALREADY_EXISTS)
        policies.authorize(subject, _resource(None), ["Create"])
        user = users.create(create, subject.name, accounts.password_mechanism(create))
        return ok(users.view(user, PATCH_FIELDS), status=201)

    async def put_user(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        _model, create = await read_request(request, "user", _check_name)
        existing = ctx.store.get_by_fqn("user", build_fqn(None, str(create["name"]).lower()))
        if create.get("isAdmin") or create.get("isBot"):
            _admin_needed(subject, create)
        elif subject.name != str(create["name"]).lower():
            # UserResource.createOrUpdateUser authorizes only when a user updates someone else:
            # Create for a new user, EditAll for an existing one (EntityUtil.createOrUpdateOperation).
            policies.authorize(subject, _resource(existing), ["EditAll" if existing else "Create"])
        user, change = users.create_or_update(create, subject)
        status = 201 if change == "entityCreated" else 200
        return ok(users.view(user, PATCH_FIELDS), status=status, headers={"X-OpenMetadata-Change": change})

    async def patch_user(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/json-patch+json"):
            raise ApiError(415, "HTTP 415 Unsupported Media Type")
        ops = patching.parse(await request.body())
        user = ctx.store.get("user", request.path_params["id"])
        if user is None or user.get("deleted"):
            raise not_found("user", request.path_params["id"])
        # UserResource.patch: only admins may change isAdmin or isBot.
        changes_flags = any(op["path"] in ("/isAdmin", "/isBot") and "value" in op for op in ops)
        if changes_flags and not subject.is_admin:
            raise not_admin(subject.name)
        check_team_additions(ctx.store, user, ops, subject)
        policies.authorize(subject, _resource(user), patching.metadata_operations(ops, ctx.release))
        result = users.patch(user, ops, subject.name)
        return ok(users.view(result, PATCH_FIELDS))

    async def delete_user(request: Request) -> JSONResponse:
        subject = ctx.subject(request)
        if query_flag(request, "hardDelete"):
            raise bad_request("the sandbox only soft-deletes (hardDelete=false)")
        query_flag(request, "recursive")  # validated only: a user contains no entities to delete with it
        user = ctx.store.get("user", request.path_params["id"])
        if user is None or user.get("deleted"):
            raise not_found("user", request.path_params["id"])
        policies.authorize(subject, _resource(user), ["Delete"])
        return ok(users.view(users.soft_delete(user, subject.name), PATCH_FIELDS))

    async def restore_user(request: Request) -> JSONResponse:
        # EntityResource.restoreEntity: EditAll on the user; only a soft-deleted user can be restored.
        subject = ctx.subject(request)
        _model, body = await read_request(request, "restore")
        user = ctx.store.get("user", str(body["id"]))
        if user is None:
            raise not_found("user", body["id"])
        policies.authorize(subject, _resource(user), ["EditAll"])
        if not user.get("deleted"):
            raise not_found("user", body["id"])
        restored = users.restore(user, subject.name)
        return ok(users.view(restored, PATCH_FIELDS), headers={"X-OpenMetadata-Change": "entityRestored"})

    return [
        Route("/api/v1/users/restore", restore_user, methods=["PUT"]),
        Route("/api/v1/users", list_users, methods=["GET"]),
        Route("/api/v1/users", create_user, methods=["POST"]),
        Route("/api/v1/users", put_user, methods=["PUT"]),
        Route("/api/v1/users/loggedInUser", logged_in_user, methods=["GET"]),
        Route("/api/v1/users/name/{name:path}", get_user_by_name, methods=["GET"]),
        Route("/api/v1/users/{id}", get_user, methods=["GET"]),
        Route("/api/v1/users/{id}", patch_user, methods=["PATCH"]),
        Route("/api/v1/users/{id}", delete_user, methods=["DELETE"]),
    ]


def _included(doc: Doc, request: Request) -> bool:
    include = request.query_params.get("include") or "non-deleted"
    if include not in ("all", "deleted", "non-deleted"):
        raise bad_request(f"query param include must be one of [all, deleted, non-deleted], got {include}")
    deleted = bool(doc.get("deleted"))
    return include == "all" or (include == "deleted") == deleted
