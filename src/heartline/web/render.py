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
from markupsafe import Markup, escape

from heartline.api.deps import csrf_ok
from heartline.emotion.service import name_of as language_name
from heartline.emotion.taxonomy import INTENT_LABELS, SEVERITY_LABELS
from heartline.enums import ConversationStatus
from heartline.errors import AppError, ErrorCode
from heartline.mood.service import churn_probability
from heartline.rules import OPERATORS, Arity

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


# The mood service's adjectives (mood.state.EMOTION_LABEL) back to emotion keys.
LABEL_EMOTION = {
    "angry": "anger",
    "frustrated": "frustration",
    "disappointed": "disappointment",
    "sad": "sadness",
    "anxious": "anxiety",
    "confused": "confusion",
    "surprised": "surprise",
    "delighted": "joy",
    "grateful": "gratitude",
    "satisfied": "satisfaction",
    "neutral": "neutral",
}


def label_chip(label: str | None, valence: float | None = None) -> dict[str, str]:
    """A chip for a mood adjective ('frustrated'), falling back to the valence's sign."""
    v = valence or 0.0
    sentiment = "negative" if v < -0.15 else "positive" if v > 0.15 else "neutral"
    chip = mood_chip(LABEL_EMOTION.get(label or ""), sentiment)
    if label in LABEL_EMOTION:
        chip = {**chip, "word": str(label).capitalize()}
    return chip


def local_time(value: datetime | None, tz: str = "UTC", fmt: str = "%d %b %Y %H:%M") -> str:
    """A UTC timestamp shown in the viewer's zone."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def _span(seconds: float, short: str = "<1m") -> str:
    """'5m', '3h', '2d' for a duration; `short` under a minute."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return short


def ago(value: datetime | None) -> str:
    """'5m', '3h', '2d' since a time."""
    if value is None:
        return ""
    return _span((datetime.now(UTC) - value).total_seconds(), short="now")


