"""Hypotheses: encrypted text, domain, author, status and the validator that judged them.

Revision ID: 0005_hypotheses
Revises: 0004_accounts
Create Date: 2026-12-01

Spelled out rather than imported from schema.py (see 0004_accounts).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_hypotheses"
down_revision = "0004_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hypotheses",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("text_encrypted", sa.String, nullable=False),
        sa.Column("domain_id", sa.String, nullable=False),
        sa.Column("author_id", sa.BigInteger),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("failure_reason", sa.String),
        sa.Column("validator", sa.String),
        sa.Column("algorithm_id", sa.String),
        sa.Column("internal_notes", sa.String),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'validating', 'validated', 'failed')", name="hypothesis_status"),
    )


def downgrade() -> None:
    op.drop_table("hypotheses")
