"""The connector's settings: one typed model read from `serviceConnection.config.connectionOptions`.

OpenMetadata's workflow schema types `connectionOptions` as a map of strings, so every value arrives as
text ("true", "500", a JSON object for headers). This model turns that text into typed values with
defaults, and turns every problem into one message that names the option, before any request is made.
"""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from connector.query import QueryPlan, parse_query, selection_problems


class SyncField(str, Enum):
    """A user field the connector keeps in step with the directory."""

    DISPLAY_NAME = "displayName"
    DOMAINS = "domains"
    TEAMS = "teams"


class SettingsError(ValueError):
    """connectionOptions cannot be turned into settings; the message names each offending option."""


ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

REPORT_SUFFIXES = (".jsonl", ".json", ".csv")

PLAN_DIGEST = re.compile(r"[0-9a-f]{64}")


def _new_file_path(value: Path | None) -> Path | None:
    if value is not None and not value.parent.is_dir():
        raise ValueError(f"directory not found: {value.parent}")
    return value


USERS_LIST_QUERY = "{ users { email displayName domain } }"
USERS_RELAY_QUERY = (
    "query Users($first: Int!, $after: String) { usersConnection(first: $first, after: $after) "
    "{ edges { node { email displayName domain } } pageInfo { hasNextPage endCursor } } }"
)


# Paging style -> (page size variable, page start variable), as the Relay spec and common offset APIs name them.
PAGING_VARIABLES = {"relay": ("first", "after"), "offset": ("limit", "offset")}


def _json_object(value: Any, what: str) -> Any:
    """An option given as a JSON object in a string, decoded; other values are left to the field's type."""
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value) if value.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"must be a JSON object of {what} ({exc.msg})") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"must be a JSON object of {what}")
    return parsed


def _value_mapping(value: Any, what: str) -> Any:
    """A `domainMapping`/`teamMapping` JSON object with its keys folded for case-insensitive matching."""
    parsed = _json_object(value, f"directory values to {what} names")
    if not isinstance(parsed, dict):
        return parsed
    mapping: dict[str, str] = {}
    for key, target in parsed.items():
        if not isinstance(target, str) or not target.strip():
            raise ValueError(f"the {what} for {key!r} must be a non-empty string")
        folded = str(key).strip().lower()
        if mapping.get(folded, target.strip()) != target.strip():
            raise ValueError(f"{key!r} is mapped twice (keys match case-insensitively)")
        mapping[folded] = target.strip()
    return mapping


def _dotted(path: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in path.split("."))


