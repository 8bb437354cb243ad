"""Printing the problems of an import: one per line, the first 20, then a count.

Every import command (``import``, ``observe --csv``, ``returns read``) reports a file's
problems through :func:`reporting`: one problem is one line, as any error; several are a
headline and then one line each, the first :data:`SHOWN`, then how many more, all of them
written to ``--errors FILE`` when it is given (a private file: problems quote cells).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO, Any

import click

#: problems printed on the terminal; the rest are counted (all of them go to --errors FILE)
SHOWN = 20

#: the option every import command takes
errors_option = click.option(
    "--errors", "errors_path", default=None, metavar="FILE",
    help="Also write every problem found, one per line, to FILE (readable only by you).")


class Problems(click.ClickException):
    """Several problems of one file: a headline, then one line each."""

    def __init__(self, headline: str, problems: list[str], *, written_to: str | None) -> None:
        super().__init__(headline)
        self.problems = problems
        self.written_to = written_to

    def show(self, file: IO[Any] | None = None) -> None:
        from . import one_line

        click.echo(f"Error: {one_line(self.message)}", err=True)
        for problem in self.problems[:SHOWN]:
            click.echo(f"  {one_line(problem)}", err=True)
        more = len(self.problems) - SHOWN
        if more > 0:
            where = (f"all of them are in {self.written_to}" if self.written_to
                     else "see them all with --errors FILE")
            click.echo(f"  ... and {more} more ({where})", err=True)


@contextlib.contextmanager
def reporting(source: str, errors_path: str | None, db: str) -> Iterator[None]:
    """Turn an :class:`~partnership.errors.ImportFileError` of ``source`` into
    :class:`Problems` (several problems) and write them all to ``errors_path``."""
    from partnership.errors import ImportFileError

    try:
        yield
    except ImportFileError as exc:
        problems = _by_line(list(exc.problems))
        if errors_path:
            write_errors(errors_path, source, problems, db)
        if len(problems) <= 1:
            raise
        count = f"{len(problems)}{'+' if len(problems) >= 1000 else ''}"
        raise Problems(f"{source}: {count} problems, nothing was imported; fix them and import "
                       f"the file again", problems, written_to=errors_path) from None


#: the first line of an errors file, by which an earlier one is recognised and replaced
ERRORS_HEADER = "# problems partnership found in "


def _by_line(problems: list[str]) -> list[str]:
    """Problems of a CSV file in the order of their lines (a repeated row is found when it
    is written, after the others); any other list as it is."""
    import re

    lines = [re.match(r"line (\d+):", p) for p in problems]
    if not all(lines):
        return problems
    return [p for _, p in sorted(zip([int(m.group(1)) for m in lines if m], problems, strict=True),
                                  key=lambda pair: pair[0])]


def write_errors(path: str, source: str, problems: list[str], db: str) -> None:
    """Every problem, one per line, after a header line naming the file imported; an
    existing file is replaced only if it is an earlier errors file."""
    from partnership import outfiles

    outfiles.write_output(path, f"{ERRORS_HEADER}{source}\n" + "".join(f"{p}\n" for p in problems),
                          protect=[*outfiles.protected_paths(db), (source, "the file being imported")],
                          private=True,
                          recognise=outfiles.starts_with(ERRORS_HEADER.encode()),
                          what="an earlier errors file")