def highlight(text: str, evidence: list[dict[str, Any]] | None) -> Markup:
    """The text, escaped, each evidence phrase in <mark> (offsets checked, overlaps dropped)."""
    spans: list[tuple[int, int, float]] = []
    for ev in evidence or []:
        start, end, phrase = ev.get("start", -1), ev.get("end", -1), str(ev.get("text") or "")
        if not (
            isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
        ) or (phrase and text[start:end] != phrase):
            # Offsets that do not match the stored text (edited, trimmed): fall back to a search.
            start = text.find(phrase) if phrase else -1
            end = start + len(phrase)
        if start >= 0 and end > start:
            spans.append((start, end, float(ev.get("weight") or 0)))
    out, pos = [], 0
    for start, end, weight in sorted(spans):
        if start < pos:
            continue
        out.append(escape(text[pos:start]))
        out.append(
            Markup('<mark class="evidence" title="evidence, weight {:.2f}">{}</mark>').format(
                weight, text[start:end]
            )
        )
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def sla_state(conv: Any, clock: Any = None) -> dict[str, str]:
    """How a conversation's response deadline stands. With its SLA clock (routing.sla's
    ClockView: web/sla_view.py words it), the clock's own state; without one (conversations
    older than the clocks), from the stored due time: the clock stops at the first reply (or
    at the resolve when nobody replied), then says whether that was in time, and by how much
    it was late, never "overdue" in red. While it runs: overdue, due soon (under an hour) or
    fine, with a word."""
    if clock is not None:
        from heartline.web.sla_view import badge

        return badge(clock)
    due = conv.sla_due_at
    if due is None:
        return {"css": "sla-none", "word": "no SLA"}
    due = _utc(due)
    closed = conv.status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)
    waiting = getattr(conv, "last_inbound_at", None)
    replied = conv.first_response_at
    if not closed and replied is not None and waiting is not None and _utc(waiting) > _utc(replied):
        # the customer wrote again after our reply: someone owes them an answer now
        return {"css": "sla-soon", "word": f"customer waiting {ago(_utc(waiting))}"}
    stop, how = None, ""
    if replied is not None:
        stop, how = _utc(replied), "replied"
    elif closed and conv.resolved_at is not None:
        stop, how = _utc(conv.resolved_at), "resolved"
    if stop is not None:
        late = (stop - due).total_seconds()
        if late <= 0:
            return {"css": "sla-met", "word": f"✓ {how} in time"}
        return {"css": "sla-missed", "word": f"✗ {how} {_span(late)} late"}
    if closed:
        return {"css": "sla-none", "word": "closed"}
    left = (due - datetime.now(UTC)).total_seconds()
    if left < 0:
        return {"css": "sla-over", "word": f"overdue {ago(due)}"}
    mins = int(left // 60)
    word = f"due in {mins // 60}h {mins % 60}m" if mins >= 60 else f"due in {mins}m"
    return {"css": "sla-soon" if left < 3600 else "sla-ok", "word": word}


PRIORITIES = {1: "Low", 2: "Normal", 3: "High", 4: "Urgent"}


def user_can(user: Any, permission: str) -> bool:
    """Whether the signed-in user's role has a permission (for navigation and buttons)."""
    from heartline.web.deps import user_can as _can

    return _can(user, permission)


def _is_group(node: Any) -> bool:
    return isinstance(node, dict) and ("all" in node or "any" in node)


def condition_words(node: Any) -> str:
    """A rule or segment condition in words ("intent is churn threat and intent confidence at
    least 0.5"), for people reading settings; the JSON stays in the editor below."""
    if not isinstance(node, dict):
        return str(node)
    for key, joiner in (("all", " and "), ("any", " or ")):
        if key in node:
            parts = [
                f"({condition_words(n)})" if _is_group(n) else condition_words(n) for n in node[key]
            ]
            return joiner.join(parts)
    if "not" in node:
        return f"not ({condition_words(node['not'])})"
    field = str(node.get("field", "")).replace(".", " ").replace("_", " ")
    operator = OPERATORS.get(str(node.get("op")))
    if operator is None:
        return f"{field} {node.get('op')} {node.get('value')}"
    value = node.get("value")
    if isinstance(value, list):
        value = ", ".join(str(v).replace("_", " ") for v in value)
    elif isinstance(value, str):
        value = value.replace("_", " ")
    return f"{field} {operator.words}" + ("" if operator.arity is Arity.NONE else f" {value}")


TEMPLATES.env.filters["language_name"] = language_name


def filesize(n: int) -> str:
    """2048 -> "2 KB" (a file's size in words people read)."""
    size = float(n)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit != "MB" else f"{size:.1f} MB"
        size /= 1024
    return f"{size:.1f} MB"  # pragma: no cover - the loop returns


TEMPLATES.env.filters["filesize"] = filesize
TEMPLATES.env.globals.update(
    condition_words=condition_words,
    churn_probability=churn_probability,
    mood_chip=mood_chip,
    local_time=local_time,
    ago=ago,
    highlight=highlight,
    sla_state=sla_state,
    priorities=PRIORITIES,
    can=user_can,
    label_chip=label_chip,
    intent_label=lambda k: INTENT_LABELS.get(k or "", k or ""),
    severity_label=lambda k: SEVERITY_LABELS.get(k or "", k or ""),
)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def form_id(raw: str, field: str, message: str) -> int | None:
    """An id chosen in a form: empty means none; anything but a whole number is a 422 naming
    the field (the service then says whether it names a row)."""
    value = raw.strip()
    if not value:
        return None
    if not value.isdigit():
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"{field}: {message}",
            details=[{"field": field, "message": message, "type": "int"}],
        )
    return int(value)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Reject a form post whose token does not match the session's."""
    if not csrf_ok(request, submitted):
        raise AppError(
            ErrorCode.FORBIDDEN, "the form expired or came from another site; reload and retry"
        )


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page with the common context (user, csrf token, viewer time zone)."""
    base = {
        "request": request,
        "csrf": csrf_token(request),
        "user": getattr(request.state, "user", None),
        "tz": getattr(getattr(request.state, "user", None), "timezone", "UTC") or "UTC",
    }
    return TEMPLATES.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )


def render_error_page(request: Request, err: AppError) -> HTMLResponse:
    """A friendly HTML error page."""
    return render(request, "error.html", {"error": err}, status_code=err.http_status)
