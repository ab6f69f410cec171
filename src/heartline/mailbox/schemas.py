"""Mailbox payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from heartline.schemas import InModel, OutModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Host = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.\-:\[\]]+$"
    ),
]


class MailboxIn(InModel):
    """Connect a mailbox (IMAP). The password is stored encrypted and never shown again."""

    name: Name
    host: Host
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "tls"
    username: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    folder: Annotated[str, StringConstraints(min_length=1, max_length=255)] = "INBOX"
    enabled: bool = True


class MailboxOut(OutModel):
    """A connected mailbox (without its password)."""

    id: int
    name: str
    host: str
    port: int
    security: str
    username: str
    folder: str
    enabled: bool
    last_polled_at: datetime | None
    last_error: str | None


class ReceivedOut(OutModel):
    """What became of a mail."""

    status: Literal["created", "duplicate"]
    interaction_id: int
    conversation_id: int | None
    customer_id: int
    automated: str | None


class PollOut(OutModel):
    """One poll of one mailbox."""

    mailbox: str
    fetched: int
    created: int
    duplicates: int
    automated: int
    unreadable: list[str]
    error: str | None


class AttachmentOut(OutModel):
    """A file that came with a mail."""

    id: int
    interaction_id: int
    filename: str
    content_type: str
    size: int
    stored: bool
