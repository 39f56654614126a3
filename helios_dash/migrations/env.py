"""Alembic's entry point: runs the revisions on the connection open_store hands over.

``config.attributes["connection"]`` is set by helios_dash.migrations.alembic_config;
the caller's transaction holds the whole upgrade (all or nothing on both databases).
"""
from alembic import context

from helios_dash import migrations  # noqa: F401 (registers Alembic's DuckDB implementation)
from helios_dash.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("HELIOS migrations run through helios_dash.store.open_store (helios-dash init-db).")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
