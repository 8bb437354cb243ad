"""partnership: record, check and openly report a partnership of organisations.

The library comes first; the ``partnership`` command is a thin shell over it.
Names are imported lazily (PEP 562), so ``import partnership.cli`` stays cheap and
``partnership --help`` starts fast; ``from partnership import X`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it. Feature modules add their public names here.
_EXPORTS: dict[str, str] = {
    "Partnership": "api",
    "open": "api",
    "create": "api",
    "today": "api",
    "hookimpl": "hookspecs",
    "Check": "checks",
    "Finding": "checks",
    "Severity": "checks",
    "ReadOnlyView": "readonly",
    "Metric": "metrics",
    "Series": "metrics",
    "PublicData": "publicdata",
    "PublicQuery": "publicdata",
    "publish": "reporting.build",
    "PartnershipError": "errors",
    "ValidationError": "errors",
    "NotFound": "errors",
    "AlreadyExists": "errors",
    "Conflict": "errors",
    "NoDatabase": "errors",
    "NotAPartnershipDatabase": "errors",
    "SchemaTooNew": "errors",
    "PluginError": "errors",
    "ImportFileError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'partnership' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"partnership.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover
    from .api import Partnership, create, open, today  # noqa: F401
    from .checks import Check, Finding, Severity  # noqa: F401
    from .errors import (  # noqa: F401
        AlreadyExists,
        Conflict,
        ImportFileError,
        NoDatabase,
        NotAPartnershipDatabase,
        NotFound,
        PartnershipError,
        PluginError,
        SchemaTooNew,
        ValidationError,
    )
    from .hookspecs import hookimpl  # noqa: F401
    from .metrics import Metric, Series  # noqa: F401
    from .publicdata import PublicData, PublicQuery  # noqa: F401
    from .readonly import ReadOnlyView  # noqa: F401
    from .reporting.build import publish  # noqa: F401
