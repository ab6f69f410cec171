"""the shipped playbooks are stored by the migration, so reading playbooks never writes

Until now the first read of the playbook list inserted the built-ins (a GET that wrote).
They are stored here, validated as the app validates them, skipping any key already present
(an edited built-in is never overwritten). Built-ins shipped later are stored by the write
paths (saving a playbook, a playbook run) or a later migration.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from heartline.db import UTCDateTime, utcnow

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# The columns as they are at this revision (not the model, which may grow later).
playbooks = sa.table(
    "playbooks",
    sa.column("key", sa.String()),
    sa.column("name", sa.String()),
    sa.column("description", sa.Text()),
    sa.column("enabled", sa.Boolean()),
    sa.column("approval_required", sa.Boolean()),
    sa.column("builtin", sa.Boolean()),
    sa.column("spec", JSON),
    sa.column("version", sa.Integer()),
    sa.column("created_at", UTCDateTime(timezone=True)),
    sa.column("updated_at", UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    from heartline.playbooks import service as playbooks_service

    have = set(op.get_bind().scalars(sa.select(playbooks.c.key)))
    now = utcnow()
    rows = [
        {**values, "version": 1, "created_at": now, "updated_at": now}
        for values in playbooks_service.builtin_rows(have)
    ]
    if rows:
        op.bulk_insert(playbooks, rows)


def downgrade() -> None:
    # The rows are data like any playbook an operator saved; 0003's downgrade drops the table.
    pass
