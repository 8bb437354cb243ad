"""Step 6 of the method: open reporting.

Publishing writes a separate public database holding only what the features register
as public (:mod:`partnership.publicdata`), with the generated Datasette metadata; the
dashboard is a Datasette plugin of this package, served over the public file only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partnership.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import register as add

    add(cli)


@hookimpl
def register_public_data(register: Callable[..., None]) -> None:
    from .public import public_data

    for item in public_data():
        register(item)
