"""The plugin hooks of partnership (pluggy project name ``partnership``).

Every hook is a ``register_*(register)`` callback: the host passes a function and the
plugin calls it with the objects it adds. Built-in checks and metrics are registered
through these same hooks (see ``partnership.builtin``).
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
    :class:`partnership.publish.PublicData`. The SQL runs on the public database only."""
