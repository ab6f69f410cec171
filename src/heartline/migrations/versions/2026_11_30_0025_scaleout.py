"""scaleout: the daily rollup is rebuilt once (repairs days two workers counted twice) and
gains the "slices" grain

Before one-writer-per-day (metrics/rollup.py), two pipeline workers refreshing the same day at
once could both insert its rows, so a deployment that ran several workers may hold days counted
twice (#15 measured 5.6-8.9 %). The rollup is derived data: it is cleared here and rebuilt by
`heartline.migrate.upgrade` right after (an empty rollup beside stored readings is always
rebuilt), which also fills the new "slices" grain (channel, queue, team, language).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM metric_daily_readings")


def downgrade() -> None:
    # the rows stay valid for the previous code (it never reads the "slices" grain)
    pass
