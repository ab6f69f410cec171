"""Field readers shared by the Zendesk and Freshdesk mappings: each names the field at fault."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from heartline.helpdesk.schemas import BadRecord

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t]+")


def ident(record: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """An id (number or string) as text."""
    value = record.get(name)
    if value is None or value == "":
        if required:
            raise BadRecord(name, "is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRecord(name, f"must be a number or a string, got {type(value).__name__}")
    text = str(value).strip()
    if not text or len(text) > 120:
        raise BadRecord(name, "must be 1-120 characters")
    return text


def when(record: dict[str, Any], name: str, *, default: datetime | None = None) -> datetime:
    """An ISO 8601 timestamp (both products write `2024-03-01T09:30:00Z`), as aware UTC."""
    value = record.get(name)
    if value in (None, ""):
        if default is not None:
            return default
        raise BadRecord(name, "is missing")
    if not isinstance(value, str):
        raise BadRecord(name, "must be an ISO 8601 date and time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRecord(name, f"is not an ISO 8601 date and time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # the exports write UTC
    return parsed.astimezone(UTC)


def text(record: dict[str, Any], *names: str) -> str:
    """The first non-empty text field of `names` (HTML tags dropped when it is HTML)."""
    for name in names:
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            if name in ("html_body", "description", "body"):
                value = _TAG.sub(" ", value) if "<" in value else value
            lines = (_SPACE.sub(" ", line).strip() for line in value.splitlines())
            return "\n".join(line for line in lines if line)[:20000]
    return ""


def tags(record: dict[str, Any]) -> list[str]:
    """The tags list (non-strings dropped)."""
    value = record.get("tags") or []
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def short(value: Any, limit: int = 200) -> str:
    """A short display string (names, subjects)."""
    return " ".join(str(value).split())[:limit] if value not in (None, "") else ""


def obj(record: dict[str, Any], name: str) -> dict[str, Any]:
    """A nested object, or {} when it is absent or not an object."""
    value = record.get(name)
    return value if isinstance(value, dict) else {}
