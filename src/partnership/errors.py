"""Exceptions raised by the library.

Every error a user can cause is a :class:`PartnershipError` whose message is one
sentence naming the problem and the way out. The command line prints that sentence
and exits non-zero; library callers can catch the specific subclasses.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PartnershipError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 1


def _quoted(key: object, limit: int = 60) -> str:
    """A key as a message quotes it: at most ``limit`` characters, then an ellipsis."""
    text = str(key) if isinstance(key, (str, int)) else repr(key)[: limit + 1]
    return f"'{text[:limit - 1]}…'" if len(text) > limit else f"'{text}'"


class ValidationError(PartnershipError):
    """Input that does not fit the model: a wrong kind, a malformed date, a bad slug."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class NotFound(PartnershipError):
    """A slug or id that names nothing in this partnership."""

    def __init__(self, what: str, key: object, known: Iterable[str] = (), hint: str = "") -> None:
        self.what = what
        self.key = key
        known = list(known)
        message = f"no {what} {_quoted(key)} in this partnership"
        close = difflib.get_close_matches(str(key)[:200], known, n=1) if known else []
        if close:
            message += f"; did you mean '{close[0]}'?"
        elif hint:
            message += f"; {hint}"
        elif known:
            shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
            message += f" (known: {shown})"
        else:
            message += "; add one first"
        super().__init__(message)


class AlreadyExists(PartnershipError):
    """Adding a slug (or pair) that is already recorded."""

    def __init__(self, what: str, key: object, hint: str = "") -> None:
        self.what = what
        self.key = key
        message = f"{what} {_quoted(key)} already exists"
        message += f"; {hint}" if hint else "; choose another slug or update the existing one"
        super().__init__(message)


class Conflict(PartnershipError):
    """A write refused because of what is already recorded (a state transition, a reference)."""


class NotAPartnershipDatabase(PartnershipError):
    """The file exists but is not a partnership database (or is not SQLite at all)."""


class NoDatabase(PartnershipError):
    """No partnership database at the given path."""


class SchemaTooNew(PartnershipError):
    """The file was written by a newer version of partnership than this one."""


class PluginError(PartnershipError):
    """A plugin could not be loaded or registered (syntax error, name clash, bad hook)."""


class ImportFileError(PartnershipError):
    """An import file that cannot be read, or has bad rows. Nothing was written."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]
