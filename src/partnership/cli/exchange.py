"""Commands that move whole partnerships: import, export, demo, and plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import pass_context
from .context import Context
from .output import done, emit_json, table


@click.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--section", "section", default=None, metavar="NAME",
              help="For a CSV file: which records it holds (partners, contributions, ...). "
                   "Default: the file name, e.g. partners.csv.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_context
def import_(ctx: Context, path: str, section: str | None, as_json: bool) -> None:
    """Import a partnership from YAML or JSON, or one kind of record from CSV.

    All or nothing: every bad row is reported with its place in the file and
    nothing is written. Importing the same file twice changes nothing. A YAML or
    JSON file with a 'partnership' block creates the database if it does not exist.
    """
    from partnership import exchange
    from partnership.errors import ImportFileError

    suffix = Path(path).suffix.lower()
    if not Path(path).is_file():
        raise click.ClickException(f"no file at {path}; check the path")
    if suffix == ".csv":
        name = section or Path(path).stem
        with ctx.open() as p:
            counts = exchange.import_csv(p, path, name)
    elif suffix in (".yaml", ".yml", ".json"):
        if section:
            raise click.ClickException("--section is only for CSV files")
        data = exchange.read_document(path)
        info, sections = exchange.plan(data, path, ctx.registry().models)
        if not Path(ctx.db).exists():
            if not info:
                raise ImportFileError(
                    f"{ctx.db} does not exist and {path} has no 'partnership' block to create it "
                    f"from; run 'partnership init NAME' first")
            created = ctx.create(**info)
            try:
                counts = exchange.apply(created, None, sections, path)
            except BaseException:
                created.close()
                for suffix_ in ("", "-wal", "-shm"):
                    Path(ctx.db + suffix_).unlink(missing_ok=True)
                raise
            created.close()
        else:
            with ctx.open() as p:
                counts = exchange.apply(p, info, sections, path)
    else:
        raise click.ClickException(
            f"cannot tell the format of {path}; use a .yaml, .yml, .json or .csv file")
    if as_json:
        emit_json(counts)
        return
    rows = [{"section": k, **v} for k, v in counts.items()]
    table(rows, [("section", "section"), ("added", "added"), ("updated", "updated"),
                 ("unchanged", "unchanged")])


@click.command()
@click.option("--format", "fmt", type=click.Choice(["yaml", "json", "csv"]), default="yaml",
              show_default=True)
@click.option("--section", default=None, metavar="NAME", help="With --format csv: which records.")
@click.option("--output", "-o", default=None, metavar="FILE",
              help="Write to a file instead of the screen (readable only by you unless "
                   "--no-private).")
@click.option("--no-private", is_flag=True,
              help="Leave out private fields (people's email and phone).")
@click.option("--force", is_flag=True,
              help="With --output: replace FILE even if it is not an earlier export.")
@pass_context
def export(ctx: Context, fmt: str, section: str | None, output: str | None, no_private: bool,
           force: bool) -> None:
    """Export the whole partnership as YAML or JSON (or one section as CSV).

    The export holds private fields unless --no-private is given: treat it like the
    database itself. With --output an existing file is replaced only if it is an
    earlier export (or with --force); the working database never is.
    """
    from partnership import exchange, outfiles

    with ctx.open() as p:
        recognise = _export_recogniser(exchange, p.registry.models)
        if output:
            # refuse a bad target before the (possibly long) export
            outfiles.check_target(output, protect=outfiles.protected_paths(ctx.db), force=force,
                                  recognise=recognise, what="an export")
        if fmt == "csv":
            if not section:
                raise click.ClickException(
                    "--format csv needs --section, e.g. --section partners")
            text = exchange.export_csv(p, section, include_private=not no_private)
        else:
            if section:
                raise click.ClickException("--section is only for --format csv")
            text = exchange.dumps(exchange.export_data(p, include_private=not no_private), fmt)
    if output:
        outfiles.write_output(output, text, protect=outfiles.protected_paths(ctx.db),
                              private=not no_private, force=force,
                              recognise=recognise, what="an export")
        done(f"exported to {output}")
    else:
        click.echo(text, nl=False)


def _export_recogniser(exchange: Any, stored: Any) -> Any:
    """An earlier export: YAML or JSON starting with its format line, or the CSV header of
    a section (with or without the private columns)."""
    import attrs

    from partnership import outfiles

    fmt = exchange.FORMAT.encode()
    document = outfiles.starts_with(b"format: " + fmt, b'{\n  "format": "' + fmt + b'"')
    headers = []
    for cls in exchange.section_names(stored).values():
        fields = attrs.fields(cls)
        headers.append([a.name for a in fields])
        headers.append([a.name for a in fields if not a.metadata.get("private")])
    table = outfiles.csv_header_in(headers)
    return lambda path: document(path) or table(path)


@click.command()
@click.argument("path", default="demo.db")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@pass_context
def demo(ctx: Context, path: str, force: bool) -> None:
    """Build a realistic fictional partnership in PATH (default demo.db) to explore.

    PATH is never the working database (--db) or its -wal/-shm files, even with --force.
    """
    from partnership import outfiles
    from partnership.demo import build

    protect = outfiles.protected_paths(ctx.db) if Path(ctx.db).exists() else []
    with outfiles.OutputFile(path, protect=protect, private=False, force=force,
                             sqlite=True) as tmp:
        build(tmp, replace=True, plugins_dir=ctx.plugins_dir, plugins=ctx.plugins)
    done(f"built the demo partnership in {path}; try: partnership --db {path} check")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def plugins(ctx: Context, as_json: bool) -> None:
    """The plugins loaded, and the checks and metrics they add."""
    from partnership.metrics import last_problems
    from partnership.plugins import describe_plugins, get_plugin_manager

    pm = get_plugin_manager(ctx.plugins_dir)
    rows = describe_plugins(pm)
    # metrics that failed at the last refresh of the database, if there is one
    problems = last_problems(ctx.db)
    for row in rows:
        row["problems"] = [pr for pr in problems if pr["plugin"] == row["name"]]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']}  ({row['source']})")
        for kind, items in row["adds"].items():
            for item in items:
                click.echo(f"    {kind[:-1]:<7} {item['name']}: {item['description']}")
        for pr in row["problems"]:
            click.echo(f"    FAILED  metric {pr['metric']} at the last refresh: {pr['error']}")


def register(cli: click.Group) -> None:
    for command in (import_, export, demo, plugins):
        cli.add_command(command)
