"""Accounts and access: users, server-side sessions, API tokens and the hash-chained audit log.

Revision ID: 0004_accounts
Revises: 0003_rollup_four_weeks
Create Date: 2026-12-01

Spelled out rather than imported from schema.py, so that this revision keeps creating
what it created when schema.py moves on (tests/test_migrations.py compares the head).
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_accounts"
down_revision = "0003_rollup_four_weeks"
branch_labels = None
depends_on = None

SEQUENCES = ("users_id_seq", "api_tokens_id_seq", "audit_log_id_seq")


def _id(sequence: str) -> sa.Column:
    return sa.Column("id", sa.BigInteger, primary_key=True, server_default=sa.Sequence(sequence).next_value())


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    for name in SEQUENCES:
        op.execute(sa.schema.CreateSequence(sa.Sequence(name)))
    op.create_table(
        "users", _id("users_id_seq"),
        sa.Column("email", sa.String, nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("password_hash", sa.String, nullable=False),
        _at("created_at", nullable=False), _at("last_login"),
        sa.CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="user_role"),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        _at("created_at", nullable=False), _at("last_seen_at", nullable=False),
        sa.Column("ip", sa.String), sa.Column("user_agent", sa.String),
    )
    op.create_table(
        "api_tokens", _id("api_tokens_id_seq"),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("prefix", sa.String, nullable=False),
        sa.Column("token_hash", sa.String, nullable=False, unique=True),
        sa.Column("scopes", sa.String, nullable=False),
        _at("created_at", nullable=False), _at("expires_at"), _at("last_used_at"), _at("revoked_at"),
        sa.CheckConstraint("kind IN ('personal', 'service')", name="token_kind"),
    )
    op.create_table(
        "audit_log", _id("audit_log_id_seq"),
        _at("created_at", nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("actor_email", sa.String),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("resource_type", sa.String, nullable=False),
        sa.Column("resource_id", sa.String),
        sa.Column("changes", sa.String, nullable=False),
        sa.Column("ip", sa.String),
        sa.Column("request_id", sa.String),
        sa.Column("prev_hash", sa.String, nullable=False),
        sa.Column("hash", sa.String, nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_log", "api_tokens", "sessions", "users"):
        op.drop_table(table)
    for name in SEQUENCES:
        op.execute(sa.schema.DropSequence(sa.Sequence(name)))
