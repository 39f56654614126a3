"""The v1 read resources (domains, algorithms, leaderboard, validations), each a module adding its routes to ``api``."""
from . import algorithms, domains, leaderboard, research, validations, webhooks  # noqa: F401 - importing registers the routes
