"""Turn Pydantic errors into the API's error shape, naming each field at fault."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from heartline.errors import AppError, ErrorCode

M = TypeVar("M", bound=BaseModel)


def field_path(loc: Sequence[Any]) -> str:
    """`("body", "items", 0, "text")` -> `body.items.0.text`."""
    return ".".join(str(p) for p in loc if p not in ("function-after",)) or "body"


def error_details(errors: Sequence[Any], prefix: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Pydantic's error list as [{field, message, type}]."""
    out = []
    for err in errors:
        loc = [*prefix, *err.get("loc", ())]
        msg = str(err.get("msg", "invalid"))
        msg = msg.removeprefix("Value error, ")
        out.append(
            {"field": field_path(loc), "message": msg, "type": err.get("type", "value_error")}
        )
    return out


def validation_error(details: list[dict[str, Any]]) -> AppError:
    """A 422 whose message names the first fields at fault."""
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return AppError(ErrorCode.VALIDATION_ERROR, f"invalid input: {summary}", details=details)


def parse_item(model: type[M], data: Any, prefix: Sequence[Any] = ()) -> M:
    """Validate one item of a bulk payload or an import row; AppError(422) if it is invalid."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(error_details(exc.errors(include_url=False), prefix)) from None
