"""Deployment entry point: ``gunicorn --workers 1 --threads 8 app:server``."""
from helios_dash import create_app

app = create_app()
server = app.server
