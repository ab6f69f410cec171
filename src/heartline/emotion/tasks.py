"""SCORE stage: run the emotion engine over pending interactions and store each reading."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.customers.models import Customer
from heartline.enums import AnalysisStatus
from heartline.interactions.models import Interaction
from heartline.interactions.service import OPT_OUT_NOTE
from heartline.mood import service as mood_service

log = logging.getLogger(__name__)

# The engine batches internally; this bounds memory per stage run on a 10k-row import chunk.
SCORE_BATCH = 256


def score_interactions(session: Session, ids: Sequence[int], *, force: bool = False) -> list[int]:
    """Score the given interactions that are pending (all of them with force); return scored ids."""
    from heartline.emotion import get_engine

    if not ids:
        return []
    stmt = (
        select(Interaction, Customer.consent_emotion_analysis)
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(Interaction.id.in_(list(ids)))
        .order_by(Interaction.id)
    )
    todo: list[Interaction] = []
    for interaction, consent in session.execute(stmt):
        if not consent:
            # Consent can be withdrawn between ingest and scoring: re-check here.
            interaction.analysis_status = AnalysisStatus.SKIPPED
            interaction.analysis_note = OPT_OUT_NOTE
            mood_service.delete_reading(session, interaction_id=interaction.id)
            continue
        if interaction.direction != "inbound":
            continue
        if force or interaction.analysis_status in (AnalysisStatus.PENDING, AnalysisStatus.FAILED):
            todo.append(interaction)
    engine = get_engine()
    scored: list[int] = []
    for start in range(0, len(todo), SCORE_BATCH):
        chunk = todo[start : start + SCORE_BATCH]
        try:
            readings = engine.analyze_many([i.text for i in chunk])
        except Exception:  # a broken engine must not lose the messages: mark and move on
            log.exception("emotion engine failed on %d interactions", len(chunk))
            for interaction in chunk:
                interaction.analysis_status = AnalysisStatus.FAILED
                interaction.analysis_note = "emotion engine error (will retry on rescore)"
            continue
        for interaction, reading in zip(chunk, readings, strict=True):
            mood_service.store_reading(session, interaction=interaction, reading=reading.to_dict())
            interaction.analysis_status = AnalysisStatus.SCORED
            interaction.analysis_note = None
            scored.append(interaction.id)
    session.flush()
    return scored
