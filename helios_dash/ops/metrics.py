"""Every Prometheus metric HELIOS exposes, defined once here so any module can import and move them.

Names and labels follow the feature guide (``helios_validations_total{domain,result}``,
``helios_validation_duration_seconds``, ``helios_active_users``); the rest keep its ``helios_`` prefix.
Label values are always from small fixed sets (route templates, statement kinds, export formats),
never raw paths, SQL or ids: each value is a time series Prometheus stores forever.

Under gunicorn with several workers, ``PROMETHEUS_MULTIPROC_DIR`` (set before this module is
imported) makes prometheus_client keep these values in per-process files that /metrics adds up
(helios_dash/ops/exposition.py). ``helios_active_users`` is not here: it is read from the store at
scrape time (helios_dash/ops/active_users.py), so it is right whichever worker answers.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# The *_created series (one timestamp per label set) double the output and nothing here reads them.
disable_created_metrics()

# Seconds; validations run a plugin under a deadline and exports may render charts, so both go further.
FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SLOW_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

VALIDATIONS = Counter(
    "helios_validations_total", "Validations performed by a validator, by domain and result (validated|failed)",
    ["domain", "result"])
VALIDATION_DURATION = Histogram(
    "helios_validation_duration_seconds", "Duration of a validator run in seconds", buckets=SLOW_BUCKETS)
HTTP_REQUEST_DURATION = Histogram(
    "helios_http_request_duration_seconds", "HTTP request duration in seconds, by URL rule template",
    ["route", "method", "status"], buckets=FAST_BUCKETS)
QUERY_DURATION = Histogram(
    "helios_query_duration_seconds", "Store statement duration in seconds, by statement kind (read|write)",
    ["query"], buckets=FAST_BUCKETS)
EXPORT_DURATION = Histogram(
    "helios_export_duration_seconds", "Duration of producing an export in seconds, by format",
    ["format"], buckets=SLOW_BUCKETS)
CACHE_REQUESTS = Counter(
    "helios_cache_requests_total", "Lookups of the data-version cache, by result (hit|miss)", ["result"])
WEBHOOK_DELIVERIES = Counter(
    "helios_webhook_deliveries_total", "Webhook delivery attempts, by outcome", ["outcome"])
# livesum: the open connections of the workers alive now, added up (a dead worker's count is dropped).
WEBSOCKET_CONNECTIONS = Gauge(
    "helios_websocket_connections", "Open WebSocket connections", multiprocess_mode="livesum")
