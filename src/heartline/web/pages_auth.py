"""Sign in (throttled, audited), sign out, and your own account (password change)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.auth.service import Principal
from heartline.config import get_settings
from heartline.db import writes_first
from heartline.errors import AppError
from heartline.privacy import service as privacy_service
from heartline.web.deps import CurrentUser
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect to another site after login.
    return target if target and target.startswith("/") and not target.startswith("//") else "/inbox"


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, reset: str | None = None) -> Response:
    """The sign-in form (after a reset link was used: a word that it worked)."""
    notice = "Your password was changed. Sign in with the new one." if reset == "done" else None
    return render(
        request, "login.html", {"next": _safe_next(next), "error": None, "notice": notice}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: Db,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    """Check credentials (unless throttled) and start a server-side session."""
    check_csrf(request, csrf)
    # Reads then writes while the demo may be building in another process: take SQLite's
    # write lock first, or a commit in between fails the login (SQLITE_BUSY_SNAPSHOT).
    writes_first(db)
    ip, who = _ip(request), email.strip().lower()
    anonymous = Principal("system", 0, role=None, name=who)  # type: ignore[arg-type]

    def refuse(message: str, status: int, action: str) -> Response:
        privacy_service.record(
            db, actor=anonymous, action=action, entity="user", entity_id=None,
            details={"email": who, "ip": ip},
        )  # fmt: skip
        db.commit()
        return render(
            request, "login.html", {"next": _safe_next(next), "error": message},
            status_code=status,
        )  # fmt: skip

    lock = auth_service.login_lock(db, email=who, ip=ip)
    if lock is not None:
        response = refuse(lock.message, 429, "login.throttled")
        response.headers["Retry-After"] = str(lock.retry_after_s)
        return response
    user = auth_service.authenticate(db, email=email, password=password)
    auth_service.note_login_attempt(db, email=who, ip=ip, ok=user is not None)
    if user is None:
        return refuse("Wrong email or password.", 401, "login.failed")
    settings = get_settings()
    token = auth_service.start_session(
        db, user, absolute_s=settings.session_absolute_s, ip=ip,
        user_agent=request.headers.get("user-agent", ""),
    )  # fmt: skip
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="login", entity="user",
        entity_id=user.id, details={"ip": ip},
    )  # fmt: skip
    db.commit()
    request.session.clear()  # a fresh session id and CSRF token (no fixation)
    request.session["sid"] = token
    if user.must_change_password:  # an admin's temporary password: their own one first
        return RedirectResponse("/account#password", status_code=303)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, db: Db, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session on the server too (a copied cookie stops working)."""
    check_csrf(request, csrf)
    token = request.session.get("sid")
    if isinstance(token, str) and token:
        auth_service.end_session(db, token)
        db.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, db: Db, user: CurrentUser) -> Response:
    """Your account: who you are, your sessions, and a password change."""
    return _account(request, db, user)


def _account(
    request: Request, db: Db, user: CurrentUser, *, status: int = 200, **extra: object
) -> Response:
    context = {
        "me": user,
        "sessions": auth_service.active_sessions(db, user.id),
        "min_password": auth_service.MIN_PASSWORD,
        "error": None,
        "saved": request.query_params.get("saved"),
        **extra,
    }
    return render(request, "account.html", context, status_code=status)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    db: Db,
    user: CurrentUser,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    confirm: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Change your own password; every other session of yours ends."""
    check_csrf(request, csrf)
    if new != confirm:
        return _account(request, db, user, status=422, error="The new passwords do not match.")
    try:
        auth_service.change_password(
            db, user=user, current=current, new=new, keep_session=request.session.get("sid")
        )
    except AppError as exc:
        db.rollback()
        return _account(request, db, user, status=exc.http_status, error=exc.message)
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="password.changed", entity="user",
        entity_id=user.id,
    )  # fmt: skip
    db.commit()
    return RedirectResponse("/account?saved=password", status_code=303)
