"""The shop domain's surface: connect a Shopify shop or a WooCommerce site (its webhook secret
sealed, never shown back; a "delivery promised within N days" setting), take their signed
webhook deliveries, list what arrived, and import their order and product CSV exports.
No commits here, except in the importers, which own their batches."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.auth.service import Principal
from heartline.db import utcnow
from heartline.errors import AppError, ErrorCode, not_found
from heartline.importing import ImportReport, RowError
from heartline.privacy import service as audit
from heartline.sealed import seal
from heartline.shop.importers import IMPORT_KINDS, import_export
from heartline.shop.models import SECRET, ShopConnection, ShopDelivery
from heartline.shop.schemas import PLATFORMS, DeliveryOut, ShopIn, ShopOut
from heartline.shop.webhooks import (
    Refused,
    Taken,
    is_woo_ping,
    receive_shopify,
    receive_woocommerce,
    signature,
)

__all__ = [
    "IMPORT_KINDS",
    "PLATFORMS",
    "DeliveryOut",
    "ImportReport",
    "Refused",
    "RowError",
    "ShopIn",
    "ShopOut",
    "Taken",
    "connect_shop",
    "import_export",
    "is_woo_ping",
    "list_shops",
    "note_refusal",
    "receive_shopify",
    "receive_woocommerce",
    "recent_deliveries",
    "remove_shop",
    "signature",
]


def list_shops(session: Session) -> list[ShopOut]:
    """Every connected shop (never its secret)."""
    rows = session.scalars(select(ShopConnection).order_by(ShopConnection.id))
    return [ShopOut.model_validate(r) for r in rows]


def connect_shop(session: Session, *, data: ShopIn, actor: Principal | None) -> ShopOut:
    """Connect a shop, or change one (same platform and domain): the secret is sealed; a new
    shop needs one, a known one keeps its secret when none is given. Audited, without it."""
    row = session.scalar(
        select(ShopConnection).where(
            ShopConnection.platform == data.platform, ShopConnection.domain == data.domain
        )
    )
    if row is None and data.secret is None:
        raise AppError(
            ErrorCode.VALIDATION_ERROR, "body.secret: a new shop needs its webhook secret",
            details=[{"field": "body.secret", "message": "required", "type": "missing"}],
        )  # fmt: skip
    created = row is None
    if row is None:
        row = ShopConnection(platform=data.platform, domain=data.domain)
        session.add(row)
    if data.secret is not None:
        row.secret_sealed = seal(data.secret, purpose=SECRET)
    row.promise_days = data.promise_days
    session.flush()
    audit.record(
        session, actor=actor, action="shop.connected" if created else "shop.updated",
        entity="shop", entity_id=row.id,
        details={"platform": row.platform, "domain": row.domain,
                 "promise_days": row.promise_days, "secret_changed": data.secret is not None},
    )  # fmt: skip
    return ShopOut.model_validate(row)


def remove_shop(session: Session, *, shop_id: int, actor: Principal | None) -> None:
    """Disconnect a shop: its deliveries stop being taken; orders already stored stay."""
    row = session.get(ShopConnection, shop_id)
    if row is None:
        raise not_found("shop", shop_id)
    details = {"platform": row.platform, "domain": row.domain}
    session.delete(row)
    session.flush()
    audit.record(
        session, actor=actor, action="shop.removed", entity="shop", entity_id=shop_id,
        details=details,
    )  # fmt: skip


def note_refusal(session: Session, *, shop_id: int, why: str) -> None:
    """Remember the latest refused delivery on the shop, for the admin's settings page."""
    row = session.get(ShopConnection, shop_id)
    if row is not None:
        row.last_error, row.last_error_at = why[:300], utcnow()
        session.flush()


def recent_deliveries(session: Session, *, limit: int = 50) -> list[DeliveryOut]:
    """The latest deliveries taken, newest first."""
    rows = session.scalars(
        select(ShopDelivery).order_by(ShopDelivery.created_at.desc(), ShopDelivery.id.desc())
        .limit(limit)
    )  # fmt: skip
    return [DeliveryOut.model_validate(r) for r in rows]
