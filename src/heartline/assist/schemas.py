"""Assist request and response payloads."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from heartline.schemas import BoundedModel


class SuggestIn(BoundedModel):
    """Which conversation to suggest a reply for."""

    conversation_id: int = Field(ge=1)


class SuggestionOut(BaseModel):
    """A suggested reply and the parts it is built from."""

    text: str
    emotion: str
    issue: str | None
    issue_key: str | None
    parts: dict[str, str]
    language: str = Field(description="the language the suggestion is written in")
    note: str = Field(description="what the agent must know first, e.g. the customer's language")


class ToneIn(BoundedModel):
    """A draft to check, optionally in the context of a conversation."""

    text: Annotated[str, StringConstraints(max_length=20_000)]
    conversation_id: int | None = Field(default=None, ge=1)


class FlagOut(BaseModel):
    """One problem in the draft."""

    kind: str
    message: str
    suggestion: str
    text: str
    start: int
    end: int


class ToneOut(BaseModel):
    """The verdict on a draft."""

    verdict: str
    score: int
    flags: list[FlagOut]
    rewrite: str
    draft_sentiment: str | None
    language: str = Field(description="the draft's language (the check reads English only)")
    note: str = Field(description="why a draft was not checked, when it was not")
