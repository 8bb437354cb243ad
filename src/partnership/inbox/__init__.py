"""Partners report for themselves: personal links, the inbox site, the lead's review.

Each partner's people follow a signed personal link to a small site that serves a
separate inbox database (never the working file), send figures and news of their
commitments there, and the lead accepts or returns each through ``partnership inbox``.
Nothing enters the record until the lead accepts it. See :mod:`partnership.inbox.service`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partnership.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_migrations(register: Callable[..., None]) -> None:
    from .migrations import m070_inbox

    register(m070_inbox)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import register as add

    add(cli)


@hookimpl
def register_public_data(register: Callable[..., None]) -> None:
    from .public import public_data

    for item in public_data():
        register(item)


@hookimpl
def register_demo(register: Callable[..., None]) -> None:
    from .demo import populate

    register(populate, order=80)
