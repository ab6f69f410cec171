"""helpdesk_import: help-desk history imports (Zendesk, Freshdesk): where each import got to

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import heartline.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "helpdesk_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("records_done", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("started_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", heartline.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("remembered_at", heartline.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "fingerprint", "file_name"),
    )


def downgrade() -> None:
    op.drop_table("helpdesk_imports")
