"""Team types: where a team may sit in the hierarchy and which teams may hold users.

After `jdbi3/TeamRepository.java` (`populateParents`, `populateChildren`, `validateSingleParent`, `TeamUpdater`,
`validateDirectUserAddition`), `resources/teams/TeamMapper.java` (`createToEntity`; `TeamResource.getTeam` in older
releases), `resources/teams/UserResource.java` (`patch`) and `jdbi3/UserRepository.java` (`validateTeamAddition`,
`isTeamJoinable`); texts from `exception/CatalogExceptionMessage.java`. Each rule is a row of docs/sandbox-fidelity.md.
"""

from __future__ import annotations

from typing import Any

from om_sandbox.errors import ApiError, bad_request, not_admin, not_found
from om_sandbox.policies import Subject, user_team_ids
from om_sandbox.release import Release
from om_sandbox.store import Doc, Store

GROUP = "Group"
DEPARTMENT = "Department"
DIVISION = "Division"
BUSINESS_UNIT = "BusinessUnit"
ORGANIZATION = "Organization"

# TeamRepository.populateParents: the types a team's parents may have (an Organization has none).
_ALLOWED_PARENTS = {
    GROUP: (DEPARTMENT, DIVISION, BUSINESS_UNIT, ORGANIZATION),
    DEPARTMENT: (DEPARTMENT, DIVISION, BUSINESS_UNIT, ORGANIZATION),
    DIVISION: (DIVISION, BUSINESS_UNIT, ORGANIZATION),
    BUSINESS_UNIT: (BUSINESS_UNIT, ORGANIZATION),
}
# validateSingleParent: these types have exactly one parent when parents are given.
_SINGLE_PARENT = (DIVISION, BUSINESS_UNIT)
# TeamRepository.populateChildren: the types a team's children may have (a Group has none).
_ALLOWED_CHILDREN = {
    DEPARTMENT: (DEPARTMENT, GROUP),
    DIVISION: (DEPARTMENT, DIVISION, GROUP),
    BUSINESS_UNIT: (BUSINESS_UNIT, DIVISION, DEPARTMENT, GROUP),
    ORGANIZATION: (BUSINESS_UNIT, DIVISION, DEPARTMENT, GROUP),
}

UNEXPECTED_PARENT = "Team of type Organization can't have a parent team"
CREATE_ORGANIZATION = "Only one Organization is allowed. New Organization type can't be created"
CREATE_GROUP = "Team of type Group can't have children of type team. Only users are allowed as part of the team"
INVALID_GROUP_TEAM_UPDATE = "Team of type Group cannot be updated"
INVALID_GROUP_TEAM_CHILDREN_UPDATE = "A team with children cannot be updated to type Group"


def direct_users_refused(team_type: str) -> ApiError:
    """400 for users put directly into a team that is not a Group. The text is `invalidTeamUpdateUsers`, which
    PR #32208 first used for this check; the PR then moved to `invalidTeamDirectUserAssignment`, whose wording was
    not found in the stored sources (see docs/openmetadata-notes.md, "Teams and membership")."""
    return bad_request(f"Team is of type {team_type}. Users can be updated only in team of type Group.")


def check_create_request(create: Doc) -> None:
    """TeamMapper.createToEntity: no second Organization, and a Group is created without child teams."""
    if create["teamType"] == ORGANIZATION:
        raise bad_request(CREATE_ORGANIZATION)
    if create["teamType"] == GROUP and create.get("children") is not None:
        raise bad_request(CREATE_GROUP)


def check_hierarchy(name: str, team_type: str, parents: list[Doc], children: list[Doc]) -> None:
    """TeamRepository.populateParents and populateChildren for a team about to be stored with these parents and
    children (no parents: Organization becomes the parent, which every type may have)."""
    if team_type == ORGANIZATION and parents:
        raise bad_request(UNEXPECTED_PARENT)
    if parents and team_type in _SINGLE_PARENT and len(parents) != 1:
        raise bad_request(f"Team of type {team_type} can have only 1 parents")
    for parent in parents:
        if parent.get("teamType") not in _ALLOWED_PARENTS.get(team_type, ()):
            raise bad_request(
                f"Team {parent['name']} of type {parent.get('teamType')} can't be of parent of team {name} "
                f"of type {team_type}"
            )
    if team_type == GROUP and children:
        raise bad_request(CREATE_GROUP)
    for child in children:
        if child.get("teamType") not in _ALLOWED_CHILDREN.get(team_type, ()):
            raise bad_request(
                f"Team {name} of type {team_type} can't have child team {child['name']} of type {child.get('teamType')}"
            )


def check_type_change(original_type: str, new_type: str, has_children: bool) -> None:
    """TeamUpdater.entitySpecificUpdate: a Group keeps its type, and a team with children can't become a Group."""
    if original_type == new_type:
        return
    if original_type == GROUP:
        raise bad_request(INVALID_GROUP_TEAM_UPDATE)
    if has_children and new_type == GROUP:
        raise bad_request(INVALID_GROUP_TEAM_CHILDREN_UPDATE)


def may_hold_users(team: Doc, release: Release) -> bool:
    """Whether users may be put directly into `team` on `release` (Release.group_only_users). Organization holds
    every user without a team, a membership that is never stored (UserRepository.assignTeams)."""
    return not release.group_only_users or team.get("teamType") in (GROUP, ORGANIZATION)


def check_user_teams(store: Store, team_ids: list[str], release: Release) -> None:
    """The user write paths of PR #32208: a user's teams must all be Groups (or the default Organization)."""
    for team_id in team_ids:
        team = store.get("team", team_id)
        if team is not None and not may_hold_users(team, release):
            raise direct_users_refused(str(team.get("teamType")))


def check_team_users(team_type: str, user_ids: list[str], release: Release) -> None:
    """TeamRepository.prepare on create (PR #32208): a team other than a Group is created without users."""
    if user_ids and release.group_only_users and team_type != GROUP:
        raise direct_users_refused(team_type)


def check_team_additions(store: Store, user: Doc, ops: list[dict[str, Any]], subject: Subject) -> None:
    """UserResource.patch, before any authorization: each `add` of an object to a path under `/teams/` names a team
    the user is not in yet (their teams as `getTeams` lists them, Organization for a user without any), else 400
    `User 'x' is already part of the team 'y'` with the team's displayName (`validateTeamAddition`); and only an
    admin may add a user to a team that is not joinable (`isTeamJoinable`, then `authorizeAdmin`)."""
    current_team_ids = user_team_ids(store, user["id"])
    for op in ops:
        value = op.get("value")
        if op.get("op") != "add" or not str(op.get("path", "")).startswith("/teams/") or not isinstance(value, dict):
            continue
        team_id = str(value.get("id"))
        team = store.get("team", team_id)
        if team_id in current_team_ids and team is not None:
            # Java formats a missing displayName as "null".
            display_name = team.get("displayName")
            raise bad_request(f"User '{user['name']}' is already part of the team '{display_name or 'null'}'")
        if team is None or team.get("deleted"):
            raise not_found("team", team_id)
        if not team.get("isJoinable", True) and not subject.is_admin:
            raise not_admin(subject.name)
