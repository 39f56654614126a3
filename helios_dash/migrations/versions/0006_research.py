"""Research projects and their results (a background job validates each hypothesis).

Revision ID: 0006_research
Revises: 0005_hypotheses
Create Date: 2026-12-01

Spelled out rather than imported from schema.py (see 0004_accounts).
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_research"
down_revision = "0005_hypotheses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "research_projects",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("domain_id", sa.String, nullable=False),
        sa.Column("validator", sa.String, nullable=False),
        sa.Column("hypotheses_encrypted", sa.String, nullable=False),
        sa.Column("evidence", sa.String),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("error", sa.String),
        sa.Column("author_id", sa.BigInteger),
        sa.Column("requester", sa.String, nullable=False),
        sa.Column("context", sa.String),
        sa.Column("pending_hypothesis_id", sa.String),
        sa.Column("claimed_by", sa.String),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('queued', 'running', 'completed', 'failed')", name="research_status"),
    )
    op.create_table(
        "research_results",
        sa.Column("project_id", sa.String, primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hypothesis_id", sa.String),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("validation", sa.String),
        sa.Column("error", sa.String),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('validated', 'failed')", name="research_result_status"),
    )


def downgrade() -> None:
    op.drop_table("research_results")
    op.drop_table("research_projects")
