"""Template rendering, CSRF tokens and display helpers shared by the web pages."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from heartline.errors import AppError, ErrorCode

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# Colour is never the only cue: every mood has an icon and a word too.
MOODS: dict[str, tuple[str, str, str]] = {
    # key: (css class, icon, word)
    "anger": ("mood-red", "▲", "Angry"),
    "frustration": ("mood-amber", "◆", "Frustrated"),
    "disappointment": ("mood-amber", "◆", "Disappointed"),
    "sadness": ("mood-amber", "▼", "Sad"),
    "anxiety": ("mood-amber", "!", "Anxious"),
    "confusion": ("mood-yellow", "?", "Confused"),
    "surprise": ("mood-yellow", "✦", "Surprised"),
    "neutral": ("mood-yellow", "●", "Neutral"),
    "joy": ("mood-green", "★", "Happy"),
    "gratitude": ("mood-green", "♥", "Grateful"),
    "satisfaction": ("mood-green", "✓", "Satisfied"),
}
SENTIMENT_MOOD = {"negative": "frustration", "neutral": "neutral", "positive": "satisfaction"}


def mood_chip(key: str | None, sentiment: str | None = None) -> dict[str, str]:
    """Class, icon and word for a customer-service emotion (or a sentiment if no emotion)."""
    key = key if key in MOODS else SENTIMENT_MOOD.get(sentiment or "", "neutral")
    css, icon, word = MOODS[key]
    return {"css": css, "icon": icon, "word": word, "key": key}


def local_time(value: datetime | None, tz: str = "UTC", fmt: str = "%d %b %Y %H:%M") -> str:
    """A UTC timestamp shown in the viewer's zone."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def ago(value: datetime | None) -> str:
    """'5m', '3h', '2d' since a time."""
    if value is None:
        return ""
    seconds = (datetime.now(UTC) - value).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "now"


TEMPLATES.env.globals.update(mood_chip=mood_chip, local_time=local_time, ago=ago)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Reject a form post whose token does not match the session's."""
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(str(expected), submitted):
        raise AppError(ErrorCode.FORBIDDEN, "the form expired or came from another site; reload and retry")


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with the common context (user, csrf token, viewer time zone)."""
    base = {"request": request, "csrf": csrf_token(request), "user": getattr(request.state, "user", None),
            "tz": getattr(getattr(request.state, "user", None), "timezone", "UTC") or "UTC"}
    return TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def render_error_page(request: Request, err: AppError) -> HTMLResponse:
    """A friendly HTML error page."""
    return render(request, "error.html", {"error": err}, status_code=err.http_status)
