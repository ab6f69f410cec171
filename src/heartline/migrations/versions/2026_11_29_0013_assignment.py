"""assignment: agents' availability, and which team works each queue (round robin)

Conversations already have an assignee and a team. Agents get an `available` flag (away agents
get no new conversations), and each queue a row naming the team that works it, whether new
conversations are assigned automatically, and the last agent given one (the round robin's
place).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import heartline.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_table(
        "queue_settings",
        sa.Column("queue", sa.String(length=60), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("auto_assign", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_assignee_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["last_assignee_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("queue"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_assignee_status", ["assignee_id", "status"])


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_assignee_status")
    op.drop_table("queue_settings")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("available")
