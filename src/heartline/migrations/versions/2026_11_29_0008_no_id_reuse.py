"""SQLite never reuses the id of an erased customer or a deleted user (AUTOINCREMENT)

Without AUTOINCREMENT, SQLite hands the highest id out again once its row is deleted, so
the next customer would inherit an erased customer's audit trail. PostgreSQL sequences never
go back; nothing to do there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 14:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("customers", "users")


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
