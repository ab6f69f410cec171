"""The demo shop's catalogue: products by category, with prices."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

PRODUCTS: dict[str, list[tuple[str, str]]] = {
    "outdoor": [
        ("hiking boots", "89.00"),
        ("2-person tent", "149.00"),
        ("trail running shoes", "119.00"),
        ("insulated water bottle", "24.50"),
        ("trekking poles", "59.00"),
        ("daypack 28L", "74.00"),
        ("sleeping bag", "129.00"),
        ("headlamp", "29.99"),
    ],
    "kitchen": [
        ("cast iron skillet", "45.00"),
        ("espresso grinder", "179.00"),
        ("chef's knife", "79.00"),
        ("stand mixer", "299.00"),
        ("pour-over kettle", "54.00"),
        ("bread proofing basket", "19.50"),
    ],
    "electronics": [
        ("wireless earbuds", "129.00"),
        ("action camera", "249.00"),
        ("smart speaker", "99.00"),
        ("e-reader", "139.00"),
        ("portable charger", "39.00"),
        ("noise-cancelling headphones", "229.00"),
    ],
    "books": [
        ("hardback novel", "22.00"),
        ("trail guide book", "18.50"),
        ("history box set", "64.00"),
        ("baking cookbook", "29.00"),
        ("travel journal", "14.00"),
    ],
    "apparel": [
        ("rain jacket", "139.00"),
        ("merino base layer", "69.00"),
        ("running tights", "55.00"),
        ("wool beanie", "24.00"),
        ("down vest", "119.00"),
        ("linen shirt", "49.00"),
    ],
    "beauty": [
        ("vitamin C serum", "34.00"),
        ("sunscreen SPF 50", "19.00"),
        ("eau de parfum", "89.00"),
        ("night cream", "42.00"),
        ("lip balm set", "12.00"),
    ],
}
CATEGORIES = sorted(PRODUCTS)


def sku(category: str, product: str) -> str:
    """A stable SKU for a catalogue product."""
    code = "".join(w[0] for w in product.replace("-", " ").split()).upper()
    return f"{category[:3].upper()}-{code}-{len(product):02d}"


def pick_items(rng: random.Random, categories: list[str]) -> list[dict[str, Any]]:
    """1-3 line items, mostly from the customer's favourite categories (OrderItemIn-shaped)."""
    items = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        category = rng.choice(categories) if rng.random() < 0.8 else rng.choice(CATEGORIES)
        product, price = rng.choice(PRODUCTS[category])
        items.append(
            {
                "product": product,
                "category": category,
                "sku": sku(category, product),
                "quantity": rng.choice([1, 1, 1, 2]),
                "unit_price": Decimal(price),
            }
        )
    return items


def order_number(customer_index: int, k: int) -> str:
    """A shop-style order number, unique per (customer, k) for customer indexes below 10,000.

    An affine map modulo 10^7 with a multiplier coprime to it is a bijection, so numbers never
    collide, yet they do not read as sequential.
    """
    code = customer_index * 1000 + k
    return f"HL-{(code * 7919 + 1_234_567) % 10_000_000:07d}"
