"""Reminders: one message per person with what they owe, by email or as .eml files.

``p.reminders`` (see :mod:`partnership.reminders.service`) plans and sends them and
records each one privately; ``partnership remind`` is its command.
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
def register_migrations(register: Callable[..., None]) -> None:
    from .migrations import m060_reminders

    register(m060_reminders)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import register as add

    add(cli)


@hookimpl
def register_public_data(register: Callable[..., None]) -> None:
    from .public import public_data

    for item in public_data():  # none: see reminders/public.py
        register(item)


@hookimpl
def register_demo(register: Callable[..., None]) -> None:
    from .demo import populate

    register(populate, order=90)
