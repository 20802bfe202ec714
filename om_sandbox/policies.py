"""Access control as OpenMetadata 1.9 evaluates it.

Follows `security/policyevaluator/PolicyEvaluator.java` (deny rules of every policy first, then allow
rules; whatever is left un-allowed is "not allowed"), `CompiledRule.java` (resource and operation
matching, access precedence for the permission listing), `SubjectContext.java` (which policies a principal
holds, in which order) and `ResourceRegistry.java` (which operations a resource has).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from om_sandbox import sdk
from om_sandbox.errors import forbidden
from om_sandbox.release import Release
from om_sandbox.store import Doc, Store

ORGANIZATION = "Organization"
ALL_RESOURCES = "all"

# ResourceRegistry.COMMON_OPERATIONS
_COMMON_OPERATIONS = (
    "Create",
    "Delete",
    "ViewAll",
    "ViewBasic",
    "EditAll",
    "EditDescription",
    "EditDisplayName",
    "EditGlossaryTerms",
    "EditTier",
)
# Field name -> operation, as ResourceRegistry.getOperations adds them for fields an entity has.
_FIELD_OPERATIONS = {
    "tags": "EditTags",
    "owners": "EditOwners",
    "extension": "EditCustomFields",
    "roles": "EditRole",
    "defaultRoles": "EditRole",
    "reviewers": "EditReviewers",
    "certification": "EditCertification",
}
# getEntitySpecificOperations() of the resources (UserResource adds EditTeams, TeamResource
# EditPolicy and EditUsers).
_SPECIFIC_OPERATIONS = {"user": ("EditTeams",), "team": ("EditPolicy", "EditUsers")}

# Permission.Access in declaration order: a lower ordinal overrides a higher one (CompiledRule.overrideAccess).
_ACCESS_ORDER = ("deny", "allow", "conditionalDeny", "conditionalAllow", "notAllow")


def resource_operations(resource: str, release: Release) -> list[str]:
    order = release.operations(sdk.operations())
    if resource.lower() == ALL_RESOURCES:
        return list(order)
    if resource not in _SPECIFIC_OPERATIONS and resource not in ("domain", "role", "policy"):
        raise KeyError(resource)
    ops = set(_COMMON_OPERATIONS) | set(_SPECIFIC_OPERATIONS.get(resource, ()))
    for field_name, op in {**_FIELD_OPERATIONS, **release.field_operations()}.items():
        if field_name in sdk.entity_fields(resource):
            ops.add(op)
    return sorted(ops, key=order.index)


@dataclass(frozen=True)
class Rule:
    name: str
    effect: str
    operations: tuple[str, ...]
    resources: tuple[str, ...]
    condition: str | None = None
    description: str | None = None
    fqn: str | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Rule:
        return cls(
            name=doc["name"],
            effect=doc["effect"],
            operations=tuple(doc.get("operations") or ()),
            resources=tuple(doc.get("resources") or ()),
            condition=doc.get("condition"),
            description=doc.get("description"),
            fqn=doc.get("fullyQualifiedName"),
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name}
        if self.fqn:
            doc["fullyQualifiedName"] = self.fqn
        if self.description is not None:
            doc["description"] = self.description
        doc.update(effect=self.effect, operations=list(self.operations), resources=list(self.resources))
        if self.condition is not None:
            doc["condition"] = self.condition
        return doc

    def match_resource(self, resource: str) -> bool:
        if not self.resources:
            return False
        if self.resources[0].lower() == ALL_RESOURCES:
            return True
        return resource in self.resources

    def match_operation(self, operation: str) -> bool:
        if "All" in self.operations:
            return True
        if "EditAll" in self.operations and operation.startswith("Edit"):
            return True
        if "ViewAll" in self.operations and operation.startswith("View"):
            return True
        return operation in self.operations

    def access(self) -> str:
        if self.condition is not None:
            return "conditionalDeny" if self.effect == "deny" else "conditionalAllow"
        return "deny" if self.effect == "deny" else "allow"


@dataclass(frozen=True)
class PolicyContext:
    role: str | None
    policy: str
    rules: tuple[Rule, ...]


@dataclass
class Subject:
    user: Doc
    policies: list[PolicyContext] = field(default_factory=list)
    team_ids: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return str(self.user["name"])

    @property
    def is_admin(self) -> bool:
        return bool(self.user.get("isAdmin"))

    @property
    def is_bot(self) -> bool:
        return bool(self.user.get("isBot"))


@dataclass(frozen=True)
class ResourceContext:
    """The resource a request touches; `owners` are EntityReference ids, None when there is no entity."""

    resource: str
    owners: tuple[str, ...] | None = None


def _policy_context(store: Store, role_name: str | None, policy_id: str) -> PolicyContext | None:
    policy = store.get("policy", policy_id)
    if policy is None or policy.get("deleted") or policy.get("enabled") is False:
        return None
    rules = tuple(Rule.from_doc(rule) for rule in policy.get("rules") or ())
    return PolicyContext(role=role_name, policy=policy["name"], rules=rules)


def _role_contexts(store: Store, role_ids: list[str]) -> list[PolicyContext]:
    contexts: list[PolicyContext] = []
    for role_id in role_ids:
        role = store.get("role", role_id)
        if role is None or role.get("deleted"):
            continue
        for policy_id in store.find_to(role_id, "has", "policy"):
            context = _policy_context(store, role["name"], policy_id)
            if context is not None:
                contexts.append(context)
    return contexts


def organization_id(store: Store) -> str:
    org = store.get_by_fqn("team", ORGANIZATION)
    if org is None:
        raise RuntimeError("the Organization team is missing; the database was not initialised")
    return str(org["id"])


def user_team_ids(store: Store, user_id: str) -> list[str]:
    """UserRepository.getTeams: the user's teams, or Organization when there are none."""
    teams = [t for t in store.find_from(user_id, "has", "team") if not (store.get("team", t) or {}).get("deleted")]
    return teams or [organization_id(store)]


