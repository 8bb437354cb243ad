"""The plugin hooks of partnership (pluggy project name ``partnership``).

Every hook is a ``register_*(register)`` callback: the host passes a function and the
plugin calls it with the objects it adds. Built-in checks and metrics are registered
through these same hooks (see ``partnership.builtin``).

A plugin is trusted Python code running with the user's rights; what is guarded is what
goes through these hooks: checks and metrics read through a read-only, time-limited
connection of their own (:mod:`partnership.readonly`), and public data is checked
against the private fields (:class:`partnership.public.PrivateDataGuard`). See
docs/plugins.md, section 8, and docs/security.md.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("partnership")
hookimpl = pluggy.HookimplMarker("partnership")


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
    ``register(PublicData(name=..., sql="SELECT ... FROM <public tables>", kind="view"))``
    (or ``kind="table"``, or ``rows=[{...}, ...]``) with
    :class:`partnership.publish.PublicData`. The SQL runs on the public database only,
    and every table or view (``sql`` or ``rows``) is refused if a column is named like a
    private field or a cell holds a private value of the record (a person's email...)."""
