"""The ``helios-dash`` command line: serve, simulate, init-db, seed-demo, import."""
from __future__ import annotations

import functools

import click

from .errors import HeliosError
from .settings import Settings
from .store import open_store


def _friendly_errors(command):
    """Show HELIOS errors as one readable line and exit 1, never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except HeliosError as exc:
            raise click.ClickException(exc.message) from None
    return wrapper


@click.group()
def main():
    """HELIOS Analytics: dashboard, store and data tools."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@_friendly_errors
def serve(host: str, port: int):
    """Run the dashboard (one process, threads) on the configured store."""
    from . import create_app

    create_app().run(host=host, port=port, debug=False)


@main.command()
@click.option("--rate", default=3.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Validations per second, on average.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@_friendly_errors
def simulate(rate: float, host: str, port: int):
    """Serve the dashboard while streaming new validations into its store.

    Both run in this one process: DuckDB lets a single process write a
    database file, so a separate simulator could not write while the
    dashboard has the file open.
    """
    from . import create_app
    from .demo.simulator import Simulator
    from .extensions import get_store

    app = create_app()
    Simulator(get_store(), rate).start()
    click.echo(f"Streaming about {rate:g} validations per second; dashboard at http://{host}:{port}")
    app.run(host=host, port=port, debug=False)


@main.command("init-db")
@_friendly_errors
def init_db():
    """Create (or migrate) the store's schema."""
    settings = Settings.from_env()
    store = open_store(settings.database_url)
    click.echo(f"Store ready: {settings.database_url} (data version {store.data_version()})")
    store.close()


@main.command("seed-demo")
@click.option("--validations", default=200_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=42, show_default=True, type=int)
@_friendly_errors
def seed_demo_command(validations: int, seed: int):
    """Fill an empty store with deterministic demo data."""
    from .demo import seed_demo

    store = open_store(Settings.from_env().database_url)
    try:
        result = seed_demo(store, validations=validations, seed=seed, progress=True)
    finally:
        store.close()
    click.echo(f"Seeded {result.domains} domains, {result.algorithms} algorithms, "
               f"{result.validations:,} validations.")


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--map", "mappings", multiple=True, metavar="OLD=NEW",
              help="Rename a column of the file to one HELIOS expects (repeatable).")
@_friendly_errors
def import_command(file: str, mappings: tuple[str, ...]):
    """Import validation records from a CSV or Parquet FILE (all rows or none)."""
    from .importer import import_file, parse_column_map

    column_map = parse_column_map(list(mappings))
    store = open_store(Settings.from_env().database_url)
    try:
        result = import_file(store, file, column_map, progress=True)
    finally:
        store.close()
    click.echo(f"Imported {result.inserted:,} of {result.rows_read:,} rows "
               f"({result.duplicates:,} already present); created {result.domains_created} "
               f"domains and {result.algorithms_created} algorithms.")
