"""ingest_batch: an index for threading a message into its conversation

Threading (interactions/ingest.py row by row, threads.thread_heads for a batch) asks, per
customer and channel, for the open conversation with the newest activity within a window.
With only customer_id indexed that read every conversation of the customer; this index
answers it with one range per customer and channel, newest first.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_conversations_thread",
        "conversations",
        ["customer_id", "channel", "last_activity_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_thread", table_name="conversations")
