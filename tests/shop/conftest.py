"""Shop fixtures: a connected Shopify shop and WooCommerce site (as an admin would set them)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from heartline.shop import service as shop_service
from heartline.shop.schemas import ShopIn
from tests.shop.payloads import SHOP, SHOP_SECRET, WOO_SECRET, WOO_SITE


@pytest.fixture
def shops(db: Session) -> dict[str, int]:
    """Both shops connected, delivery promised within 5 days."""
    a = shop_service.connect_shop(
        db, data=ShopIn(platform="shopify", domain=SHOP, secret=SHOP_SECRET, promise_days=5),
        actor=None,
    )  # fmt: skip
    b = shop_service.connect_shop(
        db,
        data=ShopIn(platform="woocommerce", domain="shop.example.org", secret=WOO_SECRET,
                    promise_days=5),
        actor=None,
    )  # fmt: skip
    db.commit()
    assert WOO_SITE.startswith("https://shop.example.org")
    return {"shopify": a.id, "woocommerce": b.id}
