"""Customer search and the customer 360: profile, mood, conversations, orders, timeline."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from heartline.api.deps import Db
from heartline.assist import service as assist_service
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.enums import Direction
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.privacy import service as privacy_service
from heartline.web import sla_view
from heartline.web.deps import AgentUser
from heartline.web.render import render

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/customers", response_class=HTMLResponse)
def customers(
    request: Request, db: Db, user: AgentUser, q: str = "", page: int = Query(1, ge=1)
) -> Response:
    """Find a customer by name, email or external id."""
    rows, total = customer_service.list_customers(
        db, q=q.strip() or None, limit=PAGE, offset=(page - 1) * PAGE
    )
    return render(
        request,
        "customers.html",
        {"rows": rows, "total": total, "q": q, "page": page, "pages": max(1, -(-total // PAGE))},
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request, customer_id: int, db: Db, user: AgentUser, page: int = Query(1, ge=1)
) -> Response:
    """Everything about one customer: how they feel, why, their tickets, orders and timeline."""
    customer = customer_service.get_customer(db, customer_id=customer_id)
    items, total = mood_service.timeline(
        db, customer_id=customer_id, limit=PAGE, offset=(page - 1) * PAGE
    )
    convs, conv_total = interaction_service.list_conversations(
        db, customer_id=customer_id, limit=10
    )
    orders = customer_service.customer_orders(db, customer_id=customer_id, limit=10)
    mood = assist_service.mood_of(db, customer_id=customer_id)
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="view", entity="customer",
        entity_id=customer_id, details={"via": "page"},
    )  # fmt: skip
    db.commit()  # a mood computed on first view is kept (as GET /customers/{id}/mood does)
    last = next(
        (
            i.interaction
            for i in items
            if i.kind == "interaction"
            and i.interaction
            and i.interaction.direction == Direction.INBOUND
            and i.interaction.reading
        ),
        None,
    )
    return render(
        request,
        "customer.html",
        {
            "customer": customer,
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "convs": convs,
            "clocks": sla_view.clocks(db, convs),
            "conv_total": conv_total,
            "orders": orders,
            "mood": mood,
            "last": last,
            "reason": assist_service.complaint_reason(mood),
        },
    )
