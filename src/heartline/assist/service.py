"""Assist: suggested replies and tone checks in context, sending an agent's reply, and the
workspace's and dashboards' read models (the public surface other packages use)."""

from __future__ import annotations

import re
from typing import Any, Protocol

from sqlalchemy.orm import Session

from heartline.assist import workspace
from heartline.assist.dashboard import (
    Filters,
    ReadingStats,
    filter_options,
    queue_load,
    reading_stats,
)
from heartline.assist.suggest import ReplyContext, Suggestion, suggest_reply
from heartline.assist.tone import ToneResult, check_tone
from heartline.assist.workspace import (
    agent_recent_feelings,
    conversation_counts,
    conversation_messages,
    latest_inbound,
    queue_names,
)
from heartline.channels import service as channel_service
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.emotion.taxonomy import NEGATIVE_CS
from heartline.enums import Direction
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn, InteractionOut
from heartline.mood import service as mood_service
from heartline.playbooks import service as playbook_service

__all__ = [
    "Filters", "ReadingStats", "ReplyAuthor", "SentReply", "Suggestion", "ToneResult",
    "agent_recent_feelings", "complaint_reason", "conversation_counts", "conversation_messages",
    "filter_options", "latest_customer_message", "latest_inbound", "message_intent",
    "message_reason", "mood_of", "queue_load", "queue_names", "reading_stats", "reply_blocked",
    "send_reply",
    "suggest_for_conversation", "tone_for_conversation",
]  # fmt: skip

NEGATIVE_EMOTIONS = NEGATIVE_CS


class ReplyAuthor(Protocol):
    """Who sends a reply: a signed-in user (auth's User)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str: ...


class SentReply(Protocol):
    """An agent's reply as stored on the conversation's timeline (an interaction)."""

    @property
    def id(self) -> int: ...

    @property
    def customer_id(self) -> int: ...

    @property
    def conversation_id(self) -> int | None: ...

    @property
    def text(self) -> str: ...


def mood_of(session: Session, *, customer_id: int) -> dict[str, Any] | None:
    """The customer's mood as the API shows it (mood_service.mood_view)."""
    return dict(mood_service.mood_view(session, customer_id=customer_id))


def complaint_reason(mood: dict[str, Any] | None) -> str | None:
    """The reason of the customer's last negative episode, while it is unresolved."""
    last = (mood or {}).get("last_negative") or {}
    if not isinstance(last, dict) or last.get("resolved"):
        return None
    return str(last["reason"]) if last.get("reason") else None


def message_reason(session: Session, *, interaction_id: int) -> str | None:
    """The complaint reason the mood service found in one message, if any."""
    complaint = mood_service.complaint_for(session, interaction_id=interaction_id)
    if complaint is None or not complaint.reason or complaint.reason == "other":
        return None  # "other" names nothing; the mood's last episode may say more
    return str(complaint.reason)


def message_intent(data: dict[str, Any] | None) -> str | None:
    """What the customer asks for (churn threat, refund, privacy request...), if the reading
    says so confidently; None for readings from a model without an intent head."""
    return mood_service.intent_of(data)


def latest_customer_message(messages: list[InteractionOut]) -> InteractionOut | None:
    """The newest inbound message of a thread."""
    inbound = [m for m in messages if m.direction == Direction.INBOUND]
    return inbound[-1] if inbound else None


def suggest_for_conversation(
    session: Session, *, conversation_id: int, agent_name: str = ""
) -> Suggestion:
    """A suggested empathetic reply to the latest customer message of a conversation."""
    conv = interaction_service.get_conversation(session, conversation_id=conversation_id)
    customer = customer_service.get_customer(session, customer_id=conv.customer_id)
    messages = workspace.conversation_messages(session, conversation_id=conversation_id, limit=50)
    last = latest_customer_message(messages)
    mood = mood_of(session, customer_id=customer.id)
    reading = last.reading if last else None
    negatives = sum(1 for m in messages if m.reading and m.reading.sentiment == "negative")
    ctx = ReplyContext(
        customer_name=customer.name,
        message=last.text if last else "",
        top_emotion=reading.top_emotion if reading else None,
        sentiment=reading.sentiment if reading else None,
        complaint_reason=(message_reason(session, interaction_id=last.id) if last else None)
        or complaint_reason(mood),
        intent=message_intent(reading.data if reading else None),
        repeat_issue=negatives >= 2,
        agent_name=agent_name,
        language=str((reading.data or {}).get("language") or "en") if reading else "en",
    )
    return suggest_reply(ctx)


