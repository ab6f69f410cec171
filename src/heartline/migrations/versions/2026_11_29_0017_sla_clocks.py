"""sla_clocks: SLA clocks that pause and business hours per team

Each conversation gets a row of SLA clocks (the reply clock: first reply, then each next reply;
the resolution clock), with due times recomputed on each event and the business time spent
waiting on the customer; each team may get business hours (time zone, weekly hours, holidays).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import heartline.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, heartline.db.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "team_business_hours",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("calendar", JSON, nullable=False),
        sa.Column("updated_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "sla_clocks",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("reply_kind", sa.String(length=20), nullable=True),
        _when("reply_started_at"),
        sa.Column("reply_target_s", sa.Integer(), nullable=False),
        _when("reply_due_at"),
        _when("reply_stopped_at"),
        sa.Column("reply_met", sa.Boolean(), nullable=True),
        _when("reply_warned_at"),
        sa.Column("resolve_target_s", sa.Integer(), nullable=False),
        _when("resolve_due_at"),
        _when("resolve_stopped_at"),
        sa.Column("resolve_met", sa.Boolean(), nullable=True),
        _when("resolve_warned_at"),
        _when("paused_since"),
        sa.Column("paused_seconds", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_index("ix_sla_clocks_reply_due", "sla_clocks", ["reply_due_at"])
    op.create_index("ix_sla_clocks_resolve_due", "sla_clocks", ["resolve_due_at"])
    # The inbox's "SLA at risk" view and its count: open conversations due before a moment.
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_status_sla", ["status", "sla_due_at"])


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_status_sla")
    op.drop_index("ix_sla_clocks_resolve_due", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_reply_due", table_name="sla_clocks")
    op.drop_table("sla_clocks")
    op.drop_table("team_business_hours")
