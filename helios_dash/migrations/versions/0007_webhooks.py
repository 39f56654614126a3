"""Webhooks and their outbox of deliveries.

Revision ID: 0007_webhooks
Revises: 0006_research
Create Date: 2026-12-01

Spelled out rather than imported from schema.py (see 0004_accounts).
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_webhooks"
down_revision = "0006_research"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("events", sa.String, nullable=False),
        sa.Column("secret_encrypted", sa.String, nullable=False),
        sa.Column("owner_id", sa.BigInteger),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.String),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("dead_deliveries", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("webhook_id", sa.String, nullable=False),
        sa.Column("event", sa.String, nullable=False),
        sa.Column("payload", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_by", sa.String),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_latency_ms", sa.Double),
        sa.Column("last_error", sa.String),
        sa.Column("request_id", sa.String),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed', 'dead')", name="webhook_delivery_status"),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
