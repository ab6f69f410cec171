"""Server-rendered pages: login, inbox of recent interactions, customer page with timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.auth.models import User
from heartline.customers import service as customer_service
from heartline.errors import AppError, ErrorCode
from heartline.interactions import views as interaction_views
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)


def current_user(request: Request, db: Db) -> User:
    """The signed-in user; unauthenticated visitors are sent to the login page."""
    user_id = request.session.get("user_id")
    user = auth_service.get_user(db, user_id=int(user_id)) if user_id else None
    if user is None or not user.is_active:
        raise AppError(ErrorCode.UNAUTHORIZED, "please sign in")
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect to another site after login.
    return target if target and target.startswith("/") and not target.startswith("//") else "/inbox"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: Db,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    """Check credentials and start a session."""
    check_csrf(request, csrf)
    user = auth_service.authenticate(db, email=email, password=password)
    if user is None:
        return render(request, "login.html", {"next": _safe_next(next), "error": "Wrong email or password."},
                      status_code=401)
    db.commit()
    request.session.clear()
    request.session["user_id"] = user.id
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session."""
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, db: Db, user: CurrentUser, page: int = Query(1, ge=1)) -> Response:
    """Recent customer messages with how each customer felt."""
    limit = 50
    items, total = interaction_views.list_interactions(db, limit=limit, offset=(page - 1) * limit)
    customers = {c.id: c for c in customer_service.list_customers_by_ids(db, ids={i.customer_id for i in items})}
    return render(request, "inbox.html", {"items": items, "customers": customers, "total": total,
                                          "page": page, "pages": max(1, -(-total // limit))})


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, customer_id: int, db: Db, user: CurrentUser,
                  page: int = Query(1, ge=1)) -> Response:
    """A customer's profile and emotional timeline."""
    customer = customer_service.get_customer(db, customer_id=customer_id)
    limit = 50
    items, total = interaction_views.timeline(db, customer_id=customer_id, limit=limit, offset=(page - 1) * limit)
    return render(request, "customer.html", {"customer": customer, "items": items, "total": total,
                                             "page": page, "pages": max(1, -(-total // limit))})
