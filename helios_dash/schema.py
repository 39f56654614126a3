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

from .domain.principal import ROLES
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


# -- accounts and access (issue 10) ---------------------------------------------------------
# No foreign keys, as for validations: DuckDB rewrites an UPDATE of a referenced row as a
# delete and an insert and then refuses it (users.last_login changes at every sign-in).
users_id_seq = sa.Sequence("users_id_seq", metadata=metadata)
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, server_default=users_id_seq.next_value()),
    sa.Column("email", sa.String, nullable=False, unique=True),  # stored lower-cased
    sa.Column("name", sa.String, nullable=False),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("password_hash", sa.String, nullable=False),  # argon2id, PHC string
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login", sa.DateTime(timezone=True)),
    sa.CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="user_role"),
)

# Server-side sessions: the cookie carries a random id, the table only its SHA-256, so a
# copy of this table signs nobody in. Deleting a row signs that browser out.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id_hash", sa.String, primary_key=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ip", sa.String),
    sa.Column("user_agent", sa.String),
)

api_tokens_id_seq = sa.Sequence("api_tokens_id_seq", metadata=metadata)
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, server_default=api_tokens_id_seq.next_value()),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),  # personal (Bearer) or service (X-API-Key, ?api_key=)
    sa.Column("prefix", sa.String, nullable=False),  # the visible start, to recognise a token in lists
    sa.Column("token_hash", sa.String, nullable=False, unique=True),  # SHA-256 hex of the whole token
    sa.Column("scopes", sa.String, nullable=False),  # space-separated: read write export admin
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("kind IN ('personal', 'service')", name="token_kind"),
)

# Append-only and hash-chained: ``hash`` is SHA-256 over ``prev_hash`` and the entry's own
# fields (accounts/audit.py), so editing or deleting a row breaks every later link.
audit_log_id_seq = sa.Sequence("audit_log_id_seq", metadata=metadata)
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, server_default=audit_log_id_seq.next_value()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String, nullable=False),  # user:<id>, token:<id>, cli:<os user>, anonymous
    sa.Column("actor_email", sa.String),
    sa.Column("action", sa.String, nullable=False),  # e.g. auth.sign_in, user.create, export.create
    sa.Column("resource_type", sa.String, nullable=False),
    sa.Column("resource_id", sa.String),
    sa.Column("changes", sa.String, nullable=False),  # JSON object, secrets never included
    sa.Column("ip", sa.String),
    sa.Column("request_id", sa.String),
    sa.Column("prev_hash", sa.String, nullable=False),
    sa.Column("hash", sa.String, nullable=False),
)


# -- hypotheses (issue 11) ------------------------------------------------------------------
HYPOTHESIS_STATUSES = ("draft", "validating", "validated", "failed")

# The text is stored only as a Fernet token (helios_dash/crypto.py): a copy of the database,
# a backup or a replica does not show what researchers are working on. No foreign keys (see
# the accounts section); the service checks the domain exists before it writes.
hypotheses = sa.Table(
    "hypotheses",
    metadata,
    sa.Column("id", sa.String, primary_key=True),  # "hyp_" + a UUID4's hex: no sequence to share
    sa.Column("text_encrypted", sa.String, nullable=False),
    sa.Column("domain_id", sa.String, nullable=False),
    sa.Column("author_id", sa.BigInteger),  # users.id; NULL when made at the command line
    sa.Column("status", sa.String, nullable=False),
    sa.Column("failure_reason", sa.String),
    sa.Column("validator", sa.String),  # the last validator run on it
    sa.Column("algorithm_id", sa.String),  # the algorithm its validations are filed under (first validation)
    sa.Column("internal_notes", sa.String),  # redacted for viewers, as on algorithms
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in HYPOTHESIS_STATUSES) + ")",
                       name="hypothesis_status"),
)


# -- research projects (issue 11) ---------------------------------------------------------------
RESEARCH_STATUSES = ("queued", "running", "completed", "failed")
RESEARCH_RESULT_STATUSES = ("validated", "failed")

