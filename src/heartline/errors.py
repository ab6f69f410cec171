"""Stable error codes and the one exception type clients ever see."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Codes are part of the API contract: never rename one."""

    VALIDATION_ERROR = "validation_error"
    UNKNOWN_REFERENCE = "unknown_reference"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    BAD_REQUEST = "bad_request"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"


_STATUS = {
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.UNKNOWN_REFERENCE: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}


class AppError(Exception):
    """An error with a stable code, a human message and, where known, the fields at fault."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        http_status: int | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status or _STATUS[code]
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        """The JSON body returned to clients."""
        return {"error": {"code": str(self.code), "message": self.message, "details": self.details}}


def not_found(kind: str, ident: object) -> AppError:
    """A 404 for a missing row."""
    return AppError(ErrorCode.NOT_FOUND, f"{kind} {ident} not found")


def unknown_reference(field: str, value: object, kind: str) -> AppError:
    """A 422 for a body field that names a row that does not exist."""
    return AppError(
        ErrorCode.UNKNOWN_REFERENCE,
        f"{field}: no {kind} with {field.rsplit('.', 1)[-1]}={value!r}",
        details=[{"field": field, "message": f"unknown {kind}", "type": "unknown_reference"}],
    )
