"""Shop orders API: the two webhook endpoints the shops call (no login: the signature is the
proof), and the admin's shop connections and the deliveries taken."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heartline.api.deps import Admin, Db
from heartline.errors import AppError, ErrorCode
from heartline.shop import service
from heartline.shop.schemas import DeliveryOut, ShopIn, ShopOut

router = APIRouter(tags=["shop orders"])
Receiver = Callable[..., service.Taken]


def _take(
    db: Session, receive: Receiver, headers: Mapping[str, str], body: bytes
) -> dict[str, object]:
    try:
        taken = receive(db, headers=headers, body=body)
        db.commit()
    except service.Refused as exc:
        db.rollback()  # nothing of this delivery is kept, only the note for the admin
        if exc.shop_id is not None:
            service.note_refusal(db, shop_id=exc.shop_id, why=exc.message)
            db.commit()
        raise
    except IntegrityError:  # the same delivery, or one for the same new order, stored meanwhile
        db.rollback()
        raise AppError(
            ErrorCode.CONFLICT,
            "another delivery for this order was stored at the same moment: send it again",
        ) from None
    return {"status": taken.outcome, "topic": taken.topic, "order_id": taken.order_id}


@router.post("/webhooks/shopify")
async def shopify_webhook(request: Request, db: Db) -> dict[str, object]:
    """A Shopify webhook delivery (orders/*, fulfillments/*), signed with the app's secret
    (`X-Shopify-Hmac-Sha256`); the shop is `X-Shopify-Shop-Domain`. A bad or missing
    signature, or a shop not connected, is a 401; a body that is not the documented order a
    422 naming the field; a delivery id seen before is answered `duplicate`."""
    return _take(db, service.receive_shopify, request.headers, await request.body())


@router.post("/webhooks/woocommerce")
async def woocommerce_webhook(request: Request, db: Db) -> dict[str, object]:
    """A WooCommerce webhook delivery (order.created, order.updated, order.deleted), signed
    with the webhook's secret (`X-WC-Webhook-Signature`); the shop is the site in
    `X-WC-Webhook-Source`. The ping WooCommerce sends when a webhook is saved gets a 200."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # the ping (already parsed by the bounds check)
        if list(form.keys()) == ["webhook_id"] and str(form["webhook_id"]).isdigit():
            return {"status": "ping", "topic": "", "order_id": None}
        body = b""  # any other form is not a delivery: its signature cannot match
    else:
        body = await request.body()
    if service.is_woo_ping(body):
        return {"status": "ping", "topic": "", "order_id": None}
    return _take(db, service.receive_woocommerce, request.headers, body)


@router.get("/shops", response_model=list[ShopOut])
def list_shops(db: Db, _: Admin) -> list[ShopOut]:
    """The connected shops (never their secrets) and the latest delivery each refused."""
    return service.list_shops(db)


@router.put("/shops", response_model=ShopOut)
def connect_shop(body: ShopIn, db: Db, actor: Admin) -> ShopOut:
    """Connect a shop or change one (same platform and domain); `secret` null keeps it."""
    out = service.connect_shop(db, data=body, actor=actor)
    db.commit()
    return out


@router.delete("/shops/{shop_id}", status_code=204)
def remove_shop(shop_id: int, db: Db, actor: Admin) -> Response:
    """Disconnect a shop; the orders it sent stay."""
    service.remove_shop(db, shop_id=shop_id, actor=actor)
    db.commit()
    return Response(status_code=204)


@router.get("/shops/deliveries", response_model=list[DeliveryOut])
def deliveries(db: Db, _: Admin, limit: int = Query(50, ge=1, le=500)) -> list[DeliveryOut]:
    """The latest webhook deliveries taken, newest first, and what each did."""
    return service.recent_deliveries(db, limit=limit)
