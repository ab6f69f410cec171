"""emotional memory (mood state, churn, segments, routing rules, review)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import heartline.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_daily_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("queue", sa.String(length=60), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=120), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("valence_sum", sa.Float(), nullable=False),
        sa.Column("intensity_sum", sa.Float(), nullable=False),
        sa.Column("s_negative", sa.Integer(), nullable=False),
        sa.Column("s_neutral", sa.Integer(), nullable=False),
        sa.Column("s_positive", sa.Integer(), nullable=False),
        sa.Column("s_none", sa.Integer(), nullable=False),
        sa.Column("e_anger", sa.Integer(), nullable=False),
        sa.Column("e_frustration", sa.Integer(), nullable=False),
        sa.Column("e_disappointment", sa.Integer(), nullable=False),
        sa.Column("e_sadness", sa.Integer(), nullable=False),
        sa.Column("e_anxiety", sa.Integer(), nullable=False),
        sa.Column("e_confusion", sa.Integer(), nullable=False),
        sa.Column("e_surprise", sa.Integer(), nullable=False),
        sa.Column("e_joy", sa.Integer(), nullable=False),
        sa.Column("e_gratitude", sa.Integer(), nullable=False),
        sa.Column("e_satisfaction", sa.Integer(), nullable=False),
        sa.Column("e_neutral", sa.Integer(), nullable=False),
        sa.Column("csat_n", sa.Integer(), nullable=False),
        sa.Column("csat_good", sa.Integer(), nullable=False),
        sa.Column("nps_n", sa.Integer(), nullable=False),
        sa.Column("nps_promoters", sa.Integer(), nullable=False),
        sa.Column("nps_detractors", sa.Integer(), nullable=False),
        sa.Column("ces_n", sa.Integer(), nullable=False),
        sa.Column("ces_sum", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_daily_readings")),
    )
    op.create_index(
        "ix_metric_daily_readings_grain_day",
        "metric_daily_readings",
        ["grain", "day"],
        unique=False,
    )
    op.create_index(
        "ix_metric_daily_readings_channel",
        "metric_daily_readings",
        ["grain", "channel", "day"],
        unique=False,
    )
    op.create_index(
        "ix_metric_daily_readings_queue",
        "metric_daily_readings",
        ["grain", "queue", "day"],
        unique=False,
    )
    op.create_index(
        "ix_metric_daily_readings_team",
        "metric_daily_readings",
        ["grain", "team_id", "day"],
        unique=False,
    )
    op.create_index(
        "ix_metric_daily_readings_agent",
        "metric_daily_readings",
        ["grain", "agent_id", "day"],
        unique=False,
    )
    op.create_index(
        "ix_metric_daily_readings_category",
        "metric_daily_readings",
        ["grain", "category", "day"],
        unique=False,
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("key", name=op.f("uq_segments_key")),
    )
    op.create_table(
        "routing_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["users.id"],
            name=op.f("fk_routing_configs_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_configs")),
    )
    op.create_table(
        "mood_states",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=30), nullable=False),
        sa.Column("valence", sa.Float(), nullable=False),
        sa.Column("baseline_valence", sa.Float(), nullable=False),
        sa.Column("trajectory", sa.String(length=12), nullable=False),
        sa.Column(
            "dominant",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "profile",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "last_negative",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "open_issues",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("readings_count", sa.Integer(), nullable=False),
        sa.Column("last_reading_at", heartline.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("churn_risk", sa.Float(), nullable=False),
        sa.Column(
            "churn_reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("updated_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_mood_states_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_mood_states")),
    )
    op.create_index(op.f("ix_mood_states_churn_risk"), "mood_states", ["churn_risk"], unique=False)
    op.create_table(
        "segment_members",
        sa.Column("segment_key", sa.String(length=60), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("since", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_segment_members_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_key", "customer_id", name=op.f("pk_segment_members")),
    )
    op.create_index(
        op.f("ix_segment_members_customer_id"), "segment_members", ["customer_id"], unique=False
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("intensity", sa.Float(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", heartline.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_complaints_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_complaints_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_complaints_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_complaints_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_complaints_interaction_id")),
    )
    op.create_index(
        op.f("ix_complaints_conversation_id"), "complaints", ["conversation_id"], unique=False
    )
    op.create_index(
        "ix_complaints_customer_time", "complaints", ["customer_id", "occurred_at"], unique=False
    )
    op.create_table(
        "recovery_stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("negative_interaction_id", sa.Integer(), nullable=False),
        sa.Column("positive_interaction_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("from_label", sa.String(length=30), nullable=False),
        sa.Column("to_label", sa.String(length=30), nullable=False),
        sa.Column("from_valence", sa.Float(), nullable=False),
        sa.Column("to_valence", sa.Float(), nullable=False),
        sa.Column("negative_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recovered_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_recovery_stories_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_recovery_stories_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["negative_interaction_id"],
            ["interactions.id"],
            name=op.f("fk_recovery_stories_negative_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["positive_interaction_id"],
            ["interactions.id"],
            name=op.f("fk_recovery_stories_positive_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_stories")),
        sa.UniqueConstraint(
            "negative_interaction_id", name=op.f("uq_recovery_stories_negative_interaction_id")
        ),
    )
    op.create_index(
        op.f("ix_recovery_stories_customer_id"), "recovery_stories", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_recovery_stories_recovered_at"), "recovery_stories", ["recovered_at"], unique=False
    )
    op.create_table(
        "reading_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reading_id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("sentiment", sa.String(length=10), nullable=True),
        sa.Column(
            "emotions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sarcasm", sa.Boolean(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column(
            "original",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("created_at", heartline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_reading_reviews_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reading_id"],
            ["emotion_readings.id"],
            name=op.f("fk_reading_reviews_reading_id_emotion_readings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_user_id"],
            ["users.id"],
            name=op.f("fk_reading_reviews_reviewer_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_reviews")),
    )
    op.create_index(
        op.f("ix_reading_reviews_interaction_id"),
        "reading_reviews",
        ["interaction_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_reading_reviews_reading_id"), "reading_reviews", ["reading_id"], unique=False
    )
    op.create_index("ix_readings_time", "emotion_readings", ["occurred_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_readings_time", table_name="emotion_readings")
    op.drop_index(op.f("ix_reading_reviews_reading_id"), table_name="reading_reviews")
    op.drop_index(op.f("ix_reading_reviews_interaction_id"), table_name="reading_reviews")
    op.drop_table("reading_reviews")
    op.drop_index(op.f("ix_recovery_stories_recovered_at"), table_name="recovery_stories")
    op.drop_index(op.f("ix_recovery_stories_customer_id"), table_name="recovery_stories")
    op.drop_table("recovery_stories")
    op.drop_index("ix_complaints_customer_time", table_name="complaints")
    op.drop_index(op.f("ix_complaints_conversation_id"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_index(op.f("ix_segment_members_customer_id"), table_name="segment_members")
    op.drop_table("segment_members")
    op.drop_index(op.f("ix_mood_states_churn_risk"), table_name="mood_states")
    op.drop_table("mood_states")
    op.drop_table("routing_configs")
    op.drop_table("segments")
    op.drop_index("ix_metric_daily_readings_category", table_name="metric_daily_readings")
    op.drop_index("ix_metric_daily_readings_agent", table_name="metric_daily_readings")
    op.drop_index("ix_metric_daily_readings_team", table_name="metric_daily_readings")
    op.drop_index("ix_metric_daily_readings_queue", table_name="metric_daily_readings")
    op.drop_index("ix_metric_daily_readings_channel", table_name="metric_daily_readings")
    op.drop_index("ix_metric_daily_readings_grain_day", table_name="metric_daily_readings")
    op.drop_table("metric_daily_readings")
