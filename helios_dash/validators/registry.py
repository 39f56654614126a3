"""Finding validators: the built-ins, then every entry point of the group ``helios_dash.validators``.

An entry point names a Plugin subclass (or any callable returning a Plugin), e.g. in a
plugin package's pyproject.toml::

    [project.entry-points."helios_dash.validators"]
    claims = "helios_validator_example:ClaimValidator"

The entry-point name is the validator's key (``validations.validator``, the API's
``validator`` field). A plugin that fails to load is logged and listed as unavailable;
it never stops the others or the server.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from importlib import metadata

from .base import Plugin
from .benchmark import BenchmarkValidator
from .demo import DemoValidator

log = logging.getLogger(__name__)

GROUP = "helios_dash.validators"
# Registered directly as well as declared as entry points in pyproject.toml, so that they are
# there even when the package runs from a checkout that was never installed.
BUILT_INS = {"benchmark": BenchmarkValidator, "demo": DemoValidator}


@dataclass(frozen=True)
class Validator:
    """A discovered validator: its key, where it came from, the plugin or why it could not load."""

    key: str
    source: str  # "built-in" or the distribution that declares the entry point
    plugin: Plugin | None = None
    error: str | None = None

    def describe(self) -> dict:
        """What /api/v1/validators lists for it."""
        if self.plugin is None:
            return {"name": self.key, "title": self.key, "source": self.source, "available": False,
                    "error": self.error, "simulated": False, "description": None}
        return {"name": self.key, "title": self.plugin.get_name(), "source": self.source, "available": True,
                "error": None, "simulated": bool(self.plugin.simulated), "description": self.plugin.describe()}


class PluginManager:
    """The guide's ``plugin_manager``: ``register(plugin)`` by hand, ``discover()`` from entry points."""

    def __init__(self):
        self._validators: dict[str, Validator] = {}
        self._lock = threading.Lock()

    def register(self, plugin: Plugin, key: str | None = None, source: str = "registered") -> str:
        """Add ``plugin`` under ``key`` (its name, lower-cased, by default); returns the key."""
        if not isinstance(plugin, Plugin):
            raise TypeError(f"{plugin!r} is not a helios_dash Plugin")
        key = key or plugin.get_name().strip().lower().replace(" ", "-")
        with self._lock:
            self._validators[key] = Validator(key, source, plugin)
        return key

    def discover(self) -> "PluginManager":
        """Load the built-ins and every entry point of GROUP (a built-in's key is never replaced)."""
        for key, kind in BUILT_INS.items():
            self.register(kind(), key, "built-in")
        for entry in metadata.entry_points(group=GROUP):
            if entry.name in BUILT_INS:
                continue  # pyproject.toml declares the built-ins too: the same classes
            self._load(entry)
        return self

    def _load(self, entry: metadata.EntryPoint) -> None:
        source = entry.dist.name if entry.dist is not None else entry.value
        try:
            plugin = entry.load()()
            if not isinstance(plugin, Plugin):
                raise TypeError(f"{entry.value} does not make a helios_dash Plugin")
            self.register(plugin, entry.name, source)
        except Exception as error:  # a broken plugin is reported, never fatal
            log.exception("Validator plugin %s (%s) could not be loaded", entry.name, entry.value)
            with self._lock:
                self._validators[entry.name] = Validator(entry.name, source, error=f"{type(error).__name__}: {error}")

    def get(self, key: str) -> Validator | None:
        return self._validators.get(key)

    def all(self) -> list[Validator]:
        """Every validator, by key."""
        return [self._validators[key] for key in sorted(self._validators)]


_discovered: PluginManager | None = None
_discovering = threading.Lock()


def plugin_manager(refresh: bool = False) -> PluginManager:
    """The process's validators, discovered at first use (``refresh``: look at entry points again)."""
    global _discovered
    with _discovering:
        if _discovered is None or refresh:
            _discovered = PluginManager().discover()
        return _discovered
