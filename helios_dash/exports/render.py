"""Moved to ``reports.render``; kept only until ``cli.py`` imports from there (then delete this file)."""
from ..reports.render import ExportFile, export_view, is_heavy  # noqa: F401
