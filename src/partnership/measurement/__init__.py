"""Step 4 of the method: measuring progress toward the shared outcomes.

Activities, indicators with baseline, target and target date, observations over
time, the story behind the curve, and metrics (built-in and from plugins) that give
each indicator a status and a pivot signal.
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
    from .migrations import m020_measure, m021_indicator_status_view, m022_metric_last_good

    for migration in (m020_measure, m021_indicator_status_view, m022_metric_last_good):
        register(migration)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import register as add

    add(cli)


@hookimpl
def register_checks(register: Callable[..., None]) -> None:
    from .metrics import register_checks as add

    add(register)


@hookimpl
def register_metrics(register: Callable[..., None]) -> None:
    from .metrics import register_metrics as add

    add(register)


@hookimpl
def register_public_data(register: Callable[..., None]) -> None:
    from .public import public_data

    for item in public_data():
        register(item)


@hookimpl
def register_demo(register: Callable[..., None]) -> None:
    from .demo import populate

    register(populate, order=40)
