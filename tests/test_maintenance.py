"""The scheduler's daily housekeeping: segment sweep and raw-text retention."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from heartline import maintenance
from heartline.config import get_settings
from heartline.db import utcnow
from heartline.interactions.models import Interaction


@pytest.fixture
def retention(monkeypatch):
    monkeypatch.setenv("HEARTLINE_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    monkeypatch.setattr(maintenance, "_last_run", {})
    yield
    get_settings.cache_clear()


def test_daily_jobs_run_once_a_day(api, customer, db, retention):
    api.post(
        "/interactions",
        json={
            "customer_id": customer["id"],
            "channel": "chat",
            "text": "Old news",
            "occurred_at": (utcnow() - timedelta(days=90)).isoformat(),
        },
    )
    api.post(
        "/interactions", json={"customer_id": customer["id"], "channel": "chat", "text": "Fresh"}
    )
    now = utcnow()
    done = maintenance.run_due(now)
    assert done == {"segments_refreshed": 1, "texts_expired": 1, "sessions_purged": 0}
    texts = sorted(t for t in db.scalars(select(Interaction.text)))
    assert texts == ["", "Fresh"]
    assert maintenance.run_due(now + timedelta(hours=1)) == {}  # not due again yet
    assert set(maintenance.run_due(now + timedelta(hours=25))) == {
        "segments_refreshed",
        "texts_expired",
        "sessions_purged",
    }
