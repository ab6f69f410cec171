"""WhatsApp Business webhook: Meta's subscription handshake (GET) and its signed notifications
of customers' messages and delivery statuses (POST). No Heartline login: Meta proves itself
with the verify token, then with X-Hub-Signature-256 on every delivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.exc import IntegrityError

from heartline.api.deps import Db
from heartline.errors import AppError, ErrorCode
from heartline.whatsapp import service
from heartline.whatsapp.schemas import ReceivedOut

router = APIRouter(tags=["whatsapp"])


@router.get("/webhooks/whatsapp", response_class=PlainTextResponse)
def verify(
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=50)] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token", max_length=500)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=500)] = None,
) -> PlainTextResponse:
    """Meta's handshake: `hub.challenge` echoed as plain text when `hub.mode` is `subscribe`
    and `hub.verify_token` is ours; 403 otherwise."""
    answer = service.verify_subscription(mode, token, challenge)
    if answer is None:
        return PlainTextResponse("verification failed", status_code=403)
    return PlainTextResponse(answer)


@router.post(
    "/webhooks/whatsapp",
    response_model=ReceivedOut,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}
    },
)
async def notify(request: Request, db: Db) -> ReceivedOut:
    """One notification (`object: whatsapp_business_account`): customers' messages become
    interactions (a wamid seen before is a `duplicate`), statuses move the outbox. A missing or
    wrong X-Hub-Signature-256 is a 401 and stores nothing."""
    raw = await request.body()
    if not service.signature_ok(raw, request.headers.get("X-Hub-Signature-256")):
        raise AppError(
            ErrorCode.UNAUTHORIZED,
            "X-Hub-Signature-256: missing or not signed with the WhatsApp app secret",
        )
    notification = service.parse(raw)
    try:
        received = service.receive(db, notification)
        db.commit()
    except IntegrityError:  # Meta delivered the same message twice at once: the other won
        db.rollback()
        received = service.receive(db, notification)  # now a duplicate
        db.commit()
    return received


__all__ = ["router"]
