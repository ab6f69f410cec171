"""Storing one mapped record through the owning domains' services (no commits here), and the
silent pipeline: the stages that build memory for imported history, and only those."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from heartline import pipeline
from heartline.api.validation import parse_item
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.enums import AnalysisStatus, ConversationStatus
from heartline.errors import AppError
from heartline.helpdesk.schemas import BadRecord, Person, Rating, Ticket
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn, SurveyIn
from heartline.mood import service as mood_service
from heartline.pipeline.stages import stage_named
from heartline.privacy import service as privacy_service

# Imported history is the past: it is read and counted by the pipeline table's own stages,
# called by name, and remembered through the mood service (complaints per message, then each
# customer's mood, churn and segments once, at the end: see importer.Run.remember). Never
# privacy tasks, routing, alerts, channel outcomes, playbooks or delivery: nothing is assigned,
# notified, alerted or sent for a ticket closed last year.
SILENT_STAGES: dict[str, tuple[str, ...]] = {
    "interaction": ("score", "rollup"),
    "conversation": ("rollup",),
    "survey": ("rollup",),
}


@dataclass
class Pending:
    """Ids a batch hands to the silent stages before it commits, and the customers whose
    memory the run recomputes at its end (bounded by customers, not tickets).

    With the Celery runner (`parallel`), a batch's ticket messages go to the workers instead,
    as the silent `history` pipeline split by customer (pipeline.submit_partitioned) once the
    batch commits: workers score and remember them in parallel, each customer's messages of a
    batch in one task. Rating comments, survey answers and resolutions of tickets without new
    messages stay in the batch, as inline."""

    ids: dict[str, list[int]] = field(default_factory=dict)
    customers: set[int] = field(default_factory=set)
    resolved: dict[int, Any] = field(default_factory=dict)  # conversation id -> resolved_at
    parallel: bool = False
    # ticket messages for the workers: (id, customer id, conversation id)
    messages: list[tuple[int, int, int | None]] = field(default_factory=list)

    def add(self, event: str, ids: Sequence[int]) -> None:
        self.ids.setdefault(event, []).extend(ids)

    def add_message(
        self, interaction_id: int, customer_id: int, conversation_id: int | None
    ) -> None:
        """A ticket's inbound message to read (in the batch, or on the workers)."""
        if self.parallel:
            self.messages.append((interaction_id, customer_id, conversation_id))
        else:
            self.add("interaction", [interaction_id])

    def _hand_over(self, session: Session) -> set[int]:
        """Queue the batch's ticket messages for the workers (sent after the commit); the
        customers they will remember, from everything this batch commits."""
        items = [(iid, cid) for iid, cid, _ in self.messages]
        pipeline.submit_partitioned(session, "history", items)
        for _, _, conversation_id in self.messages:  # the workers' resolve stage closes it
            self.resolved.pop(conversation_id or 0, None)
        handed = {cid for _, cid, _ in self.messages}
        self.messages.clear()
        return handed

    def run(self, session: Session) -> None:
        """Read, remember complaints and count, in the batch's own transaction: rows and
        readings commit together, so nothing imported is left for the live pipeline (in
        parallel mode the recovery job sends imported messages back to the silent stages)."""
        handed = self._hand_over(session) if self.messages else set()
        messages = list(dict.fromkeys(self.ids.get("interaction", [])))
        if messages:
            stage_named("interaction", "score").fn(session, messages)
        for iid in messages:
            customer_id = mood_service.remember_interaction(session, interaction_id=iid)
            if customer_id is not None:
                self.customers.add(customer_id)
        for conversation_id, resolved_at in self.resolved.items():
            mood_service.resolve_conversation(
                session, conversation_id=conversation_id, resolved_at=resolved_at
            )
        surveys = self.ids.get("survey", [])
        self.customers.update(interaction_service.survey_customer_ids(session, survey_ids=surveys))
        self.ids["conversation"] = list(self.resolved)
        for event, names in SILENT_STAGES.items():
            current: Sequence[int] = list(dict.fromkeys(self.ids.get(event, [])))
            for name in names:
                if current:
                    current = stage_named(event, name).fn(session, current)
        self.ids.clear()
        self.resolved.clear()
        self.customers -= handed  # remembered by the workers after this batch commits


def store_person(session: Session, person: Person) -> str:
    """Upsert a customer; its status (created, updated, unchanged)."""
    data = parse_item(CustomerIn, person.customer)
    return str(privacy_service.upsert_customer(session, data=data, actor=None).status)


