"""Commands that look after the file itself: backup and doctor."""

from __future__ import annotations

import click

from . import pass_context
from .context import Context
from .output import done, emit_json, table


@click.command()
@click.argument("path")
@click.option("--force", is_flag=True,
              help="Replace PATH even if it is not a partnership database (an earlier backup).")
@pass_context
def backup(ctx: Context, path: str, force: bool) -> None:
    """Copy the database safely, even while others write.

    The copy is readable only by you. PATH is never the database itself, and an
    existing file other than an earlier backup is replaced only with --force.
    """
    from partnership.maintenance import backup as do_backup

    with ctx.open() as p:
        do_backup(p, path, force=force)
    done(f"backed up {ctx.db} to {path}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--repair", is_flag=True,
              help="First rebuild the figures kept up to date automatically (trend sums, "
                   "metrics) from the records; no record is changed.")
@pass_context
def doctor(ctx: Context, as_json: bool, repair: bool) -> None:
    """Check the database file itself; repair its figures.

    Integrity, references, schema version, stale metrics, trend sums.

    Exit status 1 if anything is wrong.
    """
    from partnership.maintenance import doctor as diagnose
    from partnership.maintenance import repair as rebuild

    with ctx.open() as p:
        if repair:
            for line in rebuild(p):
                done(line)
        report = diagnose(p)
    if as_json:
        emit_json(report)
    else:
        table([{**{"check": d.check, "detail": d.detail}, "result": "ok" if d.ok else "PROBLEM"}
               for d in report], [("check", "check"), ("result", "result"), ("detail", "detail")])
    if not all(d.ok for d in report):
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(backup)
    cli.add_command(doctor)
