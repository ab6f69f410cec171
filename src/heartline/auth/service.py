"""Users, passwords (argon2), API tokens (SHA-256 of 256 random bits) and permissions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.auth import reset as reset_links
from heartline.auth import sessions
from heartline.auth.models import ApiToken, Team, User
from heartline.auth.reset import RESET_TTL, ResetLink, mail_changed, mail_link
from heartline.auth.reset import issue as issue_reset_link
from heartline.auth.reset import request as request_reset
from heartline.auth.reset import state as reset_link_state
from heartline.auth.reset import throttled as reset_throttle
from heartline.auth.sessions import Lock, active_sessions
from heartline.auth.sessions import end as end_session
from heartline.auth.sessions import locked as login_lock
from heartline.auth.sessions import note_attempt as note_login_attempt
from heartline.auth.sessions import purge as purge_sessions
from heartline.auth.sessions import resolve as resolve_session
from heartline.auth.sessions import start as start_session
from heartline.auth.staff import (
    STAFF_ROLES,
    assignable,
    create_team,
    get_or_create_team,
    get_team,
    set_available,
    set_team,
    staff,
)
from heartline.db import utcnow
from heartline.enums import Role
from heartline.errors import AppError, ErrorCode

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "PERMISSIONS",
    "RESET_TTL",
    "STAFF_ROLES",
    "Lock",
    "Principal",
    "ResetLink",
    "Team",
    "User",
    "active_sessions",
    "assignable",
    "authenticate",
    "change_password",
    "check_password",
    "create_team",
    "create_token",
    "create_user",
    "end_session",
    "find_user",
    "get_or_create_team",
    "get_team",
    "get_user",
    "hash_password",
    "issue_reset_link",
    "list_users",
    "login_lock",
    "mail_changed",
    "mail_link",
    "note_login_attempt",
    "purge_sessions",
    "random_password",
    "redeem_reset_link",
    "request_reset",
    "reset_link_state",
    "reset_password",
    "reset_throttle",
    "resolve_session",
    "resolve_token",
    "revoke_token",
    "set_available",
    "set_password",
    "set_team",
    "staff",
    "start_session",
    "team_names",
    "update_user",
    "user_principal",
]

_hasher = PasswordHasher()
# Verifying against a dummy hash when the email is unknown keeps login timing uniform.
_DUMMY_HASH = _hasher.hash("heartline-dummy-password")
# ASVS 2.1: at least 12 characters, long passphrases allowed, and no common or guessable
# password (zxcvbn's dictionaries of breached passwords, words and patterns; score 3 of 4).
MIN_PASSWORD = 12
MAX_PASSWORD = 256
MIN_STRENGTH = 3
TOKEN_PREFIX = "hl_"

# What each role may do. Integration tokens push data and read it back; agents work
# conversations; managers also see dashboards and run playbooks; admins configure everything.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "read": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT, Role.INTEGRATION}),
    "ingest": frozenset({Role.ADMIN, Role.INTEGRATION}),
    "work": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    "review": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    "manage": frozenset({Role.ADMIN, Role.MANAGER}),
    "admin": frozenset({Role.ADMIN}),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user or an API token."""

    kind: str  # "user" | "token"
    id: int
    role: Role
    name: str
    user_id: int | None = None

    def can(self, permission: str) -> bool:
        """Whether this role has the permission."""
        return self.role in PERMISSIONS[permission]


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def _check_role(role: str, *, allowed: set[Role] | None = None) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"role: must be one of {', '.join(r.value for r in (allowed or set(Role)))}",
            details=[{"field": "role", "message": "unknown role", "type": "enum"}],
        ) from None
    if allowed is not None and parsed not in allowed:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"role: {role} is not allowed here",
            details=[{"field": "role", "message": "role not allowed", "type": "enum"}],
        )
    return parsed


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    name: str = "",
    team_id: int | None = None,
) -> User:
    """Create a web user; emails are unique (case-insensitive)."""
    parsed = _check_role(role, allowed={Role.ADMIN, Role.MANAGER, Role.AGENT})
    email = email.strip().lower()
    if "@" not in email:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "email: not an email address",
            details=[{"field": "email", "message": "invalid email", "type": "value_error"}],
        )
    check_password(password, email=email, name=name)
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise AppError(ErrorCode.CONFLICT, f"a user with email {email} already exists")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=parsed.value,
        name=name or email.split("@")[0],
        team_id=team_id,
    )
    session.add(user)
    session.flush()
    return user


def _password_error(message: str) -> AppError:
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        f"password: {message}",
        details=[{"field": "password", "message": message, "type": "value_error"}],
    )


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    """A 422 naming `password` unless it is long enough and not common or guessable."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD:
        raise _password_error(f"at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise _password_error(f"at most {MAX_PASSWORD} characters")
    hints = [h for h in (email, email.split("@")[0], name, "heartline") if h]
    verdict = zxcvbn(password[:100], user_inputs=hints)
    if verdict["score"] < MIN_STRENGTH:
        why = verdict["feedback"]["warning"] or "too easy to guess"
        raise _password_error(f"{why.rstrip('.')}; choose a longer passphrase of unrelated words")


def set_password(
    session: Session, *, user: User, password: str, keep_session: str | None = None
) -> None:
    """Set a new password (policy checked) and sign the user out everywhere else."""
    check_password(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    sessions.end_all(session, user.id, keep=keep_session)
    session.flush()


def change_password(
    session: Session, *, user: User, current: str, new: str, keep_session: str | None = None
) -> None:
    """A user's own change: the current password first (422 naming `current` if wrong)."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerifyMismatchError, InvalidHashError):
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "current: the current password is wrong",
            details=[{"field": "current", "message": "wrong password", "type": "value_error"}],
        ) from None
    if new == current:
        raise _password_error("the new password must differ from the current one")
    set_password(session, user=user, password=new, keep_session=keep_session)


