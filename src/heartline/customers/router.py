"""HTTP for customers and orders (thin: parse, call the service, commit, shape)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from heartline import pipeline
from heartline.api.deps import Db, Ingester, Reader
from heartline.customers import service
from heartline.customers.schemas import CustomerIn, CustomerOut, OrderIn, OrderOut
from heartline.enums import PipelineEvent
from heartline.errors import not_found
from heartline.privacy import service as privacy_service
from heartline.schemas import Page

router = APIRouter(tags=["customers"])


@router.post(
    "/customers",
    response_model=CustomerOut,
    status_code=201,
    responses={200: {"description": "Existing customer updated or unchanged"}},
)
def upsert_customer(body: CustomerIn, db: Db, who: Ingester, response: Response) -> CustomerOut:
    """Create a customer, or update the one with the same external_id."""
    result = privacy_service.upsert_customer(db, data=body, actor=who)
    db.commit()
    if result.status != "created":
        response.status_code = 200
    return CustomerOut.model_validate(result.obj)


@router.get("/customers", response_model=Page[CustomerOut])
def list_customers(
    db: Db,
    _: Reader,
    external_id: str | None = Query(None, description="Exact lookup by the integrator's id"),
    q: str | None = Query(None, max_length=200, description="Search name or email"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> Page[CustomerOut]:
    """List customers, or look one up by external_id."""
    if external_id is not None:
        found = service.find_customer(db, external_id=external_id)
        items = [found] if found else []
        return Page(
            items=[CustomerOut.model_validate(c) for c in items],
            total=len(items),
            limit=limit,
            offset=0,
        )
    rows, total = service.list_customers(db, q=q, limit=limit, offset=offset)
    return Page(
        items=[CustomerOut.model_validate(c) for c in rows], total=total, limit=limit, offset=offset
    )


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: int, db: Db, who: Reader) -> CustomerOut:
    """One customer (the view is recorded in the audit trail)."""
    out = CustomerOut.model_validate(service.get_customer(db, customer_id=customer_id))
    privacy_service.record(db, actor=who, action="view", entity="customer", entity_id=customer_id)
    db.commit()
    return out


@router.post(
    "/orders",
    response_model=OrderOut,
    status_code=201,
    responses={200: {"description": "Existing order updated or unchanged"}},
)
def upsert_order(body: OrderIn, db: Db, _: Ingester, response: Response) -> OrderOut:
    """Create an order, or update the one with the same external_id."""
    result = service.upsert_order(db, data=body)
    db.commit()
    if result.status != "created":
        response.status_code = 200
    if result.status != "unchanged":
        pipeline.submit(db, PipelineEvent.ORDER, [result.obj.id])
    return OrderOut.model_validate(result.obj)


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: int, db: Db, _: Reader) -> OrderOut:
    """One order with its items."""
    return OrderOut.model_validate(service.get_order(db, order_id=order_id))


@router.get("/customers/{customer_id}/orders", response_model=list[OrderOut])
def customer_orders(
    customer_id: int, db: Db, _: Reader, limit: int = Query(100, ge=1, le=500)
) -> list[OrderOut]:
    """A customer's orders, newest first."""
    if service.get_customer(db, customer_id=customer_id) is None:
        raise not_found("customer", customer_id)
    return [
        OrderOut.model_validate(o)
        for o in service.customer_orders(db, customer_id=customer_id, limit=limit)
    ]
