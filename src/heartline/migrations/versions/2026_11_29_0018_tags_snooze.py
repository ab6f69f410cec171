"""tags_snooze: conversation tags, snooze, and merged customers

Conversations get free-text tags (one row per tag, lower-case; the inbox filters by tag) and
a `snoozed_until` time: until then the conversation stays out of the open views. Merging
duplicate customers needs no schema: rows move to the survivor.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import heartline.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("snoozed_until", heartline.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_conversations_snoozed", ["snoozed_until"])
    op.create_table(
        "conversation_tags",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("created_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_tags_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "tag", name=op.f("pk_conversation_tags")),
    )
    op.create_index(op.f("ix_conversation_tags_tag"), "conversation_tags", ["tag"])


def downgrade() -> None:
    op.drop_index(op.f("ix_conversation_tags_tag"), table_name="conversation_tags")
    op.drop_table("conversation_tags")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_snoozed")
        batch_op.drop_column("snoozed_until")
