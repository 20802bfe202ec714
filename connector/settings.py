"""The connector's settings: one typed model read from `serviceConnection.config.connectionOptions`.

OpenMetadata's workflow schema types `connectionOptions` as a map of strings, so every value arrives as
text ("true", "500", a JSON object for headers). This model turns that text into typed values with
defaults, and turns every problem into one message that names the option, before any request is made.
"""

from __future__ import annotations

import json
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
)
from pydantic.alias_generators import to_camel


class SyncField(str, Enum):
    """A user field the connector keeps in step with the directory."""

    DISPLAY_NAME = "displayName"
    DOMAINS = "domains"


class SettingsError(ValueError):
    """connectionOptions cannot be turned into settings; the message names each offending option."""


USERS_LIST_QUERY = "{ users { email displayName domain } }"
USERS_RELAY_QUERY = (
    "query Users($first: Int!, $after: String) { usersConnection(first: $first, after: $after) "
    "{ edges { node { email displayName domain } } pageInfo { hasNextPage endCursor } } }"
)


class UserUpdaterSettings(BaseModel):
    """Options of the user updater, given as strings under `connectionOptions` (camelCase keys)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    graphql_endpoint: Annotated[
        AnyHttpUrl,
        Field(description="URL of the directory's GraphQL endpoint, e.g. http://localhost:4000. Required."),
    ]
    graphql_paging: Annotated[
        Literal["none", "relay"],
        Field(
            description="How the directory returns users: 'none' (one list) or 'relay' "
            "(first/after arguments, edges/node and pageInfo { hasNextPage endCursor })."
        ),
    ] = "none"
    graphql_query: Annotated[
        str | None,
        Field(
            description="GraphQL query to send. Default: the seed's `users` list for paging 'none', "
            "the `usersConnection` query for 'relay' (which must take $first and $after)."
        ),
    ] = None
    graphql_users_path: Annotated[
        str | None,
        Field(
            description="Dotted path under `data` to the users list (paging 'none') or to the connection "
            "(paging 'relay'). Default: 'users' or 'usersConnection'."
        ),
    ] = None
    graphql_page_size: Annotated[
        int, Field(ge=1, le=10_000, description="Users per directory page with paging 'relay'.")
    ] = 500
    graphql_headers: Annotated[
        dict[str, SecretStr],
        Field(
            description="Extra HTTP headers for the directory as a JSON object, e.g. "
            '{"Authorization": "Bearer ${DIRECTORY_TOKEN}"}. Values are kept secret in logs.'
        ),
    ] = Field(default_factory=dict)
    graphql_verify_ssl: Annotated[bool, Field(description="Verify the directory's TLS certificate.")] = True
    graphql_ca_bundle: Annotated[
        Path | None,
        Field(description="PEM file of CA certificates to trust for the directory (implies verification)."),
    ] = None
    fields: Annotated[
        frozenset[SyncField],
        Field(
            description="Comma-separated user fields to sync: displayName, domains. Use 'domains' alone "
            "with a bot token, since bots may not edit display names."
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
            description="Users written at the same time (1 = one write after the other). Against a real "
            "OpenMetadata server keep it at or below the server's free request threads and database "
            "connections; 4-8 suits a default deployment.",
        ),
    ] = 8
    request_timeout_seconds: Annotated[
        float, Field(gt=0, le=3600, description="Timeout of each HTTP request, to either server.")
    ] = 30.0
    max_retries: Annotated[
        int,
        Field(
            ge=0,
            le=20,
            description="Retries of a request after a connection error, a timeout, 429 or 5xx, to either server.",
        ),
    ] = 5
    retry_backoff_seconds: Annotated[
        float,
        Field(ge=0, le=60, description="Exponential backoff factor between retries (0.5 -> 0.5 s, 1 s, 2 s, ...)."),
    ] = 0.5
    max_change_percent: Annotated[
        float,
        Field(
            ge=0,
            le=100,
            description="Safety limit: the largest share (in %) of matched users one run may change; a plan above it "
            "stops the run before any write. '100' turns the share check off (e.g. for a first sync).",
        ),
    ] = 20.0
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
        Field(gt=0, le=3600, description="Upper bound of one wait between retries, Retry-After included."),
    ] = 60.0

    @field_validator("graphql_headers", mode="before")
    @classmethod
    def _parse_headers(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            parsed = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"must be a JSON object of header names to values ({exc.msg})") from None
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise ValueError("must be a JSON object whose values are strings")
        return parsed

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
            raise ValueError("must name at least one of displayName, domains")
        return frozenset(SyncField(name) for name in names)

    @field_validator("graphql_ca_bundle")
    @classmethod
    def _ca_bundle_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file not found: {value}")
        return value

    @property
    def query(self) -> str:
        if self.graphql_query:
            return self.graphql_query
        return USERS_RELAY_QUERY if self.graphql_paging == "relay" else USERS_LIST_QUERY

    @property
    def users_path(self) -> tuple[str, ...]:
        path = self.graphql_users_path or ("usersConnection" if self.graphql_paging == "relay" else "users")
        return tuple(path.split("."))

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
                key = ".".join(str(part) for part in error["loc"]) or "connectionOptions"
                if error["type"] == "missing":
                    problems.append(f"'{key}' is required")
                else:
                    # `input` may be a secret header value: name the option, never echo the value back.
                    problems.append(f"'{key}': {error['msg']}")
            raise SettingsError("connectionOptions: " + "; ".join(problems)) from None
