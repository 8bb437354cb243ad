"""Printing for people (aligned tables) and for scripts (``--json``).

The rules every command follows, at any width (80 columns is tested):

* a slug, a number or a date is never cut, so it can be copied back into a command;
* sentences wrap between words (:func:`wrap`, :func:`echo_wrapped`, :func:`echo_field`);
  a shell command to copy wraps between arguments with ``\\`` (:func:`echo_command`);
* a table (:func:`table`) that cannot fit side by side prints its last columns under
  each row, so order its columns from the most to the least telling;
* counts agree with their nouns (:func:`plural`: "1 person", "3 people");
* a write's confirmation goes to stderr (:func:`done`), before what the command shows.

Kept free of library imports so ``partnership --help`` starts fast.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import shutil
from collections.abc import Iterable, Sequence
from typing import Any

import click

from ..words import plural as plural  # the one way to count in words (re-exported)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "__attrs_attrs__"):
        import attrs

        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON (models, enums and dates made plain)."""
    click.echo(json.dumps(_plain(data), indent=2, ensure_ascii=False, default=str))


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value + 0.0:g}"  # -0.0 + 0.0 is 0.0: a file may hold a -0 stored earlier
    if isinstance(value, enum.Enum):
        return str(value.value)
    return " ".join(str(value).split())


def width() -> int:
    """Columns to fit: the terminal's (or $COLUMNS), 120 when neither is known."""
    return max(shutil.get_terminal_size((120, 24)).columns, 40)


def wrap(text: str, *, indent: str = "", subsequent: str | None = None) -> list[str]:
    """``text`` as lines fitted to :func:`width`, broken only at spaces.

    A word is never cut, and never at a hyphen: a slug stays whole, so it can be copied
    back into a command (a word longer than the line gets a line of its own)."""
    import textwrap

    more = indent + "  " if subsequent is None else subsequent
    return textwrap.wrap(" ".join(text.splitlines()), width=width(), initial_indent=indent,
                         subsequent_indent=more, break_long_words=False,
                         break_on_hyphens=False) or [indent.rstrip()]


def echo_wrapped(text: str, *, indent: str = "", subsequent: str | None = None,
                 err: bool = False) -> None:
    """Print ``text`` wrapped by :func:`wrap`."""
    for line in wrap(text, indent=indent, subsequent=subsequent):
        click.echo(line, err=err)


def echo_field(name: str, value: str, name_width: int) -> None:
    """``name  value``, the value wrapped and aligned under itself (a single long word,
    such as a link, stays on the name's line rather than leave the name alone)."""
    if " " not in value.strip():
        click.echo(f"{name.ljust(name_width)}  {value}".rstrip())
    else:
        echo_wrapped(f"{name.ljust(name_width)}  {value}", subsequent=" " * (name_width + 2))


def echo_command(command: str, *, indent: str = "") -> None:
    """Print a shell command for the reader to copy, fitted to :func:`width`: it is broken
    only between arguments (never inside a quoted one), with `` \\`` at the end of each
    line but the last, so the copied lines still run as one command."""
    import shlex

    if len(indent + command) <= width():
        click.echo(indent + command)
        return
    try:
        tokens = shlex.split(command)
    except ValueError:  # not shell words after all: print it as it is
        click.echo(indent + command)
        return
    lines, line = [], indent
    for token in (shlex.quote(t) for t in tokens):
        if line.strip() and len(line) + 1 + len(token) + 2 > width():
            lines.append(line)
            line = indent + "    " + token
        else:
            line = line + (" " if line.strip() else "") + token
    lines.append(line)
    for n, text in enumerate(lines):
        click.echo(text + (" \\" if n < len(lines) - 1 else ""))


def _words(text: str) -> list[str]:
    return text.split() or [""]


def _cell_lines(text: str, width_: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width_, break_long_words=False, break_on_hyphens=False) or [""]


def table(rows: Iterable[Any], columns: Sequence[tuple[str, str]], *, empty: str = "(none)") -> None:
    """Print rows (dicts or attrs models) as an aligned table fitted to the terminal.

    Nothing is cut: a column of single words (slugs, numbers, dates) keeps its width, a
    column of sentences wraps onto more lines, and headers wrap at their spaces. If the
    columns still do not fit side by side, the last ones are printed under each row,
    indented, as ``header: value`` (so order ``columns`` from the most to the least
    useful at a glance)."""
    data = [_plain(r) for r in rows]
    if not data:
        click.echo(empty)
        return
    headers = [h for _, h in columns]
    body = [[cell(r.get(k)) for k, _ in columns] for r in data]
    natural, least = [], []
    for i, h in enumerate(headers):
        texts = [row[i] for row in body]
        longest_header_word = max(len(w) for w in _words(h))
        natural.append(max(len(h), *(len(t) for t in texts)))
        longest = max(len(w) for t in texts for w in _words(t))
        if any(" " in t for t in texts):  # sentences: wrap between words, never inside one
            least.append(max(longest_header_word, longest, min(natural[i], 10)))
        else:  # single words: never cut
            least.append(max(longest_header_word, *(len(t) for t in texts)))
    total = width()
    shown = len(columns)
    while shown > 1 and sum(least[:shown]) + 2 * (shown - 1) > total:
        shown -= 1
    widths = least[:shown]
    spare = total - sum(widths) - 2 * (shown - 1)
    # first whole columns, the narrowest wants first (a header back on one line), then the
    # rest to the columns that wrap most
    for i in sorted(range(shown), key=lambda i: natural[i] - widths[i]):
        if 0 < natural[i] - widths[i] <= spare:
            spare -= natural[i] - widths[i]
            widths[i] = natural[i]
    while spare > 0:
        short = [i for i in range(shown) if widths[i] < natural[i]]
        if not short:
            break
        widths[max(short, key=lambda i: natural[i] - widths[i])] += 1
        spare -= 1

    def emit(cells: list[str]) -> None:
        lines = [_cell_lines(c, w) for c, w in zip(cells, widths, strict=False)]
        for n in range(max(len(x) for x in lines)):
            parts = [(x[n] if n < len(x) else "").ljust(w) for x, w in zip(lines, widths, strict=True)]
            click.echo("  ".join(parts).rstrip())

    emit(headers[:shown])
    click.echo("  ".join("-" * w for w in widths))
    for row in body:
        emit(row[:shown])
        rest = [f"{h}: {c}" for h, c in zip(headers[shown:], row[shown:], strict=True) if c]
        if rest:
            echo_wrapped("; ".join(rest), indent="    ", subsequent="      ")


def done(message: str) -> None:
    """Confirm a write on stderr, keeping stdout for data.

    Call it before printing what the command shows (a table, JSON), so the confirmation
    comes first wherever both streams end up."""
    click.echo(message, err=True)
