"""Data access below the services: rollups of the validations table (more moves here over time)."""
