"""Forgot your password? A reset link by email (same answer whether or not the account
exists; throttled; audited), and the page the link opens. An admin sends someone a link from
Users and roles (pages_settings)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.auth.service import Principal
from heartline.channels.service import DeliveryError
from heartline.db import session_scope
from heartline.errors import AppError
from heartline.privacy import service as privacy_service
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
# The link's token moves from the address bar into the (signed, HttpOnly) session cookie at
# once, so it stays out of the browser's history and of any Referer.
SESSION_KEY = "reset_token"
MINUTES = int(auth_service.RESET_TTL.total_seconds() // 60)


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _answer_in_background(email: str, ip: str) -> None:
    # Everything that depends on whether the email has an account (the lookup, the link, the
    # mail) runs after the answer went out, in its own transaction: the answer takes the same
    # time for every email, and a mail server that is down does not show on the page either.
    anonymous = Principal("system", 0, role=None, name=email)  # type: ignore[arg-type]
    with session_scope() as db:
        outcome, link, user_id = auth_service.request_reset(db, email=email, ip=ip)
        privacy_service.record(
            db, actor=anonymous, action="password.reset_requested", entity="user",
            entity_id=user_id, details={"email": email, "ip": ip, "outcome": outcome},
        )  # fmt: skip
    if link is not None:
        try:
            auth_service.mail_link(link)
        except (DeliveryError, OSError) as exc:
            log.warning("password reset mail to user %s not sent: %s", link.user_id, exc)


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_page(request: Request) -> Response:
    """Ask for a reset link."""
    return render(request, "password_forgot.html", {"sent": False, "error": None})


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(
    request: Request,
    db: Db,
    tasks: BackgroundTasks,
    email: Annotated[str, Form(max_length=320)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Mail a link if the email has an active account; the answer never says whether it does."""
    check_csrf(request, csrf)
    ip, who = _ip(request), email.strip().lower()[:320]
    lock = auth_service.reset_throttle(db, ip=ip)
    if lock is not None:
        anonymous = Principal("system", 0, role=None, name=who)  # type: ignore[arg-type]
        privacy_service.record(
            db, actor=anonymous, action="password.reset_throttled", entity="user",
            entity_id=None, details={"email": who, "ip": ip},
        )  # fmt: skip
        db.commit()
        minutes = max(1, round(lock.retry_after_s / 60))
        message = (
            "Too many reset requests from this network address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        response = render(
            request, "password_forgot.html", {"sent": False, "error": message}, status_code=429
        )
        response.headers["Retry-After"] = str(lock.retry_after_s)
        return response
    db.commit()  # this request's transaction ends before the background one begins
    tasks.add_task(_answer_in_background, who, ip)
    return render(request, "password_forgot.html", {"sent": True, "error": None, "email": who})


@router.get("/password/reset", response_class=HTMLResponse)
def reset_page(request: Request, db: Db, token: str | None = None) -> Response:
    """The page a reset link opens: the new-password form, or plainly why the link is done."""
    if token is not None:  # straight from the mail: keep the token, drop it from the address
        request.session[SESSION_KEY] = token[:200]
        return RedirectResponse("/password/reset", status_code=303)
    return _reset(request, db)


def _reset(request: Request, db: Db, *, status: int = 200, error: str | None = None) -> Response:
    token = str(request.session.get(SESSION_KEY) or "")
    state = auth_service.reset_link_state(db, token=token) if token else "unknown"
    context = {
        "state": state,
        "error": error,
        "minutes": MINUTES,
        "min_password": auth_service.MIN_PASSWORD,
    }
    if state != "valid":  # whatever was posted: the page says the link is done
        status = 410 if state in ("expired", "used") else 404
    return render(request, "password_reset.html", context, status_code=status)


@router.post("/password/reset", response_class=HTMLResponse)
def reset(
    request: Request,
    db: Db,
    tasks: BackgroundTasks,
    new: Annotated[str, Form(max_length=1024)],
    confirm: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Set the new password; every session and every link of the person ends."""
    check_csrf(request, csrf)
    if new != confirm:
        return _reset(request, db, status=422, error="The two passwords do not match.")
    token = str(request.session.get(SESSION_KEY) or "")
    try:
        user = auth_service.redeem_reset_link(db, token=token, password=new)
    except AppError as exc:
        db.rollback()
        return _reset(request, db, status=exc.http_status, error=exc.message)
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="password.reset_used",
        entity="user", entity_id=user.id,
    )  # fmt: skip
    db.commit()
    tasks.add_task(auth_service.mail_changed, user.email, user.name)
    request.session.clear()  # nothing of the old session carries over
    return RedirectResponse("/login?reset=done", status_code=303)
