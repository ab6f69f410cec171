"""What a snooze choice means, in the viewer's time zone: 'tomorrow 9:00' is 9:00 where the
agent is, 'next week' is Monday 9:00, a picked date-time is local; bad input names `until`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from heartline.errors import AppError
from heartline.interactions import service as interaction_service

NOW = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # a Sunday evening in UTC


def test_presets_in_the_viewers_zone() -> None:
    resolve = interaction_service.resolve_until
    assert resolve("1h", now=NOW) == NOW + timedelta(hours=1)
    assert resolve("3d", now=NOW) == NOW + timedelta(days=3)
    assert resolve("tomorrow", tz="UTC", now=NOW) == datetime(2026, 11, 30, 9, tzinfo=UTC)
    # in Tokyo it is already Monday 07:30: tomorrow is Tuesday 9:00 there (00:00 UTC)
    assert resolve("tomorrow", tz="Asia/Tokyo", now=NOW) == datetime(2026, 12, 1, 0, tzinfo=UTC)
    # in New York it is Sunday 17:30: next week is Monday 9:00 there (14:00 UTC)
    assert resolve("next-week", tz="America/New_York", now=NOW) == datetime(
        2026, 11, 30, 14, tzinfo=UTC
    )
    assert resolve("at", at="2026-12-24T18:00", tz="Europe/Paris", now=NOW) == datetime(
        2026, 12, 24, 17, tzinfo=UTC
    )
    assert resolve("tomorrow", tz="Not/AZone", now=NOW) == datetime(2026, 11, 30, 9, tzinfo=UTC)


@pytest.mark.parametrize(("choice", "at"), [("soon", ""), ("at", ""), ("at", "next tuesday")])
def test_bad_choices_name_until(choice: str, at: str) -> None:
    with pytest.raises(AppError) as err:
        interaction_service.resolve_until(choice, at=at, now=NOW)
    assert err.value.details[0]["field"] == "until"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [(" Refund ", "refund"), ("Late  Delivery", "late-delivery"), ("Café_2", "café_2")],
)
def test_tags_are_normalised(raw: str, stored: str) -> None:
    assert interaction_service.normalise_tag(raw) == stored


@pytest.mark.parametrize("raw", ["", "  ", "-lead", "a/b", "<b>", "x" * 41, "emoji🙂"])
def test_bad_tags_are_refused(raw: str) -> None:
    with pytest.raises(AppError):
        interaction_service.normalise_tag(raw)
