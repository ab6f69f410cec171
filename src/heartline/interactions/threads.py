"""Which conversation a mail belongs to: by the messages it answers (In-Reply-To, References),
then by subject among the customer's open conversations on the channel."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.enums import ConversationStatus
from heartline.interactions.models import Conversation, Interaction

# An inbound message joins the customer's open conversation on the same channel if that
# conversation saw activity within this window; otherwise it opens a new ticket.
THREAD_WINDOW = timedelta(days=7)
IN_CHUNK = 5000  # values per IN (...) list: well under SQLite's and PostgreSQL's bind limits


def chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    """The distinct values, sorted, in IN-list sized pieces."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


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


# --- the batched ingest (batch.py): the same threading over a whole batch, in memory ----------
# Conversation fields a message may change (ingest.touch_conversation); a batch writes the
# ones that changed, per conversation, in one executemany.
TOUCHED = (
    "status",
    "last_activity_at",
    "last_inbound_at",
    "first_response_at",
    "resolved_at",
    "snoozed_until",
)
_OPEN = (ConversationStatus.OPEN, ConversationStatus.PENDING)


@dataclass(eq=False)
class ConvState:
    """A conversation as a batch sees it: loaded (id set, `loaded` holds the stored values of
    TOUCHED) or opened by this batch (id None until inserted)."""

    id: int | None
    customer_id: int
    channel: str
    external_id: str | None
    status: str
    last_activity_at: datetime
    last_inbound_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    snoozed_until: datetime | None = None
    subject: str = ""
    opened_at: datetime | None = None
    loaded: dict[str, Any] | None = None

    def changes(self) -> dict[str, Any]:
        """The TOUCHED fields that differ from what was loaded (all of them when new)."""
        now = {name: getattr(self, name) for name in TOUCHED}
        if self.loaded is None:
            return now
        return {k: v for k, v in now.items() if v != self.loaded[k]}


_COLUMNS = (
    Conversation.id,
    Conversation.customer_id,
    Conversation.channel,
    Conversation.external_id,
    *(getattr(Conversation, name) for name in TOUCHED),
)


def _state(row: Any) -> ConvState:
    cid, customer_id, channel, external_id = row[:4]
    touched = row[4 : 4 + len(TOUCHED)]  # (thread_heads' rows end with their rank)
    loaded = dict(zip(TOUCHED, touched, strict=True))
    return ConvState(cid, customer_id, channel, external_id, **loaded, loaded=dict(loaded))


def conversation_states(
    session: Session, *, ids: Iterable[int], external_ids: Iterable[str]
) -> list[ConvState]:
    """The conversations named by id or by external id (one query per kind and 5,000)."""
    out: list[ConvState] = []
    for chunk in chunks(ids):
        out += map(_state, session.execute(select(*_COLUMNS).where(Conversation.id.in_(chunk))))
    for chunk in chunks(external_ids):
        stmt = select(*_COLUMNS).where(Conversation.external_id.in_(chunk))
        out += map(_state, session.execute(stmt))
    return out


def thread_heads(
    session: Session, *, pairs: Iterable[tuple[int, str]], since: datetime
) -> list[ConvState]:
    """Per (customer, channel) pair, the open or pending conversation with the newest
    activity since `since`: the only one the row-by-row threading query could pick for any
    message of the batch (its window starts at `since` or later); one query per 5,000
    customers, an index range each (ix_conversations_thread). Filtered by customer and by
    channel, not by pair: PostgreSQL tests a list of pairs against every row it reads."""
    wanted = set(pairs)
    channels = sorted({channel for _, channel in wanted})
    ranked = func.row_number().over(
        partition_by=(Conversation.customer_id, Conversation.channel),
        order_by=(Conversation.last_activity_at.desc(), Conversation.id.desc()),
    )
    out: list[ConvState] = []
    for chunk in chunks(customer for customer, _ in wanted):
        inner = (
            select(*_COLUMNS, ranked.label("rank"))
            .where(
                Conversation.customer_id.in_(chunk),
                Conversation.channel.in_(channels),
                Conversation.status.in_(_OPEN),
                Conversation.last_activity_at >= since,
            )
            .subquery()
        )
        rows = session.execute(select(inner).where(inner.c.rank == 1))
        out += (_state(row) for row in rows if (row.customer_id, row.channel) in wanted)
    return out


class ThreadBook:
    """The conversations a batch has seen, so each message threads as the row-by-row path
    (ingest._resolve_conversation) would have threaded it after the messages before it."""

    def __init__(self, convs: Iterable[ConvState] = ()) -> None:
        self.by_id: dict[int, ConvState] = {}
        self.by_external: dict[str, ConvState] = {}
        self.by_pair: dict[tuple[int, str], list[ConvState]] = {}
        self.opened: list[ConvState] = []
        for conv in convs:
            self.add(conv)

    def add(self, conv: ConvState) -> None:
        """Know a conversation (loaded, or opened by the batch)."""
        if conv.id is not None:
            if conv.id in self.by_id:
                return
            self.by_id[conv.id] = conv
        else:
            self.opened.append(conv)
        if conv.external_id is not None:
            self.by_external[conv.external_id] = conv
        self.by_pair.setdefault((conv.customer_id, conv.channel), []).append(conv)

    def head(self, customer_id: int, channel: str, at: datetime) -> ConvState | None:
        """The open or pending conversation with the newest activity, if within the window."""
        best: ConvState | None = None
        for conv in self.by_pair.get((customer_id, channel), ()):
            if conv.status in _OPEN and (
                best is None or conv.last_activity_at > best.last_activity_at
            ):
                best = conv
        return best if best is not None and best.last_activity_at >= at - THREAD_WINDOW else None