class UserUpdaterSettings(BaseModel):
    """Options of the user updater, given as strings under `connectionOptions` (camelCase keys)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    graphql_endpoint: Annotated[
        AnyHttpUrl,
        Field(
            description="URL of the directory's GraphQL endpoint, e.g. `http://localhost:4000`, without a query "
            "string or `user:password` (a key goes in `graphqlHeaders`). Required."
        ),
    ]
    graphql_paging: Annotated[
        Literal["none", "relay", "offset"],
        Field(
            description="How the directory returns users. `none`: one query returns the whole list. `relay`: the "
            "query takes `$first`/`$after` and returns `edges { node }` and `pageInfo { hasNextPage endCursor }`. "
            "`offset`: the query takes `$limit`/`$offset` and returns a list; the first page shorter than "
            "`graphqlPageSize` is the last."
        ),
    ] = "none"
    graphql_query: Annotated[
        str | None,
        Field(
            description="The GraphQL query to send. Default for `none`: `{ users { email displayName domain } }`; "
            "for `relay`: a `usersConnection(first:, after:)` query; required for `offset`. It must select what "
            "`graphqlUsersPath` and the field paths read; it is checked against the directory's schema (by "
            "introspection) before the run."
        ),
    ] = None
    graphql_users_path: Annotated[
        str | None,
        Field(
            description="Dotted path under `data` to the users list (`none`, `offset`) or to the connection "
            "(`relay`), e.g. `org.employees`. Default: `usersConnection` for `relay`, else `users`."
        ),
    ] = None
    email_field: Annotated[
        str,
        Field(
            min_length=1,
            description="Dotted path of the email in each user object (the `node` with `relay`), e.g. `workEmail` "
            "or `contact.email`.",
        ),
    ] = "email"
    display_name_field: Annotated[
        str,
        Field(
            min_length=1,
            description="Dotted path of the display name in each user object, e.g. `fullName` or `name.full`.",
        ),
    ] = "displayName"
    domain_field: Annotated[
        str,
        Field(
            min_length=1,
            description="Dotted path of the domain in each user object, e.g. `department.name`. The value may be "
            "one name or a list of names; a path through a list of objects (`orgUnits.name`) gives the list of "
            "their values.",
        ),
    ] = "domain"
    graphql_page_size: Annotated[
        int, Field(ge=1, le=10_000, description="Users per directory page with `relay` or `offset` (1 to 10000).")
    ] = 500
    graphql_page_size_variable: Annotated[
        str | None,
        Field(
            description="Name of the query variable that carries the page size. Default: `first` for `relay`, "
            "`limit` for `offset`."
        ),
    ] = None
    graphql_page_start_variable: Annotated[
        str | None,
        Field(
            description="Name of the query variable that carries where a page starts: the previous page's "
            "`endCursor`, null for the first page (`relay`, default `after`), or the number of users already read "
            "(`offset`, default `offset`)."
        ),
    ] = None
    graphql_variables: Annotated[
        dict[str, Any],
        Field(
            description="Variables sent with every directory request, as a JSON object, e.g. "
            """`'{"status": "ACTIVE"}'`; the paging variables are added to them."""
        ),
    ] = Field(default_factory=dict)
    graphql_headers: Annotated[
        dict[str, SecretStr],
        Field(
            description="Extra HTTP headers for the directory, as a JSON object of strings, e.g. "
            """`'{"Authorization": "Bearer ${DIRECTORY_TOKEN}"}'`. Values never appear in logs or messages."""
        ),
    ] = Field(default_factory=dict)
    graphql_verify_ssl: Annotated[bool, Field(description="Verify the directory's TLS certificate.")] = True
    graphql_ca_bundle: Annotated[
        Path | None,
        Field(
            description="PEM file of CA certificates to trust for the directory (implies verification); it must "
            "exist when the options are read."
        ),
    ] = None
    fields: Annotated[
        frozenset[SyncField],
        Field(
            description="Which user fields to sync, comma-separated: `displayName`, `domains`, `teams`. `domains` "
            "alone works with a bot token (bots may not edit display names). `teams` is off unless named "
            "(docs/recipes.md, 'Department teams from the directory')."
        ),
    ] = frozenset({SyncField.DISPLAY_NAME, SyncField.DOMAINS})
    page_size: Annotated[
        int,
        Field(ge=1, le=1_000_000, description="Entities per page when preloading OpenMetadata users and domains."),
    ] = 1000
    write_concurrency: Annotated[
        int,
        Field(
            ge=1,
            le=64,
            description="Users written at the same time, 1 to 64 (`1`: one after the other). Against a real "
            "OpenMetadata server keep it at or below what the server can serve in parallel (its free request "
            "threads and database connections); 4 to 8 suits a default deployment (docs/scale.md).",
        ),
    ] = 8
    request_timeout_seconds: Annotated[
        float, Field(gt=0, le=3600, description="Timeout in seconds of every HTTP request, to either server.")
    ] = 30.0
    max_retries: Annotated[
        int,
        Field(
            ge=0,
            le=20,
            description="Retries of a request after a connection error, a timeout, 429, 502, 503 or 504 (and 500 "
            "on reads), to either server; see connector/http.py.",
        ),
    ] = 5
    retry_backoff_seconds: Annotated[
        float,
        Field(
            ge=0,
            le=60,
            description="Exponential backoff factor between retries, in seconds (`0.5`: 0.5 s, 1 s, 2 s, ...).",
        ),
    ] = 0.5
    max_change_percent: Annotated[
        float,
        Field(
            ge=0,
            le=100,
            description="Safety limit: the largest share (in %) of matched users one run may change; a plan above "
            "it stops the run before any write, with the numbers and the first planned changes. `100` turns the "
            "share check off (e.g. for a first sync). A dry run above the limit warns and goes on.",
        ),
    ] = 20.0
    min_changes_for_percent_limit: Annotated[
        int,
        Field(
            ge=0,
            description="maxChangePercent applies only when a run would change more than this many users. On a "
            "small directory one ordinary change is a large share (1 of 3 users is 33%), so without this floor an "
            "hourly run of a small team stops at every change. 10 bounds what a broken feed can do unchecked to 10 "
            "users, each listed with its old value in the log and the change report, and it matters only below "
            "50 matched users at the default maxChangePercent (10 of 50 is 20%). '0' checks the share always.",
        ),
    ] = 10
    max_change_count: Annotated[
        int | None,
        Field(
            ge=0,
            description="Safety limit: the largest number of users one run may change; a plan above it stops the "
            "run before any write. Default: no count limit.",
        ),
    ] = None
    max_retry_wait_seconds: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="Upper bound in seconds of one wait between retries, a server's `Retry-After` included.",
        ),
    ] = 60.0
    open_metadata_token_env: Annotated[
        str | None,
        Field(
            description="Name of an environment variable, on the machine that runs the workflow, holding the "
            "token of the account to write as (the name, not the token: not `${VAR}`). Overrides the workflow's "
            "token for all of the connector's own requests; meant for runs deployed from the OpenMetadata UI, "
            "which carry the ingestion-bot's token. Unset or empty stops the run before any request.",
        ),
    ] = None
    open_metadata_token_file: Annotated[
        Path | None,
        Field(
            description="Absolute path of a file, on the machine that runs the workflow, holding the token of the "
            "account to write as (e.g. a mounted secret); the same role as `openMetadataTokenEnv`, of which at most "
            "one may be set."
        ),
    ] = None

    dry_run: Annotated[
        bool,
        Field(
            description="Read, plan, log and report every change, and write nothing to OpenMetadata (docs/recipes.md)."
        ),
    ] = False
    report_path: Annotated[
        Path | None,
        Field(
            description="File to write the change report to, one row per user and field (docs/recipes.md): JSON "
            "Lines when the name ends in `.jsonl` or `.json`, CSV when it ends in `.csv` (any other suffix is a "
            "config error). Written by dry and real runs; overwritten each run."
        ),
    ] = None
    plan_path: Annotated[
        Path | None,
        Field(
            description="File to write the plan to (JSON), with each user's OpenMetadata version as read, "
            "for review and a later `applyPlan`. Not together with `applyPlan`."
        ),
    ] = None
    apply_plan: Annotated[
        Path | None,
        Field(
            description="Apply exactly this plan file (written by `planPath`) instead of reading the directory. "
            "Needs `applyPlanDigest`. Refused whole if made for another OpenMetadata server or other `fields`; a "
            "user changed in OpenMetadata since the plan was made is reported (`conflict`), not written. Not "
            "together with `planPath`."
        ),
    ] = None
    apply_plan_digest: Annotated[
        str | None,
        Field(
            description="The digest of the reviewed plan file, as the run that wrote it printed it "
            "('sha256:' and 64 hex digits, the same as `sha256sum` of the file); required with applyPlan. A plan "
            "whose bytes do not have this digest is refused whole (docs/security.md, 'Plan files')."
        ),
    ] = None
    protect_admins: Annotated[
        bool,
        Field(
            description="Never change OpenMetadata admins (isAdmin); the directory's values for them are reported "
            "as warnings. 'false' syncs admins like everyone else (docs/security.md, 'Protected accounts')."
        ),
    ] = True
    protected_users: Annotated[
        frozenset[str],
        Field(
            description="Comma-separated OpenMetadata user names or emails that the sync never changes, e.g. "
            "'alice,ops@example.com' (case-insensitive); the account the sync runs as is always protected."
        ),
    ] = frozenset()
    domain_mapping: Annotated[
        dict[str, str],
        Field(
            description="JSON object from directory domain values to domain names or fully qualified names, e.g. "
            """`'{"FIN": "Finance", "EMEA-S": "EMEA.Sales"}'`. Keys match case-insensitively; values not in it """
            "are used as they are."
        ),
    ] = Field(default_factory=dict)
    domain_mode: Annotated[
        Literal["replace", "add"],
        Field(
            description="`replace`: a user's own domains (not those inherited from a team) become exactly the "
            "directory's. `add`: the directory's domains are added, the user's other own domains kept."
        ),
    ] = "replace"
    team_field: Annotated[
        str,
        Field(
            min_length=1,
            description="Dotted path of the teams in each user object, read when `fields` names `teams`, e.g. "
            "`department.name` or `groups.name`; one value or a list.",
        ),
    ] = "teams"
    team_mapping: Annotated[
        dict[str, str],
        Field(
            description="JSON object from directory team values to team names, e.g. "
            """`'{"ENG-DP": "Data Platform"}'`. Keys match case-insensitively; values not in it are used as they """
            "are. A value names a team by its name or FQN, case-insensitively."
        ),
    ] = Field(default_factory=dict)
    team_mode: Annotated[
        Literal["add", "replace"],
        Field(
            description="`add`: the directory's teams are added, the user's other teams kept. `replace`: the "
            "user's teams under `managedTeamsParent` become exactly the directory's; teams outside it are never "
            "touched."
        ),
    ] = "add"
    managed_teams_parent: Annotated[
        str | None,
        Field(
            description="Name of the team under which (at any depth) the sync manages memberships; required with "
            "`teamMode: replace` and `createMissingTeams`. Only memberships of teams under it are ever removed."
        ),
    ] = None
    create_missing_teams: Annotated[
        bool,
        Field(
            description="Create a team the directory names that OpenMetadata does not have, of type Group, under "
            "`managedTeamsParent` (needs Create on team)."
        ),
    ] = False
    create_missing_users: Annotated[
        bool,
        Field(
            description="Give a directory person without an OpenMetadata user an account before their first "
            "sign-in, named as the server names them at sign-in (the email's part before `@`, lower-cased), with "
            "their email and the synced fields (displayName, domains, teams). The run refuses when the server's "
            "sign-in settings could name them otherwise; a person whose only account is soft-deleted gets it "
            "restored instead. Needs Create on user, and EditAll for restores (docs/recipes.md, 'Accounts for new "
            "joiners')."
        ),
    ] = False
    email_pattern: Annotated[
        re.Pattern[str] | None,
        Field(
            description="Regular expression the whole email must match, case-insensitively, e.g. "
            r"`'.*@example\.com'`. Other directory rows are left alone, and OpenMetadata users outside it are "
            "never reported as unlisted."
        ),
    ] = None
    row_filter: Annotated[
        dict[str, tuple[str, ...]],
        Field(
            description="JSON object of dotted paths in each directory user object (as the query returns it) to "
            """the required value or a list of accepted values, e.g. `'{"status": "ACTIVE"}'` or """
            """`'{"domain": ["FIN", "MKT"]}'`. Compared as text, case-insensitively; a list on the path passes if """
            "any element does; every path must pass."
        ),
    ] = Field(default_factory=dict)
    allow_clear: Annotated[
        bool,
        Field(
            description="When the directory's value is empty or missing, clear the user's displayName, and in "
            "`replace` mode its own domains. Off: an empty value never erases anything. A value that could not be "
            "read (a number, say) never clears."
        ),
    ] = False
    leavers: Annotated[
        Literal["report", "softDelete"],
        Field(
            description="What happens to OpenMetadata users (not bots) the directory no longer lists. `report`: "
            "they are reported (`unlisted`), never changed. `softDelete`: those within the company scope "
            "(`leaversEmailPattern`, else `emailPattern`; one of them is required) are soft-deleted, never admins, "
            "the sync's own account, `protectedUsers` or `leaversExcluded`, at most `maxLeavers` per run; a person "
            "the directory lists again is restored to the same account. Needs Delete and EditAll on users "
            "(docs/recipes.md, 'Leavers, first in dry run')."
        ),
    ] = "report"
    leavers_email_pattern: Annotated[
        re.Pattern[str] | None,
        Field(
            description="Regular expression the whole email of a leaver must match, case-insensitively, e.g. "
            r"`'.*@example\.com'`: the company's own accounts, so that guests and partners are never soft-deleted. "
            "Applies with `emailPattern`, not instead of it."
        ),
    ] = None
    leavers_excluded: Annotated[
        frozenset[str],
        Field(
            description="Comma-separated OpenMetadata user names or emails never soft-deleted as leavers, e.g. "
            "'svc-reports,auditor@example.com' (case-insensitive). The directory's values are still synced for them."
        ),
    ] = frozenset()
    max_leavers: Annotated[
        int,
        Field(
            ge=0,
            description="Safety limit of `leavers: softDelete`: the largest number of users one run may "
            "soft-delete; a plan above it stops the run before any write (a dry run warns and goes on). Separate "
            "from maxChangePercent and maxChangeCount, which count field changes.",
        ),
    ] = 10
    mask_emails: Annotated[
        bool,
        Field(
            description="Show emails as `b***@gmail.com` in logs and the workflow status. The change report keeps "
            "full emails."
        ),
    ] = False

    @field_validator("graphql_headers", mode="before")
    @classmethod
    def _parse_headers(cls, value: Any) -> Any:
        parsed = _json_object(value, "header names to values")
        if isinstance(parsed, dict) and not all(isinstance(v, str) for v in parsed.values()):
            raise ValueError("must be a JSON object whose values are strings")
        return parsed

    @field_validator("graphql_variables", mode="before")
    @classmethod
    def _parse_variables(cls, value: Any) -> Any:
        return _json_object(value, "variable names to values")

    @field_validator("domain_mapping", mode="before")
    @classmethod
    def _parse_domain_mapping(cls, value: Any) -> Any:
        return _value_mapping(value, "domain")

    @field_validator("team_mapping", mode="before")
    @classmethod
    def _parse_team_mapping(cls, value: Any) -> Any:
        return _value_mapping(value, "team")

    @field_validator("managed_teams_parent", mode="before")
    @classmethod
    def _blank_parent(cls, value: Any) -> Any:
        return (value.strip() or None) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _teams_scope(self) -> UserUpdaterSettings:
        if self.managed_teams_parent is None:
            if self.team_mode == "replace":
                raise ValueError(
                    "'teamMode' replace needs 'managedTeamsParent': only memberships of teams under it are removed"
                )
            if self.create_missing_teams:
                raise ValueError("'createMissingTeams' needs 'managedTeamsParent', the team to create them under")
        return self

    @field_validator("email_pattern", "leavers_email_pattern", mode="before")
    @classmethod
    def _compile_email_pattern(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            return re.compile(value, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"is not a regular expression ({exc})") from None

    @field_validator("row_filter", mode="before")
    @classmethod
    def _parse_row_filter(cls, value: Any) -> Any:
        parsed = _json_object(value, "field paths to values")
        if not isinstance(parsed, dict):
            return parsed
        accepted: dict[str, tuple[str, ...]] = {}
        for path, wanted in parsed.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values or not all(isinstance(item, str | int | float | bool) for item in values):
                raise ValueError(f"the value for {path!r} must be a string, number, boolean or a list of them")
            accepted[str(path)] = tuple(json.dumps(item) if not isinstance(item, str) else item for item in values)
        return accepted

    @field_validator("report_path")
    @classmethod
    def _report_format(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in REPORT_SUFFIXES:
            raise ValueError(f"must end in {', '.join(REPORT_SUFFIXES)} (the suffix chooses the format)")
        return _new_file_path(value)

    @field_validator("plan_path")
    @classmethod
    def _plan_path_dir(cls, value: Path | None) -> Path | None:
        return _new_file_path(value)

    @model_validator(mode="after")
    def _one_plan_source(self) -> UserUpdaterSettings:
        if self.apply_plan is not None and self.plan_path is not None:
            raise ValueError("'applyPlan' applies a saved plan and 'planPath' saves a new one: set only one")
        if (self.apply_plan is None) != (self.apply_plan_digest is None):
            raise ValueError(
                "'applyPlan' and 'applyPlanDigest' go together: the run that wrote the plan printed the digest to set "
                "once the plan is reviewed"
            )
        return self

    @model_validator(mode="after")
    def _leavers_scope(self) -> UserUpdaterSettings:
        if self.leavers == "softDelete" and self.email_pattern is None and self.leavers_email_pattern is None:
            raise ValueError(
                "'leavers: softDelete' needs the company's scope: set 'leaversEmailPattern' (or 'emailPattern'), e.g. "
                r"'.*@example\.com', so that no account outside it is ever soft-deleted"
            )
        return self

    @field_validator("apply_plan_digest", mode="before")
    @classmethod
    def _digest_form(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        digest = value.strip().lower().removeprefix("sha256:")
        if not PLAN_DIGEST.fullmatch(digest):
            raise ValueError("must be 'sha256:' and the 64 hex digits the run that wrote the plan printed")
        return f"sha256:{digest}"

    @field_validator("protected_users", "leavers_excluded", mode="before")
    @classmethod
    def _parse_protected_users(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return frozenset(part.strip().lower() for part in value.split(",") if part.strip())

    @field_validator("fields", mode="before")
    @classmethod
    def _parse_fields(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        names = [part.strip() for part in value.split(",") if part.strip()]
        known = {field.value for field in SyncField}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
        if not names:
            raise ValueError("must name at least one of displayName, domains, teams")
        return frozenset(SyncField(name) for name in names)

    @field_validator("graphql_ca_bundle", "apply_plan")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file not found: {value}")
        return value

    # `metadata ingest` expands ${VAR} in the file: an option written as "${TOKEN}" arrives holding the token
    # itself. The options that name where a secret lives accept only what cannot be a token (a variable's name, an
    # absolute path: no JWT starts with "/"), and their messages never echo what they got; once accepted, the
    # value is safe to show in logs and in `check`'s output.
    @field_validator("open_metadata_token_env")
    @classmethod
    def _env_var_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_VAR_NAME.fullmatch(value):
            raise ValueError("must be the name of an environment variable (letters, digits, _), not ${...} or a token")
        return value

    @field_validator("open_metadata_token_file")
    @classmethod
    def _absolute_path(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_absolute():
            raise ValueError("must be the absolute path of a file holding the token, not ${...} or a token")
        return value

    @field_validator("graphql_endpoint")
    @classmethod
    def _no_secret_in_url(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        # urllib3 writes the request's path and query into its retry warnings and debug lines, and proxies log them:
        # a URL is no place for a secret. Refused, not redacted, so that it never reaches any of those.
        if value.query or value.username or value.password:
            raise ValueError(
                "must not carry a query string or user:password (they end up in logs); send a key or credentials "
                "in graphqlHeaders"
            )
        return value

    @model_validator(mode="after")
    def _one_token_source(self) -> UserUpdaterSettings:
        if self.open_metadata_token_env and self.open_metadata_token_file:
            raise ValueError("set openMetadataTokenEnv or openMetadataTokenFile, not both")
        return self

    @model_validator(mode="after")
    def _query_reads_what_the_paths_name(self) -> UserUpdaterSettings:
        """Refuse, before any request, a query that does not select what the run reads from its answer."""
        if self.graphql_paging == "offset" and not self.graphql_query:
            raise ValueError("'graphqlQuery' is required with graphqlPaging 'offset' (the seed has no offset query)")
        problems = selection_problems(parse_query(self.query), self.query_plan)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def query(self) -> str:
        if self.graphql_query:
            return self.graphql_query
        return USERS_RELAY_QUERY if self.graphql_paging == "relay" else USERS_LIST_QUERY

    @property
    def query_plan(self) -> QueryPlan:
        paging = self.graphql_paging
        default_size, default_start = PAGING_VARIABLES.get(paging, (None, None))
        users_path = self.graphql_users_path or ("usersConnection" if paging == "relay" else "users")
        field_paths = {
            "emailField": _dotted(self.email_field),
            "displayNameField": _dotted(self.display_name_field),
            "domainField": _dotted(self.domain_field),
        }
        if SyncField.TEAMS in self.fields:
            # Read only when synced, so that a query without a teams field keeps working.
            field_paths["teamField"] = _dotted(self.team_field)
        return QueryPlan(
            paging=paging,
            users_path=_dotted(users_path),
            field_paths=field_paths,
            page_size_variable=self.graphql_page_size_variable or default_size,
            page_start_variable=self.graphql_page_start_variable or default_start,
            variables=self.graphql_variables,
        )

    @property
    def restores_returners(self) -> bool:
        """Whether a directory person whose only account is soft-deleted gets it restored: with leavers soft-deleted,
        and when accounts are created (a new account for them is refused: their email is taken)."""
        return self.leavers == "softDelete" or self.create_missing_users

    @property
    def tls_verify(self) -> bool | str:
        """The `verify` argument of requests for the directory."""
        if self.graphql_ca_bundle is not None:
            return str(self.graphql_ca_bundle)
        return self.graphql_verify_ssl

    @classmethod
    def from_connection_options(cls, options: dict[str, str] | None) -> UserUpdaterSettings:
        """Parse `connectionOptions`, raising SettingsError with one line per offending option."""
        options = dict(options or {})
        known = {field.alias or name for name, field in cls.model_fields.items()}
        unknown = sorted(key for key in options if key not in known)
        if unknown:
            raise SettingsError(
                f"connectionOptions: unknown option(s) {', '.join(unknown)}; "
                f"known options are {', '.join(sorted(known))}"
            )
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                key = ".".join(str(part) for part in error["loc"])
                if not key:
                    # A check across options (the query against its field paths): its message names them.
                    problems.append(str(error["ctx"]["error"]) if "ctx" in error else error["msg"])
                elif error["type"] == "missing":
                    problems.append(f"'{key}' is required")
                else:
                    # `input` may be a secret header value: name the option, never echo the value back.
                    problems.append(f"'{key}': {error['msg']}")
            raise SettingsError("connectionOptions: " + "; ".join(problems)) from None
