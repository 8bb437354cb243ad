"""Step 3 of the method: what each outcome needs, the gaps, and honest capacity.

Needs per outcome, which need a contribution meets and how sure it is, partners'
declared capacity (over-commitment is flagged), the recorded state of each gap
(seeking a candidate, filled outside, accepted) and the verdict per outcome: on course,
at risk, or a collaboration killer that means the outcome must be rebooted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partnership.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    from partnership.models import Contribution

    from .service import Capacity, GapState, Need

    register(Need, before=Contribution)
    register(Capacity)
    register(GapState)


@hookimpl
def register_rules(register: Callable[..., None]) -> None:
    from .service import RULES

    for cls, rule in RULES:
        register(cls, rule)


@hookimpl
def register_migrations(register: Callable[..., None]) -> None:
    from .migrations import m010_gaps, m011_capacity_totals, m012_gap_rows

    register(m010_gaps)
    register(m011_capacity_totals)
    register(m012_gap_rows)


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

    register(populate, order=60)
