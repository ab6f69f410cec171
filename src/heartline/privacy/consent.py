"""Consent: a change is audited, and withdrawing consent to emotion analysis forgets what was
read from the customer's words."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from heartline.auth.service import Principal
from heartline.customers import service as customer_service
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.privacy.audit import record


def upsert_customer(session: Session, *, data: Any, actor: Principal | None) -> Any:
    """customers.service.upsert_customer, plus what consent changes mean: the change is
    audited, and withdrawing consent to emotion analysis forgets what was read (below)."""
    before = (
        customer_service.find_customer(session, external_id=data.external_id)
        if data.external_id
        else None
    )
    was_analysed = before is not None and before.consent_emotion_analysis
    result = customer_service.upsert_customer(session, data=data)
    if data.consent is not None and result.status != "unchanged":
        record(
            session, actor=actor, action="consent", entity="customer", entity_id=result.obj.id,
            details=data.consent.model_dump(mode="json", exclude_none=True),
        )  # fmt: skip
    if was_analysed and not result.obj.consent_emotion_analysis:
        withdraw_analysis(session, customer_id=result.obj.id, actor=actor)
    return result


def withdraw_analysis(
    session: Session, *, customer_id: int, actor: Principal | None
) -> dict[str, int]:
    """The customer said no to emotion analysis: every reading, complaint and recovery story
    drawn from their words is deleted, their messages are marked as not analysed (with the
    reason), and mood, churn risk and segments are recomputed without them. Audited."""
    counts = mood_service.forget_customer_feelings(session, customer_id=customer_id)
    n = interaction_service.mark_opted_out(session, customer_id=customer_id)
    if n:
        counts["interactions_marked"] = n
    record(
        session, actor=actor, action="consent.withdrawn", entity="customer",
        entity_id=customer_id, details={"emotion_analysis": False, "deleted": counts},
    )  # fmt: skip
    return counts
