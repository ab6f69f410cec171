"""What a help-desk export maps to, whichever product wrote it: people, tickets with their
messages, and satisfaction ratings, in Heartline's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SOURCES = ("zendesk", "freshdesk")


class BadRecord(ValueError):
    """A record that cannot be imported: which field, and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class Person:
    """A user or contact: an agent (kept only as a name) or a customer."""

    id: str
    name: str
    agent: bool
    customer: dict[str, Any] | None = None  # CustomerIn fields, for customers


@dataclass
class Message:
    """One public comment or reply of a ticket."""

    external_id: str
    inbound: bool
    author: str
    text: str
    at: datetime
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rating:
    """A satisfaction rating, as a CSAT answer (1-5)."""

    external_id: str
    ticket_id: str
    customer_id: str
    score: int
    comment: str
    at: datetime
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ticket:
    """A ticket and its public thread; private notes are counted, not stored."""

    id: str
    customer_id: str
    subject: str
    status: str
    channel: str
    opened_at: datetime
    updated_at: datetime
    tags: list[str]
    messages: list[Message]
    meta: dict[str, Any] = field(default_factory=dict)
    rating: Rating | None = None
    private_notes: int = 0
    # who wrote in, when no users file names them (Zendesk's via.source.from)
    requester: dict[str, Any] = field(default_factory=dict)
