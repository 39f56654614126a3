"""One readable line instead of a traceback, for every command-line group."""
from __future__ import annotations

import functools

import click

from .errors import HeliosError


def friendly_errors(command):
    """Show HELIOS errors as one readable line and exit 1, never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except HeliosError as exc:
            raise click.ClickException(exc.message) from None
    return wrapper
