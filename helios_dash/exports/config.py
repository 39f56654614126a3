"""Moved to ``reports.config``; kept only until ``cli.py`` imports from there (then delete this file)."""
from ..reports.config import ExportRequest, parse_export_config  # noqa: F401
