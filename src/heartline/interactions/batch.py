"""BATCHED INGEST: many messages stored set-wise, with the row-by-row path's exact results.

`ingest_interactions` takes a batch of validated messages (a file import's batch, a bulk API
call) and gives each the outcome `ingest.ingest_interaction` would have given it, row after
row in the batch's order: the same customer, conversation threading (THREAD_WINDOW),
conversation fields, analysis status and error (same field, message and code). Instead of
~7 statements per message it resolves customers, orders, stored messages and the
conversations they may join in a handful of queries per batch, threads in memory
(threads.ThreadBook), and writes new conversations, messages and conversation changes with one
multi-row INSERT ... RETURNING / executemany each.

What it does not batch, it hands to the row path, in order: a message stored earlier whose
fields changed (an update), a second message with an external id seen earlier in the batch,
and a stored message without a conversation. Stored unchanged messages cost nothing beyond
the batch's lookup (a re-run of a file skips them). A bad message (unknown customer,
conversation or order) fails alone; if the set-wise write itself fails (a message stored
meanwhile by another writer), the batch's savepoint rolls back and its rows go row by row,
each in its own savepoint. No commits here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import ConversationStatus, Direction
from heartline.errors import AppError, unknown_reference
from heartline.interactions.bulk_sql import insert_rows, update_rows
from heartline.interactions.ingest import (
    analysis_outcome,
    goes_to_pipeline,
    headline,
    ingest_interaction,
    touch_conversation,
)
from heartline.interactions.models import Conversation, Interaction
from heartline.interactions.schemas import InteractionIn
from heartline.interactions.threads import (
    THREAD_WINDOW,
    ConvState,
    ThreadBook,
    chunks,
    conversation_states,
    thread_heads,
)
from heartline.schemas import UpsertStatus


@dataclass
class Outcome:
    """What happened to one message of a batch: stored (status, id) or rejected (error)."""

    external_id: str | None = None
    status: UpsertStatus | None = None
    id: int | None = None
    error: AppError | None = None
    submit: bool = False  # goes (back) through the pipeline (interactions service rule)


# A stored message, as far as deciding "unchanged" needs.
_STORED = (
    Interaction.id,
    Interaction.external_id,
    Interaction.customer_id,
    Interaction.conversation_id,
    Interaction.order_id,
    Interaction.channel,
    Interaction.direction,
    Interaction.author,
    Interaction.subject,
    Interaction.text,
    Interaction.occurred_at,
    Interaction.meta,
    Interaction.analysis_status,
)


def ingest_interactions(
    session: Session, *, items: Sequence[InteractionIn], field_prefixes: Sequence[str] = ()
) -> list[Outcome]:
    """Store a batch of messages; one Outcome per item, in order (see the module docstring)."""
    batch = _Batch(session, items, list(field_prefixes) or [""] * len(items))
    batch.load()
    batch.run()
    return batch.out


@dataclass
class _Planned:
    index: int
    values: dict[str, Any]
    conv: ConvState | None


class _Batch:
    def __init__(self, session: Session, items: Sequence[InteractionIn], prefixes: list[str]):
        self.session, self.items, self.prefixes = session, items, prefixes
        self.out = [Outcome(external_id=item.external_id) for item in items]
        now = utcnow()
        self.at: list[datetime] = [item.occurred_at or now for item in items]
        self.customer: list[int] = [0] * len(items)
        self.stored: dict[str, Any] = {}
        self.orders: dict[str, int] = {}
        self.consent: dict[int, bool] = {}
        self.slow: set[int] = set()

    # --- lookups, one query (or a few) each for the whole batch ---------------------------
    def load(self) -> None:
        resolved = customer_service.resolve_customer_ids(
            self.session, refs=self.items, field_prefixes=self.prefixes
        )
        for i, found in enumerate(resolved):
            if isinstance(found, AppError):
                self.out[i].error = found
            else:
                self.customer[i] = found
        good = [i for i in range(len(self.items)) if self.out[i].error is None]
        orders = {o for i in good if (o := self.items[i].order_external_id) is not None}
        if orders:
            self.orders = customer_service.find_order_ids(self.session, external_ids=orders)
        for chunk in chunks(e for i in good if (e := self.items[i].external_id)):
            stmt = select(*_STORED).where(Interaction.external_id.in_(chunk))
            self.stored.update((row.external_id, row) for row in self.session.execute(stmt))
        self.consent = customer_service.analysis_consents(
            self.session, customer_ids={self.customer[i] for i in good}
        )
        seen: set[str] = set()
        for i in good:
            ext = self.items[i].external_id
            if ext is not None:
                if ext in seen or (ext in self.stored and not self._unchanged(i)):
                    self.slow.add(i)
                seen.add(ext)

    def _unchanged(self, i: int) -> bool:
        """Whether the row path would find this stored message unchanged (else: row path)."""
        item, row = self.items[i], self.stored[self.items[i].external_id or ""]
        if row.conversation_id is None or item.conversation_id not in (None, row.conversation_id):
            return False
        order_id = None
        if item.order_external_id is not None:
            order_id = self.orders.get(item.order_external_id)
            if order_id is None:
                return False  # the row path names the first field at fault
        return bool(
            row.customer_id == self.customer[i]
            and row.order_id == order_id
            and (row.channel, row.direction) == (str(item.channel), str(item.direction))
            and (row.author, row.subject, row.text) == (item.author, item.subject, item.text)
            and row.occurred_at == (item.occurred_at or row.occurred_at)
            and row.meta == item.metadata
        )

    # --- the batch in order: runs of set-wise rows, row-path rows between them -------------
    def run(self) -> None:
        segment: list[int] = []
        for i in range(len(self.items)):
            if self.out[i].error is not None:
                continue
            if i in self.slow:
                self._segment(segment)
                segment = []
                self._row(i)
            else:
                segment.append(i)
        self._segment(segment)

    def _row(self, i: int) -> None:
        """The row path for one message, in its own savepoint (a failure rolls back alone)."""
        try:
            with self.session.begin_nested():
                result = ingest_interaction(
                    self.session, data=self.items[i], field_prefix=self.prefixes[i]
                )
        except AppError as exc:
            self.out[i] = Outcome(external_id=self.items[i].external_id, error=exc)
            return
        obj = result.obj
        self.out[i] = Outcome(
            external_id=obj.external_id,
            status=result.status,
            id=obj.id,
            submit=goes_to_pipeline(result.status, obj.meta, obj.analysis_status),
        )

    def _segment(self, rows: list[int]) -> None:
        if not rows:
            return
        book = self._book(rows)
        planned: list[_Planned] = []
        for i in rows:
            self._plan(i, book, planned)
        try:
            with self.session.begin_nested():
                _write(self.session, book, planned, self.out)
        except DBAPIError:
            for i in rows:  # e.g. a message stored meanwhile by another writer
                self.out[i] = Outcome(external_id=self.items[i].external_id)
                self._row(i)

    def _book(self, rows: list[int]) -> ThreadBook:
        """The conversations these rows may name or join, as stored now."""
        ids: set[int] = set()
        external: set[str] = set()
        threading: set[int] = set()
        for i in rows:
            item = self.items[i]
            row = self.stored.get(item.external_id or "")
            if row is not None:
                ids.add(row.conversation_id)
            elif item.conversation_id is not None:
                ids.add(item.conversation_id)
            elif item.conversation_external_id is not None:
                external.add(item.conversation_external_id)
            else:
                threading.add(i)
        convs = conversation_states(self.session, ids=ids, external_ids=external)
        if threading:
            since = min(self.at[i] for i in threading) - THREAD_WINDOW
            pairs = {(self.customer[i], str(self.items[i].channel)) for i in threading}
            convs += thread_heads(self.session, pairs=pairs, since=since)
        return ThreadBook(convs)

    def _plan(self, i: int, book: ThreadBook, planned: list[_Planned]) -> None:
        """Thread one message in memory, as the row path would have after the ones before."""
        item, prefix, customer_id, at = (
            self.items[i],
            self.prefixes[i],
            self.customer[i],
            self.at[i],
        )
        row = self.stored.get(item.external_id or "")
        if row is not None:  # stored and unchanged: only the row path's conversation check
            conv = book.by_id.get(row.conversation_id)
            if conv is None or conv.customer_id != customer_id:
                self.out[i].error = _not_theirs(f"{prefix}conversation_id", row.conversation_id)
                return
            self.out[i] = Outcome(
                external_id=row.external_id, status="unchanged", id=row.id,
                submit=goes_to_pipeline("unchanged", row.meta, row.analysis_status),
            )  # fmt: skip
            return
        found = _conversation(book, item, customer_id, at, prefix)
        if isinstance(found, AppError):
            self.out[i].error = found
            return
        order_id = None
        if item.order_external_id is not None:
            order_id = self.orders.get(item.order_external_id)
            if order_id is None:
                field = f"{prefix}order_external_id"
                self.out[i].error = unknown_reference(field, item.order_external_id, "order")
                return
        conv, opened = found
        if opened and conv is not None:
            book.add(conv)
        direction, automated = str(item.direction), bool(item.metadata.get("automated"))
        if conv is not None:
            touch_conversation(conv, at=at, direction=direction, automated=automated)
        status, note = analysis_outcome(
            consented=self.consent.get(customer_id, True), direction=direction, meta=item.metadata
        )
        values = {
            "external_id": item.external_id, "customer_id": customer_id, "order_id": order_id,
            "channel": str(item.channel), "direction": direction, "author": item.author,
            "subject": item.subject, "text": item.text, "occurred_at": at, "meta": item.metadata,
            "analysis_status": str(status), "analysis_note": note,
        }  # fmt: skip
        planned.append(_Planned(i, values, conv))


def _not_theirs(field: str, value: object) -> AppError:
    return unknown_reference(field, value, "conversation of this customer")


def _conversation(
    book: ThreadBook, item: InteractionIn, customer_id: int, at: datetime, prefix: str
) -> tuple[ConvState | None, bool] | AppError:
    """ingest._resolve_conversation on the book: (conversation or None, opened by this
    message), or the error the row path would raise."""
    if item.conversation_id is not None:
        conv = book.by_id.get(item.conversation_id)
        if conv is None or conv.customer_id != customer_id:
            return _not_theirs(f"{prefix}conversation_id", item.conversation_id)
        return conv, False
    external = item.conversation_external_id
    if external is not None:
        conv = book.by_external.get(external)
        if conv is not None:
            if conv.customer_id != customer_id:
                return _not_theirs(f"{prefix}conversation_external_id", external)
            return conv, False
    else:
        conv = book.head(customer_id, str(item.channel), at)
        if conv is not None or item.direction == Direction.OUTBOUND:
            return conv, False
    opened = ConvState(
        id=None, customer_id=customer_id, channel=str(item.channel), external_id=external,
        status=ConversationStatus.OPEN, last_activity_at=at,
        subject=item.subject or headline(item.text), opened_at=at,
    )  # fmt: skip
    return opened, True


def _write(session: Session, book: ThreadBook, planned: list[_Planned], out: list[Outcome]) -> None:
    """New conversations, then the messages, then the conversations' changes: one multi-row
    INSERT ... RETURNING (insertmanyvalues) or executemany each."""
    now = utcnow()
    if book.opened:
        rows = [
            {"external_id": c.external_id, "customer_id": c.customer_id, "channel": c.channel,
             "subject": c.subject, "opened_at": c.opened_at, "updated_at": now, **c.changes()}
            for c in book.opened
        ]  # fmt: skip
        ids = insert_rows(session, Conversation, rows)
        for conv, conv_id in zip(book.opened, ids, strict=True):
            conv.id = conv_id
    if planned:
        for p in planned:
            p.values["conversation_id"] = p.conv.id if p.conv is not None else None
            p.values["created_at"] = p.values["updated_at"] = now
        ids = insert_rows(session, Interaction, [p.values for p in planned])
        for p, interaction_id in zip(planned, ids, strict=True):
            out[p.index] = Outcome(
                external_id=p.values["external_id"], status="created", id=interaction_id,
                submit=goes_to_pipeline("created", p.values["meta"], p.values["analysis_status"]),
            )  # fmt: skip
    _update_conversations(session, book, now)


def _update_conversations(session: Session, book: ThreadBook, now: datetime) -> None:
    """Write what the batch changed on stored conversations (an executemany per set of
    fields changed), and drop stale copies from the session's identity map."""
    rows = []
    for conv in book.by_id.values():
        changed = conv.changes() if conv.loaded is not None else None
        if changed:
            rows.append({"id": conv.id, "updated_at": now, **changed})
            cached = session.identity_map.get(session.identity_key(Conversation, conv.id))
            if cached is not None:
                session.expire(cached)
    update_rows(session, Conversation, rows)
