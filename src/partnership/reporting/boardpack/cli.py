"""``partnership report``: write the board pack (HTML, or PDF where WeasyPrint is installed)."""

from __future__ import annotations

import click

from partnership.cli.context import Context, pass_context
from partnership.cli.output import done


@click.command("report")
@click.option("-o", "--output", "output", default=None, metavar="FILE",
              help="Where to write it: a name ending in .html or .pdf "
                   "(default board-YEAR-MONTH.html, from today's date).")
@click.option("--since", default=None, metavar="MEETING",
              help="Say what changed since this meeting (its slug) or date (YYYY-MM-DD); "
                   "default: the last meeting held.")
@click.option("--private", is_flag=True,
              help="Add the contact details of the people named (email, phone); the file is "
                   "written readable by you only. Never publish a private pack.")
@click.option("--force", is_flag=True, help="Replace FILE even if this command did not write it.")
@pass_context
def report(ctx: Context, output: str | None, since: str | None, private: bool, force: bool) -> None:
    """Write the board pack for a board meeting, as HTML or PDF.

    First page: the verdict per outcome, what changed since the last meeting, the
    collaboration killers and check problems, promises due and broken, stale figures.
    Then a page per outcome with its charts, then the ledger and the meeting record.
    The HTML prints well from a browser; .pdf needs WeasyPrint (pip install
    'partnership[pdf]')."""
    with ctx.open() as p:
        path = output or f"board-{p.today():%Y-%m}.html"
        written = p.report.write(path, since=since, private=private, force=force)
    done(f"wrote the board pack to {written}" + (" (private: it holds contact details)" if private else ""))
