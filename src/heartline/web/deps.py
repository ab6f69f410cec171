"""Page dependencies: the signed-in user, and a role check per page (403 when not allowed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from heartline.api.deps import Db, session_user
from heartline.auth.service import Principal, User
from heartline.enums import Role
from heartline.errors import AppError, ErrorCode
from heartline.notifications import service as notification_service


@dataclass(frozen=True)
class Viewer:
    """A detached copy of the signed-in user for templates: error pages render after the
    request's session is closed, when the ORM row can no longer load attributes."""

    id: int
    email: str
    name: str
    role: str
    timezone: str
    unread: int = 0  # unread notifications (the number beside the nav link)


# The pages someone with an admin's temporary password may open before choosing their own.
_BEFORE_NEW_PASSWORD = frozenset({"/account", "/account/password"})


def current_user(request: Request, db: Db) -> User:
    """The signed-in user; unauthenticated visitors are sent to the login page."""
    user = session_user(request, db)
    if user is None:
        raise AppError(ErrorCode.UNAUTHORIZED, "please sign in")
    request.state.user = Viewer(
        user.id,
        user.email,
        user.name,
        user.role,
        user.timezone or "UTC",
        notification_service.unread_count(db, user_id=user.id),
    )
    if user.must_change_password and request.url.path not in _BEFORE_NEW_PASSWORD:
        raise AppError(
            ErrorCode.FORBIDDEN,
            "You signed in with a temporary password: choose your own first, under Your account.",
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def user_can(user: User | Viewer | None, permission: str) -> bool:
    """Whether a web user's role has a permission (auth.service.PERMISSIONS)."""
    return user is not None and Principal("user", user.id, Role(user.role), user.name).can(
        permission
    )


def page_user(permission: str) -> Callable[..., User]:
    """A dependency admitting signed-in users whose role has `permission`; others get a 403 page."""

    def _check(user: CurrentUser) -> User:
        if not user_can(user, permission):
            raise AppError(ErrorCode.FORBIDDEN, f"your role ({user.role}) cannot open this page")
        return user

    return _check


AgentUser = Annotated[User, Depends(page_user("work"))]
ReviewerUser = Annotated[User, Depends(page_user("review"))]
ManagerUser = Annotated[User, Depends(page_user("manage"))]
AdminUser = Annotated[User, Depends(page_user("admin"))]
