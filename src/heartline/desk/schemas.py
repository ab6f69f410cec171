"""Canned replies and internal notes as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from heartline.schemas import InModel, OutModel

# The statuses a canned reply may set when it is sent (None: leave the status as it is).
MacroStatus = Literal["open", "pending", "resolved", "closed"]
MacroName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
MacroBody = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
NoteBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class MacroIn(InModel):
    """A new canned reply: its body may use the variables GET /macros lists; `set_status` is
    applied to the conversation when a reply made from it is sent. Shared with the team
    (managers and admins) or your own (anyone who works conversations)."""

    name: MacroName
    body: MacroBody
    set_status: MacroStatus | None = None
    shared: bool = True


class MacroPatch(InModel):
    """Change a canned reply: only the fields sent change (set_status null: sending it leaves
    the status as it is)."""

    name: MacroName | None = None
    body: MacroBody | None = None
    set_status: MacroStatus | None = None
    shared: bool | None = None


class MacroOut(OutModel):
    """A canned reply."""

    id: int
    name: str
    body: str
    set_status: str | None
    shared: bool
    owner_id: int | None
    created_at: datetime
    updated_at: datetime


class PreviewOut(OutModel):
    """A canned reply rendered for one conversation; `missing` lists the variables with no
    value there (left blank or replaced by a neutral word)."""

    macro_id: int
    conversation_id: int
    text: str
    set_status: str | None
    missing: list[str] = Field(default_factory=list)


class NoteIn(InModel):
    """An internal note: never sent to the customer. `@name` (a first name or the part of an
    email before the @) notifies that teammate."""

    body: NoteBody


class NoteOut(OutModel):
    """An internal note and the people it mentioned."""

    id: int
    conversation_id: int
    author_id: int | None
    author_name: str
    body: str
    mentions: list[int]
    created_at: datetime
