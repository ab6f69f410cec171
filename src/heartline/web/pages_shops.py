"""Shop orders in the workspace: an admin connects the team's Shopify shop or WooCommerce site
(Settings -> Shops) with its webhook secret and delivery promise, sees where to point the
shop's notifications, and the latest deliveries and refusals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.config import get_settings
from heartline.errors import AppError
from heartline.shop import service as shop_service
from heartline.web.deps import AdminUser
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
WORDS = {
    "platform": "Choose Shopify or WooCommerce.",
    "domain": "The shop's address, like yourshop.myshopify.com or shop.example.com.",
    "secret": "The secret is at least 8 characters, copied from the shop's notification settings.",
    "promise_days": "Delivery promise is a whole number of days from 1 to 365, or empty.",
}

TOPICS = {
    "orders/create": "order placed", "orders/updated": "order changed",
    "orders/cancelled": "order cancelled", "orders/fulfilled": "order sent",
    "orders/partially_fulfilled": "part of an order sent", "orders/paid": "order paid",
    "fulfillments/create": "parcel sent", "fulfillments/update": "parcel news",
    "fulfillment_events/create": "carrier news",
    "order.created": "order placed", "order.updated": "order changed",
    "order.deleted": "order deleted", "order.restored": "order restored",
}  # fmt: skip


def _page(
    request: Request, db: Db, *, errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None, notice: str = "", status_code: int = 200,
) -> Response:  # fmt: skip
    base = get_settings().public_url.rstrip("/")
    shops = shop_service.list_shops(db)
    return render(
        request,
        "shops.html",
        {
            "shops": shops,
            "names": {s.id: f"{shop_service.PLATFORMS[s.platform]} {s.domain}" for s in shops},
            "platforms": shop_service.PLATFORMS,
            "topics": TOPICS,
            "deliveries": shop_service.recent_deliveries(db, limit=30),
            "urls": {p: f"{base}/api/v1/webhooks/{p}" for p in shop_service.PLATFORMS},
            "errors": errors or {},
            "form": form or {"platform": "shopify"},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/settings/shops", response_class=HTMLResponse)
def shops_page(request: Request, db: Db, _: AdminUser, notice: str = "") -> Response:
    """Connected shops, where to point their notifications, the latest deliveries."""
    return _page(request, db, notice=notice[:200])


@router.post("/settings/shops", response_class=HTMLResponse)
def connect(
    request: Request,
    db: Db,
    user: AdminUser,
    platform: Annotated[str, Form()] = "",
    domain: Annotated[str, Form()] = "",
    secret: Annotated[str, Form()] = "",
    promise_days: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Connect a shop or change one; a wrong field keeps the form and says what is wrong
    (the secret is never put back into the page)."""
    check_csrf(request, csrf)
    form = {"platform": platform, "domain": domain, "promise_days": promise_days}
    days = promise_days.strip()
    try:
        data = shop_service.ShopIn(
            platform=platform,
            domain=domain,
            secret=secret or None,
            promise_days=int(days) if days.isdigit() else (None if not days else -1),
        )
        out = shop_service.connect_shop(db, data=data, actor=auth_service.user_principal(user))
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        return _page(request, db, errors={field: WORDS.get(field, "Check this field.")},
                     form=form, status_code=422)  # fmt: skip
    except AppError as exc:
        field = str(exc.details[0]["field"]).removeprefix("body.") if exc.details else "domain"
        return _page(request, db, errors={field: WORDS.get(field, exc.message)}, form=form,
                     status_code=exc.http_status)  # fmt: skip
    db.commit()
    said = f"{shop_service.PLATFORMS[out.platform]} shop {out.domain} saved."
    return RedirectResponse(f"/settings/shops?notice={said}", status_code=303)


@router.post("/settings/shops/{shop_id}/remove", response_class=HTMLResponse)
def remove(
    request: Request, shop_id: int, db: Db, user: AdminUser, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Disconnect a shop; its orders stay."""
    check_csrf(request, csrf)
    shop_service.remove_shop(db, shop_id=shop_id, actor=auth_service.user_principal(user))
    db.commit()
    return RedirectResponse("/settings/shops?notice=Shop disconnected.", status_code=303)