def team_parent_ids(store: Store, team_id: str) -> list[str]:
    parents = store.find_from(team_id, "parentOf", "team")
    org = organization_id(store)
    if not parents and team_id != org:
        return [org]
    return parents


def subject_for(store: Store, user: Doc) -> Subject:
    """SubjectContext.getPolicies: the user's roles, then (not for bots) each team's default roles and
    policies, walking up to the parents."""
    contexts = _role_contexts(store, store.find_to(user["id"], "has", "role"))
    teams = user_team_ids(store, user["id"])
    if not user.get("isBot"):
        visited: set[str] = set()

        def walk(team_id: str) -> None:
            if team_id in visited:
                return
            visited.add(team_id)
            team = store.get("team", team_id)
            if team is None:
                return
            contexts.extend(_role_contexts(store, store.find_to(team_id, "has", "role")))
            for policy_id in store.find_to(team_id, "has", "policy"):
                context = _policy_context(store, None, policy_id)
                if context is not None:
                    contexts.append(context)
            for parent in team_parent_ids(store, team_id):
                walk(parent)

        for team_id in teams:
            walk(team_id)
    return Subject(user=user, policies=contexts, team_ids=frozenset(teams))


def _match_condition(rule: Rule, subject: Subject, resource: ResourceContext) -> bool:
    """A small stand-in for the SpEL RuleEvaluator: isOwner(), noOwner() and their negations."""
    if rule.condition is None:
        return True
    expression = rule.condition.replace(" ", "")
    negate = expression.startswith("!")
    expression = expression.lstrip("!")
    owners = resource.owners
    if expression == "isOwner()":
        result = owners is not None and any(o == subject.user["id"] or o in subject.team_ids for o in owners)
    elif expression == "noOwner()":
        result = owners is not None and not owners
    else:
        return False
    return result != negate


def _java_list(operations: list[str]) -> str:
    return "[" + ", ".join(operations) + "]"


def authorize(subject: Subject, resource: ResourceContext, operations: list[str]) -> None:
    """DefaultAuthorizer.authorize + PolicyEvaluator.hasPermission; raises the 403 OpenMetadata answers."""
    if subject.is_admin:
        return
    remaining = list(operations)
    for context in subject.policies:
        for rule in context.rules:
            if rule.effect != "deny" or not rule.match_resource(resource.resource):
                continue
            for operation in remaining:
                if rule.match_operation(operation) and _match_condition(rule, subject, resource):
                    raise forbidden(permission_denied(subject.name, operation, context.role, context.policy, rule.name))
    for context in subject.policies:
        if not remaining:
            break
        for rule in context.rules:
            if rule.effect != "allow" or not rule.match_resource(resource.resource):
                continue
            remaining = [
                op for op in remaining if not (rule.match_operation(op) and _match_condition(rule, subject, resource))
            ]
    if remaining:
        raise forbidden(
            f"Principal: CatalogPrincipal{{name='{subject.name}'}} operations {_java_list(remaining)} not allowed"
        )


def permission_denied(user: str, operation: str, role: str | None, policy: str, rule: str) -> str:
    if role is not None:
        return (
            f"Principal: CatalogPrincipal{{name='{user}'}} operation {operation} denied by role {role}, "
            f"policy {policy}, rule {rule}"
        )
    return f"Principal: CatalogPrincipal{{name='{user}'}} operation {operation} denied policy {policy}, rule {rule}"


def resource_permission(subject: Subject, resource: str, release: Release) -> dict[str, Any]:
    """DefaultAuthorizer.getPermission(securityContext, user, resourceType)."""
    operations = resource_operations(resource, release)
    name = "all" if resource.lower() == ALL_RESOURCES else resource
    if subject.is_admin:
        return {"resource": name, "permissions": [{"operation": op, "access": "allow"} for op in operations]}
    permissions: list[dict[str, Any]] = [{"operation": op, "access": "notAllow"} for op in operations]
    for context in subject.policies:
        for rule in context.rules:
            if not rule.match_resource(name):
                continue
            access = rule.access()
            for permission in permissions:
                current = _ACCESS_ORDER.index(permission["access"])
                if rule.match_operation(permission["operation"]) and current > _ACCESS_ORDER.index(access):
                    permission["access"] = access
                    permission["rule"] = rule.to_doc()
                    permission["policy"] = context.policy
                    if context.role is not None:
                        permission["role"] = context.role
                    else:
                        permission.pop("role", None)
    return {"resource": name, "permissions": permissions}
