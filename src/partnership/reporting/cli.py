"""Step 6, open reporting: publish the public database and serve the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from partnership.cli.context import Context, pass_context
from partnership.cli.output import done, emit_json

robots_option = click.option(
    "--robots", type=click.Choice(["allow", "block"]), default=None,
    help="Let search engines index the site (allow, the default) or keep them out (block).")


force_option = click.option(
    "--force", is_flag=True,
    help="Replace the file (and its .metadata.yml) even if publish did not write it.")


def _result_json(result: Any) -> dict[str, Any]:
    import attrs

    return attrs.asdict(result)


@click.command()
@click.argument("path")
@click.option("--metadata", metavar="FILE", type=click.Path(dir_okay=False),
              help="Base datasette-metadata.yml to fill in (default: generated from the "
                   "features and plugins, as 'partnership metadata' prints it).")
@click.option("--no-refresh", is_flag=True, help="Do not recompute the metrics first.")
@robots_option
@force_option
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@pass_context
def publish(ctx: Context, path: str, metadata: str | None, no_refresh: bool, robots: str | None,
            force: bool, as_json: bool) -> None:
    """Write the public database (only public data) to PATH.

    With its Datasette metadata.

    The file is written whole and moved into place, so readers never see half of it.
    Serve it with 'partnership serve --public-db PATH', or plain Datasette:
    datasette -i PATH -m PATH-STEM.metadata.yml (docs/dashboard.md gives the
    template and plugin folders and settings of the full site)
    """
    from partnership.reporting.build import publish as do_publish

    with ctx.open() as p:
        result = do_publish(p, path, metadata=metadata, refresh=not no_refresh, robots=robots,
                            force=force)
    for line in result.metric_problems:  # which plugin metric failed; its last good values went out
        click.echo(line, err=True)
    if as_json:
        emit_json(_result_json(result))
        return
    rows = sum(result.tables.values())
    done(f"published {len(result.tables)} tables ({rows:,} rows) and {len(result.views)} views "
         f"to {path}; metadata in {result.metadata_path}")


@click.command()
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every network interface).")
@click.option("--public-db", metavar="PATH", default=None,
              help="Where to write the public database (default: beside --db, "
                   "NAME.public.db).")
@click.option("--metadata", metavar="FILE", type=click.Path(dir_okay=False),
              help="Base datasette-metadata.yml to fill in (default: generated from the "
                   "features and plugins, as 'partnership metadata' prints it).")
@robots_option
@force_option
@pass_context
def serve(ctx: Context, port: int, host: str, public_db: str | None, metadata: str | None,
          robots: str | None, force: bool) -> None:
    """Publish, then serve the public dashboard.

    With Datasette; Ctrl+C stops it.

    Only the public database is served, read-only (immutable): the working database
    with contact details is never opened by the web server.
    """
    from partnership.reporting.build import publish as do_publish
    from partnership.reporting.serve import check_port_free
    from partnership.reporting.serve import serve as do_serve

    if public_db is None:
        working = Path(ctx.db)
        public_db = str(working.with_name(working.stem + ".public.db"))
    with ctx.open() as p:
        # the database first (a missing one is the first thing to say), then the port,
        # before anything is written
        check_port_free(host, port)
        result = do_publish(p, public_db, metadata=metadata, robots=robots, force=force)
    for line in result.metric_problems:
        click.echo(line, err=True)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    done(f"published {public_db}; serving the dashboard on http://{shown}:{port}/ (Ctrl+C to stop)")
    do_serve(public_db, host=host, port=port, metadata_path=result.metadata_path)


@click.command()
@click.option("--check", "check_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Exit 1 if FILE differs from what would be written (for CI).")
@pass_context
def metadata(ctx: Context, check_file: str | None) -> None:
    """Print the public site's Datasette metadata.

    Generated from the features' descriptions.

    Every description of a public table, column and query lives in the code of the
    feature (or plugin) that publishes it; this writes them as the commented
    datasette-metadata.yml that plain Datasette reads:
    partnership metadata > datasette-metadata.yml
    """
    from partnership.reporting.metadata import base_metadata, render

    text = render(base_metadata(ctx.registry()))
    if check_file is None:
        click.echo(text, nl=False)
        return
    try:
        current = Path(check_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot read {check_file}: {exc.strerror}") from None
    if current != text:
        raise click.ClickException(
            f"{check_file} is not what the code generates; run "
            f"'partnership metadata > {check_file}'")
    done(f"{check_file} matches the code")


def register(cli: click.Group) -> None:
    from .boardpack.cli import report  # the board pack (partnership.reporting.boardpack)

    for command in (publish, serve, metadata, report):
        cli.add_command(command)
