"""Commands that move whole partnerships: import, export, demo, and plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import pass_context
from .context import Context
from .output import done, echo_wrapped, emit_json, plural, table
from .problems import errors_option, reporting


@click.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--section", "section", default=None, metavar="NAME",
              help="For a CSV file: which records it holds (partners, contributions, ...). "
                   "Default: from the file name, e.g. partners.csv or partners.rejected.csv.")
@click.option("--skip-bad", is_flag=True,
              help="For a CSV file: import the good rows and write the bad ones to a reject file.")
@click.option("--reject-file", default=None, metavar="FILE",
              help="With --skip-bad: where bad rows go (default FILE.rejected.csv, readable only "
                   "by you); fixed, it imports again as it is.")
@click.option("--force", is_flag=True, help="With --skip-bad: replace the reject file even if it "
              "is not an earlier reject file.")
@errors_option
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_context
def import_(ctx: Context, path: str, section: str | None, skip_bad: bool, reject_file: str | None,
            force: bool, errors_path: str | None, as_json: bool) -> None:
    """Import a partnership, or records from a file.

    A whole partnership from YAML, JSON or an .xlsx workbook, or one kind of record from CSV.

    All or nothing: every problem is reported with its place in the file (line, or
    sheet, row and column) and nothing is written. Importing the same file twice changes
    nothing. A YAML, JSON or workbook file with a 'partnership' block creates the
    database if it does not exist. CSV headers match in any case ('Due date' is
    due_date); CSV saved by Excel in UTF-8 or Windows-1252 is read as it is.
    """
    suffix = Path(path).suffix.lower()
    if not Path(path).is_file():
        raise click.ClickException(f"no file at {path}; check the path")
    if (skip_bad or reject_file or force) and suffix != ".csv":
        raise click.UsageError("--skip-bad, --reject-file and --force are only for CSV files")
    if (reject_file or force) and not skip_bad:
        raise click.UsageError("--reject-file and --force go with --skip-bad")
    rejected = None
    with reporting(path, errors_path, ctx.db):
        if suffix == ".csv":
            counts, rejected = _import_csv(ctx, path, section, skip_bad, reject_file, force)
        elif suffix in (".yaml", ".yml", ".json", *WORKBOOK_SUFFIXES):
            if section:
                raise click.ClickException("--section is only for CSV files")
            counts = _import_document(ctx, path)
        else:
            raise click.ClickException(
                f"cannot tell the format of {path}; use a .yaml, .yml, .json, .xlsx or .csv file")
    if rejected is not None and rejected.rejected:
        if errors_path:
            from .problems import write_errors

            write_errors(errors_path, path, rejected.problems, ctx.db)
        done(f"{plural(rejected.rejected, 'bad row')} written to {rejected.reject_path}; fix them there "
             f"and import that file as it is")
    if as_json:
        emit_json(counts)
        return
    rows = [{"section": k, **v} for k, v in counts.items()]
    table(rows, [("section", "section"), ("added", "added"), ("updated", "updated"),
                 ("unchanged", "unchanged")])


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def _import_csv(ctx: Context, path: str, section: str | None, skip_bad: bool, reject_file: str | None,
                force: bool) -> tuple[dict[str, dict[str, int]], Any]:
    from partnership import exchange

    with ctx.open() as p:
        section = section or exchange.section_of(path, p.registry.sections())
        result = exchange.import_section_csv(p, path, section, skip_bad=skip_bad,
                                             reject_path=reject_file, force=force)
    return {section: result.counts}, result


def _import_document(ctx: Context, path: str) -> dict[str, dict[str, int]]:
    from partnership import exchange
    from partnership.errors import ImportFileError

    data, locator = exchange.read_any(path)
    info, sections, problems = exchange.check(data, path, ctx.registry().models, locator)
    if Path(ctx.db).exists():
        with ctx.open() as p:
            return exchange.apply_checked(p, info, sections, path, problems=problems, locator=locator)
    if problems:
        texts = [pr.text for pr in problems]
        raise ImportFileError(exchange.summary(path, texts), texts)
    if not info:
        raise ImportFileError(
            f"{ctx.db} does not exist and {path} has no 'partnership' block to create it "
            f"from; run 'partnership init NAME' first")
    created = ctx.create(**info)
    try:
        return exchange.apply_checked(created, None, sections, path, locator=locator)
    except BaseException:
        created.close()
        for suffix_ in ("", "-wal", "-shm"):
            Path(ctx.db + suffix_).unlink(missing_ok=True)
        raise
    finally:
        created.close()


@click.command()
@click.option("--format", "fmt", type=click.Choice(["yaml", "json", "csv", "xlsx"]), default="yaml",
              show_default=True, help="xlsx: one workbook, a sheet per section, for Excel or LibreOffice.")
@click.option("--section", default=None, metavar="NAME", help="With --format csv: which records.")
@click.option("--output", "-o", default=None, metavar="FILE",
              help="Write to a file instead of the screen (readable only by you unless "
                   "--no-private; needed for xlsx).")
@click.option("--no-private", is_flag=True,
              help="Leave out private fields (people's email and phone).")
@click.option("--excel", is_flag=True,
              help="With --format csv on the screen: start with the mark Excel needs to read "
                   "accents and the pound sign (files written with -o always have it).")
@click.option("--force", is_flag=True,
              help="With --output: replace FILE even if it is not an earlier export.")
@pass_context
def export(ctx: Context, fmt: str, section: str | None, output: str | None, no_private: bool,
           excel: bool, force: bool) -> None:
    """Export the partnership as YAML, JSON, .xlsx or CSV.

    The whole partnership as YAML, JSON or an .xlsx workbook (or one section as CSV).

    The export holds private fields unless --no-private is given: treat it like the
    database itself. With --output an existing file is replaced only if it is an
    earlier export (or with --force); the working database never is. A workbook or
    CSV file edited in Excel or LibreOffice imports back with 'partnership import'.
    """
    from partnership import exchange, outfiles

    if excel and fmt != "csv":
        raise click.UsageError("--excel is only for --format csv")
    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx needs --output FILE.xlsx (a workbook is not text)")
    with ctx.open() as p:
        recognise = _export_recogniser(exchange, p.registry.models)
        if output:
            # refuse a bad target before the (possibly long) export
            outfiles.check_target(output, protect=outfiles.protected_paths(ctx.db), force=force,
                                  recognise=recognise, what="an export")
        if fmt == "xlsx":
            from partnership.spreadsheets.workbook import write_workbook

            if section:
                raise click.UsageError("--section is only for --format csv")
            assert output is not None
            outfiles.write_output(output, lambda f: write_workbook(p, f, include_private=not no_private),
                                  protect=outfiles.protected_paths(ctx.db), private=not no_private,
                                  force=force, recognise=recognise, what="an export", binary=True)
            done(f"exported to {output}")
            return
        if fmt == "csv":
            if not section:
                raise click.ClickException(
                    "--format csv needs --section, e.g. --section partners")
            # a file is opened in a spreadsheet: it gets the byte-order mark Excel needs
            text = exchange.export_csv(p, section, include_private=not no_private,
                                       excel=excel or bool(output))
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
    """An earlier export: YAML or JSON starting with its format line, the CSV header of a
    section (with or without the private columns, with or without the names beside the
    slugs), or a workbook written by ``export --format xlsx``."""
    import attrs

    from partnership import outfiles

    fmt = exchange.FORMAT.encode()
    document = outfiles.starts_with(b"format: " + fmt, b'{\n  "format": "' + fmt + b'"')
    headers = []
    for cls in exchange.section_names(stored).values():
        fields = attrs.fields(cls)
        headers.append([a.name for a in fields])
        headers.append([a.name for a in fields if not a.metadata.get("private")])
        headers.append(exchange.export_columns(cls))
        headers.append(exchange.export_columns(cls, include_private=False))
    table = outfiles.csv_header_in(headers)

    def workbook(path: Path) -> bool:
        from partnership.spreadsheets.workbook import KIND, workbook_kind

        return workbook_kind(path) == KIND

    return lambda path: workbook(path) or document(path) or table(path)


@click.command()
@click.argument("path", default="demo.db")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@pass_context
def demo(ctx: Context, path: str, force: bool) -> None:
    """Build a fictional partnership to explore.

    It is written to PATH (default demo.db).

    PATH is never the working database (--db) or its -wal/-shm files, even with --force.
    """
    from partnership import outfiles
    from partnership.demo import build
    from partnership.inbox.service import carry_inbox, discard_inbox

    protect = outfiles.protected_paths(ctx.db) if Path(ctx.db).exists() else []
    built: list[Path] = []
    try:
        with outfiles.OutputFile(path, protect=protect, private=False, force=force,
                                 sqlite=True) as tmp:
            built.append(tmp)
            build(tmp, replace=True, plugins_dir=ctx.plugins_dir, plugins=ctx.plugins,
                  on_problem=lambda line: click.echo(line, err=True))  # a failed plugin metric
    except BaseException:
        for tmp in built:
            discard_inbox(tmp)
        raise
    carry_inbox(built[0], path)  # partners' pending submissions go with the demo
    done(f"built the demo partnership in {path}; try: partnership --db {path} check")


@click.command()
@click.option("--verbose", "-v", is_flag=True,
              help="Also each metric's scope, unit and what it returns, and each check's step.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def plugins(ctx: Context, verbose: bool, as_json: bool) -> None:
    """The plugins loaded, and the checks and metrics they add."""
    from partnership.checks import collect_checks
    from partnership.metrics import collect_metrics, last_problems
    from partnership.plugins import describe_plugins, get_plugin_manager

    pm = get_plugin_manager(ctx.plugins_dir)
    rows = describe_plugins(pm)
    # metrics that failed at the last refresh of the database, if there is one
    problems = last_problems(ctx.db)
    details: dict[tuple[str, str], dict[str, Any]] = {
        ("metrics", m.name): {"scope": m.scope, "unit": m.unit, "returns": _returns(m)}
        for m in collect_metrics(pm)}
    details.update({("checks", c.name): {"step": c.step} for c in collect_checks(pm)})
    for row in rows:
        row["problems"] = [pr for pr in problems if pr["plugin"] == row["name"]]
        if verbose:
            for kind, items in row["adds"].items():
                for item in items:
                    item.update(details.get((kind, item["name"]), {}))
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']}  ({row['source']})")
        for kind, items in row["adds"].items():
            for item in items:
                echo_wrapped(f"{kind[:-1]:<7} {item['name']}: {item['description']}",
                             indent="    ", subsequent=" " * 12)
                if verbose and kind == "metrics":
                    unit = item["unit"] or "no unit given"
                    echo_wrapped(f"scope: {item['scope']}; unit: {unit}; returns: {item['returns']}",
                                 indent=" " * 12, subsequent=" " * 14)
                elif verbose and kind == "checks" and item.get("step"):
                    click.echo(" " * 12 + f"step {item['step']} of the method")
        for pr in row["problems"]:
            echo_wrapped(f"FAILED  metric {pr['metric']} at the last refresh: {pr['error']}",
                         indent="    ", subsequent=" " * 12)


def _returns(metric: Any) -> str:
    """What a metric returns: the first line of its function's docstring, or what its scope
    allows."""
    doc = (getattr(metric.compute, "__doc__", None) or "").strip().split("\n\n")[0]
    if doc:
        return " ".join(doc.split())
    return "one value per indicator" if metric.scope == "indicator" else "one value for the partnership"


@click.group()
def plugin() -> None:
    """Write a plugin of your own: 'plugin new NAME'."""


@plugin.command("new")
@click.argument("name")
@click.option("--directory", "-d", default=".", show_default=True, metavar="DIR",
              help="Where to write the package's folder.")
def plugin_new(name: str, directory: str) -> None:
    """Write a ready plugin package, partnership-NAME.

    It holds a pyproject.toml with the entry point, a metric and a check to edit, a test
    file that runs once the package is installed, and a README saying how to try, test
    and share it.
    """
    import shlex

    from partnership.plugin_template import write_package

    root = write_package(name, directory)
    done(f"wrote the plugin package {root}")
    click.echo(f"next: cd {shlex.quote(str(root))} && pip install -e '.[test]' && python -m pytest")


def register(cli: click.Group) -> None:
    for command in (import_, export, demo, plugins, plugin):
        cli.add_command(command)
