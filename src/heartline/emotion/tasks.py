"""SCORE stage: run the emotion engine over pending interactions and store each reading."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.emotion import evidence_lazy
from heartline.emotion.engine import EmotionEngine
from heartline.emotion.reading import Reading
from heartline.enums import AnalysisStatus, Direction
from heartline.interactions import service as interaction_service
from heartline.interactions.service import OPT_OUT_NOTE
from heartline.mood import service as mood_service

log = logging.getLogger(__name__)

# The engine batches internally; this bounds memory per stage run on a 10k-row import chunk.
# A pipeline batch (500) is read in one engine call: its sarcasm probes and any evidence
# variants then share batches too.
SCORE_BATCH = 512


def score_interactions(session: Session, ids: Sequence[int], *, force: bool = False) -> list[int]:
    """Score the given interactions that are pending (all of them with force); return scored ids."""
    from heartline.emotion import get_engine

    if not ids:
        return []
    rows = interaction_service.interactions_by_ids(session, ids=list(ids))
    consents = customer_service.analysis_consents(
        session, customer_ids=[i.customer_id for i in rows.values()]
    )
    pending: list[int] = []
    for interaction_id in sorted(rows):
        interaction = rows[interaction_id]
        consent = consents.get(interaction.customer_id)
        if consent is None:  # no such customer: nothing to score
            continue
        if not consent:
            # Consent can be withdrawn between ingest and scoring: re-check here.
            interaction_service.set_analysis_outcome(
                [interaction], status=AnalysisStatus.SKIPPED, note=OPT_OUT_NOTE
            )
            mood_service.delete_reading(session, interaction_id=interaction.id)
            continue
        if interaction.direction != Direction.INBOUND:
            continue
        if force or interaction.analysis_status in (AnalysisStatus.PENDING, AnalysisStatus.FAILED):
            pending.append(interaction_id)
    todo = [rows[i] for i in pending]
    engine = get_engine()
    # Bulk batches defer occlusion evidence to when a person opens the message (several
    # inferences per message; evidence_lazy.py); live messages are explained now.
    lazy = evidence_lazy.deferred(engine, len(todo))
    scored: list[int] = []
    for start in range(0, len(todo), SCORE_BATCH):
        chunk = todo[start : start + SCORE_BATCH]
        try:
            readings = _analyze(engine, [i.text for i in chunk], with_evidence=not lazy)
        except Exception:  # a broken engine must not lose the messages: mark and move on
            log.exception("emotion engine failed on %d interactions", len(chunk))
            interaction_service.set_analysis_outcome(
                chunk,
                status=AnalysisStatus.FAILED,
                note="emotion engine error (will retry on rescore)",
            )
            continue
        # one set-wise write per chunk: a multi-row insert, reason rows, one status update
        mood_service.store_readings(
            session, scored=list(zip(chunk, readings, strict=True)), evidence_pending=lazy
        )
        interaction_service.set_analysis_outcome(chunk, status=AnalysisStatus.SCORED)
        scored.extend(i.id for i in chunk)
    session.flush()
    return scored


def _analyze(engine: EmotionEngine, texts: list[str], *, with_evidence: bool) -> list[Reading]:
    if with_evidence:
        return engine.analyze_many(texts)
    # both shipped engines take with_evidence; the Protocol keeps the common core only
    return engine.analyze_many(texts, with_evidence=False)  # type: ignore[call-arg]
