"""``helios-dash audit verify`` and ``helios-dash audit list``: the audit log from the command line."""
from __future__ import annotations

import json
import re
from contextlib import contextmanager

import click

from ..errors import HeliosError
from ..settings import Settings
from ..store import open_store
from .audit import list_entries, verify_chain

ANCHOR = re.compile(r"#?(?P<id>\d+):(?P<hash>[0-9a-f]{64})")


@click.group()
def audit():
    """The audit log: check its hash chain, show recent entries."""


@audit.command()
@click.option("--anchor", metavar="ID:HASH",
              help="A head printed by an earlier verify, kept outside the database: also proves that "
                   "no entry up to it was deleted or rewritten, the newest ones included.")
def verify(anchor: str | None):
    """Check every entry's hash and link; exit 1 naming the first bad entry."""
    expected = _parse_anchor(anchor) if anchor else None
    with _store() as store:
        result = verify_chain(store, anchor=expected)
    if not result.ok:
        raise click.ClickException(f"Audit log broken at entry #{result.first_bad_id}: {result.reason} "
                                   f"({result.checked} entries read).")
    click.echo(f"Audit log intact: {result.checked} entries")
    if result.head_id is not None:
        click.echo(f"Head: {result.head_id}:{result.head_hash} "
                   "(keep it elsewhere; verify --anchor with it later detects deleted newest entries)")


@audit.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--actor", help="Only this actor (user:7, cli:ada) or e-mail.")
@click.option("--action", help="Only this action, or a prefix ending in * (auth.*).")
def list_command(limit: int, actor: str | None, action: str | None):
    """Show the newest entries, one a line."""
    with _store() as store:
        entries, total = list_entries(store, actor=actor, action=action, limit=limit)
    for entry in entries:
        resource = entry["resource_type"] + (f":{entry['resource_id']}" if entry["resource_id"] else "")
        who = entry["actor"] + (f" <{entry['actor_email']}>" if entry["actor_email"] else "")
        changes = json.dumps(entry["changes"], sort_keys=True, ensure_ascii=False)
        click.echo(f"#{entry['id']}  {entry['created_at']:%Y-%m-%d %H:%M:%S}Z  {who}  {entry['action']}  "
                   f"{resource}  {changes}  ip={entry['ip'] or '-'}")
    click.echo(f"{len(entries)} of {total} entries shown, newest first.")


def _parse_anchor(text: str) -> tuple[int, str]:
    found = ANCHOR.fullmatch(text.strip())
    if not found:
        raise click.BadParameter("give ID:HASH as printed by `audit verify` (Head: ...)", param_hint="--anchor")
    return int(found["id"]), found["hash"]


@contextmanager
def _store():
    """The configured store (HELIOS_DATABASE_URL), with HELIOS errors as one line and exit 1."""
    try:
        store = open_store(Settings.from_env().database_url)
    except HeliosError as error:
        raise click.ClickException(error.message) from None
    try:
        yield store
    except HeliosError as error:
        raise click.ClickException(error.message) from None
    finally:
        store.close()
