"""CSV cells that a spreadsheet will not run (formula injection, OWASP "CSV Injection").

A customer can type `=HYPERLINK(...)` or `@SUM(...)` into a message or a name; exported as is,
a spreadsheet evaluates it when a manager opens the file. Text cells starting with = + - @, a
tab or a carriage return get a leading apostrophe, which spreadsheets show as text. Numbers
are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """The value, made inert if it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row made inert."""
    return [cell(v) for v in values]