def _ensure_customer(session: Session, source: str, ticket: Ticket) -> str:
    """The requester's external id; a customer named by the ticket alone (no users file)
    is created from what the ticket says about them."""
    external_id = f"{source}:{ticket.customer_id}"
    if customer_service.find_customer(session, external_id=external_id) is None:
        data: dict[str, Any] = {"external_id": external_id, **ticket.requester}
        data["attributes"] = {f"{source}_id": ticket.customer_id}
        try:
            parsed = parse_item(CustomerIn, data)
        except AppError:  # a malformed sender address: the id alone still names them
            parsed = CustomerIn(external_id=external_id, attributes=data["attributes"])
        privacy_service.upsert_customer(session, data=parsed, actor=None)
    return external_id


def _tags(raw: list[str]) -> list[str]:
    out = []
    for tag in raw:
        try:
            out.append(interaction_service.normalise_tag(tag))
        except AppError:
            continue  # a tag Heartline cannot hold (too long, odd characters) is dropped
    return list(dict.fromkeys(out))[:50]


def store_ticket(session: Session, source: str, ticket: Ticket, pending: Pending) -> str:
    """A ticket's public messages, status, tags and rating; its status as a whole."""
    customer = _ensure_customer(session, source, ticket)
    statuses: list[str] = []
    conversation_id = 0
    # what Heartline has no column for (priority, the original status and channel, the
    # assignee's name) travels with the ticket's first message
    details = {k: v for k, v in ticket.meta.items() if v is not None}
    for n, message in enumerate(ticket.messages):
        meta = {"imported_from": source, "ticket": ticket.id, **message.meta}
        if n == 0 and details:
            meta["ticket_details"] = details
        data = parse_item(
            InteractionIn,
            {
                "customer_external_id": customer,
                "external_id": message.external_id,
                "conversation_external_id": f"{source}:{ticket.id}",
                "channel": ticket.channel,
                "direction": "inbound" if message.inbound else "outbound",
                "author": message.author,
                "subject": ticket.subject,
                "text": message.text,
                "occurred_at": message.at,
                "metadata": meta,
            },
        )
        result = interaction_service.ingest_interaction(session, data=data)
        statuses.append(result.status)
        conversation_id = result.obj.conversation_id or conversation_id
        if message.inbound and interaction_service.needs_pipeline(result):
            pending.add_message(result.obj.id, result.obj.customer_id, result.obj.conversation_id)
    status = ConversationStatus(ticket.status)
    interaction_service.set_conversation_status(
        session, conversation_id=conversation_id, status=status, at=ticket.updated_at
    )
    changed = any(s != "unchanged" for s in statuses)
    if ticket.tags or "created" not in statuses[:1]:  # a new ticket without tags has none
        interaction_service.replace_tags(
            session, conversation_id=conversation_id, tags=_tags(ticket.tags)
        )
    conv = interaction_service.get_conversation(session, conversation_id=conversation_id)
    pending.customers.add(conv.customer_id)
    if changed and status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED):
        pending.resolved[conversation_id] = conv.resolved_at
    if ticket.rating is not None:
        statuses.append(store_rating(session, source, ticket.rating, pending))
    return _overall(statuses)


def store_rating(session: Session, source: str, rating: Rating, pending: Pending) -> str:
    """A satisfaction rating as a CSAT answer on its ticket's conversation. Its comment is a
    message of that conversation, which must not reopen a ticket solved long ago."""
    conv = interaction_service.conversation_by_external_id(
        session, external_id=f"{source}:{rating.ticket_id}"
    )
    if conv is None:
        raise BadRecord("ticket_id", f"no imported ticket {rating.ticket_id}")
    before = (ConversationStatus(conv.status), conv.resolved_at)
    data = parse_item(
        SurveyIn,
        {
            "customer_external_id": f"{source}:{rating.customer_id}",
            "external_id": rating.external_id,
            "kind": "csat",
            "score": rating.score,
            "comment": rating.comment or None,
            "conversation_id": conv.id,
            "responded_at": rating.at,
        },
    )
    result, comment = interaction_service.ingest_survey(session, data=data)
    if (conv.status, conv.resolved_at) != before:
        interaction_service.set_conversation_status(
            session, conversation_id=conv.id, status=before[0], at=before[1]
        )
    if result.status != "unchanged":
        pending.add("survey", [result.obj.id])
    if comment is not None and comment.analysis_status == AnalysisStatus.PENDING:
        pending.add("interaction", [comment.id])
    return str(result.status)


def _overall(statuses: list[str]) -> str:
    if "created" in statuses:
        return "created"
    return "updated" if "updated" in statuses else "unchanged"
