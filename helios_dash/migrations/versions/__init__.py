"""Alembic revisions of the store schema, one file each (ids like "0002_rollups")."""
