"""Merging a duplicate customer into another (managers): find the one to keep by name or
email, see what will move, confirm. The work is privacy.service.merge_customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.privacy import service as privacy_service
from heartline.web.deps import ManagerUser
from heartline.web.render import check_csrf, form_id, render

router = APIRouter(include_in_schema=False)
CANDIDATES = 20  # a search narrows it; a duplicate is found by email or name, not by paging


def _page(
    request: Request, db: Db, customer_id: int, q: str, into: int | None, error: str = ""
) -> Response:
    dup = customer_service.get_customer(db, customer_id=customer_id)
    rows = []
    if q.strip() and into is None:
        found, _ = customer_service.list_customers(db, q=q.strip(), limit=CANDIDATES + 1)
        rows = [c for c in found if c.id != customer_id][:CANDIDATES]
    target = (
        customer_service.find_customer_by_id(db, customer_id=into) if into is not None else None
    )
    _, conv_total = interaction_service.list_conversations(db, customer_id=customer_id, limit=1)
    _, order_total = customer_service.orders_page(db, customer_id=customer_id, limit=1)
    return render(
        request,
        "customer_merge.html",
        {
            "dup": dup,
            "q": q,
            "rows": rows,
            "target": target,
            "conv_total": conv_total,
            "order_total": order_total,
            "error": error,
        },
        status_code=422 if error else 200,
    )


@router.get("/customers/{customer_id}/merge", response_class=HTMLResponse)
def merge_page(
    request: Request,
    customer_id: int,
    db: Db,
    user: ManagerUser,
    q: str = Query("", max_length=200),
    into: int | None = Query(None, ge=1, le=2_147_483_647),
) -> Response:
    """Search for the customer to keep, then confirm what moves."""
    return _page(request, db, customer_id, q, into)


@router.post("/customers/{customer_id}/merge")
def merge(
    request: Request,
    customer_id: int,
    db: Db,
    user: ManagerUser,
    into: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Merge this customer into the chosen one, then open the survivor (audited)."""
    check_csrf(request, csrf)
    target = form_id(into, "into", "choose the customer to keep")
    if target is None:
        return _page(request, db, customer_id, "", None, error="Choose the customer to keep.")
    try:
        privacy_service.merge_customers(
            db, source_id=customer_id, into_id=target, actor=auth_service.user_principal(user)
        )
    except AppError as err:
        if err.http_status == 404:
            raise
        plain = (
            "That customer no longer exists; search again."
            if err.code == ErrorCode.UNKNOWN_REFERENCE
            else err.message.split(": ", 1)[-1].capitalize() + "."
        )
        return _page(request, db, customer_id, "", None, error=plain)
    db.commit()
    return RedirectResponse(f"/customers/{target}?merged={customer_id}", status_code=303)
