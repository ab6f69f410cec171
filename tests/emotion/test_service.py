"""The emotion domain's public surface, and the score stage reading through other domains'
services: which messages it scores, the consent re-check, and set-wise reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from heartline import emotion
from heartline.customers import service as customer_service
from heartline.customers.schemas import ConsentIn, CustomerIn
from heartline.emotion import service as emotion_service
from heartline.enums import AnalysisStatus, Direction
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn


def _customer(db: Session, ref: str) -> int:
    data = CustomerIn(external_id=ref, name=ref)
    return int(customer_service.upsert_customer(db, data=data).obj.id)


def _message(db: Session, customer_id: int, text: str, *, outbound: bool = False) -> int:
    data = InteractionIn(
        customer_id=customer_id,
        channel="chat",
        text=text,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
    )
    return int(interaction_service.ingest_interaction(db, data=data).obj.id)


def _withdraw(db: Session, ref: str) -> None:
    data = CustomerIn(external_id=ref, consent=ConsentIn(emotion_analysis=False))
    customer_service.upsert_customer(db, data=data)
    db.flush()


@pytest.fixture
def lexicon_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "lexicon")


def test_the_service_is_the_domains_surface() -> None:
    assert emotion_service.get_engine is emotion.get_engine
    assert emotion_service.name_of("de") == "German"
    assert emotion_service.detect_language("Where is my parcel? It is very late.") == "en"
    assert set(emotion_service.__all__) <= set(dir(emotion_service))


def test_score_reads_pending_inbound_and_rechecks_consent(
    db: Session, lexicon_engine: None
) -> None:
    keep, gone = _customer(db, "svc-keep"), _customer(db, "svc-gone")
    happy = _message(db, keep, "Thank you, this is wonderful!")
    ours = _message(db, keep, "Happy to help.", outbound=True)
    theirs = _message(db, gone, "This is awful.")
    _withdraw(db, "svc-gone")  # consent withdrawn between ingest and scoring

    assert emotion_service.score_interactions(db, [theirs, ours, happy]) == [happy]
    rows = interaction_service.interactions_by_ids(db, ids=[happy, ours, theirs])
    assert rows[happy].analysis_status == AnalysisStatus.SCORED
    assert rows[happy].analysis_note is None
    assert rows[ours].analysis_status != AnalysisStatus.SCORED
    assert rows[theirs].analysis_status == AnalysisStatus.SKIPPED
    assert rows[theirs].analysis_note == interaction_service.OPT_OUT_NOTE
    # a second run changes nothing; force reads the scored message again
    assert emotion_service.score_interactions(db, [happy, ours, theirs]) == []
    assert emotion_service.score_interactions(db, [happy, ours, theirs], force=True) == [happy]


class _Broken:
    model_id = "broken@0"

    def analyze_many(self, texts: Sequence[str], *, batch_size: int = 32) -> list[Any]:
        raise RuntimeError("engine down")


@pytest.mark.parametrize("n", [2, 12])
def test_score_reads_a_batch_in_two_queries_and_a_broken_engine_loses_nothing(
    db: Session, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    ids = [_message(db, _customer(db, f"svc-{n}-{i}"), f"Message {i}.") for i in range(n)]
    db.flush()
    db.expire_all()
    monkeypatch.setattr(emotion, "get_engine", lambda: _Broken())
    seen: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    conn = db.connection()
    event.listen(conn, "before_cursor_execute", note)
    try:
        assert emotion_service.score_interactions(db, ids) == []
    finally:
        event.remove(conn, "before_cursor_execute", note)
    assert len(seen) == 2  # the interactions, then their customers' consent: not one per row
    rows = interaction_service.interactions_by_ids(db, ids=ids)
    assert {r.analysis_status for r in rows.values()} == {AnalysisStatus.FAILED}
    assert all("will retry" in (r.analysis_note or "") for r in rows.values())
