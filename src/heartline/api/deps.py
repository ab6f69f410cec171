"""FastAPI dependencies: a database session per request and the authenticated principal."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.auth.service import Principal, User
from heartline.config import get_settings
from heartline.db import get_sessionmaker
from heartline.errors import AppError, ErrorCode


def get_db() -> Iterator[Session]:
    """A session for this request; the handler commits, anything uncommitted is rolled back.
    Not IMMEDIATE for every write request: a handler whose work commits through a session of
    its own (the inline pipeline after a reply) would wait on its own request's write lock;
    a handler that reads then writes beside another process calls db.writes_first itself."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


Db = Annotated[Session, Depends(get_db)]


def session_user(request: Request, db: Db) -> User | None:
    """The user of the request's live server-side session, else None."""
    if "session" not in request.scope:
        return None
    token = request.session.get("sid")
    if not isinstance(token, str) or not token:
        return None
    user = auth_service.resolve_session(db, token, idle_s=get_settings().session_max_age_s)
    if user is None:
        request.session.clear()
    elif db.dirty:
        db.commit()  # last_seen_at, touched at most once a minute
    return user


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether a submitted CSRF token (form field or header) is the session's."""
    expected = request.session.get("csrf")
    return bool(expected and submitted and secrets.compare_digest(str(expected), submitted))


def check_same_origin(request: Request) -> None:
    """A cookie-authenticated API write must come from this site: a matching X-CSRF-Token
    header (the session's token) or an Origin (else Referer) of this host. Bearer tokens are
    not sent by browsers on their own, so they need neither."""
    if csrf_ok(request, request.headers.get("x-csrf-token")):
        return
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    parts = urlsplit(origin)
    if parts.scheme in ("http", "https") and parts.netloc == request.headers.get("host"):
        return
    raise AppError(
        ErrorCode.FORBIDDEN,
        "cross-site request refused: send the X-CSRF-Token header, or use a bearer token",
    )


def get_principal(request: Request, db: Db) -> Principal:
    """The caller, from a bearer token or the web session cookie; 401 if neither."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AppError(ErrorCode.UNAUTHORIZED, "Authorization header must be 'Bearer <token>'")
        principal = auth_service.resolve_token(db, token=token.strip())
        if principal is None:
            raise AppError(ErrorCode.UNAUTHORIZED, "invalid or revoked API token")
        db.commit()  # persists last_used_at
        return principal
    user = session_user(request, db)
    if user is not None:
        if request.method not in SAFE_METHODS:
            check_same_origin(request)
        return auth_service.user_principal(user)
    raise AppError(
        ErrorCode.UNAUTHORIZED, "authentication required: send 'Authorization: Bearer <token>'"
    )


def require(permission: str) -> Callable[..., Principal]:
    """A dependency that admits only principals whose role has `permission`."""

    def _check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.can(permission):
            raise AppError(
                ErrorCode.FORBIDDEN,
                f"role '{principal.role.value}' may not do this (needs '{permission}' permission)",
            )
        return principal

    return _check


Reader = Annotated[Principal, Depends(require("read"))]
Ingester = Annotated[Principal, Depends(require("ingest"))]
Worker = Annotated[Principal, Depends(require("work"))]
Manager = Annotated[Principal, Depends(require("manage"))]
Admin = Annotated[Principal, Depends(require("admin"))]
