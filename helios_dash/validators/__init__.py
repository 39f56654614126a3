"""Validator plugins: the guide's Plugin contract, discovery by entry point, and a runner with a deadline."""
from .base import Plugin, ValidationResult
from .registry import GROUP, PluginManager, plugin_manager
from .runner import Outcome, run_validator

__all__ = ["GROUP", "Outcome", "Plugin", "PluginManager", "ValidationResult", "plugin_manager", "run_validator"]
