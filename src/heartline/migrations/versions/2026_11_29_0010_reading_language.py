"""readings keep their language in a column; the daily rollup slices by it

The language was only inside each reading's JSON. Filters and dashboards slice by it, so it
gets a column (filled from the JSON) and the rollup a dimension. The rollup's rows are derived
data: they are cleared here and rebuilt by `heartline.migrate.upgrade` right after (an empty
rollup beside stored readings is always rebuilt).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("emotion_readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
        batch_op.create_index("ix_readings_language", ["language", "occurred_at"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE emotion_readings SET language = json_extract(data, '$.language')")
    else:
        op.execute("UPDATE emotion_readings SET language = data->>'language'")
    with op.batch_alter_table("metric_daily_readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
        batch_op.create_index(
            "ix_metric_daily_readings_language", ["grain", "language", "day"], unique=False
        )
    op.execute("DELETE FROM metric_daily_readings")


def downgrade() -> None:
    with op.batch_alter_table("metric_daily_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_daily_readings_language")
        batch_op.drop_column("language")
    op.execute("DELETE FROM metric_daily_readings WHERE grain = 'language'")
    with op.batch_alter_table("emotion_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_language")
        batch_op.drop_column("language")
