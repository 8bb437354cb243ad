"""partnership: record, check and openly report a partnership of organisations.

The library comes first; the ``partnership`` command is a thin shell over it.
"""

from .api import Partnership, create, open, rule, today
from .checks import Check, Finding, Severity
from .errors import (
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
from .hookspecs import hookimpl
from .readonly import ReadOnlyView

__version__ = "0.1.0"

__all__ = [
    "Partnership",
    "open",
    "create",
    "rule",
    "today",
    "hookimpl",
    "Check",
    "Finding",
    "Severity",
    "ReadOnlyView",
    "PartnershipError",
    "ValidationError",
    "NotFound",
    "AlreadyExists",
    "Conflict",
    "NoDatabase",
    "NotAPartnershipDatabase",
    "SchemaTooNew",
    "PluginError",
    "ImportFileError",
]
