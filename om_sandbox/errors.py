"""Errors answered in OpenMetadata's shape: `{"code": N, "message": "..."}` (dropwizard ErrorMessage).

Messages follow `exception/CatalogExceptionMessage.java`; statuses follow
`exception/CatalogGenericExceptionMapper.java`.
"""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return {"code": self.status, "message": self.message}


def not_found(entity_type: str, key: object) -> ApiError:
    return ApiError(404, f"{entity_type} instance for {key} not found")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def unhandled(message: str) -> ApiError:
    # CatalogGenericExceptionMapper's fall-through: any exception it does not know becomes a 500
    # UnhandledServerException (e.g. jakarta.json.JsonException from a failed patch operation).
    return ApiError(500, f"An exception with message [{message}] was thrown while processing request.")


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, {"WWW-Authenticate": "om-auth"})


def forbidden(message: str) -> ApiError:
    return ApiError(403, message)


def not_admin(name: str) -> ApiError:
    return forbidden(f"Principal: CatalogPrincipal{{name='{name}'}} is not admin")


ENTITY_ALREADY_EXISTS = "Entity already exists"
