"""The people who work conversations: who can be given one, who is away, and their teams."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.api.validation import is_row_id
from heartline.auth.models import Team, User
from heartline.enums import Role
from heartline.errors import AppError, ErrorCode, unknown_reference

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


def set_team(session: Session, *, user_id: int, team_id: int | None) -> list[int | None] | None:
    """Put a person in a team (or none); returns [before, after] when it changed. An unknown
    team is a 422 naming team_id."""
    user = session.get(User, user_id)
    if user is None:
        raise AppError(ErrorCode.NOT_FOUND, f"no user with id {user_id}")
    if team_id is not None and (
        not is_row_id(team_id) or get_team(session, team_id=team_id) is None
    ):
        raise unknown_reference("team_id", team_id, "team")
    if user.team_id == team_id:
        return None
    before, user.team_id = user.team_id, team_id
    session.flush()
    return [before, team_id]


def create_team(session: Session, *, name: str) -> Team:
    """A new team (or the one with this name); the name is 1 to 120 characters."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "name: a team name of 1 to 120 characters",
            details=[{"field": "name", "message": "1 to 120 characters", "type": "length"}],
        )
    return get_or_create_team(session, name=name)


def get_or_create_team(session: Session, *, name: str) -> Team:
    """The team with this name, created if needed."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team
