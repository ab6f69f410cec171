"""a reading's review reasons get their own table; the review queue pages in SQL

The reasons a reading was flagged (likely sarcasm, low confidence, unsupported language...)
lived only inside each reading's JSON, so the queue filtered by reason in Python after loading
every flagged reading. They get a table (one row per reading and reason), filled here from
the JSON; the app keeps both in step from now on.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Longer strings are not reasons the engine writes; they stay in the JSON only.
MAX_REASON = 60
BACKFILL = {
    "sqlite": (
        "INSERT INTO reading_review_reasons (reading_id, reason) "
        "SELECT DISTINCT r.id, j.value FROM emotion_readings AS r, "
        "json_each(r.data, '$.review_reasons') AS j "
        "WHERE json_type(r.data, '$.review_reasons') = 'array' AND j.type = 'text' "
        f"AND length(j.value) BETWEEN 1 AND {MAX_REASON}"
    ),
    "postgresql": (
        "INSERT INTO reading_review_reasons (reading_id, reason) "
        "SELECT DISTINCT r.id, j.value #>> '{}' FROM emotion_readings AS r "
        "CROSS JOIN LATERAL jsonb_array_elements("
        "CASE WHEN jsonb_typeof(r.data::jsonb -> 'review_reasons') = 'array' "
        "THEN r.data::jsonb -> 'review_reasons' ELSE '[]'::jsonb END) AS j(value) "
        "WHERE jsonb_typeof(j.value) = 'string' "
        f"AND length(j.value #>> '{{}}') BETWEEN 1 AND {MAX_REASON}"
    ),
}


def upgrade() -> None:
    op.create_table(
        "reading_review_reasons",
        sa.Column("reading_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=MAX_REASON), nullable=False),
        sa.ForeignKeyConstraint(
            ["reading_id"],
            ["emotion_readings.id"],
            name=op.f("fk_reading_review_reasons_reading_id_emotion_readings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reading_id", "reason", name=op.f("pk_reading_review_reasons")),
    )
    with op.batch_alter_table("reading_review_reasons", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reading_review_reasons_reason", ["reason", "reading_id"], unique=False
        )
    op.execute(BACKFILL[op.get_bind().dialect.name])


def downgrade() -> None:
    with op.batch_alter_table("reading_review_reasons", schema=None) as batch_op:
        batch_op.drop_index("ix_reading_review_reasons_reason")
    op.drop_table("reading_review_reasons")
