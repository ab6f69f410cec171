"""Triage in the workspace: tags, snooze, and bulk actions over many conversations (assign,
resolve, tag), each change audited per conversation. The data work lives in interactions
(tags.py, snooze.py); assignment reuses assignment.assign, so a bulk assign is validated and
audited exactly like a single one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from heartline.api.validation import is_row_id
from heartline.auth import service as auth_service
from heartline.auth.service import Principal
from heartline.enums import ConversationStatus
from heartline.errors import AppError, ErrorCode, unknown_reference
from heartline.interactions import service as interaction_service
from heartline.interactions.service import Conversation
from heartline.privacy import service as audit
from heartline.routing.assignment import assign

MAX_BULK = 200  # ids per call: four inbox pages; a larger change is a job, not a click
_DONE = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)


def _audit(
    session: Session, actor: Principal | None, action: str, conv_id: int, details: dict[str, object]
) -> None:
    audit.record(
        session, actor=actor, action=action, entity="conversation", entity_id=conv_id,
        details=details,
    )  # fmt: skip


def set_tags(
    session: Session, *, conversation_id: int, tags: Sequence[str], actor: Principal | None
) -> list[str]:
    """Make a conversation's tags exactly these (normalised; a 422 names a bad one); audited
    as conversation.tagged with what was added and removed. Returns the tags now."""
    wanted = interaction_service.normalise_tags(tags)
    interaction_service.get_conversation(session, conversation_id=conversation_id)
    added, removed = interaction_service.replace_tags(
        session, conversation_id=conversation_id, tags=wanted
    )
    if added or removed:
        _audit(session, actor, "conversation.tagged", conversation_id,
               {"added": added, "removed": removed})  # fmt: skip
    return interaction_service.conversation_tags(session, conversation_id=conversation_id)


def add_tags(
    session: Session, *, conversation_id: int, tags: Sequence[str], actor: Principal | None
) -> list[str]:
    """Add tags to those a conversation has (audited when any is new)."""
    current = interaction_service.conversation_tags(session, conversation_id=conversation_id)
    new = interaction_service.normalise_tags(tags)
    return set_tags(session, conversation_id=conversation_id, tags=current + new, actor=actor)


def remove_tag(
    session: Session, *, conversation_id: int, tag: str, actor: Principal | None
) -> list[str]:
    """Take one tag off a conversation (audited when it had it)."""
    current = interaction_service.conversation_tags(session, conversation_id=conversation_id)
    gone = interaction_service.normalise_tag(tag)
    keep = [t for t in current if t != gone]
    return set_tags(session, conversation_id=conversation_id, tags=keep, actor=actor)


def snooze(
    session: Session, *, conversation_id: int, until: datetime, actor: Principal | None
) -> Conversation:
    """Snooze a conversation until a future time (validated; audited as conversation.snoozed)."""
    conv, before = interaction_service.snooze(session, conversation_id=conversation_id, until=until)
    _audit(session, actor, "conversation.snoozed", conv.id,
           {"until": until.isoformat(), "was": before.isoformat() if before else None})  # fmt: skip
    return conv


def wake(session: Session, *, conversation_id: int, actor: Principal | None) -> Conversation:
    """End a snooze now (audited as conversation.woken when it was snoozed)."""
    conv, before = interaction_service.wake(session, conversation_id=conversation_id)
    if before is not None:
        _audit(session, actor, "conversation.woken", conv.id, {"was": before.isoformat()})
    return conv


@dataclass
class BulkOutcome:
    """What a bulk action did: the ids it changed, the ones already so, and the ids that
    name no conversation (the rest were still applied)."""

    action: str
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)


def _bad(field_: str, message: str) -> AppError:
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        f"{field_}: {message}",
        details=[{"field": field_, "message": message, "type": "value_error"}],
    )


def _check_bulk(
    session: Session, ids: Sequence[int], action: str, assignee_id: int | None, tag: str
) -> list[str]:
    if not ids:
        raise _bad("ids", "pick at least one conversation")
    if len(ids) > MAX_BULK:
        raise _bad("ids", f"at most {MAX_BULK} conversations at a time")
    if action not in ("assign", "close", "tag"):
        raise _bad("action", "one of assign, close, tag")
    if action == "assign" and assignee_id is not None:
        ok = is_row_id(assignee_id) and auth_service.assignable(session, user_id=assignee_id)
        if not ok:
            raise unknown_reference("assignee_id", assignee_id, "active agent")
    if action == "tag":
        if not tag.strip():
            raise _bad("tag", "name the tag to add")
        return [interaction_service.normalise_tag(tag)]
    return []


def bulk(
    session: Session,
    *,
    ids: Sequence[int],
    action: str,
    assignee_id: int | None = None,
    tag: str = "",
    actor: Principal | None,
) -> BulkOutcome:
    """Assign (to a person, or nobody), resolve, or tag many conversations at once. The
    request is checked first (a 422 naming ids, action, assignee_id or tag); then each id that
    names a conversation is changed and audited, and the others are reported as missing."""
    tags = _check_bulk(session, ids, action, assignee_id, tag)
    wanted = list(dict.fromkeys(i for i in ids))
    found = {
        c.id: c
        for c in interaction_service.conversations_by_ids(
            session, ids=[i for i in wanted if is_row_id(i)]
        )
    }
    out = BulkOutcome(action=action, missing=[i for i in wanted if i not in found])
    for conv in (found[i] for i in wanted if i in found):
        if _apply(session, conv, action, assignee_id, tags, actor):
            out.changed.append(conv.id)
        else:
            out.unchanged.append(conv.id)
    return out


def _apply(
    session: Session,
    conv: Conversation,
    action: str,
    assignee_id: int | None,
    tags: list[str],
    actor: Principal | None,
) -> bool:
    if action == "assign":
        before = conv.assignee_id
        assign(session, conversation_id=conv.id, assignee_id=assignee_id, actor=actor, via="bulk")
        return conv.assignee_id != before
    if action == "close":
        if conv.status in _DONE:
            return False
        was = str(conv.status)
        interaction_service.set_conversation_status(
            session, conversation_id=conv.id, status=ConversationStatus.RESOLVED
        )
        to = ConversationStatus.RESOLVED.value
        _audit(session, actor, "conversation.status", conv.id,
               {"from": was, "to": to, "via": "bulk"})  # fmt: skip
        return True
    current = interaction_service.conversation_tags(session, conversation_id=conv.id)
    if all(t in current for t in tags):
        return False
    set_tags(session, conversation_id=conv.id, tags=current + tags, actor=actor)
    return True
