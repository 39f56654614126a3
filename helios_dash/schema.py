"""The analytics store's tables, declared once with SQLAlchemy metadata.

Written without DuckDB-only types so that a PostgreSQL deployment creates the
same schema. ``validations`` is the fact table; it carries ``domain_id``
denormalised so that per-domain aggregates need no join.

This is the schema as the code reads it; Alembic revisions in
``helios_dash/migrations/versions`` create it (tests/test_migrations.py checks that
the head revision and this metadata agree). A change here needs a new revision.
"""
from __future__ import annotations

import sqlalchemy as sa

from .domain.types import ALGORITHM_TYPES

# What store_state.schema_version held before Alembic managed the schema; kept at
# this value so an older HELIOS reading a newer file still sees a version it knows.
SCHEMA_VERSION = 1

metadata = sa.MetaData()

# One row: a counter that every write bumps so pages can poll for change
# cheaply (and the pre-Alembic schema version, see SCHEMA_VERSION).
store_state = sa.Table(
    "store_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("data_version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)

domains = sa.Table(
    "domains",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.String),
)

algorithms = sa.Table(
    "algorithms",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("domain_id", sa.String, sa.ForeignKey("domains.id"), nullable=False),
    sa.Column("type", sa.String, nullable=False),
    sa.Column("description", sa.String),
    sa.Column("author_email", sa.String),
    sa.Column("internal_notes", sa.String),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(
        "type IN (" + ", ".join(f"'{t}'" for t in ALGORITHM_TYPES) + ")", name="algorithm_type"
    ),
)

# Ids come from this sequence on both databases, never from max(id) + 1: rows
# inserted without an id take the next value; bulk writers reserve a block with
# Store.reserve_ids.
validations_id_seq = sa.Sequence("validations_id_seq", metadata=metadata)

# No primary key or foreign keys here on purpose: DuckDB would keep an ART index
# over millions of rows and slow bulk loads several-fold. The importer and the
# generator check references before they write.
validations = sa.Table(
    "validations",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False, server_default=validations_id_seq.next_value()),
    sa.Column("algorithm_id", sa.String, nullable=False),
    sa.Column("domain_id", sa.String, nullable=False),
    sa.Column("hypothesis_id", sa.String),
    sa.Column("quality", sa.Double, nullable=False),
    sa.Column("confidence", sa.Double, nullable=False),
    sa.Column("speedup", sa.Double, nullable=False),
    sa.Column("tests", sa.Integer, nullable=False),
    sa.Column("validator", sa.String),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # The record's identity for de-duplicated imports: the file's ``id`` when it
    # has one, else a hash of the record's content. NULL for generated data.
    sa.Column("record_key", sa.String),
    sa.CheckConstraint("quality >= 0 AND quality <= 100", name="quality_range"),
    sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
    sa.CheckConstraint("speedup > 0", name="speedup_positive"),
    sa.CheckConstraint("tests >= 0", name="tests_non_negative"),
)
