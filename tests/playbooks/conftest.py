"""Playbook tests run with quiet hours off unless a test sets them (real time varies)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from heartline.config import get_settings


@pytest.fixture(autouse=True)
def _no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEARTLINE_QUIET_HOURS_START", "0")
    monkeypatch.setenv("HEARTLINE_QUIET_HOURS_END", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
