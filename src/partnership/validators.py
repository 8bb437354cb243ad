"""Field validators and converters shared by every model.

Each validator raises :class:`FieldProblem`, a ``ValueError`` whose text is already a
sentence fragment a partnership lead understands ("slug 'Lancs Police' must be ...").
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import attrs

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 64


class FieldProblem(ValueError):
    """A value that does not fit a field; the message names the field."""


def slugify(text: str) -> str:
    """Turn free text into a slug: ``"Lancs Police!"`` -> ``"lancs-police"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:SLUG_MAX].strip("-")


def check_slug(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise FieldProblem(f"{name} must be text, like 'lancs-police' (got {value!r})")
    if not SLUG_RE.match(value) or len(value) > SLUG_MAX:
        suggestion = slugify(value)
        hint = f", for example '{suggestion}'" if suggestion else ", like 'lancs-police'"
        raise FieldProblem(
            f"{name} '{value}' must be lowercase letters, digits and single hyphens "
            f"(at most {SLUG_MAX} characters){hint}"
        )


def slug(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """attrs validator: a people-facing identifier such as ``devon-cc``."""
    check_slug(attribute.name, value)


def optional_slug(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None:
        slug(instance, attribute, value)


def text(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """attrs validator: required text, not blank."""
    if not isinstance(value, str):
        raise FieldProblem(f"{attribute.name} must be text (got {value!r})")
    if not value.strip():
        raise FieldProblem(f"{attribute.name} must not be empty")
    if len(value) > 10_000:
        raise FieldProblem(f"{attribute.name} is longer than 10,000 characters; shorten it")


def optional_text(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """attrs validator: text that may be empty (stored as ``""``)."""
    if not isinstance(value, str):
        raise FieldProblem(f"{attribute.name} must be text (got {value!r})")
    if len(value) > 10_000:
        raise FieldProblem(f"{attribute.name} is longer than 10,000 characters; shorten it")


def strip(value: Any) -> Any:
    """attrs converter: trim surrounding whitespace from text, leave anything else."""
    return value.strip() if isinstance(value, str) else value


def number(value: Any, name: str | None = "value") -> float:
    """Parse a number from text or a number, refusing NaN, infinities and booleans."""
    name = f"{name} " if name else ""
    if isinstance(value, bool):
        raise FieldProblem(f"{name}must be a number (got {value!r})")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        cleaned = value.strip().replace(",", "")
        try:
            result = float(cleaned)
        except ValueError:
            raise FieldProblem(f"{name}must be a number, like 2 or 0.5 (got '{value}')") from None
    else:
        raise FieldProblem(f"{name}must be a number (got {value!r})")
    if not math.isfinite(result):
        raise FieldProblem(f"{name}must be a finite number (got '{value}')")
    if abs(result) > 1e15:
        raise FieldProblem(f"{name}{value} is too large; use a larger unit")
    return result


def non_negative(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """attrs validator: an optional amount that is a finite number >= 0."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FieldProblem(f"{attribute.name} must be a number (got {value!r})")
    if value < 0:
        raise FieldProblem(f"{attribute.name} must not be negative (got {value:g})")
    if value > 1e15:
        raise FieldProblem(f"{attribute.name} {value:g} is too large; use a larger unit")


def parse_date(value: Any, name: str | None = "date") -> dt.date:
    """Parse an ISO date (``2026-01-31``); a clear message for anything else."""
    name = f"{name} " if name else ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FieldProblem(f"{name}must be a date written YYYY-MM-DD, like 2026-01-31 (got '{value}')")


def email(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise FieldProblem(f"{attribute.name} '{value}' is not an email address like jo@example.org")


def phone(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not re.fullmatch(r"\+?[0-9 ()-]{6,24}", value):
        raise FieldProblem(
            f"{attribute.name} '{value}' is not a phone number (digits, spaces, +, - and brackets)"
        )
