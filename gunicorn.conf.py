"""gunicorn reads this file from the folder it starts in (``make run``, tests/servers.py).

Prometheus metrics across workers: start gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` naming an
empty folder the server may write. Each worker then keeps its counters and histograms in files
there, and GET /metrics, whichever worker answers it, adds up every worker's (prometheus_client's
multiprocess mode). Without the variable each worker reports only its own numbers, which is right
for the embedded deployment's single worker. Nothing here runs when the variable is unset.
"""
import os
from pathlib import Path


def on_starting(server):
    """Start from an empty folder: files of an earlier run would add old counts to new ones."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    """A worker ended: its live gauges (open WebSocket connections) stop counting; its counters stay."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
