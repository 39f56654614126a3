"""Deployment entry point: ``gunicorn --workers 1 --threads 8 app:server``."""
import sys

from helios_dash import create_app
from helios_dash.errors import HeliosError

try:
    app = create_app()
except HeliosError as error:  # e.g. the store is locked by another process: one sentence, no traceback
    sys.exit(f"HELIOS Analytics cannot start: {error.message}")
server = app.server
