"""Password reset links (OWASP Forgot Password Cheat Sheet).

A person who forgot their password asks on the sign-in page; an admin can send a link from
Users and roles. A link carries a random token (256 bits) and works once, for RESET_TTL; only
its SHA-256 is stored, and a newer link voids the older ones. Using it sets the new password
(the usual policy), signs the person out everywhere and voids every other link.

The sign-in page answers the same whether or not the email has an account: every request is
counted (known or not), and the page answers before `request` looks the email up (the web page
runs it, and the mail, after the answer), so timing does not tell either. Requests are
throttled per email (past EMAIL_LIMIT the answer stays the same but no more mail goes out: no
mail-bombing) and per network address (ADDRESS_LIMIT, then a 429). Deactivated people get no
link.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from heartline.auth.models import LoginAttempt, PasswordResetRequest, PasswordResetToken, User
from heartline.auth.sessions import WINDOW, Lock, digest
from heartline.channels import service as channels_service
from heartline.config import Settings, get_settings
from heartline.db import utcnow
from heartline.errors import AppError, ErrorCode

log = logging.getLogger(__name__)

# Long enough to switch to the mail app and back, short enough that an old mail is harmless.
RESET_TTL = timedelta(minutes=30)
# Three mails per email in WINDOW cover a lost mail and a retry; more is an attack or a loop.
EMAIL_LIMIT = 3
# One office behind one address may hold many people; a script sweeping emails stops here.
ADDRESS_LIMIT = 20

LinkState = Literal["valid", "expired", "used", "unknown"]
Outcome = Literal["sent", "unknown", "inactive", "throttled"]


@dataclass(frozen=True)
class ResetLink:
    """A link to mail: who to, and the URL with the plaintext token (never stored)."""

    user_id: int
    email: str
    name: str
    url: str
    expires_at: datetime


def link_url(token: str, settings: Settings | None = None) -> str:
    """The reset link, on the configured public URL (HEARTLINE_PUBLIC_URL)."""
    base = (settings or get_settings()).public_url.rstrip("/")
    return f"{base}/password/reset?{urlencode({'token': token})}"


def issue(
    db: Session, *, user: User, created_by_id: int | None = None, now: datetime | None = None
) -> ResetLink:
    """A fresh link for an active user; their earlier unused links stop working."""
    if not user.is_active:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"user: {user.email} is deactivated; reactivate them first",
            details=[{"field": "user", "message": "deactivated", "type": "value_error"}],
        )
    now = now or utcnow()
    void(db, user.id, now)
    token = secrets.token_urlsafe(32)
    db.add(
        PasswordResetToken(
            token_hash=digest(token), user_id=user.id, created_at=now,
            expires_at=now + RESET_TTL, created_by_id=created_by_id,
        )
    )  # fmt: skip
    db.flush()
    return ResetLink(user.id, user.email, user.name, link_url(token), now + RESET_TTL)


def void(db: Session, user_id: int, now: datetime | None = None) -> None:
    """Every unused link of the user stops working (a newer link, deactivation)."""
    db.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now or utcnow())
    )


def throttled(db: Session, *, ip: str, now: datetime | None = None) -> Lock | None:
    """A Lock when this network address asked for too many links recently."""
    now = now or utcnow()
    times = list(
        db.scalars(
            select(PasswordResetRequest.at)
            .where(PasswordResetRequest.ip == ip[:64], PasswordResetRequest.at > now - WINDOW)
            .order_by(PasswordResetRequest.at)
        )
    )
    if len(times) < ADDRESS_LIMIT:
        return None
    until = times[len(times) - ADDRESS_LIMIT] + WINDOW
    return Lock("address", max(1, int((until - now).total_seconds())))


def request(
    db: Session, *, email: str, ip: str, now: datetime | None = None
) -> tuple[Outcome, ResetLink | None, int | None]:
    """Count the request and, for an active account under the limit, issue a link. Returns
    what happened (for the audit trail, never for the page), the link to mail, the user id."""
    now = now or utcnow()
    email = email.strip().lower()[:320]
    # Written before anything is read: on SQLite the transaction takes the write lock first
    # (waiting its turn) instead of failing to upgrade a read when requests overlap.
    mine = PasswordResetRequest(at=now, email=email, ip=ip[:64])
    db.add(mine)
    db.flush()
    recent = db.scalar(
        select(func.count())
        .select_from(PasswordResetRequest)
        .where(
            PasswordResetRequest.email == email,
            PasswordResetRequest.at > now - WINDOW,
            PasswordResetRequest.id != mine.id,
        )
    )
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        return "unknown", None, None
    if not user.is_active:
        return "inactive", None, user.id
    if (recent or 0) >= EMAIL_LIMIT:
        return "throttled", None, user.id
    return "sent", issue(db, user=user, now=now), user.id


def _row(db: Session, token: str) -> PasswordResetToken | None:
    return db.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token))
    )


def state(db: Session, *, token: str, now: datetime | None = None) -> LinkState:
    """Whether a link still works: valid, expired, used (or replaced), or unknown."""
    row = _row(db, token) if token else None
    if row is None:
        return "unknown"
    user = db.get(User, row.user_id)
    if row.used_at is not None or user is None or not user.is_active:
        return "used"
    return "expired" if (now or utcnow()) >= row.expires_at else "valid"


def holder(db: Session, *, token: str, now: datetime | None = None) -> User:
    """The person a working link belongs to; a 422 naming `token` when it no longer works."""
    link = state(db, token=token, now=now)
    row = _row(db, token)
    user = db.get(User, row.user_id) if row is not None and link == "valid" else None
    if user is None:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"token: this link is {link}",
            details=[{"field": "token", "message": link, "type": "value_error"}],
        )
    return user


def consume(db: Session, *, user: User, now: datetime | None = None) -> None:
    """After the new password is set: every link of the user stops working, the temporary
    password flag goes, and failed sign-ins are forgiven."""
    void(db, user.id, now or utcnow())
    user.must_change_password = False
    db.execute(
        delete(LoginAttempt).where(LoginAttempt.email == user.email, LoginAttempt.ok.is_(False))
    )
    db.flush()


def _send(recipient: str, subject: str, body: str, settings: Settings | None) -> None:
    message = channels_service.OutboundMessage(
        idempotency_key=f"account-{secrets.token_hex(8)}", channel="email",
        recipient=recipient, subject=subject, body=body,
    )  # fmt: skip
    channels_service.adapter_for("email", settings).send(message, handover=lambda: None)


def mail_link(link: ResetLink, *, by_admin: bool = False, settings: Settings | None = None) -> None:
    """Email the link through the configured SMTP server (DeliveryError if it cannot)."""
    minutes = int(RESET_TTL.total_seconds() // 60)
    why = (
        "An admin of your Heartline workspace sent you this link"
        if by_admin
        else "Someone (we hope you) asked to reset the password of your Heartline account"
    )
    body = (
        f"Hello {link.name or link.email},\n\n{why}. To choose a new password, open:\n\n"
        f"{link.url}\n\nThe link works once, for {minutes} minutes. Using it signs you out "
        "everywhere.\nIf you did not ask for it, ignore this mail: your password stays as it "
        "is.\n"
    )
    _send(link.email, "Choose a new Heartline password", body, settings)


def mail_changed(email: str, name: str, settings: Settings | None = None) -> None:
    """Tell the person their password was just changed through a link (if it was not them,
    they know at once). Failures are logged: the change itself is done."""
    body = (
        f"Hello {name or email},\n\nThe password of your Heartline account "
        f"({email}) was just changed with a reset link, and every session was signed "
        "out.\nIf this was not you, tell your Heartline admin now.\n"
    )
    try:
        _send(email, "Your Heartline password was changed", body, settings)
    except (channels_service.DeliveryError, OSError) as exc:
        log.warning("password-changed notice not sent: %s", exc)
