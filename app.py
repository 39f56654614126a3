"""Deployment entry point: ``gunicorn --workers 1 --threads 8 app:server``."""
import sys

from helios_dash import create_app
from helios_dash.errors import HeliosError
from helios_dash.ops.logs import configure_logging
from helios_dash.settings import Settings

# gunicorn restarts a worker that exits, forever, but stops the whole server when
# one exits with this code (its WORKER_BOOT_ERROR): a store in use by another
# process will not come free by retrying every few seconds.
BOOT_ERROR = 3

try:
    settings = Settings.from_env()
    configure_logging(settings.log_format)  # HELIOS_LOG_FORMAT: text or JSON lines on stderr
    app = create_app(settings)
except HeliosError as error:  # e.g. the store is locked by another process: one sentence, no traceback
    print(f"HELIOS Analytics cannot start: {error.message}", file=sys.stderr, flush=True)
    sys.exit(BOOT_ERROR)
server = app.server
