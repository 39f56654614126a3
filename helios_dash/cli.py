"""The ``helios-dash`` command line: serve, simulate, init-db, seed-demo, import, export, users, tokens, audit."""
from __future__ import annotations

import getpass

import click

from .accounts.audit_commands import audit
from .accounts.commands import tokens, users
from .domain.principal import command_line
from .hypotheses.commands import rotate_keys_command
from .cli_errors import friendly_errors
from .errors import HeliosError
from .reports.vocabulary import COMMAND_LINE_KINDS, EXPORT_FORMATS, EXPORT_KINDS
from .settings import Settings
from .store import open_store


@click.group()
def main():
    """HELIOS Analytics: dashboard, store and data tools."""


def _logging_settings() -> Settings:
    """The settings of a long-running command, its log lines configured (HELIOS_LOG_FORMAT)."""
    from .ops.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return settings


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@friendly_errors
def serve(host: str, port: int):
    """Run the dashboard (one process, threads) on the configured store."""
    from . import create_app

    create_app(_logging_settings()).run(host=host, port=port, debug=False)


@main.command()
@click.option("--rate", default=3.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Validations per second, on average.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@friendly_errors
def simulate(rate: float, host: str, port: int):
    """Serve the dashboard while streaming new validations into its store.

    Both run in this one process: DuckDB lets a single process write a
    database file, so a separate simulator could not write while the
    dashboard has the file open.
    """
    from . import create_app
    from .demo.simulator import Simulator
    from .runtime import RUNTIME_KEY

    app = create_app(_logging_settings())
    Simulator(app.server.extensions[RUNTIME_KEY].store, rate).start()
    click.echo(f"Streaming about {rate:g} validations per second; dashboard at http://{host}:{port}")
    app.run(host=host, port=port, debug=False)


@main.command()
@click.argument("kind", type=click.Choice(list(COMMAND_LINE_KINDS)))
@click.option("--format", "fmt", default="csv", show_default=True, type=click.Choice(list(EXPORT_FORMATS)))
@click.option("--include", multiple=True, help="A section to include (repeatable); the kind's default otherwise.")
@click.option("--domain", multiple=True, help="Only this domain id (repeatable).")
@click.option("--type", "types", multiple=True, help="Only this algorithm type (repeatable).")
@click.option("--start", help="First day, YYYY-MM-DD (inclusive).")
@click.option("--end", help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--tz", help="IANA timezone of the dates and of the timestamps written.")
@click.option("--sort-by", help="quality, speedup, tests, validations, name or confidence.")
@click.option("--sort-order", type=click.Choice(["asc", "desc"]), default="desc", show_default=True)
@click.option("--no-charts", is_flag=True, help="Leave charts out of a PDF.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File to write; a dated name by default.")
@friendly_errors
def export(kind, fmt, include, domain, types, start, end, tz, sort_by, sort_order, no_charts, output):
    """Export like POST /api/v1/export/KIND, into a file."""
    from pathlib import Path

    from . import create_server
    from .accounts.audit import record_export
    from .reports.config import parse_export_config
    from .reports.render import export_view
    from .runtime import RUNTIME_KEY

    chosen = EXPORT_KINDS[kind]
    filters = {k: v for k, v in {"domain": list(domain), "type": list(types), "start": start, "end": end,
                                 "tz": tz}.items() if v}
    options = {"sort_order": sort_order, "include_charts": not no_charts} | ({"sort_by": sort_by} if sort_by else {})
    config = {"format": fmt, "filters": filters, "options": options} | ({"include": list(include)} if include else {})
    settings = Settings.from_env()
    server = create_server(settings)  # the runtime alone: no Dash, and never demo data
    try:
        with server.app_context():  # inside it, so that filters are checked against this store's catalog
            request = parse_export_config(config, chosen.sections)
            operator = command_line(getpass.getuser())  # the operator has the store's file: nothing to redact
            exported = export_view(request, chosen.title, settings.public_url, operator)
            target = Path(output or exported.filename)
            _write_atomically(target, exported.content)
            record_export(server.extensions[RUNTIME_KEY].store, operator, kind, fmt, request.filters.to_query(),
                          sections=list(request.include))
    finally:
        server.extensions[RUNTIME_KEY].close()
    click.echo(f"Wrote {target} ({target.stat().st_size:,} bytes)")


def _write_atomically(target, content) -> None:
    """Write to a temporary file beside ``target``, then rename: never a half-written export."""
    partial = target.with_name(target.name + ".partial")
    try:
        with open(partial, "wb") as out:
            for chunk in [content] if isinstance(content, bytes) else content:
                out.write(chunk)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


@main.command()
@friendly_errors
def worker():
    """Run queued background jobs from Redis (scale-out) until stopped with SIGTERM or Ctrl-C."""
    import signal
    import threading

    from .errors import ConfigurationError
    from .jobs.runner import RedisJobs, run_worker
    from .runtime import create_runtime
    from .webhooks.running import start_sender

    settings = _logging_settings()
    if not settings.redis_url:
        raise ConfigurationError("A worker takes jobs from Redis: set HELIOS_REDIS_URL (without it, "
                                 "the dashboard runs its jobs in its own process).")
    runtime = create_runtime(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        assert isinstance(runtime.jobs, RedisJobs)
        from sqlalchemy.engine import make_url  # parses redis:// too; the password is shown as ***

        shown = make_url(settings.redis_url).render_as_string(hide_password=True)
        click.echo(f"Worker taking jobs from {shown}; stop with Ctrl-C.")
        sender = start_sender(runtime)  # webhooks too: senders claim deliveries, so workers never send one twice
        handled = run_worker(runtime.jobs, stop)
        sender.stop()
    finally:
        runtime.close()
    click.echo(f"Worker stopped after {handled} job(s).")


@main.command("init-db")
@friendly_errors
def init_db():
    """Create (or migrate) the store's schema."""
    settings = Settings.from_env()
    store = open_store(settings.database_url)
    click.echo(f"Store ready: {settings.database_url} (data version {store.data_version()})")
    store.close()


@main.command("rebuild-rollups")
@click.option("--check", "check_only", is_flag=True, help="Only say whether the rollups match the raw rows.")
@friendly_errors
def rebuild_rollups_command(check_only: bool):
    """Rebuild the rollups pages read from the raw validations, or check them (exit 1 if they drifted)."""
    from .data.rollups import check_rollups, rebuild_rollups

    store = open_store(Settings.from_env().database_url)
    try:
        if check_only:
            problems = check_rollups(store)
            for problem in problems:
                click.echo(f"Drift: {problem}")
            if problems:
                raise click.ClickException("The rollups differ from the raw validations; "
                                           "run `helios-dash rebuild-rollups` to rebuild them.")
            click.echo("Rollups match the raw validations.")
            return
        folded = rebuild_rollups(store)
    finally:
        store.close()
    click.echo(f"Rebuilt the rollups from {folded:,} validations.")


@main.command("migrate-store")
@click.option("--to", "target_url", required=True, metavar="URL",
              help="The empty store to copy into, e.g. postgresql+psycopg://user@host/helios.")
@friendly_errors
def migrate_store(target_url: str):
    """Copy the configured store (HELIOS_DATABASE_URL) into an empty one, checked row for row.

    One transaction: an interrupted copy leaves the target as it was; running it again is safe.
    """
    from .data.copy_store import copy_store

    result = copy_store(Settings.from_env().database_url, target_url, progress=True)
    for table in result.tables:
        click.echo(f"{table.name}: {table.rows:,} rows, checked")
    if result.already_copied:
        click.echo("The target already held exactly these rows; nothing was changed.")
    else:
        click.echo(f"Copied {result.rows:,} rows in {result.seconds:.1f} s; counts and checksums match.")


@main.command("seed-demo")
@click.option("--validations", default=200_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=42, show_default=True, type=int)
@friendly_errors
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
@click.option("--epoch", type=click.Choice(["s", "ms"]),
              help="created_at holds epoch seconds or milliseconds (UTC); "
                   "detected without this when all values have 10 or all 13 digits.")
@friendly_errors
def import_command(file: str, mappings: tuple[str, ...], epoch: str | None):
    """Import validation records from a CSV or Parquet FILE (all rows or none)."""
    from .importer import import_file, parse_column_map

    column_map = parse_column_map(list(mappings))
    store = open_store(Settings.from_env().database_url)
    operator = command_line(getpass.getuser())
    try:
        try:
            result = import_file(store, file, column_map, progress=True, epoch=epoch)
        except HeliosError as error:  # nothing was written, but the attempt is on record
            _audit_import(store, operator, file, {"outcome": "refused", "error": error.message})
            raise
        _audit_import(store, operator, file, {"outcome": "imported", "inserted": result.inserted,
                                              "rows_read": result.rows_read, "duplicates": result.duplicates})
    finally:
        store.close()
    click.echo(f"Imported {result.inserted:,} of {result.rows_read:,} rows "
               f"({result.duplicates:,} already present); created {result.domains_created} "
               f"domains and {result.algorithms_created} algorithms.")
    for note in result.notes:
        click.echo(f"Note: {note}.")


def _audit_import(store, operator, file: str, changes: dict) -> None:
    """The audit entry of a command-line import (after its own transaction, which holds the write lock)."""
    from pathlib import Path

    from .accounts.audit import record

    with store.records() as conn:
        record(conn, operator, "import.create", "validations", Path(file).name, changes)


main.add_command(users)
main.add_command(tokens)
main.add_command(audit)
main.add_command(rotate_keys_command)
