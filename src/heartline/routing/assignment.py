"""Assignment: who works a conversation.

A person (or a team) is given a conversation by hand, audited with who moved it from whom; or
automatically when a customer writes into a queue set to auto-assign: round robin over the
queue's team, in a fixed order (name, id), skipping people marked away or deactivated. The
queue remembers the last person it gave a conversation to, so the turn passes on fairly across
restarts and workers. An assignee is never replaced automatically, only by a person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.api.validation import is_row_id
from heartline.auth import service as auth_service
from heartline.auth.service import Principal, User
from heartline.enums import ConversationStatus
from heartline.errors import AppError, ErrorCode, not_found, unknown_reference
from heartline.interactions import service as interaction_service
from heartline.interactions.service import Conversation
from heartline.privacy import service as audit
from heartline.routing.models import QueueSetting

QUEUE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,59}")
UNSET = object()  # "leave the team as it is" (None means "no team")
_WORKABLE = (ConversationStatus.OPEN, ConversationStatus.PENDING)


@dataclass(frozen=True)
class QueueView:
    """A queue's assignment settings as the API and the settings page show them."""

    queue: str
    team_id: int | None
    auto_assign: bool


def queue_settings(session: Session) -> list[QueueView]:
    """Every queue the rules or the conversations know, with its team and auto-assignment."""
    stored = {q.queue: q for q in session.scalars(select(QueueSetting))}
    names = sorted(set(stored) | set(interaction_service.queue_names(session)))
    return [
        QueueView(n, stored[n].team_id, stored[n].auto_assign)
        if n in stored
        else QueueView(n, None, False)
        for n in names
    ]


def set_queue(
    session: Session,
    *,
    queue: str,
    team_id: int | None,
    auto_assign: bool,
    actor: Principal | None,
) -> QueueView:
    """Name the team that works a queue and switch its round robin on or off (audited)."""
    if not QUEUE_NAME.fullmatch(queue):
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "queue: lower-case letters, digits, - and _, at most 60, starting with a letter",
            details=[{"field": "queue", "message": "not a queue name", "type": "pattern"}],
        )
    if team_id is not None and (
        not is_row_id(team_id) or auth_service.get_team(session, team_id=team_id) is None
    ):
        raise unknown_reference("team_id", team_id, "team")
    row = session.get(QueueSetting, queue) or QueueSetting(queue=queue)
    before = {"team_id": row.team_id, "auto_assign": bool(row.auto_assign)}
    row.team_id, row.auto_assign = team_id, auto_assign
    session.add(row)
    session.flush()
    after = {"team_id": team_id, "auto_assign": auto_assign}
    if before != after:
        audit.record(
            session, actor=actor, action="queue.updated", entity="queue", entity_id=None,
            details={"queue": queue, "from": before, "to": after},
        )  # fmt: skip
    return QueueView(queue, team_id, auto_assign)


def assign(
    session: Session,
    *,
    conversation_id: int,
    assignee_id: int | None,
    team_id: int | object | None = UNSET,
    actor: Principal | None,
    via: str = "person",
) -> Conversation:
    """Give a conversation to a person (or nobody); the team follows the person unless one is
    named. Validated (an unknown or inactive user is a 422 naming the field) and audited."""
    conv = interaction_service.get_conversation(session, conversation_id=conversation_id)
    user: User | None = None
    if assignee_id is not None:
        user = (
            auth_service.assignable(session, user_id=assignee_id)
            if is_row_id(assignee_id)
            else None
        )
        if user is None:
            raise unknown_reference("assignee_id", assignee_id, "active agent")
    if team_id is UNSET:
        team = user.team_id if user is not None and user.team_id is not None else conv.team_id
    else:
        team = team_id if isinstance(team_id, int) else None
        if team is not None and (
            not is_row_id(team) or auth_service.get_team(session, team_id=team) is None
        ):
            raise unknown_reference("team_id", team, "team")
    before = {"assignee_id": conv.assignee_id, "team_id": conv.team_id}
    after = {"assignee_id": assignee_id, "team_id": team}
    if before == after:
        return conv
    conv.assignee_id, conv.team_id = assignee_id, team
    session.flush()
    audit.record(
        session, actor=actor, action="conversation.assigned", entity="conversation",
        entity_id=conv.id, details={"from": before, "to": after, "via": via},
    )  # fmt: skip
    return conv


def next_in_turn(team: Sequence[User], last_id: int | None) -> User | None:
    """The next available person of a team (in its fixed order) after the last one given a
    conversation; someone away is skipped and keeps their place for next time."""
    ids = [u.id for u in team]
    start = ids.index(last_id) + 1 if last_id in ids else 0
    for k in range(len(team)):
        person = team[(start + k) % len(team)]
        if person.available:
            return person
    return None


def auto_assign(session: Session, *, conversation_ids: Sequence[int]) -> dict[int, int]:
    """Give each open, unassigned conversation in an auto-assign queue to the next person in
    its team's turn; returns {conversation id: assignee id} for those assigned now."""
    waiting = [
        c
        for c in interaction_service.conversations_by_ids(session, ids=list(conversation_ids))
        if c.assignee_id is None and c.status in _WORKABLE
    ]
    if not waiting:
        return {}  # the usual case on a busy desk: no lock taken, nothing read
    # Locked (PostgreSQL) so two workers never hand the same turn out twice.
    locked = (
        select(QueueSetting)
        .where(QueueSetting.queue.in_({c.queue for c in waiting}))
        .where(QueueSetting.auto_assign.is_(True), QueueSetting.team_id.is_not(None))
        .with_for_update()
    )
    settings = {q.queue: q for q in session.scalars(locked)}
    teams: dict[int, list[User]] = {}  # each team's people, read once per batch
    done: dict[int, int] = {}
    for conv in waiting:
        setting = settings.get(conv.queue)
        if setting is None or setting.team_id is None:
            continue
        if setting.team_id not in teams:
            teams[setting.team_id] = auth_service.staff(session, team_id=setting.team_id)
        person = next_in_turn(teams[setting.team_id], setting.last_assignee_id)
        if person is None:
            continue  # nobody available: it waits in Unassigned
        assign(
            session,
            conversation_id=conv.id,
            assignee_id=person.id,
            team_id=setting.team_id,
            actor=None,
            via="round_robin",
        )
        setting.last_assignee_id = person.id
        session.flush()
        done[conv.id] = person.id
    return done


def set_availability(session: Session, *, user_id: int, available: bool, actor: Principal) -> User:
    """Mark a person available for new conversations or away (audited when it changes)."""
    user = auth_service.get_user(session, user_id=user_id)
    if user is None:
        raise not_found("user", user_id)
    if user.available != available:
        auth_service.set_available(session, user_id=user_id, available=available)
        audit.record(
            session, actor=actor, action="user.availability", entity="user", entity_id=user_id,
            details={"available": available},
        )  # fmt: skip
    return user
