"""Conversation tags: free text, normalised to one lower-case form so "Refund", " refund " and
"REFUND" are one tag; stored one row per tag (the inbox filters and counts by tag). Writes
return what changed; the audited actions live in routing (the workspace's act layer)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from heartline.errors import AppError, ErrorCode
from heartline.interactions.models import Conversation, ConversationTag

MAX_TAG = 40  # the column's width: a label, not a sentence
MAX_TAGS = 20  # per conversation: beyond that tags stop helping anyone find anything
# Letters (any alphabet), digits, "-" and "_", starting with a letter or digit.
TAG = re.compile(r"[^\W_][\w-]*")


def normalise_tag(raw: str, *, field: str = "tag") -> str:
    """One tag's stored form (trimmed, lower-case, inner spaces as "-"), or a 422 naming the
    field: empty, over MAX_TAG characters, or characters other than letters, digits, - and _."""
    tag = re.sub(r"\s+", "-", raw.strip().lower())
    if not tag or len(tag) > MAX_TAG or not TAG.fullmatch(tag):
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"{field}: a tag is 1-{MAX_TAG} letters, digits, - or _ (got {raw[:60]!r})",
            details=[{"field": field, "message": "not a valid tag", "type": "pattern"}],
        )
    return tag


def normalise_tags(raw: Iterable[str], *, field: str = "tags") -> list[str]:
    """Distinct normalised tags in the order given; a 422 naming the field for a bad one."""
    out: list[str] = []
    for i, item in enumerate(raw):
        tag = normalise_tag(item, field=f"{field}[{i}]")
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"{field}: at most {MAX_TAGS} tags on a conversation",
            details=[{"field": field, "message": "too many tags", "type": "too_long"}],
        )
    return out


def conversation_tags(session: Session, *, conversation_id: int) -> list[str]:
    """A conversation's tags, alphabetical."""
    stmt = select(ConversationTag.tag).where(ConversationTag.conversation_id == conversation_id)
    return list(session.scalars(stmt.order_by(ConversationTag.tag)))


def tags_of(session: Session, *, conversation_ids: Sequence[int]) -> dict[int, list[str]]:
    """Tags of each conversation (the inbox's chips), in one query; untagged ones are absent."""
    if not conversation_ids:
        return {}
    stmt = select(ConversationTag.conversation_id, ConversationTag.tag).where(
        ConversationTag.conversation_id.in_(list(conversation_ids))
    )
    out: dict[int, list[str]] = {}
    for cid, tag in session.execute(stmt.order_by(ConversationTag.tag)):
        out.setdefault(cid, []).append(tag)
    return out


def replace_tags(
    session: Session, *, conversation_id: int, tags: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Make the conversation's tags exactly these (already normalised): (added, removed)."""
    current = set(conversation_tags(session, conversation_id=conversation_id))
    wanted = list(dict.fromkeys(tags))
    added = [t for t in wanted if t not in current]
    removed = sorted(current - set(wanted))
    if len(current) - len(removed) + len(added) > MAX_TAGS:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"tags: at most {MAX_TAGS} tags on a conversation",
            details=[{"field": "tags", "message": "too many tags", "type": "too_long"}],
        )
    if removed:
        session.execute(
            delete(ConversationTag).where(
                ConversationTag.conversation_id == conversation_id,
                ConversationTag.tag.in_(removed),
            )
        )
    session.add_all(ConversationTag(conversation_id=conversation_id, tag=t) for t in added)
    session.flush()
    return added, removed


def tag_counts(session: Session, *, prefix: str = "", limit: int = 200) -> list[tuple[str, int]]:
    """Tags in use with how many conversations carry each, most used first (suggestions,
    the inbox filter, GET /tags); `prefix` narrows to tags starting with it."""
    stmt = select(ConversationTag.tag, func.count()).group_by(ConversationTag.tag)
    if prefix:
        safe = prefix.strip().lower().replace("\\", "").replace("%", "").replace("_", "\\_")
        stmt = stmt.where(ConversationTag.tag.like(f"{safe}%", escape="\\"))
    stmt = stmt.order_by(func.count().desc(), ConversationTag.tag).limit(limit)
    return [(t, int(n)) for t, n in session.execute(stmt)]


def tagged(tag: str) -> ColumnElement[bool]:
    """A filter on conversations carrying this (normalised) tag."""
    ids = select(ConversationTag.conversation_id).where(ConversationTag.tag == tag)
    return Conversation.id.in_(ids)
