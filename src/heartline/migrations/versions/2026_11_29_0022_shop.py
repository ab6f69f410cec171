"""shop: shop connections (Shopify, WooCommerce): webhook deliveries seen and the product catalogue

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import heartline.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = heartline.db.UTCDateTime(timezone=True)
    op.create_table(
        "shop_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("promise_days", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("last_error_at", when, nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "domain", name="uq_shop_connections_domain"),
    )
    op.create_table(
        "shop_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=120), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shop_connections.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop_id", "delivery_id", name="uq_shop_deliveries_delivery"),
    )
    op.create_index("ix_shop_deliveries_shop_created", "shop_deliveries", ["shop_id", "created_at"])
    op.create_table(
        "shop_order_versions",
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("external_id"),
    )
    op.create_table(
        "shop_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=140), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "ref", name="uq_shop_products_ref"),
    )


def downgrade() -> None:
    op.drop_table("shop_products")
    op.drop_table("shop_order_versions")
    op.drop_index("ix_shop_deliveries_shop_created", table_name="shop_deliveries")
    op.drop_table("shop_deliveries")
    op.drop_table("shop_connections")
