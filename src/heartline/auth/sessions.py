"""Browser sessions kept on the server, and sign-in throttling.

The session cookie (signed by Starlette) carries only a random token; the row it names says
whose session it is and until when. Signing out revokes that row; deactivating a user, changing
their role or password revokes all of theirs, so a copied cookie stops working at once. A
session ends after `session_max_age_s` without a request (idle) and, however busy, after
`session_absolute_s` (absolute lifetime; the person signs in again).

Sign-in is throttled per account and per address (ASVS 2.2.1): after ACCOUNT_LIMIT failures
within WINDOW an account accepts no password, right or wrong, until the oldest failure leaves
the window; an address gets ADDRESS_LIMIT failures. The lock does not reveal whether the
account exists: unknown emails are counted and locked the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from heartline.auth.models import (
    LoginAttempt,
    PasswordResetRequest,
    PasswordResetToken,
    User,
    UserSession,
)
from heartline.db import utcnow

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 30
_TOUCH_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    """How a bearer secret (session or API token) is stored: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    db: Session,
    user: User,
    *,
    absolute_s: int,
    ip: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> str:
    """A new session for `user`; returns the token for the cookie (stored only hashed)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.add(
        UserSession(
            token_hash=digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=absolute_s),
            ip=ip[:64],
            user_agent=user_agent[:200],
        )
    )
    db.flush()
    return token


def resolve(db: Session, token: str, *, idle_s: int, now: datetime | None = None) -> User | None:
    """The active user of a live session, else None (revoked, expired, idle or deactivated).
    Records activity at most once a minute."""
    now = now or utcnow()
    row = db.scalar(select(UserSession).where(UserSession.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    if now - row.last_seen_at > timedelta(seconds=idle_s):
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
    return user


def end(db: Session, token: str, *, now: datetime | None = None) -> None:
    """Sign one session out."""
    db.execute(
        update(UserSession)
        .where(UserSession.token_hash == digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def end_all(
    db: Session, user_id: int, *, keep: str | None = None, now: datetime | None = None
) -> int:
    """Sign a user out everywhere (but the session `keep`, if given); returns how many."""
    q = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep:
        q = q.where(UserSession.token_hash != digest(keep))
    res = db.execute(q.values(revoked_at=now or utcnow()))
    return int(getattr(res, "rowcount", 0) or 0)


def purge(db: Session, *, now: datetime | None = None) -> int:
    """Delete ended sessions, attempts, reset links and reset requests older than a day
    (scheduled housekeeping)."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    n = db.execute(
        delete(UserSession).where(
            (UserSession.expires_at < cutoff) | (UserSession.revoked_at < cutoff)
        )
    )
    m = db.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    links = db.execute(delete(PasswordResetToken).where(PasswordResetToken.expires_at < cutoff))
    asks = db.execute(delete(PasswordResetRequest).where(PasswordResetRequest.at < cutoff))
    return sum(int(getattr(r, "rowcount", 0) or 0) for r in (n, m, links, asks))


@dataclass(frozen=True)
class Lock:
    """Why sign-in is refused for now, and for how long."""

    scope: str  # "account" | "address"
    retry_after_s: int

    @property
    def message(self) -> str:
        minutes = max(1, round(self.retry_after_s / 60))
        what = "this account" if self.scope == "account" else "this network address"
        return (
            f"Too many failed sign-ins for {what}. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}, or ask an admin to reset your password."
        )


def _failures(db: Session, column: Any, value: str, since: datetime) -> list[datetime]:
    return list(
        db.scalars(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.ok.is_(False), LoginAttempt.at > since)
            .order_by(LoginAttempt.at)
        )
    )


def locked(db: Session, *, email: str, ip: str, now: datetime | None = None) -> Lock | None:
    """A Lock when the account or the address has too many recent failures."""
    now = now or utcnow()
    since = now - WINDOW
    for scope, column, value, limit in (
        ("account", LoginAttempt.email, email.strip().lower(), ACCOUNT_LIMIT),
        ("address", LoginAttempt.ip, ip, ADDRESS_LIMIT),
    ):
        fails = _failures(db, column, value, since)
        if len(fails) >= limit:
            # free again when enough failures have aged out of the window
            until = fails[len(fails) - limit] + WINDOW
            return Lock(scope, max(1, int((until - now).total_seconds())))
    return None


def note_attempt(
    db: Session, *, email: str, ip: str, ok: bool, now: datetime | None = None
) -> None:
    """Record an attempt; a success clears the account's failures."""
    email = email.strip().lower()[:320]
    if ok:
        db.execute(
            delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.ok.is_(False))
        )
    db.add(LoginAttempt(at=now or utcnow(), email=email, ip=ip[:64], ok=ok))
    db.flush()


def active_sessions(db: Session, user_id: int, *, now: datetime | None = None) -> int:
    """How many unexpired, unrevoked sessions a user has."""
    now = now or utcnow()
    return int(
        db.scalar(
            select(func.count())
            .select_from(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
            )
        )
        or 0
    )
