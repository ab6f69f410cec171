"""The mailbox domain's surface: connect support mailboxes (IMAP) and receive mail, from a
mailbox or forwarded raw; no commits here except in polling (one mail per transaction)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.auth.service import Principal
from heartline.errors import AppError, ErrorCode, not_found
from heartline.mailbox.imap import PollResult, Watcher, poll_all, poll_mailbox
from heartline.mailbox.models import PASSWORD, MailAttachment, Mailbox
from heartline.mailbox.parse import MailError, ParsedMail, parse_mail
from heartline.mailbox.receive import (
    Received,
    attachment_path,
    mail_external_id,
    receive_parsed,
    receive_raw,
)
from heartline.mailbox.schemas import MailboxIn
from heartline.privacy import service as audit
from heartline.sealed import seal

__all__ = [
    "MailAttachment",
    "MailError",
    "Mailbox",
    "ParsedMail",
    "PollResult",
    "Received",
    "Watcher",
    "add_mailbox",
    "attachment_path",
    "attachments_for",
    "get_attachment",
    "list_mailboxes",
    "mail_external_id",
    "parse_mail",
    "poll_all",
    "poll_mailbox",
    "receive_parsed",
    "receive_raw",
    "remove_mailbox",
]


def add_mailbox(session: Session, *, data: MailboxIn, actor: Principal | None) -> Mailbox:
    """Connect a mailbox (audited; the password is stored encrypted). A name in use is a 422."""
    if session.scalar(select(Mailbox.id).where(Mailbox.name == data.name)) is not None:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"name: a mailbox called {data.name!r} exists already",
            details=[{"field": "name", "message": "already in use", "type": "value_error"}],
        )
    box = Mailbox(
        name=data.name,
        host=data.host,
        port=data.port,
        security=data.security,
        username=data.username,
        password_encrypted=seal(data.password, purpose=PASSWORD),
        folder=data.folder,
        enabled=data.enabled,
    )
    session.add(box)
    session.flush()
    audit.record(
        session, actor=actor, action="mailbox.connected", entity="mailbox", entity_id=box.id,
        details={"name": box.name, "host": box.host, "username": box.username},
    )  # fmt: skip
    return box


def list_mailboxes(session: Session) -> list[Mailbox]:
    """Every connected mailbox, by name."""
    return list(session.scalars(select(Mailbox).order_by(Mailbox.name)))


def remove_mailbox(session: Session, *, mailbox_id: int, actor: Principal | None) -> None:
    """Disconnect a mailbox (its mail stays); audited."""
    box = session.get(Mailbox, mailbox_id)
    if box is None:
        raise not_found("mailbox", mailbox_id)
    audit.record(
        session, actor=actor, action="mailbox.removed", entity="mailbox", entity_id=box.id,
        details={"name": box.name},
    )  # fmt: skip
    session.delete(box)
    session.flush()


def attachments_for(
    session: Session, *, interaction_ids: Sequence[int]
) -> dict[int, list[MailAttachment]]:
    """The attachments of these messages, keyed by message id."""
    out: dict[int, list[MailAttachment]] = {}
    if not interaction_ids:
        return out
    rows = session.scalars(
        select(MailAttachment)
        .where(MailAttachment.interaction_id.in_(list(interaction_ids)))
        .order_by(MailAttachment.id)
    )
    for row in rows:
        out.setdefault(row.interaction_id, []).append(row)
    return out


def get_attachment(session: Session, *, attachment_id: int) -> MailAttachment:
    """One attachment; a 404 when unknown."""
    row = session.get(MailAttachment, attachment_id)
    if row is None:
        raise not_found("attachment", attachment_id)
    return row
