"""WhatsApp Business (Cloud API) webhooks: Meta's subscription handshake, signed deliveries of
customers' messages (stored as interactions, scored and answered like any message) and status
reports (which move the outbox: delivered, read, failed).

A customer's message is found by its wamid (`wa:<wamid>`), so Meta's retries store nothing
twice. The customer is found by the phone number, or created with the WhatsApp profile name.
Pictures, voice notes and files are kept as a placeholder line, their caption and the media id
(the bytes stay at Meta). Reactions, locations and captionless media carry no words to read:
stored, never scored. The 24-hour customer-service window is not stored: it is the customer's
latest inbound WhatsApp message (interactions.service.last_inbound_at). No commits here.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.orm import Session

from heartline import pipeline
from heartline.channels import service as channels
from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import AnalysisStatus, Channel, PipelineEvent
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.playbooks import service as playbook_service
from heartline.whatsapp.schemas import Message, MessageOut, ReceivedOut, StatusOut, Value, WebhookIn

__all__ = [
    "WINDOW",
    "ReceivedOut",
    "inside_window",
    "parse",
    "receive",
    "signature_ok",
    "verify_subscription",
]

WINDOW = channels.WHATSAPP_WINDOW
MEDIA = ("image", "video", "audio", "sticker", "document")
NOT_SCORED = "no words to read (a reaction, a location or a file without a caption)"


def verify_subscription(mode: str | None, token: str | None, challenge: str | None) -> str | None:
    """The challenge to echo when Meta subscribes with our verify token; None otherwise."""
    expected = get_settings().whatsapp_verify_token
    if mode != "subscribe" or not expected or challenge is None:
        return None
    return challenge if hmac.compare_digest((token or "").encode(), expected.encode()) else None


def signature_ok(raw: bytes, header: str | None) -> bool:
    """Whether X-Hub-Signature-256 is Meta's signature of the raw body with the app secret."""
    secret = get_settings().whatsapp_app_secret or ""
    return channels.whatsapp_signature_ok(secret, raw, header)


def parse(raw: bytes) -> WebhookIn:
    """The notification; a 422 naming the field when it is not in Meta's shape."""
    try:
        return WebhookIn.model_validate(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in errors[:20]
        ] or [{"field": "body", "message": "not JSON", "type": "json_invalid"}]
        first = details[0]
        raise AppError(
            ErrorCode.VALIDATION_ERROR, f"{first['field']}: {first['message']}", details=details
        ) from None


def inside_window(session: Session, *, customer_id: int, now: datetime | None = None) -> bool:
    """Whether the customer wrote on WhatsApp within the last 24 hours (free text may go)."""
    last = interaction_service.last_inbound_at(
        session, customer_id=customer_id, channel=Channel.WHATSAPP
    )
    return last is not None and last > (now or utcnow()) - WINDOW


def _when(stamp: str) -> datetime:
    now = utcnow()
    at = datetime.fromtimestamp(min(int(stamp), 10**11), tz=UTC)
    return now if at > now + timedelta(minutes=5) else at


def _content(m: Message) -> tuple[str, dict[str, object], bool]:
    """(text, metadata, scored) of one message."""
    kind = m.type
    media = getattr(m, kind, None) if kind in MEDIA else None
    if media is not None:
        label = f"({kind}: {media.filename})" if media.filename else f"({kind})"
        meta = {"media_id": media.id, "mime_type": media.mime_type, "caption": media.caption}
        return f"{label} {media.caption}".strip(), meta, bool(media.caption.strip())
    if kind == "text" and m.text is not None and m.text.body.strip():
        return m.text.body, {}, True
    if kind == "reaction" and m.reaction is not None:
        emoji = m.reaction.emoji
        text = f"(reacted {emoji} to a message)" if emoji else "(removed a reaction)"
        return text, {"reaction": emoji, "reacted_to": m.reaction.message_id}, False
    if kind == "button" and m.button is not None and m.button.text:
        return m.button.text, {"button_payload": m.button.payload}, True
    if kind == "interactive" and m.interactive is not None:
        reply = m.interactive.button_reply or m.interactive.list_reply
        if reply is not None and reply.title:
            return reply.title, {"reply_id": reply.id}, True
    if kind == "location" and m.location is not None:
        where = ", ".join(x for x in (m.location.name, m.location.address) if x)
        meta = {"latitude": m.location.latitude, "longitude": m.location.longitude}
        return f"(location) {where}".strip(), meta, False
    return f"(a {kind} message)", {}, False


@dataclass
class _Delivery:
    messages: list[MessageOut] = field(default_factory=list)
    statuses: list[StatusOut] = field(default_factory=list)
    to_score: list[int] = field(default_factory=list)


def _message(session: Session, m: Message, names: dict[str, str], out: _Delivery) -> None:
    external_id = f"wa:{m.id}"
    existing = interaction_service.interaction_by_external_id(session, external_id=external_id)
    if existing is not None:
        out.messages.append(MessageOut(id=m.id, status="duplicate",
                                       interaction_id=existing.id,
                                       customer_id=existing.customer_id))  # fmt: skip
        return
    phone = channels.wa_id(m.from_)
    customer_id = customer_service.customer_for_phone(
        session, phone=phone, name=names.get(phone, ""), preferred_channel=Channel.WHATSAPP
    )
    text, meta, scored = _content(m)
    result = interaction_service.ingest_interaction(
        session,
        data=InteractionIn(
            customer_id=customer_id,
            external_id=external_id,
            channel=Channel.WHATSAPP,
            author=(names.get(phone) or f"+{phone}")[:200],
            text=text[:100_000],
            occurred_at=_when(m.timestamp),
            metadata={"source": "whatsapp", "wamid": m.id, "wa_id": phone, "type": m.type,
                      **meta},
        ),
    )  # fmt: skip
    inter = result.obj
    if not scored:
        inter.analysis_status, inter.analysis_note = AnalysisStatus.SKIPPED, NOT_SCORED
    elif interaction_service.needs_pipeline(result):
        out.to_score.append(inter.id)
    out.messages.append(
        MessageOut(id=m.id, status="created", interaction_id=inter.id, customer_id=customer_id)
    )


def _statuses(session: Session, value: Value, out: _Delivery) -> None:
    for st in value.statuses:
        error = "; ".join(f"{e.code} {e.title or e.message}".strip() for e in st.errors)
        outcome = playbook_service.record_delivery_status(
            session,
            channel=Channel.WHATSAPP,
            provider_message_id=st.id,
            status=st.status,
            at=_when(st.timestamp),
            error=error or None,
            retryable=bool(st.errors)
            and all(e.code in channels.WHATSAPP_RETRYABLE for e in st.errors),
        )
        out.statuses.append(StatusOut(id=st.id, status=st.status, outcome=outcome or "unknown"))


def receive(session: Session, notification: WebhookIn) -> ReceivedOut:
    """Store the customers' messages and apply the status reports of one delivery; queues the
    messages with words for scoring, routing and playbooks at commit."""
    out = _Delivery()
    with session.begin_nested():  # nothing half-stored if a message cannot be taken
        for entry in notification.entry:
            for change in entry.changes:
                if change.field != "messages":
                    continue  # template reviews, account updates: not Heartline's business
                value = change.value
                names = {channels.wa_id(c.wa_id): c.profile.name for c in value.contacts}
                for m in value.messages:
                    _message(session, m, names, out)
                _statuses(session, value, out)
        session.flush()
    if out.to_score:
        pipeline.submit(session, PipelineEvent.INTERACTION, out.to_score)
    return ReceivedOut(messages=out.messages, statuses=out.statuses)
