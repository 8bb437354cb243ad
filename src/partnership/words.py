"""Counts in words: ``1 person``, ``2 people``, never ``2 person(s)``.

Every message the library, the CLI and the public pages write counts through here."""

from __future__ import annotations


def noun(n: int | float, singular: str, plural_form: str | None = None) -> str:
    """The noun agreeing with ``n``: ``field`` for 1, ``fields`` otherwise."""
    return singular if n == 1 else (plural_form or singular + "s")


def plural(n: int | float, singular: str, plural_form: str | None = None) -> str:
    """``1 person``, ``2 people``, ``0 items``: a count with its noun agreeing."""
    word = noun(n, singular, plural_form)
    return f"{n:g} {word}" if isinstance(n, float) else f"{n} {word}"
