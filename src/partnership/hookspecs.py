"""The plugin hooks of partnership (pluggy project name ``partnership``).

Every hook but ``register_commands`` is a ``register_*(register)`` callback: the host
passes a function and the plugin calls it with the objects it adds. The built-in
features (one package per step of the method, listed in :mod:`partnership.features`)
are registered through these same hooks, so a plugin can add anything a built-in
feature adds: models and their tables, rules, commands, checks, metrics, public tables
and views, and a demo step. docs/hooks.md documents each hook with an example.

A plugin is trusted Python code running with the user's rights; what is guarded is what
goes through these hooks: checks and metrics read through a read-only, time-limited
connection of their own (:mod:`partnership.readonly`), and public data is checked
against the private fields (:class:`partnership.publicdata.PrivateDataGuard`). See
docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

hookspec = pluggy.HookspecMarker("partnership")
hookimpl = pluggy.HookimplMarker("partnership")


@hookspec
def register_models(register: Callable[..., None]) -> None:
    """Add stored models: call ``register(Model)`` for each ``@entity`` attrs class, in
    the order an import must apply them (referenced models first), or
    ``register(Model, before=OtherModel)``. Each becomes an export section."""


@hookspec
def register_migrations(register: Callable[..., None]) -> None:
    """Add schema migrations: call ``register(fn)`` (``fn(db)`` gets a sqlite-utils
    Database) for each, in order. Names are recorded in users' files: never rename one.
    A plugin's migrations are recorded under the plugin's own name."""


@hookspec
def register_rules(register: Callable[..., None]) -> None:
    """Add cross-record rules checked before a model is written: call
    ``register(Model, fn)`` where ``fn(partnership, model)`` raises a PartnershipError."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``partnership`` command: ``cli.add_command(...)`` (as in
    Datasette and llm)."""


@hookspec
def register_checks(register: Callable[[Any], None]) -> None:
    """Register checks: call ``register(Check(name=..., description=..., run=fn))``."""


@hookspec
def register_metrics(register: Callable[[Any], None]) -> None:
    """Register metrics: call ``register(Metric(name=..., description=..., unit=..., compute=fn))``
    with :class:`partnership.Metric`; see docs/plugins.md."""


@hookspec
def register_public_data(register: Callable[..., None]) -> None:
    """Add a table or view to the public database at publish time: call
    ``register(PublicData(name=..., sql="SELECT ... FROM <public tables>", kind="view",
    description=..., columns={...}))`` (or ``kind="table"``, or ``rows=[{...}, ...]``, or
    ``copy=(columns...)`` to publish those columns of a working table) with
    :class:`partnership.PublicData`. The SQL runs on the public database only, and a
    plugin's table or view is refused if a column is named like a private field or a cell
    holds a private value of the record (a person's email...)."""


@hookspec
def register_demo(register: Callable[..., None]) -> None:
    """Add to the demo partnership: call ``register(populate, order=N)`` where
    ``populate(partnership)`` adds records through the library; steps run by ``order``."""
