"""SLA badges in words (a sign besides the colour: ✓ ✗ ⚠ ⏸), and what the inbox and the
conversation page read about SLA clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.routing import service as routing_service

AT_RISK = "at_risk"  # the inbox view of running clocks inside the warning window, or overdue
DONE_WORDS = {"first_reply": "replied", "next_reply": "replied", "resolution": "resolved"}
CLOCK_WORDS = {"first_reply": "reply", "next_reply": "reply", "resolution": "resolution"}


def duration(seconds: float) -> str:
    """'25 min', '2 h', '3 h 10 min', '2 d 4 h': how long, in plain words."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} d" + (f" {hours} h" if hours else "")


def badge(clock: Any) -> dict[str, str]:
    """The SLA badge for a clock view: css class and words (which clock, how it stands)."""
    what = CLOCK_WORDS.get(clock.clock, "reply")
    if clock.state == "paused":
        return {"css": "sla-none", "word": "⏸ paused · waiting on the customer"}
    if clock.state == "overdue":
        return {"css": "sla-over", "word": f"✗ {what} overdue {duration(clock.seconds)}"}
    if clock.state == "at_risk":
        return {"css": "sla-soon", "word": f"⚠ {what} due in {duration(clock.seconds)}"}
    if clock.state == "running":
        return {"css": "sla-ok", "word": f"{what} due in {duration(clock.seconds)}"}
    done = DONE_WORDS.get(clock.clock, "replied")
    if clock.state == "met":
        return {"css": "sla-met", "word": f"✓ {done} in time"}
    if clock.state == "missed":
        return {"css": "sla-missed", "word": f"✗ {done} {duration(clock.seconds)} late"}
    return {"css": "sla-none", "word": "stopped"}


def clocks(db: Session, conversations: list[Any]) -> dict[int, Any]:
    """Each listed conversation's SLA clock view (one query)."""
    return routing_service.sla_views(db, conversations=conversations)


def at_risk_before(db: Session, now: datetime | None = None) -> datetime:
    """Running clocks due before this moment are at risk (the warning window from now)."""
    return (now or utcnow()) + timedelta(seconds=routing_service.sla_warn_seconds(db))


DAY_NAMES = {
    "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
}  # fmt: skip


def hours_summary(hours: Any) -> str:
    """'Mon-Fri 09:00-17:00, Sat 10:00-14:00 (Europe/Paris); 2 holiday(s)', or 24x7."""
    if hours is None:
        return "24x7 (no business hours set: SLA clocks count every hour)"
    runs: list[list[Any]] = []  # [first day, last day, hours] of consecutive equal days
    for day in DAY_NAMES:
        h = hours.days.get(day)
        when = f"{h.start:%H:%M}-{h.end:%H:%M}" if h else None
        if runs and runs[-1][2] == when:
            runs[-1][1] = day
        else:
            runs.append([day, day, when])
    days = ", ".join(
        f"{DAY_NAMES[a][:3]}{'' if a == b else '-' + DAY_NAMES[b][:3]} {when}"
        for a, b, when in runs
        if when
    )
    extra = f"; {len(hours.holidays)} holiday(s)" if hours.holidays else ""
    return f"{days} ({hours.timezone}){extra}"


def settings_context(db: Session) -> dict[str, Any]:
    """What the settings page's Business hours part shows: each team's hours and summary."""
    hours = routing_service.team_hours(db)
    return {
        "team_hours": hours,
        "team_hours_words": {tid: hours_summary(h) for tid, h in hours.items()},
        "day_names": DAY_NAMES,
        "no_hours_words": hours_summary(None),
    }
