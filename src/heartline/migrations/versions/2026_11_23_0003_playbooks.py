"""playbooks, outbox and delivery

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 06:00:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import heartline.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, heartline.db.UTCDateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "playbooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("created_at", False),
        _ts("updated_at", False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
        sa.UniqueConstraint("key", name=op.f("uq_playbooks_key")),
    )
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_key", sa.String(length=80), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("event_ref", sa.String(length=80), nullable=True),
        sa.Column("occasion", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("guardrail", sa.String(length=40), nullable=True),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("fired_key", sa.String(length=300), nullable=True),
        _ts("created_at", False),
        _fk("playbook_runs", "customer_id", "customers", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
        sa.UniqueConstraint("fired_key", name=op.f("uq_playbook_runs_fired_key")),
    )
    with op.batch_alter_table("playbook_runs", schema=None) as batch_op:
        batch_op.create_index("ix_playbook_runs_customer", ["customer_id", "created_at"])
        batch_op.create_index("ix_playbook_runs_playbook", ["playbook_key", "created_at"])

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("playbook_key", sa.String(length=80), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        _ts("lease_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        _ts("sent_at"),
        _ts("replied_at"),
        sa.Column("reply_interaction_id", sa.Integer(), nullable=True),
        sa.Column("reply_valence", sa.Float(), nullable=True),
        _ts("created_at", False),
        _ts("updated_at", False),
        _fk("outbox_messages", "run_id", "playbook_runs", "SET NULL"),
        _fk("outbox_messages", "customer_id", "customers", "CASCADE"),
        _fk("outbox_messages", "interaction_id", "interactions", "SET NULL"),
        _fk("outbox_messages", "reply_interaction_id", "interactions", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_messages_idempotency_key")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"])
        batch_op.create_index("ix_outbox_customer", ["customer_id", "created_at"])
        batch_op.create_index(batch_op.f("ix_outbox_messages_run_id"), ["run_id"])

    op.create_table(
        "agent_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("playbook_key", sa.String(length=80), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        _ts("due_at"),
        _ts("completed_at"),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        _ts("created_at", False),
        _fk("agent_tasks", "customer_id", "customers", "CASCADE"),
        _fk("agent_tasks", "run_id", "playbook_runs", "SET NULL"),
        _fk("agent_tasks", "assignee_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_tasks")),
    )
    with op.batch_alter_table("agent_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_agent_tasks_open", ["status", "due_at"])
        batch_op.create_index(batch_op.f("ix_agent_tasks_customer_id"), ["customer_id"])

    op.create_table(
        "offer_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("playbook_key", sa.String(length=80), nullable=True),
        sa.Column("percent_off", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=True),
        _ts("expires_at"),
        _ts("created_at", False),
        _fk("offer_codes", "customer_id", "customers", "CASCADE"),
        _fk("offer_codes", "run_id", "playbook_runs", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_offer_codes_code")),
    )
    with op.batch_alter_table("offer_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_codes_customer_id"), ["customer_id"])


def downgrade() -> None:
    with op.batch_alter_table("offer_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_codes_customer_id"))
    op.drop_table("offer_codes")
    with op.batch_alter_table("agent_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_tasks_customer_id"))
        batch_op.drop_index("ix_agent_tasks_open")
    op.drop_table("agent_tasks")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_run_id"))
        batch_op.drop_index("ix_outbox_customer")
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("outbox_messages")
    with op.batch_alter_table("playbook_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_playbook_runs_playbook")
        batch_op.drop_index("ix_playbook_runs_customer")
    op.drop_table("playbook_runs")
    op.drop_table("playbooks")
