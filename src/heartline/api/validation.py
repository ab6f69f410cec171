"""Turn Pydantic errors into the API's error shape, naming each field at fault."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import Request
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


# Numbers must fit every database column (PostgreSQL INTEGER is 32-bit; ids never get near it),
# text must not carry NUL (PostgreSQL refuses it), dates must be real calendar dates that
# survive time-zone conversion. Checked for every input model and every int path/query
# parameter, so out-of-range input is a 422 naming the field, never a 500 from the database.
INT_MAX = 2**31 - 1
YEARS = (1800, 2200)


def is_row_id(value: int) -> bool:
    """Whether a number can be a row's id at all (1 to INT_MAX): a larger one names nothing,
    and must be refused before a 32-bit key column sees it."""
    return 1 <= value <= INT_MAX


def bound_problem(value: Any) -> str | None:
    """Why a scalar input value is out of bounds, else None."""
    from datetime import date

    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > INT_MAX:
        return f"must be between {-INT_MAX} and {INT_MAX}"
    if isinstance(value, float) and (value != value or abs(value) > 1e15):
        return "must be a finite number below 1e15"
    if isinstance(value, str) and "\x00" in value:
        return "must not contain NUL characters"
    if isinstance(value, date) and not YEARS[0] <= value.year <= YEARS[1]:
        return f"year must be between {YEARS[0]} and {YEARS[1]}"
    return None


def check_bounds(value: Any, path: str = "", *, numbers: bool = True) -> None:
    """ValueError naming the first nested value out of bounds. Inside free-form JSON (dicts:
    metadata, attributes) only text is checked: such numbers are stored as JSON, where a
    shop's 64-bit order id is fine; numbers are bounded where they map to columns."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and "\x00" in k:
                raise ValueError(f"{path}{k!r}: keys must not contain NUL characters")
            check_bounds(v, f"{path}{k}.", numbers=False)
        return
    if isinstance(value, list | tuple | set):
        for i, v in enumerate(value):
            check_bounds(v, f"{path}{i}.", numbers=numbers)
        return
    if not numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return
    problem = bound_problem(value)
    if problem:
        raise ValueError(f"{path.rstrip('.') + ': ' if path else ''}{problem}")


async def bounded_params(request: Request) -> None:
    """A global dependency: int path and query parameters in range, no NUL in any parameter
    or form field (422 naming it), before the route's own validation reaches the database."""
    route = request.scope.get("route")
    ints: set[str] = set()
    stack = [getattr(route, "dependant", None)]
    while stack:  # the route's own parameters and those of its dependencies
        dependant = stack.pop()
        if dependant is None:
            continue
        for p in [*dependant.path_params, *dependant.query_params]:
            kind = str(p.field_info.annotation)
            if "int" in kind and "str" not in kind:
                ints.add(p.alias)
        stack.extend(dependant.dependencies)
    details = []
    for where, params in (("path", request.path_params), ("query", request.query_params)):
        for name, raw in params.items():
            raw = str(raw)
            problem = "must not contain NUL characters" if "\x00" in raw else None
            if problem is None and name in ints:
                try:  # "1e15" and "1000000000000000.0" are ints to the validator too
                    number = float(raw)
                except ValueError:
                    number = 0.0  # not a number: the route's own validation says so
                if abs(number) > INT_MAX:
                    problem = f"must be between {-INT_MAX} and {INT_MAX}"
            if problem:
                details.append({"field": f"{where}.{name}", "message": problem, "type": "range"})
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # parsed once: the route reads the cached form
        for name, value in form.multi_items():
            if isinstance(value, str) and "\x00" in value:
                details.append(
                    {"field": f"form.{name}", "message": "must not contain NUL characters",
                     "type": "value_error"}
                )  # fmt: skip
    if details:
        raise validation_error(details)
