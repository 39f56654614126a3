"""Baseline: the store as HELIOS Analytics wrote it before Alembic, plus the validations id sequence.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-01

Spelled out table by table (not metadata.create_all) so that later changes to
helios_dash/schema.py, which come with revisions of their own, never change what
this revision creates.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

ALGORITHM_TYPES = ("novel", "baseline", "improved", "hybrid")


def upgrade() -> None:
    store_state = op.create_table(
        "store_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("data_version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "domains",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("description", sa.String),
    )
    op.create_table(
        "algorithms",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("domain_id", sa.String, sa.ForeignKey("domains.id"), nullable=False),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("description", sa.String),
        sa.Column("author_email", sa.String),
        sa.Column("internal_notes", sa.String),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("type IN (" + ", ".join(f"'{t}'" for t in ALGORITHM_TYPES) + ")",
                           name="algorithm_type"),
    )
    op.execute(sa.schema.CreateSequence(sa.Sequence("validations_id_seq")))
    op.create_table(
        "validations",
        sa.Column("id", sa.BigInteger, nullable=False, server_default=sa.text("nextval('validations_id_seq')")),
        sa.Column("algorithm_id", sa.String, nullable=False),
        sa.Column("domain_id", sa.String, nullable=False),
        sa.Column("hypothesis_id", sa.String),
        sa.Column("quality", sa.Double, nullable=False),
        sa.Column("confidence", sa.Double, nullable=False),
        sa.Column("speedup", sa.Double, nullable=False),
        sa.Column("tests", sa.Integer, nullable=False),
        sa.Column("validator", sa.String),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_key", sa.String),
        sa.CheckConstraint("quality >= 0 AND quality <= 100", name="quality_range"),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        sa.CheckConstraint("speedup > 0", name="speedup_positive"),
        sa.CheckConstraint("tests >= 0", name="tests_non_negative"),
    )
    # schema_version stays 1: what an older HELIOS expects to read in this column.
    op.bulk_insert(store_state, [{"id": 1, "schema_version": 1, "data_version": 0,
                                  "updated_at": datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.drop_table("validations")
    op.execute(sa.schema.DropSequence(sa.Sequence("validations_id_seq")))
    op.drop_table("algorithms")
    op.drop_table("domains")
    op.drop_table("store_state")
