"""Which days a rollup refresh recounts."""

from __future__ import annotations

from datetime import date, timedelta

from heartline.metrics.rollup import _runs


def test_touched_days_close_together_share_one_recount() -> None:
    d = date(2026, 3, 1)
    days = [d, d + timedelta(days=1), d + timedelta(days=4), d + timedelta(days=30)]
    assert _runs(days) == [
        (d, d + timedelta(days=5)),  # days 1 and 4 are within a week: one run over 1..5
        (d + timedelta(days=30), d + timedelta(days=31)),
    ]
    assert _runs(days, gap=1) == [
        (d, d + timedelta(days=2)),
        (d + timedelta(days=4), d + timedelta(days=5)),
        (d + timedelta(days=30), d + timedelta(days=31)),
    ]
    assert _runs([]) == []