def random_password() -> str:
    """A strong random password to show once (about 144 bits: three 8-character parts)."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def reset_password(session: Session, *, user_id: int) -> tuple[User, str]:
    """An admin's reset: a random temporary password (shown once to the admin) that must be
    changed at the next sign-in; every session of the user ended."""
    user = session.get(User, user_id)
    if user is None:
        raise AppError(ErrorCode.NOT_FOUND, f"no user with id {user_id}")
    temporary = random_password()
    set_password(session, user=user, password=temporary)
    user.must_change_password = True
    session.flush()
    return user, temporary


def redeem_reset_link(session: Session, *, token: str, password: str) -> User:
    """Set a new password through a reset link (auth/reset.py): policy checked, every
    session and every link of the user ended. 422 naming `token` or `password`."""
    user = reset_links.holder(session, token=token)
    set_password(session, user=user, password=password)
    reset_links.consume(session, user=user)
    return user


def find_user(session: Session, *, email: str) -> User | None:
    """The user with this sign-in email (case-insensitive), if any."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, else None."""
    user = find_user(session, email=email)
    stored = user.password_hash if user is not None and user.is_active else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def user_principal(user: User) -> Principal:
    """The principal of a signed-in user."""
    return Principal("user", user.id, Role(user.role), user.name or user.email, user_id=user.id)


def create_token(
    session: Session, *, name: str, role: str, created_by_id: int | None = None
) -> tuple[ApiToken, str]:
    """Create an API token; the plaintext is returned once and never stored."""
    parsed = _check_role(role)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=parsed.value,
        token_hash=sessions.digest(plaintext),
        prefix=plaintext[:8],
        created_by_id=created_by_id,
    )
    session.add(token)
    session.flush()
    return token, plaintext


def resolve_token(session: Session, *, token: str) -> Principal | None:
    """The principal for a bearer token, if it exists and is not revoked."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == sessions.digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    # Record use at most once a minute: a busy integration should not write on every call.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return Principal("token", row.id, Role(row.role), row.name)


def revoke_token(session: Session, *, token_id: int) -> None:
    """Revoke a token (kept for the audit trail)."""
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


def update_user(
    session: Session,
    *,
    user_id: int,
    role: str | None = None,
    is_active: bool | None = None,
    acting_user_id: int | None = None,
) -> dict[str, list[Any]]:
    """Change a user's role and/or deactivate or reactivate them; returns what changed
    (field -> [before, after]). Any change ends the user's sessions (they sign in again
    under the new role; a deactivated user cannot). Two guards keep a workspace manageable:
    you cannot deactivate yourself, and the last active admin can neither be deactivated nor
    lose the admin role."""
    user = session.get(User, user_id)
    if user is None:
        raise AppError(ErrorCode.NOT_FOUND, f"no user with id {user_id}")
    new_role = (
        _check_role(role, allowed={Role.ADMIN, Role.MANAGER, Role.AGENT}).value
        if role is not None
        else user.role
    )
    active = user.is_active if is_active is None else is_active
    if not active and user.is_active and acting_user_id == user.id:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "is_active: you cannot deactivate yourself",
            details=[{"field": "is_active", "message": "cannot deactivate yourself",
                      "type": "value_error"}],
        )  # fmt: skip
    stays_admin = active and new_role == Role.ADMIN.value
    if user.is_active and user.role == Role.ADMIN.value and not stays_admin:
        others = session.scalar(
            select(func.count()).select_from(User).where(
                User.role == Role.ADMIN.value, User.is_active.is_(True), User.id != user.id
            )
        )  # fmt: skip
        if not others:
            raise AppError(
                ErrorCode.CONFLICT, f"{user.email} is the last active admin: add another first"
            )
    changes: dict[str, list[Any]] = {}
    if new_role != user.role:
        changes["role"] = [user.role, new_role]
        user.role = new_role
    if active != user.is_active:
        changes["is_active"] = [user.is_active, active]
        user.is_active = active
    if changes:  # new rights or none: sessions started under the old ones (and links) end now
        sessions.end_all(session, user.id)
        reset_links.void(session, user.id)
    session.flush()
    return changes


def list_users(session: Session) -> list[User]:
    """All users, by email."""
    return list(session.scalars(select(User).order_by(User.email)))


def get_user(session: Session, *, user_id: int) -> User | None:
    """A user by id."""
    return session.get(User, user_id)


def team_names(session: Session) -> dict[int, str]:
    """Every team's name by id, in name order (dashboard slices and filters)."""
    return {
        tid: name for tid, name in session.execute(select(Team.id, Team.name).order_by(Team.name))
    }
