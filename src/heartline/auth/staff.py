"""The people who work conversations: who can be given one, who is away, and their teams."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.auth.models import Team, User
from heartline.enums import Role
from heartline.errors import AppError, ErrorCode

# Roles that work conversations (an integration token is not a person).
STAFF_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)


def staff(session: Session, *, team_id: int | None = None) -> list[User]:
    """Active people who can be given a conversation (in one team if asked), by name."""
    stmt = select(User).where(User.is_active.is_(True), User.role.in_(STAFF_ROLES))
    if team_id is not None:
        stmt = stmt.where(User.team_id == team_id)
    return list(session.scalars(stmt.order_by(User.name, User.id)))


def assignable(session: Session, *, user_id: int) -> User | None:
    """The user, if they are an active person who can be given a conversation."""
    user = session.get(User, user_id)
    ok = user is not None and user.is_active and user.role in STAFF_ROLES
    return user if ok else None


def set_available(session: Session, *, user_id: int, available: bool) -> User:
    """Mark a person available for new conversations, or away (they keep what they have)."""
    user = session.get(User, user_id)
    if user is None:
        raise AppError(ErrorCode.NOT_FOUND, f"user {user_id} not found")
    user.available = available
    session.flush()
    return user


def get_team(session: Session, *, team_id: int) -> Team | None:
    """A team by id."""
    return session.get(Team, team_id)
