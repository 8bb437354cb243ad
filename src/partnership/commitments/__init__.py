"""Commitments and the trust ledger: who promised what, by when, and whether they delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partnership.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    from .service import MODELS

    for cls in MODELS:
        register(cls)


@hookimpl
def register_rules(register: Callable[..., None]) -> None:
    from .service import RULES

    for cls, rule in RULES:
        register(cls, rule)


@hookimpl
def register_migrations(register: Callable[..., None]) -> None:
    from .migrations import m030_commitments, m031_withdrawal_agreed

    register(m030_commitments)
    register(m031_withdrawal_agreed)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import register as add

    add(cli)


@hookimpl
def register_checks(register: Callable[..., None]) -> None:
    from .checks import register_checks as add

    add(register)


@hookimpl
def register_public_data(register: Callable[..., None]) -> None:
    from .public import public_data

    for item in public_data():
        register(item)


@hookimpl
def register_demo(register: Callable[..., None]) -> None:
    from .demo import populate

    register(populate, order=50)
