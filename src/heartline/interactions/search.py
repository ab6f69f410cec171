"""Search: one query over customers (name in any order and without accents, email, phone,
external id), order numbers and message text, with filters on the conversations; no commits.

The index lives in the database (migration 0014) and is written by triggers (SQLite FTS5) or
generated columns (PostgreSQL tsvector), so it is current the moment a message, a customer or
an erasure commits. Results come grouped: customers, orders, and conversations, each with the
message that matched (or, found through its customer, the latest customer message), cut
around the match with the matching words marked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.enums import Direction
from heartline.interactions.models import Conversation, Interaction
from heartline.interactions.search_sql import (
    SearchFilters,
    conditions,
    customer_ids,
    is_pg,
    pg_hits,
    sqlite_hits,
)
from heartline.interactions.search_text import Snippet, pg_terms, snippet, terms

__all__ = [
    "ConversationHit",
    "CustomerHit",
    "Keep",
    "OrderHit",
    "SearchFilters",
    "SearchResults",
    "search",
]

CUSTOMER_LIMIT = 10
ORDER_LIMIT = 10
# Message hits read, newest first, to fill one page of conversations: a conversation with many
# matching messages uses several; a mood test (run by the caller, in Python) drops some.
HIT_WINDOW = 200
HIT_WINDOW_FILTERED = 500
KEEP_CHUNK = 100  # messages handed to the caller's test at a time
CUSTOMER_CONVERSATIONS = 50  # matched customers whose conversations are listed too

Keep = Callable[[Sequence[int]], Collection[int]]


@dataclass(frozen=True)
class CustomerHit:
    """A customer whose name, email, phone or external id matched."""

    id: int
    name: str
    email: str | None
    phone: str | None
    external_id: str | None
    name_parts: Snippet


@dataclass(frozen=True)
class OrderHit:
    """An order whose number is the query."""

    id: int
    external_id: str
    customer_id: int
    customer_name: str
    status: str
    placed_at: datetime


@dataclass(frozen=True)
class ConversationHit:
    """A conversation and the message that brought it up ("message": its words matched;
    "customer": its customer matched, and this is their latest message)."""

    conversation: Conversation
    customer_name: str
    via: str
    interaction_id: int | None
    occurred_at: datetime | None
    direction: str | None
    snippet: Snippet | None


@dataclass
class SearchResults:
    """Everything one query found, grouped."""

    query: str
    terms: list[str]
    customers: list[CustomerHit] = field(default_factory=list)
    orders: list[OrderHit] = field(default_factory=list)
    conversations: list[ConversationHit] = field(default_factory=list)
    more_customers: bool = False
    more_conversations: bool = False


def _message_hits(
    session: Session, words: list[str], filters: SearchFilters, keep: Keep | None, limit: int
) -> tuple[list[tuple[int, int, datetime]], bool]:
    """(interaction id, conversation id, written at) of the newest matching message of each
    conversation, newest first; and whether there are more conversations than `limit`."""
    window = HIT_WINDOW_FILTERED if keep is not None else HIT_WINDOW
    stmt = pg_hits if is_pg(session) else sqlite_hits
    result = session.execute(stmt(words, filters, window))
    rows = [(int(iid), int(cid or 0), at) for iid, cid, at in result]
    rows.sort(key=lambda r: (r[2], r[0]), reverse=True)
    out: list[tuple[int, int, datetime]] = []
    seen: set[int] = set()
    # The caller's test runs on a chunk at a time, newest first, until the page is full.
    for start in range(0, len(rows), KEEP_CHUNK if keep is not None else len(rows) or 1):
        chunk = rows[start : start + (KEEP_CHUNK if keep is not None else len(rows))]
        if keep is not None:
            kept = set(keep([r[0] for r in chunk if r[1] not in seen]))
            chunk = [r for r in chunk if r[0] in kept]
        for iid, cid, at in chunk:
            if cid not in seen:
                seen.add(cid)
                out.append((iid, cid, at))
        if len(out) > limit:
            break
    return out[:limit], len(out) > limit


def _customer_conversations(
    session: Session,
    customer_ids: list[int],
    filters: SearchFilters,
    keep: Keep | None,
    limit: int,
) -> list[tuple[int | None, int, datetime]]:
    """(latest customer message, conversation id, last activity) of the matched customers'
    conversations, most recently active first."""
    stmt = (
        select(Conversation.id, Conversation.last_activity_at)
        .where(Conversation.customer_id.in_(customer_ids))
        .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
        .limit(limit * 3 if keep is not None else limit + 1)
    )
    convs: list[tuple[int, datetime]] = [
        (int(cid), at)
        for cid, at in session.execute(
            stmt.where(*conditions(filters, at=Conversation.last_activity_at))
        )
    ]
    if not convs:
        return []
    latest: dict[int | None, int] = dict(
        session.execute(
            select(Interaction.conversation_id, func.max(Interaction.id))
            .where(
                Interaction.conversation_id.in_([c[0] for c in convs]),
                Interaction.direction == Direction.INBOUND.value,
            )
            .group_by(Interaction.conversation_id)
        ).all()
    )
    out = [(latest.get(cid), cid, at) for cid, at in convs]
    if keep is not None:
        kept = set(keep([iid for iid, _, _ in out if iid is not None]))
        out = [row for row in out if row[0] in kept]
    return out


def search(
    session: Session,
    *,
    query: str,
    filters: SearchFilters | None = None,
    keep: Keep | None = None,
    limit: int = 20,
) -> SearchResults:
    """Customers, orders and conversations matching `query` (every word, as a prefix from three
    letters, accents and order ignored), conversations narrowed by `filters` and by `keep`
    (the caller's test on the message shown, e.g. the feeling read in it), newest first."""
    filters = filters or SearchFilters()
    words = terms(query)
    out = SearchResults(query=query, terms=words)
    if not words:
        return out
    index_words = pg_terms(query) if is_pg(session) else words
    matched = customer_ids(
        session, query, index_words, max(CUSTOMER_LIMIT + 1, CUSTOMER_CONVERSATIONS)
    )
    out.customers, out.more_customers = _customers(session, matched, words)
    out.orders = _orders(session, query)
    hits, more = _message_hits(session, index_words, filters, keep, limit)
    rows: dict[int, tuple[int | None, str, datetime]] = {
        cid: (iid, "message", at) for iid, cid, at in hits
    }
    if matched:
        for iid, cid, at in _customer_conversations(
            session, matched[:CUSTOMER_CONVERSATIONS], filters, keep, limit
        ):
            rows.setdefault(cid, (iid, "customer", at))
    ranked = sorted(rows.items(), key=lambda kv: kv[1][2], reverse=True)
    out.more_conversations = more or len(ranked) > limit
    out.conversations = _conversation_hits(session, ranked[:limit], words)
    return out


def _customers(
    session: Session, ids: list[int], words: list[str]
) -> tuple[list[CustomerHit], bool]:
    found = {c.id: c for c in customer_service.list_customers_by_ids(session, ids=set(ids))}
    hits = [
        CustomerHit(
            id=c.id,
            name=c.name,
            email=c.email,
            phone=c.phone,
            external_id=c.external_id,
            name_parts=snippet(c.name or "", words),
        )
        for c in (found[i] for i in ids if i in found)
    ]
    return hits[:CUSTOMER_LIMIT], len(hits) > CUSTOMER_LIMIT


def _orders(session: Session, query: str) -> list[OrderHit]:
    """The order whose number is the query (as typed, upper or lower case, without a '#')."""
    raw = query.strip().lstrip("#").strip()
    if not raw or len(raw) > 200 or " " in raw:
        return []
    ids = []
    for candidate in dict.fromkeys([raw, raw.upper(), raw.lower()]):
        found = customer_service.find_order_id(session, external_id=candidate)
        if found is not None and found not in ids:
            ids.append(found)
    orders = customer_service.order_snapshots(session, ids=ids) if ids else []
    names = {
        c.id: c.name
        for c in customer_service.list_customers_by_ids(
            session, ids={o.customer_id for o in orders}
        )
    }
    return [
        OrderHit(
            id=o.id,
            external_id=o.external_id or "",
            customer_id=o.customer_id,
            customer_name=names.get(o.customer_id, ""),
            status=o.status,
            placed_at=o.placed_at,
        )
        for o in orders[:ORDER_LIMIT]
    ]


def _conversation_hits(
    session: Session, ranked: list[tuple[int, tuple[int | None, str, datetime]]], words: list[str]
) -> list[ConversationHit]:
    convs = {
        c.id: c
        for c in session.scalars(
            select(Conversation).where(Conversation.id.in_([cid for cid, _ in ranked]))
        )
    }
    message_ids = [iid for _, (iid, _, _) in ranked if iid is not None]
    messages = (
        {
            m.id: m
            for m in session.scalars(select(Interaction).where(Interaction.id.in_(message_ids)))
        }
        if message_ids
        else {}
    )
    names = {
        c.id: c.name
        for c in customer_service.list_customers_by_ids(
            session, ids={c.customer_id for c in convs.values()}
        )
    }
    out = []
    for cid, (iid, via, _) in ranked:
        conv = convs.get(cid)
        if conv is None:
            continue
        msg = messages.get(iid) if iid is not None else None
        out.append(
            ConversationHit(
                conversation=conv,
                customer_name=names.get(conv.customer_id, ""),
                via=via,
                interaction_id=msg.id if msg else None,
                occurred_at=msg.occurred_at if msg else None,
                direction=msg.direction if msg else None,
                snippet=snippet(msg.text or msg.subject, words) if msg else None,
            )
        )
    return out
