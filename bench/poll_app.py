"""The gunicorn target of bench/poll.py: the app, with the token tick optionally shortened."""
import os

from helios_dash import create_app
from helios_dash.settings import Settings

if "HELIOS_DATABASE_URL" not in os.environ:  # run by bench/poll.py on a temporary store, never on data/
    raise SystemExit("bench/poll_app.py is bench/poll.py's gunicorn target: run bench/poll.py")
settings = Settings.from_env()
app = create_app(settings)
tick = os.environ.get("HELIOS_BENCH_TICK_SECONDS")
if tick:  # the baseline: the token cache expires at once, so every poll reads the store
    from helios_dash.runtime import RUNTIME_KEY
    from helios_dash.services.live import TickCache

    runtime = app.server.extensions[RUNTIME_KEY]
    runtime.token = TickCache(runtime.store.data_version, float(tick))
server = app.server
