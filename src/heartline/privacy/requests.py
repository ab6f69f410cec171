"""Privacy requests: opened from a message read as one (or from the customer's own choices
page), marketing paused at once, an admin task until someone resolves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heartline.auth.service import Principal
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import RequestStatus
from heartline.errors import not_found
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.privacy.audit import record
from heartline.privacy.models import PrivacyRequest


def open_request(session: Session, *, interaction_id: int) -> PrivacyRequest | None:
    """Open an admin task for a message whose reading is a privacy request, and pause
    marketing to the customer at once (audited). Idempotent: a message already seen returns
    its request and changes nothing (a later re-score does not undo an admin's decision).

    Returns None when the message is not a (confident) privacy request."""
    reading = mood_service.readings_for(session, interaction_ids=[interaction_id]).get(
        interaction_id
    )
    if reading is None or mood_service.intent_of(reading.data) != "privacy_request":
        return None
    existing = session.scalar(
        select(PrivacyRequest).where(PrivacyRequest.interaction_id == interaction_id)
    )
    if existing is not None:
        return existing
    interaction = interaction_service.get_interaction(session, interaction_id=interaction_id)
    request = PrivacyRequest(
        customer_id=interaction.customer_id,
        interaction_id=interaction_id,
        conversation_id=interaction.conversation_id,
        requested_at=interaction.occurred_at,
        intent_confidence=float((reading.data or {}).get("intent_confidence") or 0.0),
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:  # a concurrent run of the stage opened it first
        return session.scalar(
            select(PrivacyRequest).where(PrivacyRequest.interaction_id == interaction_id)
        )
    open_request_effects(session, request=request, at=interaction.occurred_at, actor=None)
    return request


def open_request_effects(
    session: Session, *, request: PrivacyRequest, at: datetime, actor: Principal | None
) -> None:
    """What opening a privacy request does, however it came: audited, marketing paused."""
    details: dict[str, Any] = {"request_id": request.id}
    if request.interaction_id is not None:
        details["interaction_id"] = request.interaction_id
    if request.kind:
        details["kind"] = request.kind
    record(
        session, actor=actor, action="privacy_request", entity="customer",
        entity_id=request.customer_id, details=details,
    )  # fmt: skip
    reason = f"privacy request on {at.day} {at:%b %Y} (#{request.id}): waiting for an admin"
    if customer_service.pause_marketing(session, customer_id=request.customer_id, reason=reason):
        record(
            session, actor=actor, action="marketing_pause", entity="customer",
            entity_id=request.customer_id,
            details={"paused": True, "reason": reason, "request_id": request.id},
        )  # fmt: skip


def list_requests(
    session: Session, *, status: str | None = RequestStatus.OPEN, limit: int = 50, offset: int = 0
) -> tuple[list[PrivacyRequest], int]:
    """Privacy requests (open ones by default), oldest first: they are owed an answer."""
    stmt = select(PrivacyRequest)
    if status:
        stmt = stmt.where(PrivacyRequest.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(PrivacyRequest.requested_at, PrivacyRequest.id).limit(limit).offset(offset)
    )
    return list(rows), total


def resolve_request(
    session: Session,
    *,
    request_id: int,
    actor: Principal,
    outcome: str = "",
    resume_marketing: bool = False,
) -> PrivacyRequest:
    """Mark a request handled (idempotent), audited; lift the marketing pause if asked to
    (e.g. the message was not a privacy request after all). Erasure and consent changes are
    their own actions (DELETE /customers/{id}, consent on the customer)."""
    request = session.get(PrivacyRequest, request_id)
    if request is None:
        raise not_found("privacy request", request_id)
    if request.status != RequestStatus.DONE:
        request.status, request.resolved_at = RequestStatus.DONE, utcnow()
        request.resolved_by, request.outcome = actor.name, outcome or None
        session.flush()
        record(
            session,
            actor=actor,
            action="privacy_request_done",
            entity="customer",
            entity_id=request.customer_id,
            details={"request_id": request.id, "outcome": outcome},
        )
    if resume_marketing and customer_service.resume_marketing(
        session, customer_id=request.customer_id
    ):
        record(
            session,
            actor=actor,
            action="marketing_pause",
            entity="customer",
            entity_id=request.customer_id,
            details={"paused": False, "request_id": request.id},
        )
    return request
