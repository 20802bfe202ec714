"""The principals every OpenMetadata server starts with (`json/data/policy/*.json`,
`json/data/role/*.json`, the Organization team, the admin and ingestion-bot users), and the demo data.

Operation lists are those of the JSON files restricted to the release's `MetadataOperation` values; the
DisplayName-Deny rule is the one `migration/utils/v180/MigrationUtil.addDenyDisplayNameRuleToBotPolicies`
adds to the system bot policies.
"""

from __future__ import annotations

from om_sandbox import sdk
from om_sandbox.access import PolicyKind, RoleKind, TeamKind
from om_sandbox.context import Context
from om_sandbox.crud import Kind
from om_sandbox.domains import DomainKind
from om_sandbox.entities import build_fqn
from om_sandbox.release import Release
from om_sandbox.store import Doc
from om_sandbox.users import Users

SYSTEM = "admin"

_DISPLAY_NAME_DENY = {
    "name": "DisplayName-Deny",
    "description": "Deny bots to update display name",
    "resources": ["All"],
    "operations": ["EditDisplayName"],
    "effect": "deny",
}

SYSTEM_POLICIES: list[Doc] = [
    {
        "name": "DefaultBotPolicy",
        "displayName": "Default Bot Policy",
        "provider": "system",
        "description": "Policy for all the Bots to perform operations on metadata entities",
        "rules": [
            {
                "name": "BotRule-Deny",
                "description": "A bot can't create another bot",
                "resources": ["bot", "webhook"],
                "operations": ["Create", "Delete"],
                "effect": "deny",
            },
            _DISPLAY_NAME_DENY,
        ],
    },
    {
        "name": "IngestionBotPolicy",
        "displayName": "Ingestion Bot Policy",
        "provider": "system",
        "description": "Policy for ingestion Bots to perform operations on metadata entities.",
        "rules": [
            {
                "name": "IngestionBotRule-Allow",
                "description": "Allow ingestion bots to create/update/delete data entities",
                "resources": ["All"],
                "operations": ["Create", "BulkCreate", "BulkUpdate", "EditAll", "ViewAll", "Delete"],
                "effect": "allow",
            },
            _DISPLAY_NAME_DENY,
        ],
    },
    {
        "name": "DataConsumerPolicy",
        "displayName": "Data Consumer Policy",
        "provider": "system",
        "description": "Policy for Data Consumer to perform operations on metadata entities",
        "rules": [
            {
                "name": "DataConsumerPolicy-EditRule",
                "description": "Allow some of the edit operations on a resource for everyone.",
                "resources": ["all"],
                "operations": [
                    "ViewAll",
                    "EditDescription",
                    "EditTags",
                    "EditGlossaryTerms",
                    "EditTier",
                    "EditCertification",
                ],
                "effect": "allow",
            },
        ],
    },
    {
        "name": "OrganizationPolicy",
        "displayName": "Organization Policy",
        "provider": "system",
        "description": "Policy for all the users of an organization.",
        "rules": [
            {
                "name": "OrganizationPolicy-Owner-Rule",
                "description": "Allow all the operations on an entity for the owner.",
                "resources": ["all"],
                "operations": ["EditAll", "ViewAll", "Delete"],
                "effect": "allow",
                "condition": "isOwner()",
            },
            {
                "name": "OrganizationPolicy-NoOwner-Rule",
                "description": "Allow any one to set the owner of an entity that has no owner set.",
                "resources": ["all"],
                "operations": ["EditOwners"],
                "effect": "allow",
                "condition": "noOwner()",
            },
        ],
    },
]

SYSTEM_ROLES: list[Doc] = [
    {
        "name": "DefaultBotRole",
        "displayName": "Default Bot Role",
        "provider": "system",
        "policies": ["DefaultBotPolicy", "DataConsumerPolicy"],
    },
    {
        "name": "IngestionBotRole",
        "displayName": "Ingestion bot role",
        "provider": "system",
        "policies": ["DefaultBotPolicy", "IngestionBotPolicy"],
    },
    {"name": "DataConsumer", "displayName": "Data Consumer", "provider": "system", "policies": ["DataConsumerPolicy"]},
]

DEMO_POLICIES: list[Doc] = [
    {
        "name": "DataStewardPolicy",
        "description": "Policy for Data Steward Role to perform operations on metadata entities",
        "rules": [
            {
                "name": "DataStewardPolicy-EditRule",
                "resources": ["all"],
                "effect": "allow",
                "operations": [
                    "EditDescription",
                    "EditDisplayName",
                    "EditLineage",
                    "EditOwners",
                    "EditTags",
                    "EditGlossaryTerms",
                    "ViewAll",
                ],
            }
        ],
    },
]
DEMO_ROLES: list[Doc] = [
    {"name": "DataSteward", "displayName": "Data Steward", "policies": ["DataStewardPolicy"]},
]
# The account the sync runs as: a non-bot service user whose role may edit users (docs/account.md).
SYNC_POLICY: Doc = {
    "name": "UserSyncPolicy",
    "description": "Lets the directory sync edit users' displayName and domains",
    "rules": [
        {
            "name": "UserSyncPolicy-EditUsers",
            "resources": ["user"],
            "effect": "allow",
            "operations": ["ViewAll", "EditAll"],
        }
    ],
}
SYNC_ROLE: Doc = {"name": "UserSyncRole", "displayName": "User sync", "policies": ["UserSyncPolicy"]}


