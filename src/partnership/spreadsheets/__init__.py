"""Spreadsheets both ways: the whole partnership as an .xlsx workbook (``export --format
xlsx`` and ``import``, another format of :mod:`partnership.exchange`), and partner
returns (``returns make`` / ``returns read``): a workbook pre-filled for one partner,
locked except for the cells to fill, read back into the inbox's review queue.

The commands ``export`` and ``import`` are the root's own (:mod:`partnership.cli.exchange`);
this feature adds ``returns``. It stores nothing of its own: a round of returns is an
entry of the change log, and a returned workbook becomes inbox submissions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partnership.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import register as add

    add(cli)
