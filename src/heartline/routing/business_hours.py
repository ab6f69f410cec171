"""Business time: a team's weekly hours in its own time zone, minus holidays.

SLA targets count business time (Zendesk's business-hours policies, Freshdesk's business
calendars): a 4-hour target set at 16:00 on a Friday for a Mon-Fri 09:00-17:00 team falls due
at 12:00 on Monday. No calendar (no team, or a team without hours) means 24x7.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator, model_validator

from heartline.schemas import InModel, TimeZone

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A target never runs past this many calendar days: a guard against a calendar so thin (one
# minute a week) that a 90-day target would loop for decades.
HORIZON_DAYS = 3660


class DayHours(InModel):
    """One weekday's opening hours (local time); end after start."""

    start: time
    end: time

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("must be after the start time")
        return end


class BusinessHours(InModel):
    """A team's calendar: time zone, hours per open weekday, and closed dates."""

    timezone: TimeZone
    days: dict[Weekday, DayHours] = Field(min_length=1)
    holidays: list[date] = Field(default_factory=list, max_length=400)

    @model_validator(mode="after")
    def _sorted(self) -> BusinessHours:
        self.holidays = sorted(set(self.holidays))
        return self

    def open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open periods (UTC) from the local day holding `start` onwards."""
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date()
        closed = set(self.holidays)
        for _ in range(HORIZON_DAYS):
            hours = self.days.get(WEEKDAYS[day.weekday()])
            if hours is not None and day not in closed:
                opens = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
                closes = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)


def add_business(start: datetime, seconds: float, hours: BusinessHours | None) -> datetime:
    """The moment `seconds` of business time after `start` (24x7 without a calendar)."""
    if hours is None or seconds <= 0:
        return start + timedelta(seconds=max(seconds, 0))
    left = seconds
    last = start
    for opens, closes in hours.open_intervals(start):
        span = (closes - opens).total_seconds()
        if span >= left:
            return opens + timedelta(seconds=left)
        left -= span
        last = closes
    return last + timedelta(seconds=left)  # past the horizon: count the rest as 24x7


def business_seconds(start: datetime, end: datetime, hours: BusinessHours | None) -> float:
    """Business time between two moments (0 when end is not after start)."""
    if end <= start:
        return 0.0
    if hours is None:
        return (end - start).total_seconds()
    total = 0.0
    for opens, closes in hours.open_intervals(start):
        if opens >= end:
            break
        total += (min(closes, end) - opens).total_seconds()
    return total