def _ensure(kind: Kind, request: Doc) -> Doc:
    existing = kind.store.get_by_fqn(kind.entity_type, kind.fqn(request))
    if existing is not None:
        return dict(existing)
    doc: Doc = kind.create(request, SYSTEM)
    return doc


def _ensure_user(users: Users, request: Doc) -> Doc:
    existing = users.store.get_by_fqn("user", build_fqn(None, request["name"]))
    return dict(existing) if existing is not None else users.create(request, SYSTEM)


def _known_operations(policy: Doc, release: Release) -> Doc:
    """The policy with each rule's operations restricted to the release's `MetadataOperation` values: the JSON
    files read list `BulkCreate`/`BulkUpdate`, which lines before 1.11 do not have."""
    known = set(release.operations(sdk.operations()))
    rules = [{**rule, "operations": [op for op in rule["operations"] if op in known]} for rule in policy["rules"]]
    return {**policy, "rules": rules}


def seed_system(ctx: Context) -> None:
    with ctx.store.tx():
        policy_kind, role_kind, team_kind = PolicyKind(ctx), RoleKind(ctx), TeamKind(ctx)
        for policy in SYSTEM_POLICIES:
            _ensure(policy_kind, {**_known_operations(policy, ctx.release), "allowDelete": False})
        roles = {role["name"]: _ensure(role_kind, {**role, "allowDelete": False}) for role in SYSTEM_ROLES}
        organization_policy = ctx.store.get_by_fqn("policy", "OrganizationPolicy")
        assert organization_policy is not None
        _ensure(
            team_kind,
            {
                "name": "Organization",
                "displayName": "Organization",
                "teamType": "Organization",
                "description": "Organization under which all the other team hierarchy is created",
                "defaultRoles": [roles["DataConsumer"]["id"]],
                "policies": [organization_policy["id"]],
            },
        )
        users = Users(ctx)
        _ensure_user(users, {"name": "admin", "email": "admin@open-metadata.org", "isAdmin": True})
        _ensure_user(
            users,
            {
                "name": "ingestion-bot",
                "email": "ingestion-bot@open-metadata.org",
                "displayName": "ingestion-bot",
                "isBot": True,
                "roles": [roles["IngestionBotRole"]["id"]],
            },
        )


def seed_demo(ctx: Context) -> None:
    """Demo data whose values differ from the demo directory (see the README of the directory server)."""
    if ctx.store.get_setting("seed.demo") == "done":
        return
    with ctx.store.tx():
        domain_kind, policy_kind = DomainKind(ctx), PolicyKind(ctx)
        role_kind, team_kind = RoleKind(ctx), TeamKind(ctx)
        for name in ("Finance", "Marketing"):
            _ensure(domain_kind, {"name": name, "domainType": "Aggregate", "description": f"{name} domain"})
        for policy in DEMO_POLICIES:
            _ensure(policy_kind, policy)
        roles = {role["name"]: _ensure(role_kind, role) for role in DEMO_ROLES}
        marketing_team = _ensure(team_kind, {"name": "Marketing Team", "teamType": "Group", "domains": ["Marketing"]})
        # A department whose groups the demo directory names (`groups { name }`); Marketing Team, outside it, plays
        # the team made by hand that a `replace` run of teams never touches.
        engineering = _ensure(team_kind, {"name": "Engineering", "teamType": "Department"})
        for group in ("Data Platform", "Web"):
            _ensure(team_kind, {"name": group, "teamType": "Group", "parents": [engineering["id"]]})
        marketing = ctx.store.get_by_fqn("domain", "Marketing")
        assert marketing is not None
        users = Users(ctx)
        admin = _ensure_user(users, {"name": "admin", "email": "admin@open-metadata.org", "isAdmin": True})
        if not ctx.store.find_from(admin["id"], "has", "domain"):
            ctx.store.add_relationship(marketing["id"], "domain", admin["id"], "user", "has")
        _ensure_user(
            users,
            {
                "name": "aaron_johnson0",
                "email": "aaron_johnson0@gmail.com",
                "teams": [marketing_team["id"]],
                "roles": [roles["DataSteward"]["id"]],
                # Own and inherited domains at once: Finance, and Marketing through the team.
                "domains": ["Finance"],
            },
        )
        _ensure_user(
            users,
            {
                "name": "brian_smith7",
                "email": "brian_smith7@gmail.com",
                "displayName": "Brian",
                "description": "Leads the quarterly close.",
                "profile": {"images": {"image": "https://example.com/brian_smith7.png"}},
                "domains": ["Marketing"],
            },
        )
        seed_sync_account(ctx)
        ctx.store.set_setting("seed.demo", "done")


def seed_sync_account(ctx: Context) -> Doc:
    """The `user-sync` service user with UserSyncRole (ViewAll and EditAll on users)."""
    with ctx.store.tx():
        _ensure(PolicyKind(ctx), SYNC_POLICY)
        role = _ensure(RoleKind(ctx), SYNC_ROLE)
        return _ensure_user(
            Users(ctx),
            {
                "name": "user-sync",
                "email": "user-sync@open-metadata.org",
                "displayName": "User sync service account",
                "roles": [role["id"]],
            },
        )
