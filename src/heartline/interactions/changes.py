"""What changed since a time: the live inbox's feed (web/live.py asks every second).

Two indexed range reads (conversations.updated_at, interactions.updated_at), set-wise: any
process (web or worker) that changes a conversation or a message bumps its updated_at, so
the database is the one place every server process can learn about it from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.interactions.models import Conversation, Interaction

__all__ = ["ChangedConversation", "ChangedMessage", "Changes", "changes_since"]


@dataclass(frozen=True)
class ChangedConversation:
    """A conversation as the live inbox needs it to place and announce a change."""

    id: int
    customer_id: int
    subject: str
    queue: str
    status: str
    assignee_id: int | None
    updated_at: datetime


@dataclass(frozen=True)
class ChangedMessage:
    """A message stored or updated (scored) since the cursor."""

    id: int
    conversation_id: int | None
    direction: str
    author: str
    author_user_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Changes:
    """Conversations touched since the cursor (their own row or one of their messages), the
    messages among them, and the newest change time seen (the next cursor)."""

    conversations: list[ChangedConversation]
    messages: list[ChangedMessage]
    newest: datetime | None


def changes_since(session: Session, *, since: datetime, limit: int = 200) -> Changes:
    """Conversations and messages whose updated_at is after `since`, oldest change first (at
    most `limit` of each; the next call continues from `newest`)."""
    msg_rows = session.execute(
        select(
            Interaction.id,
            Interaction.conversation_id,
            Interaction.direction,
            Interaction.author,
            Interaction.author_user_id,
            Interaction.created_at,
            Interaction.updated_at,
        )
        .where(Interaction.updated_at > since)
        .order_by(Interaction.updated_at, Interaction.id)
        .limit(limit)
    ).all()
    messages = [ChangedMessage(*row) for row in msg_rows]
    conv_cols = (
        Conversation.id,
        Conversation.customer_id,
        Conversation.subject,
        Conversation.queue,
        Conversation.status,
        Conversation.assignee_id,
        Conversation.updated_at,
    )
    conv_rows = session.execute(
        select(*conv_cols)
        .where(Conversation.updated_at > since)
        .order_by(Conversation.updated_at, Conversation.id)
        .limit(limit)
    ).all()
    convs = {row[0]: ChangedConversation(*row) for row in conv_rows}
    missing = {m.conversation_id for m in messages if m.conversation_id} - convs.keys()
    if missing:
        stmt = select(*conv_cols).where(Conversation.id.in_(sorted(missing)))
        convs.update({row[0]: ChangedConversation(*row) for row in session.execute(stmt)})
    stamps = [m.updated_at for m in messages] + [row[-1] for row in conv_rows]
    newest = max(stamps) if stamps else None
    # A list cut at `limit` has more after its last row: the cursor must not pass it.
    for full in (messages and len(messages) == limit and messages[-1].updated_at,
                 conv_rows and len(conv_rows) == limit and conv_rows[-1][-1]):  # fmt: skip
        if full and newest is not None:
            newest = min(newest, full)
    return Changes(list(convs.values()), messages, newest)
