"""The partnership's health: unmentoring pairs, self-assessment and governance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partnership.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    from .assess import MODELS as ASSESS
    from .governance import MODELS as GOVERNANCE
    from .pairs import MODELS as PAIRS

    for cls in PAIRS + ASSESS + GOVERNANCE:
        register(cls)


@hookimpl
def register_migrations(register: Callable[..., None]) -> None:
    from .migrations import m050_pairs, m051_assess, m052_governance_answers

    for migration in (m050_pairs, m051_assess, m052_governance_answers):
        register(migration)


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

    register(populate, order=30)
