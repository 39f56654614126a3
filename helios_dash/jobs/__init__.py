"""Work too heavy or too long for a request thread to do unbounded.

The gate lives on the Flask app (``app.extensions``), like every per-process
handle, so that tests and several apps in one process never share it.
"""
from __future__ import annotations

from flask import Flask, current_app

from .heavy import HeavyWorkGate

GATE_KEY = "helios.heavy_work"


def install_heavy_gate(server: Flask, settings) -> HeavyWorkGate:
    """Give ``server`` the gate its heavy exports pass through, sized by ``settings``."""
    gate = HeavyWorkGate(settings.heavy_exports, settings.heavy_export_queue, settings.heavy_export_wait)
    server.extensions[GATE_KEY] = gate
    return gate


def heavy_gate() -> HeavyWorkGate:
    """The current app's gate."""
    return current_app.extensions[GATE_KEY]
