"""``helios-dash rotate-keys``: re-encrypt secrets (hypothesis texts) under the first of HELIOS_ENCRYPTION_KEYS."""
from __future__ import annotations

import getpass

import click

from ..cli_errors import friendly_errors
from ..crypto import keyring_for
from ..domain.principal import command_line
from ..settings import Settings
from ..store import open_store
from .rotation import BATCH, rotate_keys


@click.command("rotate-keys")
@click.option("--batch", default=BATCH, show_default=True, type=click.IntRange(min=1),
              help="Rows re-encrypted per committed transaction.")
@friendly_errors
def rotate_keys_command(batch: int):
    """Re-encrypt every hypothesis text (research projects' too) under the first key of HELIOS_ENCRYPTION_KEYS (resumable: run it again).

    Put the new key first and keep the old one after it ("new,old") until this has finished.
    """
    settings = Settings.from_env()
    keyring = keyring_for(settings)
    store = open_store(settings.database_url, statement_timeout=settings.statement_timeout)
    try:
        result = rotate_keys(store, keyring, command_line(getpass.getuser()), batch=batch,
                             progress=lambda checked, rotated: click.echo(f"{checked:,} checked, {rotated:,} re-encrypted"))
    finally:
        store.close()
    click.echo(f"Done: {result.rotated:,} re-encrypted, {result.current:,} already under the first key "
               f"({result.checked:,} encrypted rows: hypotheses and research projects). The old key may now be removed from HELIOS_ENCRYPTION_KEYS.")
