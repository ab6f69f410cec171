"""Turn one raw mail into an interaction: the customer found or created by address, the
conversation threaded by the messages it answers (then by subject), attachments stored, and
automatic mail (auto-replies, bounces, list mail) recorded but never scored or answered.

Idempotent by Message-ID: the same mail received twice, from IMAP or the raw endpoint, is one
interaction. No commits here."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from heartline import files, pipeline
from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import Channel, PipelineEvent
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.mailbox.models import MailAttachment
from heartline.mailbox.parse import MailError, ParsedMail, parse_mail

# Our own replies' Message-IDs are `<reply-<interaction id>@domain>` (channels.email.message_id).
_OUR_REPLY = re.compile(r"^<reply-(\d+)@")


@dataclass(frozen=True)
class Received:
    """What became of a mail: `created` or `duplicate`, and where it went."""

    status: str
    interaction_id: int
    conversation_id: int | None
    customer_id: int
    automated: str | None


def mail_external_id(message_id: str) -> str:
    """The interaction external id a mail is stored under (long ids are hashed to fit)."""
    key = message_id.strip().strip("<>")
    if len(key) <= 190:
        return f"mail:{key}"
    return "mail:sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _thread(session: Session, mail: ParsedMail, customer_id: int) -> int | None:
    answered = [*mail.in_reply_to, *reversed(mail.references)]
    ours = [int(m.group(1)) for m in (_OUR_REPLY.match(a) for a in answered) if m]
    found = interaction_service.conversation_answered(
        session,
        customer_id=customer_id,
        external_ids=[mail_external_id(a) for a in answered],
        interaction_ids=ours,
    )
    if found is not None:
        return found
    return interaction_service.open_conversation_by_subject(
        session, customer_id=customer_id, channel=Channel.EMAIL, subject=mail.subject
    )


def _store_attachments(session: Session, mail: ParsedMail, interaction_id: int) -> None:
    for a in mail.attachments:
        if a.payload is not None:
            digest = files.keep(files.ATTACHMENTS, a.payload)
        else:
            digest = hashlib.sha256(b"").hexdigest()  # only its details are kept
        session.add(
            MailAttachment(
                interaction_id=interaction_id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                sha256=digest,
                stored=a.payload is not None,
            )
        )


def attachment_path(attachment: MailAttachment) -> Path:
    """Where a stored attachment's bytes are."""
    return files.path_for(files.ATTACHMENTS, attachment.sha256)


def _text(mail: ParsedMail) -> str:
    if mail.text.strip():
        return mail.text.strip()
    n = len(mail.attachments)
    return f"(no text; {n} attachment{'s' if n != 1 else ''})" if n else "(empty message)"


def receive_parsed(session: Session, mail: ParsedMail, *, source: str) -> Received:
    """Store a parsed mail (see the module's docstring); queues a person's mail for scoring,
    routing and playbooks at commit."""
    external_id = mail_external_id(mail.message_id)
    existing = interaction_service.interaction_by_external_id(session, external_id=external_id)
    if existing is not None:
        return Received(
            "duplicate",
            existing.id,
            existing.conversation_id,
            existing.customer_id,
            (existing.meta or {}).get("automated"),
        )
    try:
        customer_id = customer_service.customer_for_address(
            session, email=mail.from_address, name=mail.from_name
        )
    except ValidationError as exc:
        raise MailError(f"the sender address {mail.from_address!r} is not valid") from exc
    conversation_id = _thread(session, mail, customer_id)
    now = utcnow()
    sent: datetime | None = mail.sent_at
    if sent is None or sent > now + timedelta(minutes=5):  # no date, or a clock in the future
        sent = now
    meta = {
        "source": source,
        "message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to[:5],
        "references": mail.references[-20:],
        "from": mail.from_address,
        "to": mail.to[:10],
        "attachments": len(mail.attachments),
    }
    if mail.automated:
        meta |= {"automated": mail.automated, "automated_why": mail.automated_why}
    if mail.full_text != mail.text:
        meta["trimmed"] = True  # quoted history or a signature was left out
    result = interaction_service.ingest_interaction(
        session,
        data=InteractionIn(
            customer_id=customer_id,
            external_id=external_id,
            conversation_id=conversation_id,
            conversation_external_id=None if conversation_id else external_id,
            channel=Channel.EMAIL,
            author=(mail.from_name or mail.from_address)[:200],
            subject=mail.subject,
            text=_text(mail)[:100_000],
            occurred_at=sent,
            metadata=meta,
        ),
    )
    interaction = result.obj
    _store_attachments(session, mail, interaction.id)
    session.flush()
    if mail.automated is None and interaction_service.needs_pipeline(result):
        pipeline.submit(session, PipelineEvent.INTERACTION, [interaction.id])
    return Received(
        "created", interaction.id, interaction.conversation_id, customer_id, mail.automated
    )


def receive_raw(session: Session, raw: bytes, *, source: str) -> Received:
    """Parse and store one raw RFC 822 mail; a mail Heartline cannot take is a 422 saying why."""
    limit = get_settings().mail_attachment_max_bytes
    try:
        mail = parse_mail(raw, max_attachment_bytes=limit)
        with session.begin_nested():  # nothing half-stored when the mail is refused
            return receive_parsed(session, mail, source=source)
    except MailError as exc:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"message: {exc}",
            details=[{"field": "message", "message": str(exc), "type": "value_error"}],
        ) from exc
