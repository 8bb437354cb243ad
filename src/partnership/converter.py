"""The one cattrs converter, and the translation of its errors into sentences.

``structure(Partner, {"slug": "x", "kind": "polise"})`` either returns a validated
model or raises :class:`~partnership.errors.ValidationError` with a message such as
``partner: kind must be one of council, school, ... (got 'polise')``.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.preconf.json import make_converter

from . import validators as v
from .errors import ValidationError
from .models import Choice
from .words import noun

T = TypeVar("T")

converter = make_converter(forbid_extra_keys=True)


def _enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        cleaned = value.strip().lower().replace("_", "-").replace(" ", "-")
        for member in cls:
            if member.value == cleaned:
                return member
    allowed = ", ".join(m.value for m in cls)
    raise v.FieldProblem(f"must be one of {allowed} (got {v.shown(value)})")


def _str(value: Any, _type: Any) -> str:
    if isinstance(value, str):
        return value
    raise v.FieldProblem(f"must be text (got {v.shown(value)}); put quotes around it")


def _float(value: Any, _type: Any) -> float:
    return v.number(value, None)


def _int(value: Any, _type: Any) -> int:
    return v.whole_number(value, None)


_TRUE = {"true", "yes", "y", "1", "additional", "on"}
_FALSE = {"false", "no", "n", "0", "", "off", "bau", "business-as-usual"}


def _bool(value: Any, _type: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        cleaned = value.strip().lower().replace(" ", "-")
        if cleaned in _TRUE:
            return True
        if cleaned in _FALSE:
            return False
    raise v.FieldProblem(f"must be yes or no (got {v.shown(value)})")


def _date(value: Any, _type: Any) -> dt.date:
    return v.parse_date(value, None)


converter.register_structure_hook(str, _str)
# our enums are str subclasses, so they need their own hook ahead of str's in the MRO
converter.register_structure_hook(enum.Enum, _enum)
converter.register_structure_hook(Choice, _enum)
converter.register_structure_hook(float, _float)
converter.register_structure_hook(int, _int)
converter.register_structure_hook(bool, _bool)
# dates: exactly YYYY-MM-DD, between validators.FIRST_DATE and LAST_DATE
converter.register_structure_hook(dt.date, _date)
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())


def _format(exc: BaseException, _type: Any) -> str:
    if isinstance(exc, v.FieldProblem):
        return str(exc)
    if isinstance(exc, KeyError):
        return "is required"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"has unknown {noun(len(exc.extra_fields), 'field')} {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, TypeError) and "missing" in str(exc) and "argument" in str(exc):
        missing = str(exc).split(":", 1)[-1].strip().replace("'", "")
        return f"is missing required {noun(missing.count(',') + 1, 'field')} {missing}"
    if isinstance(exc, (TypeError, ValueError)):
        return f"is not valid ({_short(exc)})"
    return f"could not be read ({type(exc).__name__}: {_short(exc)})"


def _short(exc: BaseException) -> str:
    """An exception's text cut to one short line (it may quote a huge value)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 2 * v.SHOWN else text[: 2 * v.SHOWN - 1] + "…"


def problems(exc: BaseException) -> list[str]:
    """Turn a cattrs or attrs error into sentences, each naming its field."""
    lines = []
    for line in cattrs.transform_error(exc, path="$", format_exception=_format):
        message, _, path = line.rpartition(" @ ")
        where = path.removeprefix("$").lstrip(".")
        if where and not message.startswith(where.split(".")[-1]):
            lines.append(f"{where} {message}")
        else:
            lines.append(message)
    return lines


def structure(cls: type[T], data: Any, what: str | None = None) -> T:
    """Build a validated ``cls`` from plain data, or raise :class:`ValidationError`."""
    label = what or getattr(getattr(cls, "__entity__", None), "label", cls.__name__.lower())
    if not isinstance(data, dict):
        raise ValidationError(f"{label}: expected a mapping of fields, got {type(data).__name__}")
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, v.FieldProblem, TypeError, ValueError) as exc:
        found = (problems(exc) if isinstance(exc, cattrs.BaseValidationError)
                 else [str(exc) if isinstance(exc, v.FieldProblem) else _short(exc)])
        raise ValidationError(f"{label}: " + "; ".join(found), found) from None


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)