# A project validates its hypotheses one by one in a background job (helios_dash/research/). The
# texts are one Fernet token (secret at rest, like hypotheses.text_encrypted); the requester is
# kept so a job resumed after a restart acts as them. ``claimed_by`` + ``heartbeat_at`` say which
# run holds the project and that it is alive; a stale heartbeat means its process died.
research_projects = sa.Table(
    "research_projects",
    metadata,
    sa.Column("id", sa.String, primary_key=True),  # "res_" + a UUID4's hex
    sa.Column("name", sa.String, nullable=False),
    sa.Column("domain_id", sa.String, nullable=False),
    sa.Column("validator", sa.String, nullable=False),
    sa.Column("hypotheses_encrypted", sa.String, nullable=False),  # a JSON list of texts, encrypted
    sa.Column("evidence", sa.String),  # JSON object applied to every hypothesis, or NULL
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("done", sa.Integer, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("error", sa.String),
    sa.Column("author_id", sa.BigInteger),  # users.id of the requester; NULL from the command line
    sa.Column("requester", sa.String, nullable=False),  # the requester's Principal, as JSON
    sa.Column("context", sa.String),  # the request's address and id (audit context), as JSON
    sa.Column("pending_hypothesis_id", sa.String),  # made for the next result, not yet recorded
    sa.Column("claimed_by", sa.String),  # the run (a UUID) working on it, if any
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in RESEARCH_STATUSES) + ")",
                       name="research_status"),
)

# One row per validated hypothesis of a project; (project_id, position) is the key, so a job
# delivered twice cannot record a result twice.
research_results = sa.Table(
    "research_results",
    metadata,
    sa.Column("project_id", sa.String, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),  # 1-based, the SSE event id
    sa.Column("hypothesis_id", sa.String),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("validation", sa.String),  # JSON: what POST /hypotheses/{id}/validate answers as ``result``
    sa.Column("error", sa.String),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in RESEARCH_RESULT_STATUSES) + ")",
                       name="research_result_status"),
)


# -- webhooks (issue 12) --------------------------------------------------------------------
WEBHOOK_DELIVERY_STATUSES = ("pending", "delivered", "failed", "dead")

# An endpoint subscribed to events. The signing secret is stored only as a Fernet token
# (helios_dash/crypto.py); it is shown once, when the webhook is registered.
webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String, primary_key=True),  # "wh_" + a UUID4's hex
    sa.Column("url", sa.String, nullable=False),
    sa.Column("events", sa.String, nullable=False),  # JSON list of event names
    sa.Column("secret_encrypted", sa.String, nullable=False),
    sa.Column("owner_id", sa.BigInteger),  # users.id of who registered it; NULL from the command line
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.String),  # why the sender disabled it (shown to its owner)
    sa.Column("disabled_at", sa.DateTime(timezone=True)),
    sa.Column("consecutive_failures", sa.Integer, nullable=False),  # failed attempts in a row
    sa.Column("dead_deliveries", sa.Integer, nullable=False),  # deliveries that used every attempt, in a row
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# The outbox: one row per (event, subscribed webhook), written in the transaction of the change
# that caused the event; the sender delivers and retries it. ``id`` is the webhook-id header,
# the same on every attempt, so receivers can drop a repeat.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String, primary_key=True),  # "msg_" + a UUID4's hex
    sa.Column("webhook_id", sa.String, nullable=False),
    sa.Column("event", sa.String, nullable=False),
    sa.Column("payload", sa.String, nullable=False),  # JSON: the body sent, {"type", "timestamp", "data"}
    sa.Column("status", sa.String, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("claimed_by", sa.String),  # the sender (a UUID) sending it now
    sa.Column("claimed_at", sa.DateTime(timezone=True)),
    sa.Column("last_status", sa.Integer),  # HTTP status of the last attempt
    sa.Column("last_latency_ms", sa.Double),
    sa.Column("last_error", sa.String),
    sa.Column("request_id", sa.String),  # X-Request-Id of the request that caused the event
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in WEBHOOK_DELIVERY_STATUSES) + ")",
                       name="webhook_delivery_status"),
)
