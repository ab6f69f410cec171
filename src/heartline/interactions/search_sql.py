"""The SQL behind search: the FTS5 MATCH expressions (SQLite) and tsquery strings (PostgreSQL)
built from checked words only (never the raw query), and the conversation filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal_column, select, text
from sqlalchemy.orm import Session

from heartline.db import UTCDateTime
from heartline.enums import ConversationStatus
from heartline.interactions.models import Conversation, Interaction
from heartline.interactions.search_text import PREFIX_MIN, phone_digits

# Matching messages read at most, newest stored first (SQLite): a common word with a rare
# filter would otherwise read every match (docs/web.md says conversations are looked for
# among the newest 10,000 messages holding the words).
SCAN_CAP = 10_000


@dataclass(frozen=True)
class SearchFilters:
    """What narrows the conversations (customers and orders are found by the words alone)."""

    status: ConversationStatus | None = None
    queue: str | None = None
    channel: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    since: datetime | None = None  # messages written at or after
    until: datetime | None = None  # messages written before

    @property
    def any(self) -> bool:
        """Whether any filter is set."""
        return any(v not in (None, False) for v in self.__dict__.values())


def is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def fts_term(word: str, prefix_min: int) -> str:
    return f'"{word}"*' if len(word) >= prefix_min else f'"{word}"'


def pg_hits(words: list[str], filters: SearchFilters, window: int) -> Any:
    """The newest matching messages that pass the filters. The matches are collected first
    (a materialised CTE over the GIN index): the planner, misjudging how many match, would
    otherwise walk the time index backwards testing every message (a third of a second for a
    word that matches nothing at 100,000 messages)."""
    tsq = " & ".join(f"'{w}':*" if len(w) >= PREFIX_MIN else f"'{w}'" for w in words)
    matched = (
        select(Interaction.id, Interaction.conversation_id, Interaction.occurred_at)
        .where(
            literal_column("interactions.search_vector").op("@@")(
                func.to_tsquery(literal_column("'simple'"), tsq)
            )
        )
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    stmt = select(matched.c.id, matched.c.conversation_id, matched.c.occurred_at)
    asks = (filters.status, filters.queue, filters.channel, filters.assignee_id)
    if filters.unassigned or any(v is not None for v in asks):
        stmt = stmt.join(Conversation, Conversation.id == matched.c.conversation_id)
    else:  # nothing to ask the conversations: sort the matches alone
        stmt = stmt.where(matched.c.conversation_id.is_not(None))
    return (
        stmt.where(*conditions(filters, at=matched.c.occurred_at))
        .order_by(matched.c.occurred_at.desc(), matched.c.id.desc())
        .limit(window)
    )


def customer_ids(session: Session, query: str, words: list[str], limit: int) -> list[int]:
    """Customers whose name/email/external id hold every word (as prefixes, in any order), or
    whose phone holds the query's digits; best match first."""
    digits = phone_digits(query)
    if is_pg(session):
        parts = ["(" + " & ".join(f"'{w}':*AB" for w in words) + ")"]
        if digits:
            parts.append(f"'{digits}':*C")
        sql = (
            "SELECT id FROM customers, to_tsquery('simple', :q) query "
            "WHERE search_vector @@ query ORDER BY ts_rank(search_vector, query) DESC, id LIMIT :n"
        )
        params: dict[str, object] = {"q": " | ".join(parts), "n": limit}
    else:
        parts = ["{name email ref} : (" + " AND ".join(fts_term(w, 1) for w in words) + ")"]
        if digits:
            parts.append(f'phone : "{digits}"*')
        sql = (
            "SELECT rowid FROM search_customers WHERE search_customers MATCH :q "
            "ORDER BY rank, rowid LIMIT :n"
        )
        params = {"q": " OR ".join(parts), "n": limit}
    return [int(r[0]) for r in session.execute(text(sql), params)]


def conditions(filters: SearchFilters, *, at: Any) -> list[ColumnElement[bool]]:
    """The conversation filters (and the date range on `at`) as SQL conditions."""
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Conversation.status == filters.status.value)
    if filters.queue:
        conditions.append(Conversation.queue == filters.queue)
    if filters.channel:
        conditions.append(Conversation.channel == filters.channel)
    if filters.unassigned:
        conditions.append(Conversation.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        conditions.append(Conversation.assignee_id == filters.assignee_id)
    if filters.since is not None:
        conditions.append(at >= filters.since)
    if filters.until is not None:
        conditions.append(at < filters.until)
    return conditions


def sqlite_hits(words: list[str], filters: SearchFilters, window: int) -> Any:
    """The newest-stored matching messages that pass the filters. FTS5 hands its matches out
    newest rowid first, and CROSS JOIN keeps it the outer loop (SQLite's planner would
    otherwise start from a filtered conversation index and probe the match list for each
    conversation), so reading stops once `window` rows pass; at most SCAN_CAP are read."""
    where: list[str] = []
    params: dict[str, object] = {}
    for name, column, value in (
        ("status", "c.status", filters.status.value if filters.status else None),
        ("queue", "c.queue", filters.queue),
        ("channel", "c.channel", filters.channel),
        ("assignee", "c.assignee_id", filters.assignee_id),
    ):
        if value is not None and not (name == "assignee" and filters.unassigned):
            where.append(f"{column} = :{name}")
            params[name] = value
    if filters.unassigned:
        where.append("c.assignee_id IS NULL")
    binds: list[Any] = [bindparam("match", " AND ".join(fts_term(w, PREFIX_MIN) for w in words))]
    for name, op, day in (("since", ">=", filters.since), ("until", "<", filters.until)):
        if day is not None:
            where.append(f"i.occurred_at {op} :{name}")
            binds.append(bindparam(name, day, type_=UTCDateTime()))
    sql = (
        "SELECT i.id, i.conversation_id, i.occurred_at FROM "
        "(SELECT rowid AS id FROM search_messages WHERE search_messages MATCH :match "
        " ORDER BY rowid DESC LIMIT :cap) m "
        "CROSS JOIN interactions i ON i.id = m.id "
        "CROSS JOIN conversations c ON c.id = i.conversation_id "
        + "".join(f"WHERE {w} " if n == 0 else f"AND {w} " for n, w in enumerate(where))
        # No outer ORDER BY: it would read all SCAN_CAP rows to sort them; the co-routine
        # already yields newest first, and the caller sorts what comes back.
        + "LIMIT :window"
    )
    return text(sql).bindparams(*binds, cap=SCAN_CAP, window=window, **params)
