"""FastAPI dependencies: a database session per request and the authenticated principal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.auth.service import Principal
from heartline.db import get_sessionmaker
from heartline.errors import AppError, ErrorCode


def get_db() -> Iterator[Session]:
    """A session for this request; the handler commits, anything uncommitted is rolled back."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


Db = Annotated[Session, Depends(get_db)]


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
    user_id = request.session.get("user_id") if "session" in request.scope else None
    if user_id:
        user = auth_service.get_user(db, user_id=int(user_id))
        if user is not None and user.is_active:
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
