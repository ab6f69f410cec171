"""HTTP for search: GET /search, one box over customers, orders and messages."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel

from heartline.api.deps import Db, Reader
from heartline.interactions import service
from heartline.interactions.search import Keep
from heartline.mood import service as mood_service

router = APIRouter(tags=["search"])


class CustomerFound(BaseModel):
    """A customer whose name, email, phone or external id matched."""

    id: int
    name: str
    email: str | None
    phone: str | None
    external_id: str | None


class OrderFound(BaseModel):
    """The order whose number is the query."""

    id: int
    external_id: str
    customer_id: int
    customer_name: str
    status: str
    placed_at: datetime


class MessageFound(BaseModel):
    """The message shown for a conversation: `snippet` is plain text cut around the match;
    `highlights` are [start, end) offsets of the matching words within it."""

    interaction_id: int
    occurred_at: datetime
    direction: str
    snippet: str
    highlights: list[tuple[int, int]]


class ConversationFound(BaseModel):
    """A conversation: `via` is "message" (its words matched) or "customer" (its customer
    matched; the message is their latest one)."""

    id: int
    subject: str
    status: str
    queue: str
    channel: str
    assignee_id: int | None
    customer_id: int
    customer_name: str
    last_activity_at: datetime
    via: str
    message: MessageFound | None


class SearchOut(BaseModel):
    """What one query found, grouped; `more_*` when there was more than the list holds."""

    query: str
    terms: list[str]
    customers: list[CustomerFound]
    orders: list[OrderFound]
    conversations: list[ConversationFound]
    more_customers: bool
    more_conversations: bool


def _conversation(hit: service.ConversationHit) -> ConversationFound:
    c = hit.conversation
    message = None
    if hit.interaction_id is not None and hit.snippet is not None and hit.occurred_at:
        message = MessageFound(
            interaction_id=hit.interaction_id,
            occurred_at=hit.occurred_at,
            direction=hit.direction or "",
            snippet=hit.snippet.text,
            highlights=hit.snippet.highlights,
        )
    return ConversationFound(
        id=c.id, subject=c.subject, status=c.status, queue=c.queue, channel=c.channel,
        assignee_id=c.assignee_id, customer_id=c.customer_id, customer_name=hit.customer_name,
        last_activity_at=c.last_activity_at, via=hit.via, message=message,
    )  # fmt: skip


@router.get("/search", response_model=SearchOut)
def search(
    db: Db,
    who: Reader,
    q: str = Query(..., max_length=200, description="names, email, phone, order number, words"),
    status: str | None = Query(None, max_length=20, description="open, pending, resolved, closed"),
    queue: str | None = Query(None, max_length=60),
    assignee: str | None = Query(None, max_length=12, description="`me`, `none` or a user id"),
    channel: str | None = Query(None, max_length=20),
    mood: str | None = Query(None, max_length=20, description="negative, neutral or positive"),
    since: str | None = Query(None, alias="from", max_length=10, description="YYYY-MM-DD"),
    until: str | None = Query(None, alias="to", max_length=10, description="YYYY-MM-DD"),
    limit: int = Query(20, ge=1, le=50),
) -> SearchOut:
    """Customers (name in any order and without accents, email, phone, external id), the order
    with this number, and conversations whose messages hold every word (or whose customer
    matched), newest first; the filters narrow the conversations."""
    req = service.parse_search(
        service.SearchParams(
            q=q, status=status, queue=queue, assignee=assignee, channel=channel, mood=mood,
            since=since, until=until,
        ),
        user_id=who.user_id,
        prefix="query.",
    )  # fmt: skip
    found = service.search(
        db, query=req.query, filters=req.filters, keep=_mood_test(db, req.mood), limit=limit
    )
    return SearchOut(
        query=found.query,
        terms=found.terms,
        customers=[
            CustomerFound(
                id=c.id, name=c.name, email=c.email, phone=c.phone, external_id=c.external_id
            )
            for c in found.customers
        ],
        orders=[OrderFound.model_validate(o, from_attributes=True) for o in found.orders],
        conversations=[_conversation(h) for h in found.conversations],
        more_customers=found.more_customers,
        more_conversations=found.more_conversations,
    )


def _mood_test(db: Db, mood: str | None) -> Keep | None:
    """The messages whose reading has this sentiment (None: any message)."""
    if mood is None:
        return None
    return lambda ids: {
        i for i, r in mood_service.readings_for(db, interaction_ids=ids).items()
        if r.sentiment == mood
    }  # fmt: skip
