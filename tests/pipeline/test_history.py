"""History work (#15): split by customer for the workers, silent, and recovered silently."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from heartline import pipeline
from heartline.config import get_settings
from heartline.db import utcnow
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.pipeline import recovery, runner
from heartline.pipeline.stages import stages_for


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[int]]] = []

    def submit(self, event: str, ids: list[int]) -> None:
        self.sent.append((event, list(ids)))


def test_partitions_keep_a_customer_together_and_in_order() -> None:
    items = [(1, 10), (2, 11), (3, 10), (4, 12), (5, 11), (6, 10), (7, 13)]
    parts = runner.partitions(items, 2)
    assert parts == [[1, 3, 4, 6], [2, 5, 7]]  # customers 10 and 12 even, 11 and 13 odd
    assert runner.partitions(items, 1) == [[1, 2, 3, 4, 5, 6, 7]]
    assert runner.partitions(items, 8) == [[1, 3, 6], [2, 5], [4], [7]]
    assert runner.partitions([], 4) == []


def test_history_stages_are_silent() -> None:
    for event in ("history", "rescore"):
        names = [s.name for s in stages_for(event)]
        assert names[0] == "score" and "rollup" in names
        assert not {"route", "alerts", "playbooks", "deliver", "privacy"} & set(names)


def _ingest(db: Session, customer_id: int, n: int, meta: dict[str, str] | None = None) -> list[int]:
    ids = []
    for i in range(n):
        data = InteractionIn(
            customer_id=customer_id,
            channel="email",
            text=f"Order {i} is late.",
            metadata=meta or {},
        )
        ids.append(interaction_service.ingest_interaction(db, data=data).obj.id)
    db.commit()
    return ids


def test_submit_history_splits_by_customer_on_celery_only(
    db: Session, customer, monkeypatch
) -> None:
    rec = Recorder()
    monkeypatch.setattr(runner, "get_runner", lambda: rec)
    ids = _ingest(db, customer["id"], 3)
    assert pipeline.submit_history(db, "rescore", ids) is False  # inline: the caller reads them
    assert rec.sent == []
    monkeypatch.setattr(get_settings(), "pipeline_runner", "celery")
    monkeypatch.setattr(get_settings(), "history_partitions", 4)
    assert pipeline.submit_history(db, "rescore", ids) is True
    assert rec.sent == [("rescore", ids)]  # one customer: one task, in order


def test_recovery_sends_imported_history_to_the_silent_stages(
    db: Session, customer, monkeypatch
) -> None:
    rec = Recorder()
    monkeypatch.setattr(runner, "get_runner", lambda: rec)
    live = _ingest(db, customer["id"], 2)
    imported = _ingest(db, customer["id"], 2, {"imported_from": "zendesk"})
    assert recovery.recover(utcnow() + timedelta(minutes=10)) == 4
    assert sorted(rec.sent) == [("history", imported), ("interaction", live)]
