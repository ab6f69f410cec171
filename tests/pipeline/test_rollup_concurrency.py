"""Two rollup refreshes of the same day at once count it once (PostgreSQL, READ COMMITTED).

Without one writer per day the second refresh's DELETE cannot see the rows the first one
inserts (they are not committed when its statement starts), so both insert and the day counts
twice: the dashboards' over-count #15 measured with two Celery workers.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from heartline import db as dbmod
from heartline import pipeline
from heartline.customers.models import Customer
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.metrics import rollup
from heartline.metrics.models import DailyReadingRollup as R
from heartline.mood.models import EmotionReading

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _seed(n: int) -> None:
    with dbmod.session_scope() as s:  # the inline runner scores and counts after the commit
        customer = Customer(external_id="r-1", name="Rita")
        s.add(customer)
        s.flush()
        ids = [
            interaction_service.ingest_interaction(
                s,
                data=InteractionIn(
                    customer_id=customer.id,
                    channel="email" if i % 2 else "chat",
                    text=f"Order {i} arrived broken, this is awful." if i % 3 else "Thanks!",
                    occurred_at=DAY + timedelta(minutes=i),
                ),
            ).obj.id
            for i in range(n)
        ]
        pipeline.submit(s, "interaction", ids)


def _counted(day: datetime) -> tuple[int, int, int]:
    """(readings of the day, their sum in the full grain, their sum in the channel grain)."""
    with dbmod.session_scope() as s:
        readings = s.scalar(
            select(func.count())
            .select_from(EmotionReading)
            .where(
                EmotionReading.occurred_at >= day, EmotionReading.occurred_at < day + timedelta(1)
            )
        )
        sums = [
            s.scalar(
                select(func.coalesce(func.sum(R.n), 0)).where(R.grain == g, R.day == day.date())
            )
            for g in ("full", "channel")
        ]
    return int(readings or 0), int(sums[0] or 0), int(sums[1] or 0)


@pytest.mark.parametrize("with_old_rows", [False, True], ids=["first-count", "recount"])
def test_two_refreshes_of_one_day_count_it_once(committed_db, backend, monkeypatch, with_old_rows):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer per database; the race is PostgreSQL's")
    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "lexicon")
    _seed(40)
    if not with_old_rows:
        with dbmod.session_scope() as s:
            s.execute(R.__table__.delete())
    readings, full, _ = _counted(DAY)
    assert readings == 40 and full == (40 if with_old_rows else 0)

    first = dbmod.get_sessionmaker()()
    rollup.refresh_rollup(first, days=[DAY.date()])  # holds the day until it commits
    finished = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with dbmod.session_scope() as s:
                rollup.refresh_rollup(s, days=[DAY.date() - timedelta(days=3), DAY.date()])
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            finished.set()

    thread = threading.Thread(target=second)
    thread.start()
    try:
        # the second writer waits for the first one's commit instead of counting beside it
        assert not finished.wait(1.0)
    finally:
        first.commit()
        first.close()
    thread.join(timeout=30)
    assert finished.is_set() and not errors
    assert _counted(DAY) == (40, 40, 40)