def tone_for_conversation(
    session: Session, *, conversation_id: int | None, draft: str
) -> ToneResult:
    """Tone check of a draft; stricter about missing empathy when the customer is upset."""
    upset = True
    if conversation_id is not None:
        messages = workspace.conversation_messages(
            session, conversation_id=conversation_id, limit=20
        )
        last = latest_customer_message(messages)
        if last is not None and last.reading is not None:
            upset = (
                last.reading.sentiment == "negative"
                or (last.reading.top_emotion or "") in NEGATIVE_EMOTIONS
            )
    return check_tone(draft, customer_upset=upset)


def _enqueue_delivery(session: Session, *, interaction: SentReply, channel: str) -> str:
    """Hand the reply to the delivery outbox.

    Returns "queued", or "recorded" when it cannot go out (the reply is then only on the
    timeline). The outbox must not write a second timeline entry: the interaction already
    exists and is passed by id.
    """
    subject, thread = _thread(session, interaction)
    queued = playbook_service.enqueue_reply(
        session,
        customer_id=interaction.customer_id,
        channel=channel,
        body=interaction.text,
        interaction_id=interaction.id,
        subject=subject,
        thread=thread,
    )
    return "queued" if queued is not None else "recorded"


_RE = re.compile(r"^\s*((re|aw|sv|antw|rif|r)\s*:\s*)+", re.IGNORECASE)


def _thread(session: Session, reply: SentReply) -> tuple[str, dict[str, Any]]:
    """Subject and threading headers of an agent's reply: "Re: " + the conversation's subject
    (or the customer's last subject), In-Reply-To the customer's latest mail, References every
    earlier mail of the conversation whose Message-ID is known (the customer's, given by the
    integrator as `metadata.message_id`, and our own replies')."""
    from heartline.config import get_settings

    assert reply.conversation_id is not None  # replies are always in a conversation
    conv = interaction_service.get_conversation(session, conversation_id=reply.conversation_id)
    earlier = [
        i
        for i in interaction_service.conversation_interactions(session, conversation_id=conv.id)
        if i.id != reply.id
    ]
    sender = get_settings().smtp_from
    ids: list[str] = []
    last_inbound: str | None = None
    subject = conv.subject
    for i in earlier:  # oldest first
        if i.direction == Direction.INBOUND:
            mid = str((i.meta or {}).get("message_id") or "").strip()
            subject = i.subject or subject
            if mid:
                mid = mid if mid.startswith("<") else f"<{mid}>"
                ids.append(mid)
                last_inbound = mid
        elif (i.meta or {}).get("source") == "web":  # our earlier replies
            ids.append(channel_service.message_id(playbook_service.reply_key(i.id), sender))
    base = _RE.sub("", subject or "").strip() or "your message"
    thread: dict[str, Any] = {"references": ids}
    if last_inbound or ids:
        thread["in_reply_to"] = last_inbound or ids[-1]
    return f"Re: {base}", thread


def reply_blocked(session: Session, *, conversation_id: int) -> str | None:
    """Why a reply cannot go out on this conversation's channel now, or None. WhatsApp (Cloud
    API) takes free text only within 24 hours of the customer's last WhatsApp message."""
    conv = interaction_service.get_conversation(session, conversation_id=conversation_id)
    if conv.channel != "whatsapp" or not channel_service.whatsapp_cloud_api():
        return None
    last = interaction_service.last_inbound_at(
        session, customer_id=conv.customer_id, channel="whatsapp"
    )
    if last is not None and last > utcnow() - channel_service.WHATSAPP_WINDOW:
        return None
    return channel_service.WHATSAPP_OUTSIDE_WINDOW


def send_reply(
    session: Session, *, conversation_id: int, user: ReplyAuthor, text: str
) -> tuple[SentReply, str]:
    """Record an agent's reply on the conversation and queue it for delivery; flushes only."""
    text = (text or "").strip()
    if not text:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "text: the reply is empty",
            details=[{"field": "text", "message": "required", "type": "missing"}],
        )
    blocked = reply_blocked(session, conversation_id=conversation_id)
    if blocked:
        raise AppError(
            ErrorCode.CONFLICT,
            f"text: {blocked}",
            details=[{"field": "text", "message": blocked, "type": "whatsapp_window"}],
        )
    conv = interaction_service.get_conversation(session, conversation_id=conversation_id)
    result = interaction_service.ingest_interaction(
        session,
        data=InteractionIn(
            customer_id=conv.customer_id,
            conversation_id=conv.id,
            channel=conv.channel,
            direction=Direction.OUTBOUND,
            author=user.name or user.email,
            text=text,
            metadata={"user_id": user.id, "source": "web"},
        ),
    )
    interaction = result.obj
    # The column exists for exactly this; InteractionIn has no field for it.
    interaction.author_user_id = user.id
    session.flush()
    return interaction, _enqueue_delivery(session, interaction=interaction, channel=conv.channel)
