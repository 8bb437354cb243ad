"""The ``returns`` commands: make return workbooks for partners, read them back into the inbox.

(``export --format xlsx`` and ``import FILE.xlsx`` are the root's own commands, in
:mod:`partnership.cli.exchange`.)"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO

import click

from partnership.cli.context import Context, pass_context
from partnership.cli.output import done, emit_json, table
from partnership.cli.problems import errors_option, reporting


@click.group()
def returns() -> None:
    """Partner returns: workbooks partners fill in.

    A workbook for each partner to fill in, read back into the inbox.
    """


@returns.command("make")
@click.option("--partner", default=None, metavar="PARTNER", help="The partner the workbook is for.")
@click.option("--all", "all_dir", default=None, metavar="DIR",
              help="Make one workbook per partner in DIR (PARTNER-return.xlsx).")
@click.option("--output", "-o", default=None, metavar="FILE",
              help="With --partner: where to write it (default PARTNER-return.xlsx).")
@click.option("--force", is_flag=True, help="Replace a file that is not an earlier return workbook.")
@pass_context
def returns_make(ctx: Context, partner: str | None, all_dir: str | None, output: str | None,
                 force: bool) -> None:
    """Write a partner's return workbook, pre-filled.

    Locked except the cells to fill.

    Each workbook starts a new round for its partner: a workbook of an older round is
    refused when it comes back, so send the latest one.
    """
    from partnership import outfiles
    from partnership.spreadsheets.returns import RETURN_KIND
    from partnership.spreadsheets.workbook import workbook_kind

    if bool(partner) == bool(all_dir):
        raise click.UsageError("give --partner PARTNER (one workbook) or --all DIR (one per partner)")
    if all_dir and output:
        raise click.UsageError("--output goes with --partner; --all writes into DIR")
    with ctx.open() as p, (outfiles.output_folder(all_dir) if all_dir else contextlib.nullcontext()):
        slugs = [partner] if partner else [x.slug for x in p.partners.list()]
        if partner:
            p.partners.get(partner)
        targets = [output or f"{slugs[0]}-return.xlsx"] if partner else [
            str(Path(all_dir or ".") / f"{s}-return.xlsx") for s in slugs]
        protect = outfiles.protected_paths(ctx.db)

        def recognise(path: Path) -> bool:
            return workbook_kind(path) == RETURN_KIND

        for target in targets:  # every target checked before any round is made
            outfiles.check_target(target, protect=protect, force=force, recognise=recognise,
                                  what="an earlier return workbook")
        made = []
        for slug, target in zip(slugs, targets, strict=True):
            rounds: list[str] = []

            def write(f: IO[bytes], slug: str = slug, rounds: list[str] = rounds) -> None:
                rounds.append(p.returns.make(slug, f))

            outfiles.write_output(target, write, protect=protect, private=True, force=force,
                                  recognise=recognise, what="an earlier return workbook", binary=True)
            made.append({"partner": slug, "round": rounds[0], "file": target})
    if len(made) == 1:
        done(f"wrote the return workbook of {made[0]['partner']} (round {made[0]['round']}) to "
             f"{made[0]['file']}; send it to them, then 'partnership returns read' the filled-in file")
    else:
        table(made, [("partner", "partner"), ("round", "round"), ("file", "file")])
        done(f"wrote {len(made)} return workbooks to {all_dir}")


@returns.command("read")
@click.argument("paths", metavar="FILE...", nargs=-1, required=True)
@click.option("--person", default=None, metavar="PERSON",
              help="Who filled it in, if the workbook does not say (a person of its partner).")
@click.option("--partner", default=None, metavar="PARTNER",
              help="Refuse a workbook that is not this partner's.")
@errors_option
@click.option("--json", "as_json", is_flag=True, help="Print what was queued as JSON.")
@pass_context
def returns_read(ctx: Context, paths: tuple[str, ...], person: str | None, partner: str | None,
                 errors_path: str | None, as_json: bool) -> None:
    """Read returned workbooks into the inbox for review.

    Every workbook is checked first (its round must be its partner's latest, and every
    filled cell valid); if any has a problem, or one submission is refused, nothing is
    queued. Then accept or reject
    the submissions as for the web inbox ('partnership inbox').
    """
    for path in paths:
        if not Path(path).is_file():
            raise click.ClickException(f"no file at {path}; check the path")
    with ctx.open() as p:
        checked = []
        for path in paths:
            with reporting(path, errors_path, ctx.db):
                checked.append(p.returns.check(path, person=person, partner=partner))
        rows = [{"file": found.path, "partner": found.partner, "round": found.round,
                 "person": found.person, "submissions": found.ids} for found in p.returns.submit(checked)]
    if as_json:
        emit_json(rows)
        return
    table([{**r, "submissions": len(r["submissions"])} for r in rows],
          [("file", "file"), ("partner", "partner"), ("round", "round"), ("person", "from"),
           ("submissions", "queued")])
    done("review them with 'partnership inbox', then accept or reject each")


def register(cli: click.Group) -> None:
    cli.add_command(returns)
