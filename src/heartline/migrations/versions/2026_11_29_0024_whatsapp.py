"""whatsapp: WhatsApp Business (Cloud API): the customer-service window and message ids

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import heartline.db

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The customer-service window is not stored: it is derived from the customer's latest inbound
# WhatsApp interaction (interactions.service.last_inbound_at, over ix_interactions_customer_time).
# What is stored: what WhatsApp reported after a send, and an index to find the outbox row by
# the provider's message id when a status callback arrives.


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("delivery_status", sa.String(length=20), nullable=True))
        batch.add_column(
            sa.Column("delivery_status_at", heartline.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_outbox_provider_message", ["provider_message_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_index("ix_outbox_provider_message")
        batch.drop_column("delivery_status_at")
        batch.drop_column("delivery_status")
