"""Which conversation a mail belongs to: by the messages it answers (In-Reply-To, References),
then by subject among the customer's open conversations on the channel."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.enums import ConversationStatus
from heartline.interactions.models import Conversation, Interaction

# "Re:", "AW:", "Fwd:", "[#123]"-style prefixes mail apps add in many languages.
_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|rif|r|fw|fwd|wg|tr|rv)\s*(\[\d+\])?\s*:\s*)+", re.I)


def base_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, lower-cased and spaced once."""
    return " ".join(_PREFIX.sub("", subject or "").split()).lower()


def interaction_by_external_id(session: Session, *, external_id: str) -> Interaction | None:
    """The interaction stored under this external id, if any."""
    return session.scalar(select(Interaction).where(Interaction.external_id == external_id))


def conversation_by_external_id(session: Session, *, external_id: str) -> Conversation | None:
    """The conversation stored under this external id (an imported ticket's), if any."""
    return session.scalar(select(Conversation).where(Conversation.external_id == external_id))


def conversation_answered(
    session: Session,
    *,
    customer_id: int,
    external_ids: Sequence[str],
    interaction_ids: Sequence[int],
) -> int | None:
    """The customer's conversation holding any of these messages (named by the external ids
    inbound mail is stored under, or by our replies' interaction ids); the first one found in
    the order given wins."""
    if not external_ids and not interaction_ids:
        return None
    rows = session.execute(
        select(Interaction.external_id, Interaction.id, Interaction.conversation_id).where(
            Interaction.customer_id == customer_id,
            Interaction.conversation_id.is_not(None),
            (Interaction.external_id.in_(list(external_ids)))
            | (Interaction.id.in_(list(interaction_ids))),
        )
    ).all()
    by_external = {r.external_id: r.conversation_id for r in rows if r.external_id}
    by_id = {r.id: r.conversation_id for r in rows}
    for ext in external_ids:
        if ext in by_external:
            return int(by_external[ext])
    for iid in interaction_ids:
        if iid in by_id:
            return int(by_id[iid])
    return None


def open_conversation_by_subject(
    session: Session, *, customer_id: int, channel: str, subject: str
) -> int | None:
    """The customer's newest open or pending conversation on the channel with this subject
    (reply prefixes ignored)."""
    wanted = base_subject(subject)
    if not wanted:
        return None
    rows = session.execute(
        select(Conversation.id, Conversation.subject)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.channel == channel,
            Conversation.status.in_([ConversationStatus.OPEN, ConversationStatus.PENDING]),
        )
        .order_by(Conversation.last_activity_at.desc())
        .limit(50)
    ).all()
    return next((int(r.id) for r in rows if base_subject(r.subject) == wanted), None)
