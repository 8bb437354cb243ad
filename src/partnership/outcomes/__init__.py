"""Steps 1 and 2 of the method: shared outcomes, and what each partner brings.

Partners, people, outcomes, stakes (with each partner's openly stated motivation) and
contributions (people, money, skills, data, systems, premises; additional or business
as usual). The models live in :mod:`partnership.models` (the core every other feature
refers to); this package holds their checks, commands, public tables and demo step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partnership.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    from partnership import models

    for cls in (models.Partner, models.Person, models.Outcome, models.Stake, models.Contribution):
        register(cls)


@hookimpl
def register_migrations(register: Callable[..., None]) -> None:
    from partnership.schema import m001_core, m002_change_history, m003_partnership_currency

    register(m001_core)
    register(m002_change_history)
    register(m003_partnership_currency)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from partnership.cli import core

    for command in (core.partner, core.person, core.outcome, core.stake, core.contribution):
        cli.add_command(command)


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

    register(populate, order=10)


