"""privacy requests read in messages; marketing pause on customers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:45:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import heartline.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, heartline.db.UTCDateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(_ts("marketing_paused_at"))
        batch_op.add_column(sa.Column("marketing_pause_reason", sa.String(300), nullable=True))

    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        _ts("requested_at", False),
        sa.Column("intent_confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        _ts("resolved_at"),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        _ts("created_at", False),
        _fk("privacy_requests", "customer_id", "customers", "CASCADE"),
        _fk("privacy_requests", "interaction_id", "interactions", "SET NULL"),
        _fk("privacy_requests", "conversation_id", "conversations", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_privacy_requests_interaction_id")),
    )
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.create_index("ix_privacy_requests_status", ["status", "created_at"])
        batch_op.create_index(batch_op.f("ix_privacy_requests_customer_id"), ["customer_id"])


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_requests_customer_id"))
        batch_op.drop_index("ix_privacy_requests_status")
    op.drop_table("privacy_requests")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("marketing_pause_reason")
        batch_op.drop_column("marketing_paused_at")
